"""Certificates for the downstream tests, made with `cryptography`.

The PKI is built without the package under test, so a fault in our
`OpenSSL.crypto` cannot hide behind certificates it made itself.  Everything
is written as PEM files, the way Twisted, urllib3 and certbot users keep them.
"""
import datetime
import ipaddress
import os
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSWORD = b"correct horse battery staple"


class Issued(NamedTuple):
    cert: x509.Certificate
    key: object
    cert_path: str
    key_path: str

    @property
    def cert_pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self):
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Downstream Test"),
    ])


def _key(kind):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _build(subject_cn, key, issuer=None, ca=False, dns=(), ips=(), client=False,
           days=30):
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name = issuer.cert.subject if issuer else _name(subject_cn)
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
    else:
        names = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(names), critical=False
            )
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _write(directory, stem, cert, key, password=None):
    cert_path = os.path.join(directory, stem + ".pem")
    key_path = os.path.join(directory, stem + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8, encryption))
    return Issued(cert, key, cert_path, key_path)


def _issue(directory, stem, cn, issuer=None, kind="ec", password=None, **kw):
    key = _key(kind)
    cert = _build(cn, key, issuer=issuer, **kw)
    return _write(directory, stem, cert, key, password)


class Pki:
    """A CA with a server, a client and a few certificates that must fail.

    ca            the trusted root (ca.pem)
    server        localhost + 127.0.0.1 + ::1, issued by ca (RSA, as certbot's default)
    server_ec     localhost, issued by ca (EC)
    client        a client certificate issued by ca; client_enc has its key
                  encrypted with PASSWORD
    other_ca      a root nobody trusts; stranger is a localhost leaf it issued
    wrong_host    issued by ca, but for wrong.example only
    """

    def __init__(self, directory):
        self.directory = directory
        self.ca = _issue(directory, "ca", "Downstream Root CA", ca=True)
        self.server = _issue(directory, "server", "localhost", self.ca, kind="rsa",
                             dns=["localhost"], ips=["127.0.0.1", "::1"])
        self.server_ec = _issue(directory, "server-ec", "localhost", self.ca,
                                dns=["localhost"])
        self.client = _issue(directory, "client", "downstream client", self.ca,
                             client=True)
        self.client_enc = _write(directory, "client-enc", self.client.cert,
                                 self.client.key, PASSWORD)
        self.other_ca = _issue(directory, "other-ca", "Untrusted Root CA", ca=True)
        self.stranger = _issue(directory, "stranger", "localhost", self.other_ca,
                               dns=["localhost"], ips=["127.0.0.1"])
        self.wrong_host = _issue(directory, "wrong-host", "wrong.example", self.ca,
                                 dns=["wrong.example"])
        # leaf + CA in one file, as certbot's fullchain.pem
        self.server_fullchain = os.path.join(directory, "server-fullchain.pem")
        with open(self.server_fullchain, "wb") as f:
            f.write(self.server.cert_pem + self.ca.cert_pem)

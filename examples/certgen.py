"""Demo: make a small PKI with OpenSSL.crypto.

A root CA (RSA), an intermediate CA (EC P-256) and a leaf for "localhost"
(EC P-256, with subjectAltName), written as PEM into the output directory
and printed.

    python certgen.py [OUTDIR]        (default: demo-out)
"""
import os
import sys

from OpenSSL import crypto

DAY = 24 * 60 * 60


def new_key(kind, size):
    key = crypto.PKey()
    key.generate_key(kind, size)
    return key


def new_cert(subject_cn, key, serial, issuer_cert=None, issuer_key=None,
             ca=False, pathlen=None, san=None, days=365):
    cert = crypto.X509()
    cert.set_version(2)
    cert.set_serial_number(serial)
    subject = cert.get_subject()
    subject.CN = subject_cn
    subject.O = "OpenSSL for Python demo"
    cert.gmtime_adj_notBefore(0)
    cert.gmtime_adj_notAfter(days * DAY)
    cert.set_pubkey(key)
    if issuer_cert is None:  # self-signed
        issuer_cert, issuer_key = cert, key
    cert.set_issuer(issuer_cert.get_subject())

    constraints = b"CA:TRUE" if ca else b"CA:FALSE"
    if ca and pathlen is not None:
        constraints += b", pathlen:%d" % pathlen
    extensions = [
        crypto.X509Extension(b"basicConstraints", True, constraints),
        crypto.X509Extension(
            b"keyUsage", True,
            b"keyCertSign, cRLSign" if ca else b"digitalSignature"),
        crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash",
                             subject=cert),
    ]
    if not ca:
        extensions.append(crypto.X509Extension(
            b"extendedKeyUsage", False, b"serverAuth, clientAuth"))
    if san:
        extensions.append(crypto.X509Extension(b"subjectAltName", False, san))
    cert.add_extensions(extensions)
    if issuer_cert is not cert:
        cert.add_extensions([crypto.X509Extension(
            b"authorityKeyIdentifier", False, b"keyid:always",
            issuer=issuer_cert)])
    cert.sign(issuer_key, "sha256")
    return cert


def write(outdir, name, cert, key):
    cert_path = os.path.join(outdir, name + ".pem")
    key_path = os.path.join(outdir, name + ".key")
    with open(cert_path, "wb") as f:
        f.write(crypto.dump_certificate(crypto.FILETYPE_PEM, cert))
    with open(key_path, "wb") as f:
        f.write(crypto.dump_privatekey(crypto.FILETYPE_PEM, key))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def describe(name, cert, cert_path):
    print(f"== {name}: {cert_path}")
    print(f"   subject : {cert.get_subject()}")
    print(f"   issuer  : {cert.get_issuer()}")
    print(f"   serial  : {cert.get_serial_number()}")
    print(f"   valid   : {cert.get_notBefore().decode()} .. "
          f"{cert.get_notAfter().decode()}")
    print(f"   key     : {cert.get_pubkey().bits()} bits, "
          f"signed with {cert.get_signature_algorithm().decode()}")
    print(f"   sha256  : {cert.digest('sha256').decode()}")
    for i in range(cert.get_extension_count()):
        ext = cert.get_extension(i)
        critical = " (critical)" if ext.get_critical() else ""
        print(f"   {ext.get_short_name().decode()}{critical}: {ext}")


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    ca_key = new_key(crypto.TYPE_RSA, 2048)
    ca = new_cert("Demo Root CA", ca_key, 1, ca=True, days=3650)
    int_key = new_key(crypto.TYPE_EC, "prime256v1")
    intermediate = new_cert("Demo Intermediate CA", int_key, 2, ca, ca_key,
                            ca=True, pathlen=0, days=1825)
    leaf_key = new_key(crypto.TYPE_EC, "prime256v1")
    leaf = new_cert("localhost", leaf_key, 3, intermediate, int_key,
                    san=b"DNS:localhost, IP:127.0.0.1, IP:::1")

    for name, cert, key in (("ca", ca, ca_key),
                            ("intermediate", intermediate, int_key),
                            ("leaf", leaf, leaf_key)):
        cert_path, _ = write(outdir, name, cert, key)
        describe(name, cert, cert_path)
    chain_path = os.path.join(outdir, "chain.pem")
    with open(chain_path, "wb") as f:
        f.write(crypto.dump_certificate(crypto.FILETYPE_PEM, leaf))
        f.write(crypto.dump_certificate(crypto.FILETYPE_PEM, intermediate))
    print(f"== chain (leaf + intermediate): {chain_path}")
    print(f"   check it: openssl verify -CAfile {os.path.join(outdir, 'ca.pem')}"
          f" -untrusted {os.path.join(outdir, 'intermediate.pem')}"
          f" {os.path.join(outdir, 'leaf.pem')}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-out")

"""A small PKI built with this package's own API, for the tests.

    chain = make_chain("ec", san=["localhost", "127.0.0.1"])
    chain.leaf.cert, chain.leaf.key, chain.ca.cert, ...
    paths = chain.write_pem(tmpdir)      # {"ca": ".../ca.pem", ...}

Everything is made fresh (no checked-in keys that expire).  The pieces:

  make_key(key_type)        "rsa" (2048), "rsa1024", "ec" (P-256), "p384",
                            "ed25519", "ed448", "dsa", or a PKey passed through
  make_name(cn, **attrs)    an X509Name: make_name("x", O="Org", C="DE")
  make_cert(...)            one certificate, self-signed or issued by another
  make_chain(...)           CA -> intermediate -> leaf
  openssl(*args)            run the `openssl` tool, the peer many tests check against
  run_threads(targets)      call each function in a thread of its own, all at once
"""
import ipaddress
import itertools
import os
import subprocess
import threading
from typing import NamedTuple

from OpenSSL import crypto

DAY = 24 * 60 * 60

_serials = itertools.count(0x1000)

_KEY_SPECS = {
    "rsa": (crypto.TYPE_RSA, 2048),
    "rsa1024": (crypto.TYPE_RSA, 1024),
    "rsa2048": (crypto.TYPE_RSA, 2048),
    "ec": (crypto.TYPE_EC, "prime256v1"),
    "p256": (crypto.TYPE_EC, "prime256v1"),
    "p384": (crypto.TYPE_EC, "secp384r1"),
    "ed25519": (crypto.TYPE_ED25519, 0),
    "ed448": (crypto.TYPE_ED448, 0),
    "dsa": (crypto.TYPE_DSA, 2048),
}


def make_key(key_type="rsa"):
    """A new key of `key_type` (see the module doc), or `key_type` itself
    when it already is a PKey."""
    if isinstance(key_type, crypto.PKey):
        return key_type
    try:
        kind, size = _KEY_SPECS[key_type]
    except KeyError:
        raise ValueError(f"unknown key type {key_type!r}; "
                         f"use one of {sorted(_KEY_SPECS)}") from None
    key = crypto.PKey()
    key.generate_key(kind, size)
    return key


def make_name(cn=None, **attrs):
    """An X509Name with CN=`cn` then the other attributes, in order."""
    name = crypto.X509().get_subject()
    if cn is not None:
        name.CN = cn
    for attr, value in attrs.items():
        setattr(name, attr, value)
    return crypto.X509Name(name)


def san_value(entries):
    """The subjectAltName config string for `entries`: items already in
    OpenSSL's "TYPE:value" form are kept, IP addresses become "IP:...",
    anything else "DNS:..."."""
    parts = []
    for entry in entries:
        if isinstance(entry, bytes):
            entry = entry.decode("ascii")
        if ":" in entry and entry.split(":", 1)[0] in (
                "DNS", "IP", "email", "URI", "RID", "dirName", "otherName"):
            parts.append(entry)
            continue
        try:
            ipaddress.ip_address(entry)
        except ValueError:
            parts.append("DNS:" + entry)
        else:
            parts.append("IP:" + entry)
    return ", ".join(parts)


def make_cert(subject, key, issuer=None, *, serial=None, not_before=0,
              not_after=365 * DAY, ca=False, pathlen=None, san=(),
              extended_key_usage=None, key_usage=None, issuer_name=None,
              extensions=(), digest="sha256", version=2, key_ids=True):
    """One certificate.

    subject      an X509Name, or a str used as the CN
    key          the PKey whose public half the certificate carries
    issuer       (cert, key) that signs it; None for self-signed by `key`
    not_before, not_after
                 offsets from now in seconds (negative is in the past)
    ca, pathlen  basicConstraints (critical); pathlen only with ca=True
    san          subjectAltName entries (see san_value); empty: none
    extended_key_usage
                 e.g. ["serverAuth", "clientAuth"]; None: for a leaf both,
                 for a CA none
    key_usage    keyUsage config string; None: a sensible default
    issuer_name  an X509Name to write as issuer instead of the signer's
                 subject (to make chains that must not verify)
    extensions   more X509Extension objects to add
    key_ids      add subjectKeyIdentifier/authorityKeyIdentifier
    """
    if not isinstance(subject, crypto.X509Name):
        subject = make_name(subject)
    cert = crypto.X509()
    cert.set_version(version)
    cert.set_serial_number(next(_serials) if serial is None else serial)
    cert.set_subject(subject)
    cert.set_pubkey(key)
    cert.gmtime_adj_notBefore(not_before)
    cert.gmtime_adj_notAfter(not_after)
    if issuer is None:
        signer_cert, signer_key = cert, key
        cert.set_issuer(subject)
    else:
        signer_cert, signer_key = issuer
        cert.set_issuer(signer_cert.get_subject())
    if issuer_name is not None:
        cert.set_issuer(issuer_name)

    exts = []
    constraints = "CA:TRUE" if ca else "CA:FALSE"
    if ca and pathlen is not None:
        constraints += f", pathlen:{pathlen}"
    exts.append(crypto.X509Extension(b"basicConstraints", True,
                                     constraints.encode()))
    if key_usage is None:
        if ca:
            key_usage = "keyCertSign, cRLSign, digitalSignature"
        elif key.type() == crypto.TYPE_RSA:
            key_usage = "digitalSignature, keyEncipherment"
        else:
            key_usage = "digitalSignature"
    if key_usage:
        exts.append(crypto.X509Extension(b"keyUsage", True, key_usage.encode()))
    if extended_key_usage is None and not ca:
        extended_key_usage = ["serverAuth", "clientAuth"]
    if extended_key_usage:
        exts.append(crypto.X509Extension(
            b"extendedKeyUsage", False,
            ", ".join(extended_key_usage).encode()))
    if san:
        exts.append(crypto.X509Extension(b"subjectAltName", False,
                                         san_value(san).encode()))
    cert.add_extensions(exts)
    if key_ids:
        cert.add_extensions([crypto.X509Extension(
            b"subjectKeyIdentifier", False, b"hash", subject=cert)])
        if signer_cert is not cert:
            cert.add_extensions([crypto.X509Extension(
                b"authorityKeyIdentifier", False, b"keyid:always",
                issuer=signer_cert)])
    if extensions:
        cert.add_extensions(list(extensions))
    # Ed25519/Ed448 keys ignore the digest name.
    cert.sign(signer_key, digest)
    return cert


class Issued(NamedTuple):
    """A certificate and its private key."""
    cert: crypto.X509
    key: crypto.PKey

    def pem(self):
        return crypto.dump_certificate(crypto.FILETYPE_PEM, self.cert)

    def key_pem(self):
        return crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key)


class Chain(NamedTuple):
    """CA -> intermediate -> leaf."""
    ca: Issued
    intermediate: Issued
    leaf: Issued

    def write_pem(self, directory):
        """Write every certificate and key as PEM into `directory`; return
        their paths: ca, ca_key, intermediate, intermediate_key, leaf,
        leaf_key, and chain (leaf then intermediate, what a server sends)."""
        os.makedirs(directory, exist_ok=True)
        paths = {}
        for label in ("ca", "intermediate", "leaf"):
            issued = getattr(self, label)
            paths[label] = _write(directory, label + ".pem", issued.pem())
            paths[label + "_key"] = _write(directory, label + ".key",
                                           issued.key_pem())
        paths["chain"] = _write(directory, "chain.pem",
                                self.leaf.pem() + self.intermediate.pem())
        return paths


def _write(directory, filename, data):
    path = os.path.join(directory, filename)
    with open(path, "wb") as f:
        f.write(data)
    return path


def make_ca(cn="Test Root CA", key_type="rsa", *, pathlen=None, **kwargs):
    """A self-signed CA."""
    key = make_key(key_type)
    cert = make_cert(make_name(cn, O="OpenSSL for Python tests"), key,
                     ca=True, pathlen=pathlen, **kwargs)
    return Issued(cert, key)


def make_intermediate(issuer, cn="Test Intermediate CA", key_type="rsa", *,
                      pathlen=0, **kwargs):
    """A CA certificate issued by `issuer` (an Issued)."""
    key = make_key(key_type)
    cert = make_cert(make_name(cn, O="OpenSSL for Python tests"), key,
                     issuer=issuer, ca=True, pathlen=pathlen, **kwargs)
    return Issued(cert, key)


def make_leaf(issuer, cn="localhost", key_type="rsa", *,
              san=("localhost", "127.0.0.1", "::1"), **kwargs):
    """An end-entity certificate issued by `issuer` (an Issued)."""
    key = make_key(key_type)
    cert = make_cert(make_name(cn), key, issuer=issuer, san=san, **kwargs)
    return Issued(cert, key)


def make_chain(key_type="rsa", *, leaf_cn="localhost",
               san=("localhost", "127.0.0.1", "::1"), ca_key_type=None,
               intermediate_key_type=None, leaf_key_type=None,
               leaf_kwargs=None):
    """CA -> intermediate -> leaf, every key of `key_type` unless a
    *_key_type says otherwise; `leaf_kwargs` go to make_cert for the leaf
    (validity window, extended_key_usage, ...)."""
    ca = make_ca(key_type=ca_key_type or key_type)
    intermediate = make_intermediate(
        ca, key_type=intermediate_key_type or key_type)
    leaf = make_leaf(intermediate, cn=leaf_cn,
                     key_type=leaf_key_type or key_type, san=san,
                     **(leaf_kwargs or {}))
    return Chain(ca, intermediate, leaf)


def cert_pem(cert):
    """An X509 as PEM bytes."""
    return crypto.dump_certificate(crypto.FILETYPE_PEM, cert)


def openssl(*args, input=None, stderr=False):
    """Run the openssl tool and return its stdout (bytes), followed by its
    stderr when `stderr` is true (where -info and -verify report).  A
    failing command raises AssertionError with what it printed."""
    proc = subprocess.run(["openssl", *args], input=input, capture_output=True,
                          timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed:\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc.stdout + proc.stderr if stderr else proc.stdout


def run_threads(targets, timeout=60):
    """Call each function of `targets` in a thread of its own, all at once,
    and wait for them; return the exceptions they raised (none: [])."""
    errors = []

    def run(target):
        try:
            target()
        except Exception as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return errors

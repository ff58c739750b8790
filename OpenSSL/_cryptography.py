"""Conversions between this package's objects and ``cryptography``'s.

Called from the C modules; each conversion is a DER round trip, so
``cryptography`` is needed only when one of them is used.
"""

import importlib

from OpenSSL import crypto


def _needs(module):
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "this conversion needs the 'cryptography' package") from exc


def _serialization():
    return _needs("cryptography.hazmat.primitives.serialization")


def _x509():
    return _needs("cryptography.x509")


def pkey_to_cryptography(pkey):
    ser = _serialization()
    if pkey._only_public:
        der = crypto.dump_publickey(crypto.FILETYPE_ASN1, pkey)
        return ser.load_der_public_key(der)
    der = crypto.dump_privatekey(crypto.FILETYPE_ASN1, pkey)
    return ser.load_der_private_key(der, password=None)


def pkey_from_cryptography(key):
    ser = _serialization()
    if hasattr(key, "private_bytes"):
        der = key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8,
                                ser.NoEncryption())
        return crypto.load_privatekey(crypto.FILETYPE_ASN1, der)
    if hasattr(key, "public_bytes"):
        der = key.public_bytes(ser.Encoding.DER,
                               ser.PublicFormat.SubjectPublicKeyInfo)
        return crypto.load_publickey(crypto.FILETYPE_ASN1, der)
    raise TypeError("crypto_key must be a cryptography public or private key, "
                    f"not {type(key).__name__}")


# Our class -> (to_cryptography, from_cryptography), for the methods of the
# same names that X509, X509Req and CRL share.
_BRIDGES: dict = {}


def to_cryptography(obj):
    for cls in type(obj).__mro__:
        if cls in _BRIDGES:
            return _BRIDGES[cls][0](obj)
    raise TypeError(f"no cryptography counterpart for {type(obj).__name__}")


def from_cryptography(cls, obj):
    for base in cls.__mro__:
        if base in _BRIDGES:
            return _BRIDGES[base][1](obj)
    raise TypeError(f"no cryptography counterpart for {cls.__name__}")


def _der_bridge(cls, dump, load, der_loader, class_name, argname):
    """to_cryptography/from_cryptography for `cls`, which dump(FILETYPE_ASN1)
    writes and load(FILETYPE_ASN1) reads, cryptography.x509.<der_loader> reads
    and cryptography.x509.<class_name> writes with public_bytes()."""

    def to_cryptography(obj):
        der = dump(crypto.FILETYPE_ASN1, obj)
        return getattr(_x509(), der_loader)(der)

    def from_cryptography(obj):
        if not isinstance(obj, getattr(_x509(), class_name)):
            raise TypeError(f"{argname} must be a cryptography.x509.{class_name}, "
                            f"not {type(obj).__name__}")
        der = obj.public_bytes(_serialization().Encoding.DER)
        return load(crypto.FILETYPE_ASN1, der)

    _BRIDGES[cls] = (to_cryptography, from_cryptography)
    return to_cryptography, from_cryptography


x509_to_cryptography, x509_from_cryptography = _der_bridge(
    crypto.X509, crypto.dump_certificate, crypto.load_certificate,
    "load_der_x509_certificate", "Certificate", "crypto_cert")

req_to_cryptography, req_from_cryptography = _der_bridge(
    crypto.X509Req, crypto.dump_certificate_request, crypto.load_certificate_request,
    "load_der_x509_csr", "CertificateSigningRequest", "crypto_req")

crl_to_cryptography, crl_from_cryptography = _der_bridge(
    crypto.CRL, crypto.dump_crl, crypto.load_crl,
    "load_der_x509_crl", "CertificateRevocationList", "crypto_crl")

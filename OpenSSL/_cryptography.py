"""Conversions between this package's objects and ``cryptography``'s.

Called from the C modules; each conversion is a DER round trip, so
``cryptography`` is needed only when one of them is used.
"""

from OpenSSL import crypto


def _serialization():
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "this conversion needs the 'cryptography' package") from exc
    return serialization


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

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


def _x509():
    try:
        from cryptography import x509
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "this conversion needs the 'cryptography' package") from exc
    return x509


def x509_to_cryptography(cert):
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
    return _x509().load_der_x509_certificate(der)


def x509_from_cryptography(crypto_cert):
    x509 = _x509()
    if not isinstance(crypto_cert, x509.Certificate):
        raise TypeError("crypto_cert must be a cryptography.x509.Certificate, "
                        f"not {type(crypto_cert).__name__}")
    der = crypto_cert.public_bytes(_serialization().Encoding.DER)
    return crypto.load_certificate(crypto.FILETYPE_ASN1, der)


def req_to_cryptography(req):
    der = crypto.dump_certificate_request(crypto.FILETYPE_ASN1, req)
    return _x509().load_der_x509_csr(der)


def req_from_cryptography(crypto_req):
    x509 = _x509()
    if not isinstance(crypto_req, x509.CertificateSigningRequest):
        raise TypeError("crypto_req must be a "
                        "cryptography.x509.CertificateSigningRequest, "
                        f"not {type(crypto_req).__name__}")
    der = crypto_req.public_bytes(_serialization().Encoding.DER)
    return crypto.load_certificate_request(crypto.FILETYPE_ASN1, der)


def crl_to_cryptography(crl):
    der = crypto.dump_crl(crypto.FILETYPE_ASN1, crl)
    return _x509().load_der_x509_crl(der)


def crl_from_cryptography(crypto_crl):
    x509 = _x509()
    if not isinstance(crypto_crl, x509.CertificateRevocationList):
        raise TypeError("crypto_crl must be a "
                        "cryptography.x509.CertificateRevocationList, "
                        f"not {type(crypto_crl).__name__}")
    der = crypto_crl.public_bytes(_serialization().Encoding.DER)
    return crypto.load_crl(crypto.FILETYPE_ASN1, der)

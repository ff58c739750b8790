"""The fuzz targets: one function per parser or untrusted-bytes entry point.

Each target takes the fuzzer's bytes, feeds them to the package, and when
the package accepts them, drives everything a user could then do with the
object (every getter, dump in each format, a reload of the dump).  A target
may fail only with the exceptions it declares (the package's `Error` and the
documented TypeError/ValueError of bad arguments); any other exception, a
crash, a hang or a sanitizer report is a finding.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# OSSL_FUZZ_LIB: a separately built (instrumented) copy of the package.
LIB = os.environ.get("OSSL_FUZZ_LIB") or ROOT
if LIB not in sys.path:
    sys.path.insert(0, LIB)

from OpenSSL import crypto  # noqa: E402

PEM, DER, TEXT = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1, crypto.FILETYPE_TEXT
PASSPHRASE = b"fuzz-passphrase"

TARGETS = {}


class Target:
    def __init__(self, name, func, allowed):
        self.name = name
        self.func = func
        self.allowed = allowed

    def __call__(self, data):
        try:
            self.func(data)
        except self.allowed:
            pass


def target(name, allowed=(crypto.Error,)):
    def register(func):
        TARGETS[name] = Target(name, func, allowed)
        return func
    return register


def fields(data, count=None):
    """Split `data` into length-prefixed fields (2-byte big-endian length);
    a short or missing length takes whatever is left."""
    out = []
    pos = 0
    while pos < len(data) and (count is None or len(out) < count):
        if pos + 2 > len(data):
            out.append(data[pos:])
            break
        size = int.from_bytes(data[pos:pos + 2], "big")
        out.append(data[pos + 2:pos + 2 + size])
        pos += 2 + size
    return out


def text(raw):
    return raw.decode("utf-8", "surrogateescape").encode("utf-8", "replace").decode()


# -- what a user does with a parsed object ------------------------------------

def exercise_name(name):
    name.get_components()
    name.der()
    name.hash()
    str(name)
    repr(name)
    name == name  # noqa: B015
    for attr in ("CN", "O", "OU", "C", "emailAddress"):
        try:
            getattr(name, attr)
        except crypto.Error:
            pass
    copy = crypto.X509Name(name)
    assert copy == name


def exercise_extension(ext):
    ext.get_short_name()
    ext.get_critical()
    ext.get_data()
    try:
        str(ext)
    except crypto.Error:
        pass


def exercise_pkey(key, private):
    key.bits()
    key.type()
    dump_publickey_all(key)
    if private:
        for kind in (PEM, DER):
            again = crypto.load_privatekey(kind, crypto.dump_privatekey(kind, key))
            assert again.type() == key.type()
        try:
            crypto.dump_privatekey(TEXT, key)
        except crypto.Error:
            pass
        try:
            key.check()
        except (crypto.Error, TypeError):
            pass


def dump_publickey_all(key):
    for kind in (PEM, DER):
        again = crypto.load_publickey(kind, crypto.dump_publickey(kind, key))
        assert crypto.dump_publickey(DER, again) == crypto.dump_publickey(DER, key)


def exercise_cert(cert, deep=True):
    """Everything a user reads from a certificate; `deep` adds the public
    key round trip (slow: OpenSSL 3's key decoders)."""
    der = crypto.dump_certificate(DER, cert)
    crypto.dump_certificate(PEM, cert)
    try:
        crypto.dump_certificate(TEXT, cert)
    except crypto.Error:
        pass
    again = crypto.load_certificate(DER, der)
    assert crypto.dump_certificate(DER, again) == der
    cert.get_version()
    cert.get_serial_number()
    exercise_name(cert.get_subject())
    exercise_name(cert.get_issuer())
    cert.subject_name_hash()
    cert.get_notBefore()
    cert.get_notAfter()
    try:
        cert.has_expired()
    except (crypto.Error, ValueError):
        pass
    try:
        cert.get_signature_algorithm()
    except ValueError:
        pass
    cert.digest("sha256")
    try:
        key = cert.get_pubkey()
    except crypto.Error:
        pass
    else:
        if deep:
            dump_publickey_all(key)
    for i in range(cert.get_extension_count()):
        exercise_extension(cert.get_extension(i))
    # a modified copy: what a CA tool does with a parsed certificate
    cert.set_serial_number(cert.get_serial_number() + 1)
    cert.set_subject(cert.get_issuer())


def exercise_req(req):
    der = crypto.dump_certificate_request(DER, req)
    crypto.dump_certificate_request(PEM, req)
    try:
        crypto.dump_certificate_request(TEXT, req)
    except crypto.Error:
        pass
    again = crypto.load_certificate_request(DER, der)
    assert crypto.dump_certificate_request(DER, again) == der
    req.get_version()
    exercise_name(req.get_subject())
    try:
        key = req.get_pubkey()
    except crypto.Error:
        return
    dump_publickey_all(key)
    try:
        req.verify(key)
    except crypto.Error:
        pass
    for ext in req.get_extensions():
        exercise_extension(ext)


# -- the targets ----------------------------------------------------------------

@target("load_certificate_pem")
def fuzz_certificate_pem(data):
    exercise_cert(crypto.load_certificate(PEM, data))


@target("load_certificate_der")
def fuzz_certificate_der(data):
    exercise_cert(crypto.load_certificate(DER, data))


@target("load_certificate_request_pem")
def fuzz_request_pem(data):
    exercise_req(crypto.load_certificate_request(PEM, data))


@target("load_certificate_request_der")
def fuzz_request_der(data):
    exercise_req(crypto.load_certificate_request(DER, data))


@target("load_privatekey_pem")
def fuzz_privatekey_pem(data):
    exercise_pkey(crypto.load_privatekey(PEM, data), True)


@target("load_privatekey_der")
def fuzz_privatekey_der(data):
    exercise_pkey(crypto.load_privatekey(DER, data), True)


@target("load_privatekey_passphrase")
def fuzz_privatekey_passphrase(data):
    """Encrypted keys: the passphrase as bytes and from a callback."""
    key = crypto.load_privatekey(PEM, data, PASSPHRASE)
    exercise_pkey(key, True)
    calls = []

    def callback(*args):
        calls.append(args)
        return PASSPHRASE
    crypto.load_privatekey(PEM, data, callback)


@target("load_publickey_pem")
def fuzz_publickey_pem(data):
    exercise_pkey(crypto.load_publickey(PEM, data), False)


@target("load_publickey_der")
def fuzz_publickey_der(data):
    exercise_pkey(crypto.load_publickey(DER, data), False)


_context = {}


def _context_certs():
    """A subject and an issuer certificate for hash/keyid/issuer:copy."""
    if not _context:
        key = crypto.PKey()
        key.generate_key(crypto.TYPE_EC, "prime256v1")
        cert = crypto.X509()
        cert.get_subject().CN = "context"
        cert.set_issuer(cert.get_subject())
        cert.set_pubkey(key)
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(3600)
        cert.add_extensions([crypto.X509Extension(b"subjectAltName", False,
                                                  b"DNS:issuer.example")])
        cert.sign(key, "sha256")
        _context.update(cert=cert, key=key)
    return _context["cert"], _context["key"]


def _blank_cert(key):
    # A certificate needs its validity times to encode as DER.
    cert = crypto.X509()
    cert.set_pubkey(key)
    cert.gmtime_adj_notBefore(0)
    cert.gmtime_adj_notAfter(3600)
    return cert


@target("x509extension", allowed=(crypto.Error, ValueError))
def fuzz_x509extension(data):
    """X509Extension(name, critical, value[, subject, issuer]) from
    fields: flags (bit 0 critical, bit 1 with subject/issuer), name, value."""
    parts = fields(data, 3) + [b"", b"", b""]
    flags = parts[0][:1] or b"\0"
    critical = bool(flags[0] & 1)
    name, value = parts[1], parts[2]
    if b"\0" in name or b"\0" in value:
        return
    kwargs = {}
    if flags[0] & 2:
        cert, _ = _context_certs()
        kwargs = {"subject": cert, "issuer": cert}
    ext = crypto.X509Extension(name, critical, value, **kwargs)
    exercise_extension(ext)
    # into a certificate, signed, dumped and parsed back
    cert, key = _context_certs()
    holder = _blank_cert(key)
    holder.add_extensions([ext])
    holder.sign(key, "sha256")
    exercise_cert(crypto.load_certificate(DER, crypto.dump_certificate(DER, holder)),
                  deep=False)


@target("x509name", allowed=(crypto.Error, ValueError))
def fuzz_x509name(data):
    """Attribute/value pairs set on an X509Name, then the name used."""
    parts = fields(data)
    name = crypto.X509().get_subject()
    for i in range(0, len(parts) - 1, 2):
        attr, value = text(parts[i]), text(parts[i + 1])
        if not attr.isidentifier() or attr.startswith("_"):
            continue
        try:
            setattr(name, attr, value)
        except AttributeError:
            continue
        got = getattr(name, attr)
        assert got is None or isinstance(got, str), got
    exercise_name(name)
    # Into a certificate's subject and issuer and back through DER.  The
    # signature is left stale: signing costs more than the rest together.
    cert, _ = _context_certs()
    cert.set_subject(name)
    cert.set_issuer(name)
    again = crypto.load_certificate(DER, crypto.dump_certificate(DER, cert))
    assert again.get_subject() == name
    exercise_cert(again, deep=False)


# -- CRL, PKCS#12, PKCS#7, SPKI, verification: registered when present --------

def exercise_crl(crl):
    for kind in (PEM, DER, TEXT):
        try:
            out = crypto.dump_crl(kind, crl)
        except crypto.Error:
            continue
        if kind == DER:
            again = crypto.load_crl(DER, out)
            assert crypto.dump_crl(DER, again) == out
    exercise_name(crl.get_issuer())
    crl.get_lastUpdate()
    crl.get_nextUpdate()
    for revoked in crl.get_revoked() or ():
        revoked.get_serial()
        revoked.get_reason()
        revoked.get_rev_date()


if hasattr(crypto, "load_crl"):
    @target("load_crl_pem", allowed=(crypto.Error, ValueError))
    def fuzz_crl_pem(data):
        exercise_crl(crypto.load_crl(PEM, data))

    @target("load_crl_der", allowed=(crypto.Error, ValueError))
    def fuzz_crl_der(data):
        exercise_crl(crypto.load_crl(DER, data))


if hasattr(crypto, "load_pkcs12"):
    @target("load_pkcs12")
    def fuzz_pkcs12(data):
        p12 = crypto.load_pkcs12(data, PASSPHRASE)
        cert = p12.get_certificate()
        if cert is not None:
            exercise_cert(cert)
        key = p12.get_privatekey()
        if key is not None:
            exercise_pkey(key, True)
        for ca in p12.get_ca_certificates() or ():
            exercise_cert(ca, deep=False)
        p12.get_friendlyname()
        again = crypto.load_pkcs12(p12.export(PASSPHRASE, iter=1, maciter=1), PASSPHRASE)
        again.get_friendlyname()


if hasattr(crypto, "load_pkcs7_data"):
    def exercise_pkcs7(p7):
        p7.type_is_signed()
        p7.type_is_enveloped()
        p7.type_is_signedAndEnveloped()
        p7.type_is_data()
        p7.get_type_name()
        for cert in p7.get_certificates() or ():
            exercise_cert(cert, deep=False)
        for kind in (PEM, DER, TEXT):
            try:
                crypto.dump_pkcs7_data(kind, p7)
            except crypto.Error:
                pass

    @target("load_pkcs7_data_pem")
    def fuzz_pkcs7_pem(data):
        exercise_pkcs7(crypto.load_pkcs7_data(PEM, data))

    @target("load_pkcs7_data_der")
    def fuzz_pkcs7_der(data):
        exercise_pkcs7(crypto.load_pkcs7_data(DER, data))


if hasattr(crypto, "NetscapeSPKI"):
    @target("netscape_spki", allowed=(crypto.Error, ValueError))
    def fuzz_spki(data):
        spki = crypto.NetscapeSPKI(data)
        spki.b64_encode()
        try:
            key = spki.get_pubkey()
        except crypto.Error:
            return
        dump_publickey_all(key)
        try:
            spki.verify(key)
        except crypto.Error:
            pass


if hasattr(crypto, "X509StoreContext"):
    @target("verify_certificate_der",
            allowed=(crypto.Error, crypto.X509StoreContextError))
    def fuzz_verify(data):
        """Length-prefixed DER certificates: the leaf, untrusted
        intermediates, and last the trust anchor a store is given (as a
        user's CA file would be); the leaf is verified."""
        parts = fields(data)[:5]
        if len(parts) < 2:
            return
        certs = [crypto.load_certificate(DER, part) for part in parts]
        store = crypto.X509Store()
        store.add_cert(certs[-1])
        ctx = crypto.X509StoreContext(store, certs[0], chain=certs[1:-1])
        try:
            chain = ctx.get_verified_chain()
        except crypto.X509StoreContextError as exc:
            exc.certificate
            raise
        for cert in chain:
            exercise_cert(cert, deep=False)


def _recipe_chunks(chunks):
    return b"".join(len(c[:65535]).to_bytes(2, "big") + c[:65535] for c in chunks)


try:
    from OpenSSL import SSL as _SSL
except ImportError:  # pragma: no cover - the package always has it
    _SSL = None
if _SSL is not None and hasattr(_SSL, "Context") and hasattr(_SSL, "Connection"):
    import ssl_targets
    ssl_targets.register(target, fields)

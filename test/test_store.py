"""X509Store, X509StoreContext and X509StoreContextError: the API, its
argument checking, and what a verification hands back."""
import unittest
import ctypes
import datetime
import gc
import os
import subprocess
import threading

import pytest

from OpenSSL import crypto

import pki
from pki import DAY, run_threads

Flags = crypto.X509StoreFlags
Purpose = crypto.X509StorePurpose


@pytest.fixture(scope="module")
def chain():
    leaf_san = ("localhost", "127.0.0.1", "::1", "email:alice@example.com")
    return pki.make_chain("ec", san=leaf_san)


def store_with(*certs):
    store = crypto.X509Store()
    for cert in certs:
        store.add_cert(cert)
    return store


def verify(store, chain, untrusted=True):
    ctx = crypto.X509StoreContext(
        store, chain.leaf.cert, [chain.intermediate.cert] if untrusted else None)
    return ctx.verify_certificate()


def error_of(store, chain, untrusted=True):
    with pytest.raises(crypto.X509StoreContextError) as info:
        verify(store, chain, untrusted)
    return info.value


# ---- constants --------------------------------------------------------------

def test_flag_values_are_openssls():
    assert Flags.CRL_CHECK == 0x4
    assert Flags.CRL_CHECK_ALL == 0x8
    assert Flags.IGNORE_CRITICAL == 0x10
    assert Flags.X509_STRICT == 0x20
    assert Flags.ALLOW_PROXY_CERTS == 0x40
    assert Flags.POLICY_CHECK == 0x80
    assert Flags.EXPLICIT_POLICY == 0x100
    assert Flags.INHIBIT_MAP == 0x400
    assert Flags.CHECK_SS_SIGNATURE == 0x4000
    assert Flags.PARTIAL_CHAIN == 0x80000


def test_purpose_values_are_openssls():
    assert (Purpose.SSL_CLIENT, Purpose.SSL_SERVER, Purpose.NS_SSL_SERVER,
            Purpose.SMIME_SIGN, Purpose.SMIME_ENCRYPT, Purpose.CRL_SIGN,
            Purpose.ANY, Purpose.OCSP_HELPER,
            Purpose.TIMESTAMP_SIGN) == tuple(range(1, 10))
    assert Purpose.__module__ == "OpenSSL.crypto"


# ---- X509Store ----------------------------------------------------------------

def test_store_takes_no_arguments():
    with pytest.raises(TypeError):
        crypto.X509Store(1)


def test_empty_store_trusts_nothing(chain):
    err = error_of(crypto.X509Store(), chain)
    assert err.errors[0] == 20   # unable to get local issuer certificate


def test_add_cert_twice_is_harmless(chain):
    store = store_with(chain.ca.cert, chain.ca.cert)
    assert verify(store, chain) is None


def test_add_cert_accepts_cryptography_certificates(chain):
    store = store_with(chain.ca.cert.to_cryptography())
    ctx = crypto.X509StoreContext(store, chain.leaf.cert.to_cryptography(),
                                  [chain.intermediate.cert.to_cryptography()])
    assert ctx.verify_certificate() is None


@pytest.mark.parametrize("bad", [None, 1, b"cert", "cert"])
def test_add_cert_rejects_other_types(bad):
    with pytest.raises(TypeError, match="cert must be an X509"):
        crypto.X509Store().add_cert(bad)


def test_add_cert_keeps_a_copy(chain):
    """Renaming the certificate object afterwards does not change what the
    store trusts."""
    root = crypto.load_certificate(crypto.FILETYPE_PEM, chain.ca.pem())
    store = store_with(root)
    root.get_subject().CN = "Someone Else"
    assert verify(store, chain) is None


def test_add_crl_accepts_ours_and_cryptographys(chain):
    crl = crypto.CRL()
    crl.set_lastUpdate(b"20200101000000Z")
    crl.set_nextUpdate(b"20991231000000Z")
    crl.sign(chain.intermediate.cert, chain.intermediate.key, b"sha256")
    store = store_with(chain.ca.cert)
    store.add_crl(crl)
    store.add_crl(crl.to_cryptography())
    store.set_flags(Flags.CRL_CHECK)
    assert verify(store, chain) is None


@pytest.mark.parametrize("bad", [None, 1, b"crl"])
def test_add_crl_rejects_other_types(bad):
    with pytest.raises(TypeError, match="crl must be a CRL"):
        crypto.X509Store().add_crl(bad)


def _revoking_crl(issuer, cert):
    entry = crypto.Revoked()
    entry.set_serial(b"%x" % cert.get_serial_number())
    entry.set_rev_date(b"20200101000000Z")
    crl = crypto.CRL()
    crl.add_revoked(entry)
    crl.set_lastUpdate(b"20200101000000Z")
    crl.set_nextUpdate(b"20991231000000Z")
    crl.sign(issuer.cert, issuer.key, b"sha256")
    return crl


def test_revoked_leaf_fails_only_with_crl_check(chain):
    store = store_with(chain.ca.cert)
    store.add_crl(_revoking_crl(chain.intermediate, chain.leaf.cert))
    assert verify(store, chain) is None
    store.set_flags(Flags.CRL_CHECK)
    err = error_of(store, chain)
    assert err.errors[:2] == [23, 0]
    assert err.certificate == chain.leaf.cert


def test_crl_check_all_alone_checks_crls(chain):
    """OpenSSL ignores CRL_CHECK_ALL without CRL_CHECK; set_flags turns both
    on so that asking for every CRL never checks none."""
    store = store_with(chain.ca.cert)
    store.add_crl(_revoking_crl(chain.ca, chain.intermediate.cert))
    store.add_crl(_revoking_crl(chain.intermediate, chain.ca.cert))
    store.set_flags(Flags.CRL_CHECK_ALL)
    err = error_of(store, chain)
    assert err.errors[:2] == [23, 1]
    assert err.certificate == chain.intermediate.cert


@pytest.mark.parametrize("flags", [-1, 1 << 40, 0x1, 0x2, 0x40000000])
def test_set_flags_rejects_unknown_bits(flags):
    with pytest.raises(ValueError, match="flags"):
        crypto.X509Store().set_flags(flags)


def test_set_flags_names_the_unknown_bits():
    with pytest.raises(ValueError, match="value: 0x10000000000$"):
        crypto.X509Store().set_flags((1 << 40) | Flags.CRL_CHECK)
    with pytest.raises(ValueError, match="0x2 .use set_time"):
        crypto.X509Store().set_flags(0x2)


def test_set_flags_rejects_non_integers():
    with pytest.raises(TypeError, match="flags must be an integer"):
        crypto.X509Store().set_flags("CRL_CHECK")


def test_partial_chain_flag(chain):
    store = store_with(chain.intermediate.cert)
    assert error_of(store, chain, untrusted=False).errors[0] == 2
    store.set_flags(Flags.PARTIAL_CHAIN)
    assert verify(store, chain, untrusted=False) is None


def test_set_time(chain):
    store = store_with(chain.ca.cert)
    now = datetime.datetime.now(datetime.timezone.utc)
    store.set_time(now + datetime.timedelta(days=400))
    assert error_of(store, chain).errors[0] == 10   # expired
    store.set_time(now - datetime.timedelta(days=2))
    assert error_of(store, chain).errors[0] == 9    # not yet valid
    store.set_time(now + datetime.timedelta(days=2))
    assert verify(store, chain) is None


def test_set_time_naive_is_utc_and_aware_is_converted(chain):
    """Moments that differ only in how they are written give one verdict;
    the boundary is the certificate's notAfter, in UTC."""
    not_after = datetime.datetime.strptime(
        chain.leaf.cert.get_notAfter().decode(), "%Y%m%d%H%M%SZ")
    after = not_after + datetime.timedelta(seconds=30)
    before = not_after - datetime.timedelta(seconds=30)
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    for when, verdict in ((after, 10), (before, None)):
        for spelled in (when, when.replace(tzinfo=datetime.timezone.utc),
                        when.replace(tzinfo=datetime.timezone.utc).astimezone(tz)):
            store = store_with(chain.ca.cert)
            store.set_time(spelled)
            if verdict is None:
                assert verify(store, chain) is None
            else:
                assert error_of(store, chain).errors[0] == verdict


@pytest.mark.parametrize("bad", [0, "2020-01-01", datetime.date(2020, 1, 1)])
def test_set_time_needs_a_datetime(bad):
    with pytest.raises(TypeError, match="datetime"):
        crypto.X509Store().set_time(bad)


def test_load_locations_file(chain, tmp_path):
    paths = chain.write_pem(tmp_path)
    store = crypto.X509Store()
    store.load_locations(paths["ca"])
    assert verify(store, chain) is None
    other = crypto.X509Store()
    other.load_locations(os.fsencode(paths["ca"]), None)
    assert verify(other, chain) is None


def test_load_locations_directory(chain, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "root.pem").write_bytes(chain.ca.pem())
    subprocess.run(["openssl", "rehash", str(certs)], check=True, timeout=30,
                   capture_output=True)
    store = crypto.X509Store()
    store.load_locations(None, certs)
    assert verify(store, chain) is None


def test_load_locations_errors(tmp_path):
    store = crypto.X509Store()
    with pytest.raises(crypto.Error):
        store.load_locations(None, None)
    with pytest.raises(crypto.Error):
        store.load_locations(tmp_path / "missing.pem")
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"no certificates here\n")
    with pytest.raises(crypto.Error):
        store.load_locations(empty)
    with pytest.raises(TypeError, match="cafile must be a path"):
        store.load_locations(42)


def test_set_default_paths_reads_ssl_cert_file(chain, tmp_path, monkeypatch):
    paths = chain.write_pem(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", paths["ca"])
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    store = crypto.X509Store()
    store.set_default_paths()
    assert verify(store, chain) is None


def test_set_depth(chain):
    store = store_with(chain.ca.cert)
    store.set_depth(0)
    assert error_of(store, chain).errors[0] == 22   # chain too long
    store.set_depth(1)
    assert verify(store, chain) is None


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), ("1", TypeError),
                                      (1 << 40, OverflowError)])
def test_set_depth_rejects(bad, exc):
    with pytest.raises(exc, match="depth"):
        crypto.X509Store().set_depth(bad)


def test_set_host(chain):
    store = store_with(chain.ca.cert)
    store.set_host("localhost")
    assert verify(store, chain) is None
    store.set_host(b"example.org")
    err = error_of(store, chain)
    assert err.errors == [62, 0, "hostname mismatch"]
    store.set_host(None)
    assert verify(store, chain) is None


@pytest.mark.parametrize("bad, exc", [("", ValueError), ("a\0b", ValueError),
                                      (1, TypeError)])
def test_set_host_rejects(bad, exc):
    """An empty name would switch the check off in OpenSSL: refused."""
    with pytest.raises(exc, match="name"):
        crypto.X509Store().set_host(bad)


def test_set_ip(chain):
    store = store_with(chain.ca.cert)
    store.set_ip("::1")
    assert verify(store, chain) is None
    store.set_ip("127.0.0.2")
    assert error_of(store, chain).errors[0] == 64
    store.set_ip(None)
    assert verify(store, chain) is None


@pytest.mark.parametrize("bad", ["", "localhost", "1.2.3", "::g", "1.2.3.4\0"])
def test_set_ip_rejects_non_addresses(bad):
    with pytest.raises(ValueError, match="address"):
        crypto.X509Store().set_ip(bad)


def test_set_email(chain):
    store = store_with(chain.ca.cert)
    store.set_email("alice@example.com")
    assert verify(store, chain) is None
    store.set_email("mallory@example.com")
    assert error_of(store, chain).errors[0] == 63
    with pytest.raises(ValueError, match="address"):
        store.set_email("")


def test_set_purpose():
    ca = pki.make_ca(key_type="ec")
    leaf = pki.make_leaf(ca, key_type="ec", extended_key_usage=["clientAuth"])
    store = store_with(ca.cert)
    store.set_purpose(Purpose.SSL_CLIENT)
    assert crypto.X509StoreContext(store, leaf.cert).verify_certificate() is None
    store.set_purpose(Purpose.SSL_SERVER)
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, leaf.cert).verify_certificate()
    assert info.value.errors[:2] == [26, 0]


@pytest.mark.parametrize("bad", [0, 10, -1, 1000])
def test_set_purpose_rejects_unknown(bad):
    with pytest.raises(ValueError, match="purpose"):
        crypto.X509Store().set_purpose(bad)


# ---- X509StoreContext -----------------------------------------------------------

def test_context_argument_types(chain):
    store = store_with(chain.ca.cert)
    with pytest.raises(TypeError, match="store must be an X509Store"):
        crypto.X509StoreContext(None, chain.leaf.cert)
    with pytest.raises(TypeError, match="certificate must be an X509"):
        crypto.X509StoreContext(store, b"leaf")
    with pytest.raises(TypeError, match="chain"):
        crypto.X509StoreContext(store, chain.leaf.cert, 5)
    with pytest.raises(TypeError, match="every item of chain"):
        crypto.X509StoreContext(store, chain.leaf.cert, [chain.ca.cert, "x"])


def test_context_keywords_and_empty_chain(chain):
    store = store_with(chain.ca.cert, chain.intermediate.cert)
    ctx = crypto.X509StoreContext(store=store, certificate=chain.leaf.cert,
                                  chain=[])
    assert ctx.verify_certificate() is None


def test_get_verified_chain(chain):
    store = store_with(chain.ca.cert)
    ctx = crypto.X509StoreContext(store, chain.leaf.cert,
                                  [chain.intermediate.cert])
    got = ctx.get_verified_chain()
    assert got == [chain.leaf.cert, chain.intermediate.cert, chain.ca.cert]
    assert all(type(c) is crypto.X509 for c in got)


def test_verified_chain_outlives_store_and_context(chain):
    store = store_with(
        crypto.load_certificate(crypto.FILETYPE_PEM, chain.ca.pem()))
    ctx = crypto.X509StoreContext(store, chain.leaf.cert,
                                  [chain.intermediate.cert])
    got = ctx.get_verified_chain()
    del store, ctx
    gc.collect()
    assert [c.get_subject().CN for c in got] == [
        "localhost", "Test Intermediate CA", "Test Root CA"]
    # The returned root is a copy: renaming it leaves the store untouched.
    got[2].get_subject().CN = "renamed"
    assert got[2].get_subject().CN == "renamed"


def test_failed_chain_raises_from_get_verified_chain(chain):
    ctx = crypto.X509StoreContext(crypto.X509Store(), chain.leaf.cert)
    with pytest.raises(crypto.X509StoreContextError):
        ctx.get_verified_chain()


def test_set_store_and_set_certificate(chain):
    other = pki.make_chain("ec")
    ctx = crypto.X509StoreContext(crypto.X509Store(), chain.leaf.cert,
                                  [chain.intermediate.cert])
    with pytest.raises(crypto.X509StoreContextError):
        ctx.verify_certificate()
    ctx.set_store(store_with(chain.ca.cert))
    assert ctx.verify_certificate() is None
    ctx.set_certificate(other.leaf.cert)
    with pytest.raises(crypto.X509StoreContextError):
        ctx.verify_certificate()
    ctx.set_certificate(chain.leaf.cert.to_cryptography())
    assert ctx.verify_certificate() is None
    with pytest.raises(TypeError):
        ctx.set_store(object())
    with pytest.raises(TypeError):
        ctx.set_certificate(None)


def test_store_changes_reach_an_existing_context(chain):
    store = crypto.X509Store()
    ctx = crypto.X509StoreContext(store, chain.leaf.cert,
                                  [chain.intermediate.cert])
    with pytest.raises(crypto.X509StoreContextError):
        ctx.verify_certificate()
    store.add_cert(chain.ca.cert)
    assert ctx.verify_certificate() is None
    store.set_host("example.org")
    with pytest.raises(crypto.X509StoreContextError):
        ctx.verify_certificate()


# ---- X509StoreContextError ---------------------------------------------------------

def test_error_carries_code_depth_message_and_certificate(chain):
    store = store_with(pki.make_ca(key_type="ec").cert)
    err = error_of(store, chain)
    assert isinstance(err, Exception)
    code, depth, message = err.errors
    assert (code, depth) == (20, 1)
    assert message == "unable to get local issuer certificate"
    assert err.args == (message,)
    assert str(err) == message
    assert err.certificate == chain.intermediate.cert
    assert type(err.certificate) is crypto.X509


def test_error_certificate_outlives_everything(chain):
    store = store_with(chain.ca.cert)
    store.set_host("example.org")
    err = error_of(store, chain)
    del store
    gc.collect()
    assert err.certificate.get_subject().CN == "localhost"
    assert err.certificate.to_cryptography().subject


def test_error_can_be_raised_by_users(chain):
    exc = crypto.X509StoreContextError("msg", [1, 2, "msg"], chain.leaf.cert)
    assert exc.args == ("msg",)
    assert exc.errors == [1, 2, "msg"]
    assert exc.certificate is chain.leaf.cert
    with pytest.raises(TypeError):
        crypto.X509StoreContextError("only a message")

    class Mine(crypto.X509StoreContextError):
        pass

    assert Mine("m", [], None).errors == []


# ---- threads -------------------------------------------------------------------------

def test_concurrent_verifications_share_a_store(chain):
    store = store_with(chain.ca.cert)
    store.set_host("localhost")
    bad = pki.make_leaf(pki.make_ca(key_type="ec"), key_type="ec")
    results = []

    def work():
        for _ in range(50):
            ok = crypto.X509StoreContext(store, chain.leaf.cert,
                                         [chain.intermediate.cert])
            wrong = crypto.X509StoreContext(store, bad.cert)
            try:
                wrong.verify_certificate()
                results.append("accepted a bad chain")
            except crypto.X509StoreContextError:
                pass
            results.append(len(ok.get_verified_chain()))

    assert run_threads([work] * 4) == []
    assert results == [3] * 200


def test_set_store_while_another_thread_verifies(chain):
    """Replacing the store drops the old one while a verification may still
    be running on it without the GIL: it must keep its own reference."""
    ctx = crypto.X509StoreContext(store_with(chain.ca.cert), chain.leaf.cert,
                                  [chain.intermediate.cert])
    outcomes = []
    done = threading.Event()

    def verifier():
        try:
            for _ in range(300):
                outcomes.append(len(ctx.get_verified_chain()))
        finally:
            done.set()

    def replacer():
        while not done.is_set():
            ctx.set_store(store_with(chain.ca.cert))

    assert run_threads([verifier, replacer]) == []
    assert outcomes == [3] * 300


# ---- the C API that OpenSSL.SSL uses -------------------------------------------

class _CryptoCAPI(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint), ("size", ctypes.c_uint),
        ("X509_Type", ctypes.c_void_p), ("PKey_Type", ctypes.c_void_p),
        ("X509Name_Type", ctypes.c_void_p), ("X509Store_Type", ctypes.c_void_p),
        ("Error", ctypes.c_void_p),
        ("x509_from_ptr", ctypes.c_void_p), ("x509_as_ptr", ctypes.c_void_p),
        ("pkey_from_ptr", ctypes.c_void_p), ("pkey_as_ptr", ctypes.c_void_p),
        ("x509name_from_ptr", ctypes.c_void_p),
        ("x509name_as_ptr", ctypes.c_void_p),
        ("x509store_from_ptr", ctypes.c_void_p),
        ("x509store_as_ptr", ctypes.c_void_p),
    ]


def test_c_api_wraps_an_x509_store(chain):
    """x509store_from_ptr gives a second X509Store on the same X509_STORE
    (what Context.get_cert_store() returns): both see the same trust and
    parameters."""
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    address = get_pointer(crypto._C_API, b"OpenSSL.crypto._C_API")
    api = _CryptoCAPI.from_address(address)
    as_ptr = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.py_object)(api.x509store_as_ptr)
    from_ptr = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p,
                                 ctypes.c_void_p)(api.x509store_from_ptr)

    original = crypto.X509Store()
    raw = as_ptr(address, original)
    assert raw
    shared = from_ptr(address, raw)
    # Drop the reference as_ptr gave us, with the library the module uses.
    libcrypto = ctypes.CDLL("libcrypto.so.3")
    libcrypto.X509_STORE_free.argtypes = [ctypes.c_void_p]
    libcrypto.X509_STORE_free(raw)

    assert type(shared) is crypto.X509Store
    assert shared is not original
    original.add_cert(chain.ca.cert)
    assert verify(shared, chain) is None
    shared.set_host("example.org")
    assert error_of(original, chain).errors[0] == 62
    del original
    gc.collect()
    assert error_of(shared, chain).errors[0] == 62


@pytest.mark.parametrize("cls", [crypto.X509Store, crypto.X509StoreContext,
                                 crypto.CRL, crypto.Revoked])
def test_every_method_is_documented_with_a_signature(cls):
    import inspect
    assert cls.__doc__
    inspect.signature(cls)
    for name, member in vars(cls).items():
        if name.startswith("_") or not callable(member):
            continue
        assert member.__doc__, f"{cls.__name__}.{name} has no docstring"
        inspect.signature(member)


class VerifyCertErrorStringTests(unittest.TestCase):
    def test_known_codes_match_openssl(self):
        self.assertEqual(crypto.X509_verify_cert_error_string(0), "ok")
        # X509_V_ERR_CERT_HAS_EXPIRED
        self.assertEqual(crypto.X509_verify_cert_error_string(10),
                         "certificate has expired")

    def test_errnum_must_be_an_int(self):
        with self.assertRaises(TypeError) as cm:
            crypto.X509_verify_cert_error_string("10")
        self.assertIn("errnum", str(cm.exception))

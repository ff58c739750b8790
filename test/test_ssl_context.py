"""Context: construction, settings, certificates and keys, verification
settings, callbacks; each checked through a handshake where it shows."""
import os
import subprocess

import pytest

from OpenSSL import SSL, crypto

import peers
from peers import handshake, memory_pair, pump


@pytest.fixture(scope="module")
def main():
    return peers.chain("main")


@pytest.fixture(scope="module")
def other():
    return peers.chain("other")


@pytest.fixture(scope="module")
def rsa():
    return peers.chain("rsa", "rsa")


def server_context(chain, method=SSL.TLS_METHOD):
    made, _ = chain
    ctx = SSL.Context(method)
    ctx.use_certificate(made.leaf.cert)
    ctx.use_privatekey(made.leaf.key)
    ctx.add_extra_chain_cert(made.intermediate.cert)
    return ctx


def client_context(chain=None, method=SSL.TLS_METHOD):
    ctx = SSL.Context(method)
    if chain is not None:
        ctx.load_verify_locations(chain[1]["ca"])
        ctx.set_verify(SSL.VERIFY_PEER)
    return ctx


def connect(client_ctx, server_ctx):
    client, server = memory_pair(client_ctx, server_ctx)
    handshake(client, server)
    return client, server


# ---- module ---------------------------------------------------------------

def test_exception_hierarchy():
    for name in ("WantReadError", "WantWriteError", "WantX509LookupError",
                 "ZeroReturnError", "SysCallError"):
        assert issubclass(getattr(SSL, name), SSL.Error)
    assert issubclass(SSL.Error, Exception)
    assert SSL.Error.__module__ == "OpenSSL.SSL"


def test_version_information():
    assert isinstance(SSL.OPENSSL_VERSION_NUMBER, int)
    assert SSL.OPENSSL_VERSION_NUMBER >= 0x30000000
    text = SSL.OpenSSL_version(SSL.OPENSSL_VERSION)
    assert text.startswith(b"OpenSSL 3")
    assert SSL.SSLeay_version(SSL.SSLEAY_VERSION) == text
    assert SSL.OpenSSL_version(SSL.OPENSSL_CFLAGS).startswith(b"compiler")
    assert b"OPENSSLDIR" in SSL.OpenSSL_version(SSL.OPENSSL_DIR)


def test_constants_have_openssl_values():
    assert SSL.VERIFY_NONE == 0
    assert SSL.VERIFY_PEER == 1
    assert SSL.VERIFY_FAIL_IF_NO_PEER_CERT == 2
    assert SSL.TLS1_2_VERSION == 0x0303
    assert SSL.TLS1_3_VERSION == 0x0304
    assert SSL.SENT_SHUTDOWN == 1 and SSL.RECEIVED_SHUTDOWN == 2
    assert SSL.SSL_CB_HANDSHAKE_DONE == 0x20
    assert SSL.X509VerificationCodes.OK == 0
    assert SSL.X509VerificationCodes.ERR_CERT_HAS_EXPIRED == 10
    assert SSL.OP_NO_TLSv1_3 != 0
    assert SSL.FILETYPE_PEM == crypto.FILETYPE_PEM
    assert SSL.X509 is crypto.X509 and SSL.PKey is crypto.PKey


def test_c_api_capsule():
    import ctypes
    api = ctypes.pythonapi
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
    assert api.PyCapsule_IsValid(SSL._C_API, b"OpenSSL.SSL._C_API")
    pointer = api.PyCapsule_GetPointer(SSL._C_API, b"OpenSSL.SSL._C_API")
    version, size = (ctypes.c_uint * 2).from_address(pointer)
    assert version >= 1
    assert size >= 2 * ctypes.sizeof(ctypes.c_uint) + 6 * ctypes.sizeof(
        ctypes.c_void_p)


# ---- construction ---------------------------------------------------------

@pytest.mark.parametrize("method", [
    SSL.SSLv23_METHOD, SSL.TLS_METHOD, SSL.TLS_CLIENT_METHOD,
    SSL.TLS_SERVER_METHOD, SSL.TLSv1_2_METHOD, SSL.DTLS_METHOD,
    SSL.DTLS_CLIENT_METHOD, SSL.DTLS_SERVER_METHOD])
def test_every_method_makes_a_context(method):
    ctx = SSL.Context(method)
    assert ctx._context is not None
    # the same object on every read (Twisted compares them)
    assert ctx._context is ctx._context


def test_version_pinned_method_negotiates_that_version(main):
    client, server = connect(client_context(main, SSL.TLSv1_2_METHOD),
                             server_context(main))
    assert client.get_protocol_version_name() == "TLSv1.2"


def test_bad_method():
    with pytest.raises(TypeError, match="method"):
        SSL.Context("TLS")
    with pytest.raises(ValueError, match="No such protocol"):
        SSL.Context(99)
    with pytest.raises(ValueError):
        SSL.Context(-1)


def test_context_can_be_subclassed_and_weakly_referenced():
    import weakref

    class Mine(SSL.Context):
        pass

    ctx = Mine(SSL.TLS_METHOD)
    ref = weakref.ref(ctx)
    assert ref() is ctx


# ---- protocol versions, ciphers, options ------------------------------------------

def test_proto_version_bounds(main):
    cctx = client_context(main)
    cctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    sctx = server_context(main)
    sctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    client, _ = connect(cctx, sctx)
    assert client.get_protocol_version() == SSL.TLS1_2_VERSION


def test_incompatible_versions_fail(main):
    cctx = client_context(main)
    cctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    sctx = server_context(main)
    sctx.set_min_proto_version(SSL.TLS1_3_VERSION)
    with pytest.raises(SSL.Error) as info:
        connect(cctx, sctx)
    reasons = [r for _, _, r in info.value.args[0]]
    assert any("protocol" in r or "version" in r for r in reasons)


def test_bad_proto_version():
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(SSL.Error):
        ctx.set_min_proto_version(0x1234)
    with pytest.raises(TypeError, match="version"):
        ctx.set_max_proto_version("1.3")


def test_cipher_list_chooses_the_cipher(main):
    cctx = client_context(main)
    cctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    cctx.set_cipher_list(b"ECDHE-ECDSA-AES128-GCM-SHA256")
    client, _ = connect(cctx, server_context(main))
    assert client.get_cipher_name() == "ECDHE-ECDSA-AES128-GCM-SHA256"
    cctx.set_cipher_list("ECDHE-ECDSA-CHACHA20-POLY1305")  # str works too
    client, _ = connect(cctx, server_context(main))
    assert client.get_cipher_name() == "ECDHE-ECDSA-CHACHA20-POLY1305"


def test_cipher_list_without_match_says_so():
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(SSL.Error) as info:
        ctx.set_cipher_list(b"not-a-cipher")
    # Twisted matches this reason string.
    assert "no cipher match" in [r for _, _, r in info.value.args[0]]
    with pytest.raises(TypeError, match="cipher_list"):
        ctx.set_cipher_list(42)
    with pytest.raises(ValueError, match="NUL"):
        ctx.set_cipher_list(b"HIGH\0")


def test_tls13_ciphersuites(main):
    cctx = client_context(main)
    cctx.set_tls13_ciphersuites(b"TLS_CHACHA20_POLY1305_SHA256")
    client, _ = connect(cctx, server_context(main))
    assert client.get_cipher_name() == "TLS_CHACHA20_POLY1305_SHA256"
    with pytest.raises(SSL.Error):
        cctx.set_tls13_ciphersuites(b"TLS_NOT_A_SUITE")


def test_options_accumulate():
    ctx = SSL.Context(SSL.TLS_METHOD)
    first = ctx.set_options(SSL.OP_NO_TICKET)
    assert first & SSL.OP_NO_TICKET
    second = ctx.set_options(SSL.OP_NO_COMPRESSION)
    assert second & SSL.OP_NO_TICKET and second & SSL.OP_NO_COMPRESSION
    with pytest.raises(TypeError, match="options"):
        ctx.set_options(None)


def test_no_tls13_option_caps_the_version(main):
    cctx = client_context(main)
    cctx.set_options(SSL.OP_NO_TLSv1_3)
    client, _ = connect(cctx, server_context(main))
    assert client.get_protocol_version_name() == "TLSv1.2"


def test_modes():
    ctx = SSL.Context(SSL.TLS_METHOD)
    mode = ctx.set_mode(SSL.MODE_RELEASE_BUFFERS)
    assert mode & SSL.MODE_RELEASE_BUFFERS
    assert not ctx.clear_mode(SSL.MODE_RELEASE_BUFFERS) & SSL.MODE_RELEASE_BUFFERS


# ---- verification settings ---------------------------------------------------------

def test_verify_mode_and_depth():
    ctx = SSL.Context(SSL.TLS_METHOD)
    assert ctx.get_verify_mode() == SSL.VERIFY_NONE
    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_CLIENT_ONCE)
    assert ctx.get_verify_mode() == SSL.VERIFY_PEER | SSL.VERIFY_CLIENT_ONCE
    ctx.set_verify_depth(7)
    assert ctx.get_verify_depth() == 7
    with pytest.raises(TypeError, match="callback"):
        ctx.set_verify(SSL.VERIFY_PEER, 42)
    with pytest.raises(TypeError, match="mode"):
        ctx.set_verify(None)


def test_verify_depth_too_short_fails(main):
    cctx = client_context(main)
    cctx.set_verify_depth(0)
    with pytest.raises(SSL.Error):
        connect(cctx, server_context(main))


def test_cert_store_of_the_context_decides_trust(main):
    made, _ = main
    cctx = SSL.Context(SSL.TLS_METHOD)
    cctx.set_verify(SSL.VERIFY_PEER)
    store = cctx.get_cert_store()
    assert isinstance(store, crypto.X509Store)
    with pytest.raises(SSL.Error):
        connect(cctx, server_context(main))
    store.add_cert(made.ca.cert)
    client, _ = connect(cctx, server_context(main))
    assert client.get_verified_chain()[-1].get_subject().CN == "Test Root CA"
    # The store is the Context's own: it outlives this reference to it.
    del store
    import gc
    gc.collect()
    assert cctx.get_cert_store() is not None


def test_load_verify_locations_from_a_directory(main, tmp_path):
    _, paths = main
    made = main[0]
    # A hashed directory as c_rehash makes it.
    name_hash = made.ca.cert.subject_name_hash() \
        if hasattr(made.ca.cert, "subject_name_hash") else None
    if name_hash is None:
        pytest.fail("X509.subject_name_hash is missing")
    (tmp_path / ("%08x.0" % name_hash)).write_bytes(
        crypto.dump_certificate(crypto.FILETYPE_PEM, made.ca.cert))
    cctx = SSL.Context(SSL.TLS_METHOD)
    cctx.load_verify_locations(None, str(tmp_path))
    cctx.set_verify(SSL.VERIFY_PEER)
    client, _ = connect(cctx, server_context(main))
    assert client.get_verify_result() == 0


def test_load_verify_locations_accepts_path_types(main):
    _, paths = main
    import pathlib
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.load_verify_locations(pathlib.Path(paths["ca"]))
    ctx.load_verify_locations(paths["ca"].encode())


def test_load_verify_locations_errors(tmp_path):
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(SSL.Error):
        ctx.load_verify_locations(str(tmp_path / "missing.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a certificate")
    with pytest.raises(SSL.Error):
        ctx.load_verify_locations(str(garbage))
    # SSL.Error, as pyOpenSSL raises: urllib3 turns exactly that into its
    # "unable to load trusted certificates" error.
    with pytest.raises(SSL.Error, match="cafile and capath cannot both be None"):
        ctx.load_verify_locations(None, None)
    with pytest.raises(TypeError, match="cafile"):
        ctx.load_verify_locations(42)


def test_default_verify_paths_trust_ssl_cert_file(main):
    # OpenSSL reads SSL_CERT_FILE when the Context is set up, so a fresh
    # process gets it; the server there uses this chain's files.
    _, paths = main
    code = (
        "import sys\n"
        "sys.path.insert(0, %r)\n"
        "from OpenSSL import SSL\n"
        "import peers\n"
        "paths = %r\n"
        "server = SSL.Context(SSL.TLS_METHOD)\n"
        "server.use_certificate_chain_file(paths['chain'])\n"
        "server.use_privatekey_file(paths['leaf_key'])\n"
        "client = SSL.Context(SSL.TLS_METHOD)\n"
        "client.set_default_verify_paths()\n"
        "client.set_verify(SSL.VERIFY_PEER)\n"
        "c, s = peers.memory_pair(client, server)\n"
        "peers.handshake(c, s)\n"
        "print(c.get_verify_result())\n"
    ) % (os.path.dirname(os.path.abspath(__file__)), paths)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, SSL_CERT_FILE=paths["ca"], SSL_CERT_DIR="/nonexistent")
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    import sys
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.strip() == b"0"
    # Without it, the same handshake is refused.
    env["SSL_CERT_FILE"] = "/nonexistent"
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, timeout=60)
    assert result.returncode != 0
    assert b"certificate verify failed" in result.stderr


# ---- certificates and keys ------------------------------------------------------

def test_certificate_and_key_from_files(main, tmp_path):
    made, paths = main
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate_file(paths["leaf"])
    sctx.use_privatekey_file(paths["leaf_key"])
    sctx.add_extra_chain_cert(made.intermediate.cert)
    sctx.check_privatekey()
    client, _ = connect(client_context(main), sctx)
    assert client.get_peer_certificate() == made.leaf.cert

    der = tmp_path / "leaf.der"
    der.write_bytes(crypto.dump_certificate(crypto.FILETYPE_ASN1,
                                            made.leaf.cert))
    der_key = tmp_path / "leaf.key.der"
    der_key.write_bytes(crypto.dump_privatekey(crypto.FILETYPE_ASN1,
                                               made.leaf.key))
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate_file(str(der), crypto.FILETYPE_ASN1)
    sctx.use_privatekey_file(str(der_key), SSL.FILETYPE_ASN1)
    sctx.check_privatekey()


def test_certificate_chain_file(main):
    made, paths = main
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate_chain_file(paths["chain"])
    sctx.use_privatekey_file(paths["leaf_key"])
    client, _ = connect(client_context(main), sctx)
    assert [c.get_subject().CN for c in client.get_peer_cert_chain()] == [
        "localhost", "Test Intermediate CA"]


def test_missing_intermediate_fails_verification(main):
    made, _ = main
    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate(made.leaf.cert)
    sctx.use_privatekey(made.leaf.key)
    with pytest.raises(SSL.Error):
        connect(client_context(main), sctx)


def test_file_errors(tmp_path):
    ctx = SSL.Context(SSL.TLS_METHOD)
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(SSL.Error):
        ctx.use_certificate_file(missing)
    with pytest.raises(SSL.Error):
        ctx.use_certificate_chain_file(missing)
    with pytest.raises(SSL.Error):
        ctx.use_privatekey_file(missing)
    with pytest.raises(TypeError, match="filetype"):
        ctx.use_certificate_file(missing, "PEM")
    with pytest.raises(ValueError, match="filetype"):
        ctx.use_privatekey_file(missing, 7)
    with pytest.raises(TypeError, match="certfile"):
        ctx.use_certificate_file(None)


def test_mismatched_key_is_detected(main, other):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(main[0].leaf.cert)
    with pytest.raises(SSL.Error):
        ctx.use_privatekey(other[0].leaf.key)
        ctx.check_privatekey()


def test_check_privatekey_without_key():
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(SSL.Error):
        ctx.check_privatekey()


def test_wrong_types_for_certificates_and_keys(main):
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(TypeError, match="cert"):
        ctx.use_certificate(main[0].leaf.key)
    with pytest.raises(TypeError, match="pkey"):
        ctx.use_privatekey(main[0].leaf.cert)
    with pytest.raises(TypeError, match="certobj"):
        ctx.add_extra_chain_cert("pem")


def test_cryptography_objects_are_accepted(main):
    pytest.importorskip("cryptography")
    made, _ = main
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(made.leaf.cert.to_cryptography())
    ctx.use_privatekey(made.leaf.key.to_cryptography_key())
    ctx.add_extra_chain_cert(made.intermediate.cert.to_cryptography())
    ctx.check_privatekey()
    client, _ = connect(client_context(main), ctx)
    assert client.get_peer_certificate() == made.leaf.cert


# ---- passphrases -----------------------------------------------------------------

@pytest.fixture(scope="module")
def encrypted_key(main, tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "encrypted.pem"
    path.write_bytes(crypto.dump_privatekey(
        crypto.FILETYPE_PEM, main[0].leaf.key, "aes-256-cbc", b"secret"))
    return str(path)


def test_passphrase_callback(main, encrypted_key):
    calls = []

    def callback(maxlen, verify, userdata):
        calls.append((maxlen, verify, userdata))
        return b"secret"

    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_passwd_cb(callback, "my data")
    ctx.use_certificate(main[0].leaf.cert)
    ctx.use_privatekey_file(encrypted_key)
    ctx.check_privatekey()
    assert len(calls) == 1
    maxlen, verify, userdata = calls[0]
    assert maxlen >= 1023 and not verify and userdata == "my data"


def test_wrong_passphrase_is_an_error(encrypted_key):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_passwd_cb(lambda *a: b"wrong")
    with pytest.raises(SSL.Error):
        ctx.use_privatekey_file(encrypted_key)


def test_passphrase_callback_exception_is_raised(encrypted_key):
    def callback(*args):
        raise LookupError("no passphrase here")

    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_passwd_cb(callback)
    with pytest.raises(LookupError, match="no passphrase here"):
        ctx.use_privatekey_file(encrypted_key)
    # The Context is still usable afterwards.
    ctx.set_passwd_cb(lambda *a: b"secret")
    ctx.use_privatekey_file(encrypted_key)


def test_passphrase_callback_must_return_bytes(encrypted_key):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_passwd_cb(lambda *a: "secret")
    with pytest.raises(ValueError, match="bytes"):
        ctx.use_privatekey_file(encrypted_key)
    with pytest.raises(TypeError, match="callback"):
        ctx.set_passwd_cb("secret")


def test_overlong_passphrase_is_cut(encrypted_key):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_passwd_cb(lambda maxlen, *a: b"x" * (maxlen + 100))
    with pytest.raises(SSL.Error):          # cut, then simply wrong
        ctx.use_privatekey_file(encrypted_key)


def test_no_passphrase_callback_for_an_encrypted_key(encrypted_key):
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(SSL.Error):
        ctx.use_privatekey_file(encrypted_key)


# ---- client CA lists ---------------------------------------------------------

def test_client_ca_list_reaches_the_client(main, other):
    made, paths = main
    sctx = server_context(main)
    sctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    sctx.set_client_ca_list([made.ca.cert.get_subject(),
                             other[0].ca.cert.get_subject()])
    client, server = connect(client_context(main), sctx)
    names = client.get_client_ca_list()
    assert [n.CN for n in names] == ["Test Root CA", "Test Root CA"]
    assert names[0] == made.ca.cert.get_subject()
    assert [n.CN for n in server.get_client_ca_list()] == [
        "Test Root CA", "Test Root CA"]


def test_client_ca_list_as_cryptography_names(main):
    x509 = pytest.importorskip("cryptography.x509")
    made, _ = main
    crypto_name = made.ca.cert.to_cryptography().subject
    sctx = server_context(main)
    sctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    sctx.set_client_ca_list([crypto_name])
    client, _ = connect(client_context(main), sctx)
    names = client.get_client_ca_list(as_cryptography=True)
    assert names == [crypto_name]
    assert isinstance(names[0], x509.Name)


def test_add_client_ca_and_load_client_ca(main):
    made, paths = main
    sctx = server_context(main)
    sctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    sctx.load_client_ca(paths["ca"].encode())
    sctx.add_client_ca(made.intermediate.cert)
    client, _ = connect(client_context(main), sctx)
    assert [n.CN for n in client.get_client_ca_list()] == [
        "Test Root CA", "Test Intermediate CA"]


def test_client_ca_list_bad_input(main):
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(TypeError):
        ctx.set_client_ca_list([main[0].ca.cert])
    with pytest.raises(TypeError):
        ctx.set_client_ca_list(42)
    with pytest.raises(SSL.Error):
        ctx.load_client_ca(b"/nonexistent/ca.pem")


# ---- sessions and key exchange -----------------------------------------------------

def test_session_settings():
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_session_id(b"my service")
    with pytest.raises(SSL.Error):
        ctx.set_session_id(b"x" * 33)
    previous = ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    assert previous == SSL.SESS_CACHE_SERVER
    assert ctx.get_session_cache_mode() == SSL.SESS_CACHE_OFF
    assert ctx.get_timeout() > 0       # OpenSSL's default (7200 for TLS)
    assert ctx.set_timeout(1234) > 0    # the previous value
    assert ctx.get_timeout() == 1234
    with pytest.raises(TypeError, match="timeout"):
        ctx.set_timeout("long")


def test_load_tmp_dh_enables_dhe(rsa, tmp_path):
    dhfile = tmp_path / "dh.pem"
    subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH",
                    "-pkeyopt", "dh_param:ffdhe2048", "-out", str(dhfile)],
                   check=True, capture_output=True, timeout=60)
    sctx = server_context(rsa)
    sctx.load_tmp_dh(str(dhfile))
    cctx = client_context(rsa)
    cctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    cctx.set_cipher_list(b"DHE-RSA-AES128-GCM-SHA256")
    client, _ = connect(cctx, sctx)
    assert client.get_cipher_name() == "DHE-RSA-AES128-GCM-SHA256"
    with pytest.raises(SSL.Error):
        sctx.load_tmp_dh(str(tmp_path / "missing.pem"))


def test_set_tmp_ecdh_picks_the_group(main):
    sctx = server_context(main)
    sctx.set_tmp_ecdh(crypto.get_elliptic_curve("secp384r1"))
    client, _ = connect(client_context(main), sctx)
    assert client.get_group_name() == "secp384r1"
    with pytest.raises(ValueError, match="curve"):
        sctx.set_tmp_ecdh("no-such-curve")
    with pytest.raises(TypeError, match="curve"):
        sctx.set_tmp_ecdh(42)


def test_set_tmp_ecdh_with_a_cryptography_curve(main):
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    sctx = server_context(main)
    sctx.set_tmp_ecdh(ec.SECP384R1())
    client, _ = connect(client_context(main), sctx)
    assert client.get_group_name() == "secp384r1"


# ---- callbacks and app data ---------------------------------------------------------

def test_info_callback_on_the_context(main):
    events = []
    cctx = client_context(main)
    cctx.set_info_callback(lambda conn, where, ret: events.append(
        (type(conn).__name__, where)))
    connect(cctx, server_context(main))
    assert events and all(name == "Connection" for name, _ in events)
    assert any(where & SSL.SSL_CB_CONNECT_LOOP == SSL.SSL_CB_CONNECT_LOOP
               for _, where in events)
    cctx.set_info_callback(None)
    events.clear()
    connect(cctx, server_context(main))
    assert events == []


def test_app_data():
    ctx = SSL.Context(SSL.TLS_METHOD)
    assert ctx.get_app_data() is None
    ctx.set_app_data({"k": 1})
    assert ctx.get_app_data() == {"k": 1}


def test_callbacks_keep_no_reference_cycle_alive():
    import gc
    import weakref
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER, lambda *a, ctx=ctx: True)
    ctx.set_app_data(ctx)
    ref = weakref.ref(ctx)
    del ctx
    gc.collect()
    assert ref() is None


def test_connections_outlive_their_context_reference(main):
    cctx = client_context(main)
    cctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    client, server = memory_pair(cctx, server_context(main))
    del cctx
    import gc
    gc.collect()
    handshake(client, server)
    client.send(b"still here")
    pump(client, server)
    assert server.recv(100) == b"still here"

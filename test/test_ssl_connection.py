"""Connection: handshakes, data, closes, verify callbacks and chain capture,
between two of our own Connections over memory BIOs and socketpairs."""
import gc
import socket
import threading

import pytest

from OpenSSL import SSL, crypto

import peers
from peers import TIMEOUT, handshake, memory_pair, pump


@pytest.fixture(scope="module")
def pki_main():
    return peers.chain("main")


@pytest.fixture(scope="module")
def pki_other():
    return peers.chain("other")


def server_context(pki_chain, version=None):
    made, _ = pki_chain
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(made.leaf.cert)
    ctx.use_privatekey(made.leaf.key)
    ctx.add_extra_chain_cert(made.intermediate.cert)
    if version is not None:
        ctx.set_min_proto_version(version)
        ctx.set_max_proto_version(version)
    return ctx


def client_context(pki_chain=None, mode=SSL.VERIFY_PEER, callback=None,
                   version=None):
    ctx = SSL.Context(SSL.TLS_METHOD)
    if pki_chain is not None:
        ctx.load_verify_locations(pki_chain[1]["ca"])
    ctx.set_verify(mode, callback)
    if version is not None:
        ctx.set_min_proto_version(version)
        ctx.set_max_proto_version(version)
    return ctx


def cn(cert):
    return cert.get_subject().CN


VERSIONS = [(SSL.TLS1_2_VERSION, "TLSv1.2"), (SSL.TLS1_3_VERSION, "TLSv1.3")]


# ---- memory BIOs -------------------------------------------------------------

@pytest.mark.parametrize("version,name", VERSIONS)
def test_memory_handshake_and_data(pki_main, version, name):
    client, server = memory_pair(client_context(pki_main, version=version),
                                 server_context(pki_main))
    handshake(client, server)
    assert client.get_protocol_version_name() == name
    assert server.get_protocol_version() == version
    assert client.get_cipher_name() == server.get_cipher_name()
    assert client.get_cipher_bits() >= 128
    assert client.get_cipher_version().startswith("TLS")
    assert cn(client.get_peer_certificate()) == "localhost"
    assert server.get_peer_certificate() is None
    assert cn(server.get_certificate()) == "localhost"
    assert client.get_certificate() is None

    assert client.send(b"ping from client") == 16
    pump(client, server)
    assert server.pending() == 0 or server.pending() == 16
    assert server.recv(1024) == b"ping from client"
    server.sendall(b"pong" * 1000)
    pump(client, server)
    got = b""
    while len(got) < 4000:
        got += client.recv(65536)
    assert got == b"pong" * 1000


def test_memory_bio_read_with_nothing_pending_raises_want_read(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    with pytest.raises(SSL.WantReadError):
        server.bio_read(1024)
    with pytest.raises(SSL.WantReadError):
        server.do_handshake()
    assert server.want_read()


def test_recv_before_data_raises_want_read(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    with pytest.raises(SSL.WantReadError):
        client.recv(10)


def test_clean_close_is_zero_return(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    assert client.shutdown() is False
    assert client.get_shutdown() & SSL.SENT_SHUTDOWN
    pump(client, server)
    with pytest.raises(SSL.ZeroReturnError):
        server.recv(100)
    assert server.get_shutdown() & SSL.RECEIVED_SHUTDOWN
    assert server.shutdown() is True
    pump(client, server)
    assert client.shutdown() is True
    assert client.get_shutdown() == SSL.SENT_SHUTDOWN | SSL.RECEIVED_SHUTDOWN


def test_ragged_eof_in_memory_is_unexpected_eof(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    client.bio_shutdown()
    with pytest.raises(SSL.SysCallError) as info:
        client.recv(100)
    assert info.value.args == (-1, "Unexpected EOF")


def test_eof_in_the_middle_of_the_handshake(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    with pytest.raises(SSL.WantReadError):
        client.do_handshake()
    client.bio_read(65536)          # the hello goes nowhere
    client.bio_shutdown()
    with pytest.raises(SSL.SysCallError) as info:
        client.do_handshake()
    assert info.value.args == (-1, "Unexpected EOF")


@pytest.mark.parametrize("garbage", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00",   # a hello cut short
    b"\x17\x03\x03\xff\xff" + b"\x00" * 64,            # data before hello
    bytes(range(256)) * 4,
])
def test_garbage_from_the_peer_is_an_error(pki_main, garbage):
    _, server = memory_pair(client_context(pki_main), server_context(pki_main))
    server.bio_write(garbage)
    with pytest.raises(SSL.Error) as info:
        server.do_handshake()
        server.bio_shutdown()       # a short hello waits for more: end it
        server.do_handshake()
    assert isinstance(info.value.args[0], list) or \
        isinstance(info.value, SSL.SysCallError)


def test_corrupted_record_after_the_handshake(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    client.send(b"secret message")
    record = bytearray(client.bio_read(65536))
    record[-1] ^= 0x01
    server.bio_write(bytes(record))
    with pytest.raises(SSL.Error) as info:
        server.recv(100)
    reasons = [r for _, _, r in info.value.args[0]]
    assert "decryption failed or bad record mac" in reasons or \
        "bad record mac" in " ".join(reasons)


def test_set_shutdown_and_state_string(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    assert isinstance(client.get_state_string(), bytes)
    handshake(client, server)
    assert b"finished" in client.get_state_string().lower() or \
        b"ok" in client.get_state_string().lower()
    client.set_shutdown(SSL.RECEIVED_SHUTDOWN)
    assert client.get_shutdown() == SSL.RECEIVED_SHUTDOWN


# ---- verify callbacks ------------------------------------------------------------

def test_verify_callback_sees_every_certificate(pki_main):
    calls = []

    def callback(conn, cert, errnum, depth, ok):
        calls.append((conn, cn(cert), errnum, depth, ok))
        return ok

    client, server = memory_pair(
        client_context(pki_main, callback=callback), server_context(pki_main))
    handshake(client, server)
    assert [c[1:] for c in calls] == [
        ("Test Root CA", 0, 2, 1),
        ("Test Intermediate CA", 0, 1, 1),
        ("localhost", 0, 0, 1),
    ]
    assert all(c[0] is client for c in calls)


def test_verify_callback_can_accept_an_untrusted_chain(pki_main):
    seen = []

    def callback(conn, cert, errnum, depth, ok):
        seen.append((errnum, ok))
        return True

    # No CA loaded: OpenSSL alone would refuse the chain.
    client, server = memory_pair(client_context(callback=callback),
                                 server_context(pki_main))
    handshake(client, server)
    assert seen[0] == (
        SSL.X509VerificationCodes.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0)
    assert client.get_verify_result() == SSL.X509VerificationCodes.OK


@pytest.mark.parametrize("verdict", [False, 0, None, "", [], 0.0])
def test_verify_callback_false_values_fail_the_handshake(pki_main, verdict):
    client, server = memory_pair(
        client_context(pki_main, callback=lambda *a: verdict),
        server_context(pki_main))
    with pytest.raises(SSL.Error) as info:
        handshake(client, server)
    assert any("certificate verify failed" in reason
               for _, _, reason in info.value.args[0])


@pytest.mark.parametrize("verdict", [True, 1, "yes", [0]])
def test_verify_callback_true_values_accept(pki_main, verdict):
    client, server = memory_pair(
        client_context(callback=lambda *a: verdict), server_context(pki_main))
    handshake(client, server)
    assert cn(client.get_peer_certificate()) == "localhost"


def test_verify_callback_exception_fails_the_handshake_and_is_raised(pki_main):
    class Refused(Exception):
        pass

    calls = []

    def callback(conn, cert, errnum, depth, ok):
        calls.append(depth)
        raise Refused("not this one")

    client, server = memory_pair(
        client_context(callback=callback), server_context(pki_main))
    with pytest.raises(Refused, match="not this one"):
        handshake(client, server)
    # Called once: after the exception OpenSSL is only told "no".
    assert len(calls) == 1
    # The server hears of it as an alert.
    pump(client, server)
    with pytest.raises(SSL.Error) as info:
        server.do_handshake()
    assert any("alert" in r for _, _, r in info.value.args[0])


def test_shutdown_from_a_verify_callback_is_refused_by_openssl(pki_main):
    # Twisted aborts a connection from inside its verify callback: the
    # nested shutdown() must reach OpenSSL, which refuses it mid-handshake
    # with an SSL.Error the callback can catch.
    seen = []

    def callback(conn, cert, errnum, depth, ok):
        try:
            conn.shutdown()
        except SSL.Error as exc:
            seen.append(exc.args[0])
        return False

    client, server = memory_pair(
        client_context(callback=callback), server_context(pki_main))
    with pytest.raises(SSL.Error, match="certificate verify failed"):
        handshake(client, server)
    assert len(seen) == 1
    assert any("shutdown while in init" in reason for _, _, reason in seen[0])


def test_io_from_a_callback_of_the_same_connection_is_refused(pki_main):
    # Reading or writing from inside the handshake would re-enter OpenSSL's
    # state machine: only shutdown() is let through.
    errors = []

    def callback(conn, cert, errnum, depth, ok):
        for call in (lambda: conn.send(b"x"), lambda: conn.recv(1),
                     conn.do_handshake):
            try:
                call()
            except RuntimeError as exc:
                errors.append(str(exc))
        return True

    client, server = memory_pair(
        client_context(callback=callback), server_context(pki_main))
    handshake(client, server)
    assert errors and all("in use" in e for e in errors)


def test_verify_callback_whose_truth_test_raises(pki_main):
    class Ambiguous:
        def __bool__(self):
            raise ValueError("cannot decide")

    client, server = memory_pair(
        client_context(callback=lambda *a: Ambiguous()),
        server_context(pki_main))
    with pytest.raises(ValueError, match="cannot decide"):
        handshake(client, server)


def test_certificates_outlive_callback_connection_and_context(pki_main):
    kept = []

    def callback(conn, cert, errnum, depth, ok):
        kept.append(cert)
        return True

    client, server = memory_pair(client_context(callback=callback),
                                 server_context(pki_main))
    handshake(client, server)
    chain = client.get_peer_cert_chain()
    verified = client.get_verified_chain()
    del client, server
    gc.collect()
    pems = [crypto.dump_certificate(crypto.FILETYPE_PEM, c)
            for c in kept + chain + verified]
    assert all(p.startswith(b"-----BEGIN CERTIFICATE-----") for p in pems)
    assert cn(kept[-1]) == "localhost"
    assert [cn(c) for c in chain] == ["localhost", "Test Intermediate CA"]


def test_wrong_ca_fails_with_openssl_reason(pki_main, pki_other):
    client, server = memory_pair(client_context(pki_other),
                                 server_context(pki_main))
    with pytest.raises(SSL.Error) as info:
        handshake(client, server)
    reasons = [reason for _, _, reason in info.value.args[0]]
    assert "certificate verify failed" in reasons
    assert client.get_verify_result() == \
        SSL.X509VerificationCodes.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY


# ---- chain capture ---------------------------------------------------------------

def test_chain_capture_with_verify_none_and_no_trust(pki_main):
    client, server = memory_pair(client_context(mode=SSL.VERIFY_NONE),
                                 server_context(pki_main))
    handshake(client, server)
    assert [cn(c) for c in client.get_peer_cert_chain()] == [
        "localhost", "Test Intermediate CA"]
    verified = client.get_verified_chain()
    assert verified is not None
    assert [cn(c) for c in verified][:2] == ["localhost", "Test Intermediate CA"]


def test_chain_capture_with_verify_none_and_a_trusted_root(pki_main):
    client, server = memory_pair(
        client_context(pki_main, mode=SSL.VERIFY_NONE),
        server_context(pki_main))
    handshake(client, server)
    assert [cn(c) for c in client.get_verified_chain()] == [
        "localhost", "Test Intermediate CA", "Test Root CA"]


def test_chain_as_cryptography(pki_main):
    pytest.importorskip("cryptography")
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    chain = client.get_peer_cert_chain(as_cryptography=True)
    from cryptography import x509
    assert all(isinstance(c, x509.Certificate) for c in chain)
    leaf = client.get_peer_certificate(as_cryptography=True)
    assert leaf == chain[0]


def test_nothing_captured_before_the_handshake(pki_main):
    client, _ = memory_pair(client_context(pki_main), server_context(pki_main))
    assert client.get_peer_certificate() is None
    assert client.get_peer_cert_chain() is None
    assert client.get_verified_chain() is None
    assert client.get_cipher_name() is None
    assert client.get_finished() is None
    assert client.server_random() is None or len(client.server_random()) == 32


# ---- client certificates -----------------------------------------------------------

def test_client_certificate_required_and_given(pki_main):
    made, paths = pki_main
    sctx = server_context(pki_main)
    sctx.load_verify_locations(paths["ca"])
    sctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    cctx = client_context(pki_main)
    cctx.use_certificate_chain_file(paths["chain"])
    cctx.use_privatekey_file(paths["leaf_key"])
    client, server = memory_pair(cctx, sctx)
    handshake(client, server)
    client.send(b"x")
    pump(client, server)
    assert server.recv(1) == b"x"
    assert cn(server.get_peer_certificate()) == "localhost"
    # OpenSSL's server-side chain leaves the client's own certificate out.
    assert [cn(c) for c in server.get_peer_cert_chain()] == [
        "Test Intermediate CA"]
    assert [cn(c) for c in server.get_verified_chain()] == [
        "localhost", "Test Intermediate CA", "Test Root CA"]


def test_client_certificate_required_and_missing(pki_main):
    sctx = server_context(pki_main)
    sctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    client, server = memory_pair(client_context(pki_main), sctx)
    with pytest.raises(SSL.Error) as info:
        handshake(client, server)
        client.recv(10)     # TLS 1.3: the client learns on its next read
    assert info.value.args[0]


# ---- callbacks ------------------------------------------------------------------

def test_info_callback_reports_handshake_start_and_done(pki_main):
    events = []
    sctx = server_context(pki_main)
    sctx.set_info_callback(lambda conn, where, ret: events.append(where))
    client, server = memory_pair(client_context(pki_main), sctx)
    handshake(client, server)
    assert any(w & SSL.SSL_CB_HANDSHAKE_START for w in events)
    assert any(w & SSL.SSL_CB_HANDSHAKE_DONE for w in events)


def test_info_callback_exception_is_raised_from_the_call(pki_main):
    def boom(conn, where, ret):
        raise RuntimeError("info callback failed")

    cctx = client_context(pki_main)
    client, server = memory_pair(cctx, server_context(pki_main))
    client.set_info_callback(boom)
    with pytest.raises(RuntimeError, match="info callback failed"):
        client.do_handshake()


def test_connection_set_verify_overrides_the_context(pki_main):
    calls = []
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    client.set_verify(SSL.VERIFY_PEER,
                      lambda *a: calls.append(a[3]) or True)
    assert client.get_verify_mode() == SSL.VERIFY_PEER
    handshake(client, server)
    assert calls == [2, 1, 0]


def test_context_stays_mutable_after_connections(pki_main, pki_other):
    cctx = client_context(pki_other)
    sctx = server_context(pki_main)
    first, server = memory_pair(cctx, sctx)
    # Changed after a Connection was made: no error, and it applies to the
    # next Connection.
    cctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    cctx.set_cipher_list(b"HIGH")
    cctx.set_options(SSL.OP_NO_TICKET)
    second, server2 = memory_pair(cctx, sctx)
    handshake(second, server2)
    assert cn(second.get_peer_certificate()) == "localhost"


# ---- keys and secrets -------------------------------------------------------

@pytest.mark.parametrize("version,name", VERSIONS)
def test_both_sides_agree_on_secrets(pki_main, version, name):
    client, server = memory_pair(client_context(pki_main, version=version),
                                 server_context(pki_main))
    handshake(client, server)
    assert client.get_finished() == server.get_peer_finished()
    assert client.get_peer_finished() == server.get_finished()
    assert len(client.client_random()) == 32
    assert client.client_random() == server.client_random()
    assert client.server_random() == server.server_random()
    ekm = client.export_keying_material(b"EXPORTER-test", 32)
    assert ekm == server.export_keying_material(b"EXPORTER-test", 32)
    assert ekm != client.export_keying_material(b"EXPORTER-test", 32, b"ctx")
    if version == SSL.TLS1_2_VERSION:
        assert len(client.master_key()) == 48
        assert client.master_key() == server.master_key()
    assert client.get_group_name() == server.get_group_name() is not None


def test_export_keying_material_needs_the_handshake(pki_main):
    client, _ = memory_pair(client_context(pki_main), server_context(pki_main))
    with pytest.raises(SSL.Error):
        client.export_keying_material(b"EXPORTER-test", 32)


def test_session_is_available_after_the_handshake(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    assert client.get_session() is None
    handshake(client, server)
    session = client.get_session()
    assert isinstance(session, SSL.Session)


@pytest.mark.parametrize("version,name", VERSIONS)
def test_verified_chain_of_a_resumed_session(pki_main, version, name):
    calls = []
    cctx = client_context(pki_main, version=version,
                          callback=lambda *a: calls.append(a[3]) or a[4])
    sctx = server_context(pki_main)
    sctx.set_session_id(b"chain capture")
    first, server = memory_pair(cctx, sctx)
    handshake(first, server)
    # TLS 1.3 sends the resumable session (a ticket) after the handshake.
    server.send(b"x")
    pump(first, server)
    assert first.recv(1) == b"x"
    session = first.get_session()
    verified = [cn(c) for c in first.get_verified_chain()]
    assert calls == [2, 1, 0]

    second, server = memory_pair(cctx, sctx)
    second.set_session(session)
    handshake(second, server)
    assert calls == [2, 1, 0]       # resumed: nothing verified again
    assert [cn(c) for c in second.get_verified_chain()] == verified
    assert [cn(c) for c in second.get_peer_cert_chain()] == [
        "localhost", "Test Intermediate CA"]
    del first, session
    gc.collect()
    assert [cn(c) for c in second.get_verified_chain()] == verified


def test_info_callback_of_the_connection_then_back_to_the_context(pki_main):
    from_context = []
    from_connection = []
    cctx = client_context(pki_main)
    cctx.set_info_callback(lambda conn, where, ret: from_context.append(where))
    client, server = memory_pair(cctx, server_context(pki_main))
    client.set_info_callback(
        lambda conn, where, ret: from_connection.append(where))
    handshake(client, server)
    assert from_connection and not from_context
    client.set_info_callback(None)
    client.shutdown()
    assert from_context


def test_renegotiation_in_tls12(pki_main):
    # OpenSSL 3 servers refuse client-initiated renegotiation by default;
    # the server asks for it instead.
    client, server = memory_pair(
        client_context(pki_main, version=SSL.TLS1_2_VERSION),
        server_context(pki_main))
    handshake(client, server)
    assert server.total_renegotiations() == 0
    assert server.renegotiate() is True
    assert server.renegotiate_pending() is True
    assert server.renegotiate() is False
    server.do_handshake()           # sends the HelloRequest
    # Both sides carry the new handshake out from their reads.
    for _ in range(20):
        for conn in (client, server):
            try:
                conn.recv(10)
            except SSL.WantReadError:
                pass
        pump(client, server)
        if not server.renegotiate_pending():
            break
    assert server.renegotiate_pending() is False
    assert server.total_renegotiations() == 1
    client.send(b"after")
    pump(client, server)
    assert server.recv(10) == b"after"


def test_recv_into_and_peek(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    client.send(b"0123456789")
    pump(client, server)
    assert server.recv(4, socket.MSG_PEEK) == b"0123"
    buf = bytearray(6)
    assert server.recv_into(buf) == 6
    assert buf == b"012345"
    view = memoryview(bytearray(10))
    assert server.recv_into(view, 2) == 2
    assert bytes(view[:2]) == b"67"
    assert server.read(10) == b"89"


def test_sni_host_name(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    client.set_tlsext_host_name(b"example.test")
    handshake(client, server)
    assert server.get_servername() == b"example.test"
    with pytest.raises(TypeError):
        client.set_tlsext_host_name("example.test")
    with pytest.raises(TypeError):
        client.set_tlsext_host_name(b"a\0b")


def test_context_switch(pki_main, pki_other):
    client, server = memory_pair(client_context(pki_other),
                                 server_context(pki_main))
    other = server_context(pki_other)
    assert server.get_context() is not other
    server.set_context(other)
    assert server.get_context() is other
    handshake(client, server)
    assert client.get_peer_certificate() == pki_other[0].leaf.cert


def test_context_switch_brings_the_new_settings(pki_main, pki_other):
    first = server_context(pki_main)
    first.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    first.set_client_ca_list([pki_main[0].ca.cert.get_subject()])
    second = server_context(pki_other)
    second.set_verify(SSL.VERIFY_PEER, lambda *a: True)
    second.set_client_ca_list([pki_other[0].intermediate.cert.get_subject()])
    second.set_cipher_list(b"ECDHE-ECDSA-AES256-GCM-SHA384")
    cctx = client_context(pki_other, version=SSL.TLS1_2_VERSION)
    client, server = memory_pair(cctx, first)
    server.set_context(second)
    handshake(client, server)
    assert client.get_cipher_name() == "ECDHE-ECDSA-AES256-GCM-SHA384"
    assert [n.CN for n in client.get_client_ca_list()] == [
        "Test Intermediate CA"]


def test_subclasses_call_super_init(pki_main):
    class MyContext(SSL.Context):
        def __init__(self, method):
            super().__init__(method)
            self.label = "mine"

    class MyConnection(SSL.Connection):
        def __init__(self, context, sock=None):
            super().__init__(context, sock)
            self.extra = 42

    ctx = MyContext(SSL.TLS_METHOD)
    conn = MyConnection(ctx, None)
    assert (ctx.label, conn.extra) == ("mine", 42)
    assert conn.get_context() is ctx


def test_app_data(pki_main):
    conn = SSL.Connection(client_context(), None)
    assert conn.get_app_data() is None
    marker = object()
    conn.set_app_data(marker)
    assert conn.get_app_data() is marker


def test_cipher_list(pki_main):
    ctx = client_context()
    ctx.set_cipher_list(b"ECDHE-RSA-AES128-GCM-SHA256")
    ciphers = SSL.Connection(ctx, None).get_cipher_list()
    assert "ECDHE-RSA-AES128-GCM-SHA256" in ciphers
    assert "TLS_AES_256_GCM_SHA384" in ciphers


# ---- sockets -------------------------------------------------------------------

@pytest.mark.parametrize("version,name", VERSIONS)
def test_socketpair_handshake_and_data(pki_main, version, name):
    client, server = peers.socket_pair(
        client_context(pki_main, version=version), server_context(pki_main))
    peers.handshake_sockets(client, server)
    assert client.get_protocol_version_name() == name
    payload = bytes(range(256)) * 4096      # 1 MiB: many records

    received = []

    def reader():
        got = 0
        while got < len(payload):
            chunk = server.recv(65536)
            received.append(chunk)
            got += len(chunk)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert client.sendall(payload) == len(payload)
    thread.join(TIMEOUT)
    assert b"".join(received) == payload


def test_socket_attributes_pass_through(pki_main):
    a, b = socket.socketpair()
    with a, b:
        conn = SSL.Connection(client_context(), a)
        assert conn.fileno() == a.fileno()
        assert conn.family == a.family
        assert conn.gettimeout() is None
    memory = SSL.Connection(client_context(), None)
    with pytest.raises(AttributeError):
        memory.fileno()


def test_non_blocking_socket_gives_want_read(pki_main):
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        conn = SSL.Connection(client_context(pki_main), a)
        conn.set_connect_state()
        with pytest.raises(SSL.WantReadError):
            conn.do_handshake()
        assert b.recv(5)[0] == 0x16     # the ClientHello went out


def test_full_non_blocking_socket_gives_want_write(pki_main):
    client, server = peers.socket_pair(client_context(pki_main),
                                       server_context(pki_main))
    peers.handshake_sockets(client, server)
    client.setblocking(False)
    chunk = b"w" * 65536
    sent = 0
    with pytest.raises(SSL.WantWriteError):
        for _ in range(10000):      # far more than any socket buffer
            sent += client.send(chunk)
    assert client.want_write() or sent > 0
    # Drain the other side; the same write then goes through.
    received = 0
    server_sock = server
    while received < sent:
        received += len(server_sock.recv(65536))
    client.setblocking(True)
    peers.bound(client)
    assert client.sendall(chunk) == len(chunk)


def test_peer_closes_socket_mid_handshake(pki_main):
    a, b = socket.socketpair()
    peers.bound(a)
    conn = SSL.Connection(client_context(pki_main), a)
    conn.set_connect_state()

    def close_peer():
        b.recv(65536)       # all of the ClientHello: the close is a FIN
        b.close()

    thread = threading.Thread(target=close_peer, daemon=True)
    thread.start()
    with pytest.raises(SSL.SysCallError) as info:
        conn.do_handshake()
    thread.join(TIMEOUT)
    assert info.value.args == (-1, "Unexpected EOF")
    a.close()


def test_os_error_is_syscall_error_with_errno(pki_main):
    a, b = socket.socketpair()
    peers.bound(a)
    conn = SSL.Connection(client_context(pki_main), a)
    conn.set_connect_state()
    b.close()
    # Writing the ClientHello to a socket whose peer is gone: EPIPE.
    with pytest.raises(SSL.SysCallError) as info:
        conn.do_handshake()
    import errno as errno_mod
    import os
    assert info.value.args == (errno_mod.EPIPE, os.strerror(errno_mod.EPIPE))
    a.close()


def test_accept_returns_connection_and_address(pki_main):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    server_side = SSL.Connection(server_context(pki_main), listener)
    client_sock = socket.create_connection(listener.getsockname(),
                                           timeout=TIMEOUT)
    with listener, client_sock:
        conn, addr = server_side.accept()
        assert isinstance(conn, SSL.Connection)
        assert addr == client_sock.getsockname()
        assert conn.get_context() is server_side.get_context()
        peers.bound(conn)
        conn.setblocking(True)
        peers.bound(client_sock)
        client_sock.setblocking(True)
        client = SSL.Connection(client_context(pki_main), client_sock)
        client.set_connect_state()
        peers.handshake_sockets(client, conn)
        client.sendall(b"over tcp")
        assert conn.recv(100) == b"over tcp"
        conn.close()


def test_connect_sets_client_mode(pki_main):
    _, paths = pki_main
    with peers.StdlibServer(paths) as server:
        sock = socket.socket()
        peers.bound(sock)
        conn = SSL.Connection(client_context(pki_main), sock)
        conn.connect(server.address)
        conn.do_handshake()
        conn.sendall(b"hello")
        assert conn.recv(100) == b"hello"
        assert conn.getpeername() == server.address
        conn.shutdown()
        conn.close()
    assert server.errors == []


# ---- threads -----------------------------------------------------------------

def test_eight_threads_handshake_on_one_shared_context(pki_main):
    sctx = server_context(pki_main)
    callbacks = []
    lock = threading.Lock()

    def verify(conn, cert, errnum, depth, ok):
        with lock:
            callbacks.append(threading.get_ident())
        return ok

    cctx = client_context(pki_main, callback=verify)
    results = []
    errors = []
    rounds = 4

    def worker(index):
        try:
            for r in range(rounds):
                client, server = peers.socket_pair(cctx, sctx)
                peers.handshake_sockets(client, server)
                message = b"thread %d round %d" % (index, r)
                client.sendall(message)
                assert server.recv(100) == message
                results.append(index)
        except Exception as exc:  # checked below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    assert errors == []
    assert sorted(results) == sorted(list(range(8)) * rounds)
    assert len(callbacks) == 8 * rounds * 3
    assert len(set(callbacks)) >= 8


def test_context_changed_while_other_threads_handshake(pki_main):
    # Handshakes run with the GIL released; changing the Context they were
    # made from meanwhile must not pull data out from under them.
    made, paths = pki_main
    sctx = server_context(pki_main)
    cctx = client_context(pki_main)
    stop = threading.Event()
    done = []
    errors = []

    def worker():
        try:
            while not stop.is_set():
                client, server = peers.socket_pair(cctx, sctx)
                peers.handshake_sockets(client, server)
                client.sendall(b"x")
                assert server.recv(1) == b"x"
                client.close()
                server.close()
                done.append(1)
        except Exception as exc:  # checked below
            errors.append(exc)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    names = [made.ca.cert.get_subject(), made.intermediate.cert.get_subject()]
    suites = [b"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
              b"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"]
    ciphers = [b"HIGH:!aNULL", b"ECDHE+AESGCM:ECDHE+CHACHA20"]
    for i in range(400):
        for ctx in (sctx, cctx):
            ctx.set_tls13_ciphersuites(suites[i % 2])
            ctx.set_cipher_list(ciphers[i % 2])
            ctx.set_client_ca_list(names)
        sctx.add_extra_chain_cert(made.intermediate.cert) if i % 50 == 0 \
            else None
        if len(done) > 200:
            break
    stop.set()
    for t in threads:
        t.join(TIMEOUT)
    assert errors == []
    assert done


def test_gil_is_released_during_a_blocking_read(pki_main):
    client, server = peers.socket_pair(client_context(pki_main),
                                       server_context(pki_main))
    peers.handshake_sockets(client, server)
    got = []
    thread = threading.Thread(target=lambda: got.append(server.recv(10)),
                              daemon=True)
    thread.start()
    # The reader blocks inside OpenSSL; this thread still runs Python.
    counter = sum(range(100000))
    assert counter > 0
    client.sendall(b"late")
    thread.join(TIMEOUT)
    assert got == [b"late"]


@pytest.mark.thread_unsafe     # signal handlers live in the main thread
def test_signal_handler_exception_stops_a_blocked_recv(pki_main):
    import signal

    class Interrupted(Exception):
        pass

    def handler(signum, frame):
        raise Interrupted()

    client, server = peers.socket_pair(client_context(pki_main),
                                       server_context(pki_main))
    peers.handshake_sockets(client, server)
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupted):
            server.recv(10)     # nothing will come: only the signal ends it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    # The Connection still works afterwards.
    client.sendall(b"after the signal")
    assert server.recv(100) == b"after the signal"


def test_io_on_a_connection_already_in_an_io_call_is_refused(pki_main):
    # A verify callback runs inside do_handshake(): a read on the same
    # Connection from there would re-enter OpenSSL on a busy SSL.
    def callback(conn, cert, errnum, depth, ok):
        conn.recv(10)
        return True

    client, server = memory_pair(client_context(callback=callback),
                                 server_context(pki_main))
    with pytest.raises(RuntimeError, match="in use"):
        handshake(client, server)


def test_callback_may_run_another_connection(pki_main):
    # The callback re-enters OpenSSL (and releases the GIL again) while the
    # outer handshake is suspended in it.
    inner_versions = []

    def callback(conn, cert, errnum, depth, ok):
        if depth == 0:
            inner_client, inner_server = memory_pair(
                client_context(pki_main), server_context(pki_main))
            handshake(inner_client, inner_server)
            inner_versions.append(inner_client.get_protocol_version_name())
        return ok

    client, server = memory_pair(client_context(pki_main, callback=callback),
                                 server_context(pki_main))
    handshake(client, server)
    assert inner_versions == ["TLSv1.3"]


def test_set_context_from_another_thread_during_the_handshake(pki_main,
                                                              pki_other):
    inside = threading.Event()
    proceed = threading.Event()
    outcome = []

    def callback(conn, cert, errnum, depth, ok):
        if depth == 0:
            # From this Connection's own callback: allowed.
            conn.set_context(conn.get_context())
            inside.set()
            proceed.wait(TIMEOUT)
        return True

    client, server = memory_pair(client_context(callback=callback),
                                 server_context(pki_main))

    def run():
        try:
            handshake(client, server)
            outcome.append("done")
        except Exception as exc:  # checked below
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert inside.wait(TIMEOUT)
    try:
        with pytest.raises(RuntimeError, match="another thread"):
            client.set_context(server_context(pki_other))
    finally:
        proceed.set()
        thread.join(TIMEOUT)
    assert outcome == ["done"]


# ---- bad input ------------------------------------------------------------------

def test_bad_arguments():
    ctx = SSL.Context(SSL.TLS_METHOD)
    with pytest.raises(TypeError, match="context"):
        SSL.Connection("not a context", None)
    with pytest.raises(TypeError, match="socket"):
        SSL.Connection(ctx, "not a socket")
    conn = SSL.Connection(ctx, None)
    with pytest.raises(TypeError, match="bufsiz"):
        conn.recv("10")
    with pytest.raises(ValueError, match="bufsiz"):
        conn.recv(-1)
    with pytest.raises(TypeError, match="buf"):
        conn.send(123)
    with pytest.raises(TypeError, match="bufsiz"):
        conn.bio_read(None)
    with pytest.raises(TypeError):
        conn.recv_into(b"read-only")
    with pytest.raises(TypeError, match="session"):
        conn.set_session("x")
    with pytest.raises(TypeError, match="callback"):
        conn.set_verify(SSL.VERIFY_PEER, "not callable")
    with pytest.raises(TypeError, match="mode"):
        conn.set_verify("peer")
    with pytest.raises(ValueError, match="mode"):
        conn.makefile("x")
    with pytest.raises(TypeError, match="socket"):
        conn.accept()
    sock_conn = SSL.Connection(ctx, socket.socket())
    with pytest.raises(TypeError, match="sock was not None"):
        sock_conn.bio_read(10)
    with pytest.raises(TypeError, match="sock was not None"):
        sock_conn.bio_write(b"x")
    sock_conn.close()


def test_empty_io_is_a_no_op(pki_main):
    client, server = memory_pair(client_context(pki_main),
                                 server_context(pki_main))
    handshake(client, server)
    assert client.send(b"") == 0
    assert client.recv(0) == b""
    assert client.bio_write(b"") == 0

"""Our Connections against other TLS implementations: the stdlib ssl
module in a thread and the openssl command line tool in a subprocess."""
import select
import socket
import ssl

import pytest

from OpenSSL import SSL

import peers
from peers import TIMEOUT

PROTOCOLS = [
    (SSL.TLS1_2_VERSION, ssl.TLSVersion.TLSv1_2, "TLSv1.2", "-tls1_2"),
    (SSL.TLS1_3_VERSION, ssl.TLSVersion.TLSv1_3, "TLSv1.3", "-tls1_3"),
]


@pytest.fixture(scope="module")
def main():
    return peers.chain("main")


@pytest.fixture(scope="module")
def other():
    return peers.chain("other")


def our_client_context(cafile=None, *, version=None, certfile=None,
                       keyfile=None, mode=SSL.VERIFY_PEER):
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    if cafile is not None:
        ctx.load_verify_locations(cafile)
    ctx.set_verify(mode)
    if version is not None:
        ctx.set_min_proto_version(version)
        ctx.set_max_proto_version(version)
    if certfile is not None:
        ctx.use_certificate_chain_file(certfile)
        ctx.use_privatekey_file(keyfile)
    return ctx


def our_server_context(paths, *, version=None, client_ca=None,
                       require_client_cert=False):
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(paths["chain"])
    ctx.use_privatekey_file(paths["leaf_key"])
    ctx.check_privatekey()
    if version is not None:
        ctx.set_min_proto_version(version)
        ctx.set_max_proto_version(version)
    if client_ca is not None:
        ctx.load_verify_locations(client_ca)
        ctx.load_client_ca(client_ca.encode())
    if require_client_cert:
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    return ctx


def connect(ctx, address, hostname=b"localhost"):
    sock = socket.create_connection(address, timeout=TIMEOUT)
    sock.settimeout(None)
    peers.bound(sock)
    conn = SSL.Connection(ctx, sock)
    conn.set_connect_state()
    conn.set_tlsext_host_name(hostname)
    return conn


def read_until_close(conn):
    data = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except SSL.ZeroReturnError:
            return data, "close_notify"
        except SSL.SysCallError as exc:
            return data, exc.args
        data += chunk


class OurServer(peers.PeerThread):
    """Our server on 127.0.0.1 in a thread, for one connection:
    handler(conn) runs after the handshake; the Connection, an error and
    what the handler returned are kept."""

    def __init__(self, ctx, handler):
        super().__init__()
        self.ctx = ctx
        self.handler = handler
        self.listener = peers.listener()
        self.address = self.listener.getsockname()
        self.error = None
        self.result = None
        self.conn = None

    def _run(self):
        try:
            listening = SSL.Connection(self.ctx, self.listener)
            conn, _ = listening.accept()
            conn.settimeout(None)
            peers.bound(conn)
            self.conn = conn
            conn.do_handshake()
            self.result = self.handler(conn)
        except Exception as exc:  # checked by the tests
            self.error = exc

    def _close(self):
        self.listener.close()
        if self.conn is not None:
            self.conn.close()


def echo_once(conn):
    data = conn.recv(65536)
    conn.sendall(data.upper())
    conn.shutdown()
    return data


# ---- our client, stdlib server -------------------------------------------------

@pytest.mark.parametrize("ours,theirs,name,_", PROTOCOLS)
def test_client_against_stdlib_server(main, ours, theirs, name, _):
    made, paths = main
    with peers.StdlibServer(paths, maximum=theirs) as server:
        conn = connect(our_client_context(paths["ca"], version=ours),
                       server.address)
        conn.do_handshake()
        assert conn.get_protocol_version_name() == name
        assert conn.get_peer_certificate() == made.leaf.cert
        assert conn.sendall(b"hello stdlib") == 12
        assert conn.recv(100) == b"hello stdlib"
        conn.shutdown()
        data, how = read_until_close(conn)
        assert (data, how) == (b"", "close_notify")
        conn.close()
    assert server.errors == []
    assert server.versions == [name]
    assert server.received == [b"hello stdlib"]


@pytest.mark.parametrize("ours,theirs,name,_", PROTOCOLS)
def test_client_certificate_to_stdlib_server(main, ours, theirs, name, _):
    made, paths = main
    with peers.StdlibServer(paths, cafile=paths["ca"],
                            require_client_cert=True) as server:
        conn = connect(our_client_context(
            paths["ca"], version=ours, certfile=paths["chain"],
            keyfile=paths["leaf_key"]), server.address)
        conn.do_handshake()
        conn.sendall(b"with cert")
        assert conn.recv(100) == b"with cert"
        conn.close()
    assert server.errors == []
    from OpenSSL import crypto
    assert server.peer_certs == [
        crypto.dump_certificate(crypto.FILETYPE_ASN1, made.leaf.cert)]


@pytest.mark.parametrize("ours,theirs,name,_", PROTOCOLS)
def test_missing_client_certificate_to_stdlib_server(main, ours, theirs, name,
                                                     _):
    _, paths = main
    with peers.StdlibServer(paths, cafile=paths["ca"],
                            require_client_cert=True) as server:
        conn = connect(our_client_context(paths["ca"], version=ours),
                       server.address)
        with pytest.raises(SSL.Error) as info:
            conn.do_handshake()
            # TLS 1.3: the client finishes first and hears of it on read.
            conn.recv(100)
        conn.close()
    # The server's alert, in OpenSSL's words.
    expected = {"TLSv1.2": "sslv3 alert handshake failure",
                "TLSv1.3": "tlsv13 alert certificate required"}[name]
    assert expected in [r for _, _, r in info.value.args[0]]
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], ssl.SSLError)


def test_wrong_ca_against_stdlib_server(main, other):
    _, paths = main
    _, other_paths = other
    with peers.StdlibServer(paths) as server:
        conn = connect(our_client_context(other_paths["ca"]), server.address)
        with pytest.raises(SSL.Error) as info:
            conn.do_handshake()
        conn.close()
    assert ("SSL routines", "tls_post_process_server_certificate",
            "certificate verify failed") in info.value.args[0]
    assert len(server.errors) == 1


def test_stdlib_server_closing_mid_handshake(main):
    _, paths = main

    def hang_up(sock, server):
        server.received.append(sock.recv(65536))   # the ClientHello
        sock.close()

    with peers.StdlibServer(paths, raw_handler=hang_up) as server:
        conn = connect(our_client_context(paths["ca"]), server.address)
        with pytest.raises(SSL.SysCallError) as info:
            conn.do_handshake()
        conn.close()
    assert info.value.args == (-1, "Unexpected EOF")
    assert server.received[0][:1] == b"\x16"


@pytest.mark.parametrize("ours,theirs,name,_", PROTOCOLS)
def test_stdlib_server_ragged_close(main, ours, theirs, name, _):
    _, paths = main

    def send_and_drop(sslsock, server):
        sslsock.sendall(b"last words")
        # Closing an SSLSocket sends no close_notify: a ragged EOF.

    with peers.StdlibServer(paths, handler=send_and_drop) as server:
        conn = connect(our_client_context(paths["ca"], version=ours),
                       server.address)
        conn.do_handshake()
        data, how = read_until_close(conn)
        conn.close()
    assert data == b"last words"
    assert how == (-1, "Unexpected EOF")


def test_stdlib_server_clean_close(main):
    _, paths = main

    def send_and_close(sslsock, server):
        sslsock.sendall(b"goodbye")
        sslsock.unwrap()

    with peers.StdlibServer(paths, handler=send_and_close) as server:
        conn = connect(our_client_context(paths["ca"]), server.address)
        conn.do_handshake()
        data, how = read_until_close(conn)
        assert conn.shutdown() is True      # both close_notify seen
        conn.close()
    assert (data, how) == (b"goodbye", "close_notify")
    assert server.errors == []


def test_non_blocking_client_against_stdlib_server(main):
    _, paths = main
    with peers.StdlibServer(paths) as server:
        sock = socket.create_connection(server.address, timeout=TIMEOUT)
        sock.setblocking(False)
        conn = SSL.Connection(our_client_context(paths["ca"]), sock)
        conn.set_connect_state()
        wants = set()

        def until_done(operation):
            for _ in range(1000):
                try:
                    return operation()
                except SSL.WantReadError:
                    wants.add("read")
                    select.select([sock], [], [], TIMEOUT)
                except SSL.WantWriteError:
                    wants.add("write")
                    select.select([], [sock], [], TIMEOUT)
            raise AssertionError("operation did not finish")

        until_done(conn.do_handshake)
        until_done(lambda: conn.sendall(b"non-blocking"))
        got = until_done(lambda: conn.recv(100))
        assert got == b"non-blocking"
        assert "read" in wants
        sock.close()
    assert server.errors == []


# ---- stdlib client, our server -----------------------------------------------

@pytest.mark.parametrize("ours,theirs,name,_", PROTOCOLS)
def test_stdlib_client_against_our_server(main, ours, theirs, name, _):
    _, paths = main
    with OurServer(our_server_context(paths, version=ours),
                   echo_once) as server:
        with peers.StdlibClient(server.address, paths["ca"],
                                data=b"hello server") as client:
            pass
        client.join()
    assert server.error is None
    assert client.error is None
    assert client.version == name
    assert server.result == b"hello server"
    assert client.received == b"HELLO SERVER"


def test_stdlib_client_with_certificate_to_our_server(main):
    made, paths = main
    seen = []

    def handler(conn):
        seen.append(conn.get_peer_certificate())
        return echo_once(conn)

    ctx = our_server_context(paths, client_ca=paths["ca"],
                             require_client_cert=True)
    with OurServer(ctx, handler) as server:
        with peers.StdlibClient(server.address, paths["ca"], data=b"me",
                                certfile=paths["chain"],
                                keyfile=paths["leaf_key"]) as client:
            pass
        client.join()
    assert server.error is None, server.error
    assert seen == [made.leaf.cert]
    assert client.received == b"ME"


def test_stdlib_client_without_certificate_is_refused(main):
    _, paths = main
    ctx = our_server_context(paths, client_ca=paths["ca"],
                             require_client_cert=True)
    with OurServer(ctx, echo_once) as server:
        with peers.StdlibClient(server.address, paths["ca"],
                                data=b"me") as client:
            pass
        client.join()
    assert isinstance(server.error, SSL.Error)
    reasons = [r for _, _, r in server.error.args[0]]
    assert "peer did not return a certificate" in reasons
    assert client.error is not None


def test_client_hanging_up_mid_handshake_on_our_server(main):
    _, paths = main
    with OurServer(our_server_context(paths), echo_once) as server:
        with socket.create_connection(server.address, timeout=TIMEOUT) as raw:
            # The first bytes of a ClientHello record, then nothing.
            raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            raw.shutdown(socket.SHUT_WR)
            server.thread.join(TIMEOUT)
    assert isinstance(server.error, SSL.SysCallError)
    assert server.error.args == (-1, "Unexpected EOF")


def test_non_blocking_server_with_stdlib_client(main):
    _, paths = main
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    with listener, peers.StdlibClient(listener.getsockname(), paths["ca"],
                                      data=b"ping") as client:
        sock, _ = listener.accept()
        sock.setblocking(False)
        conn = SSL.Connection(our_server_context(paths), sock)
        conn.set_accept_state()

        def until_done(operation):
            for _ in range(1000):
                try:
                    return operation()
                except SSL.WantReadError:
                    select.select([sock], [], [], TIMEOUT)
                except SSL.WantWriteError:
                    select.select([], [sock], [], TIMEOUT)
            raise AssertionError("operation did not finish")

        until_done(conn.do_handshake)
        assert until_done(lambda: conn.recv(100)) == b"ping"
        until_done(lambda: conn.sendall(b"pong"))
        until_done(conn.shutdown)
        client.join()
        sock.close()
    assert client.error is None
    assert client.received == b"pong"


def test_rsa_certificates_with_stdlib_in_tls12():
    made, paths = peers.chain("rsa", "rsa")
    with peers.StdlibServer(paths, maximum=ssl.TLSVersion.TLSv1_2) as server:
        conn = connect(our_client_context(paths["ca"]), server.address)
        conn.do_handshake()
        assert conn.get_cipher_name().startswith("ECDHE-RSA-")
        assert conn.get_peer_certificate().get_pubkey().bits() == 2048
        conn.sendall(b"rsa")
        assert conn.recv(10) == b"rsa"
        conn.close()
    assert server.errors == []


# ---- openssl s_server ----------------------------------------------------------

@pytest.mark.parametrize("ours,theirs,name,flag", PROTOCOLS)
def test_client_against_openssl_s_server(main, ours, theirs, name, flag):
    made, paths = main
    with peers.OpenSSLServer(paths, args=["-rev", flag]) as server:
        conn = connect(our_client_context(paths["ca"], version=ours),
                       server.address)
        conn.do_handshake()
        assert conn.get_protocol_version_name() == name
        assert [c.get_subject().CN for c in conn.get_peer_cert_chain()] == [
            "localhost", "Test Intermediate CA"]
        assert [c.get_subject().CN for c in conn.get_verified_chain()] == [
            "localhost", "Test Intermediate CA", "Test Root CA"]
        conn.sendall(b"hello openssl\n")
        got = b""
        while not got.endswith(b"\n"):
            got += conn.recv(100)
        assert got == b"lssnepo olleh\n"
        conn.shutdown()
        conn.close()


def test_client_certificate_to_openssl_s_server(main):
    _, paths = main
    args = ["-rev", "-Verify", "2", "-verifyCAfile", paths["ca"],
            "-verify_return_error"]
    with peers.OpenSSLServer(paths, args=args) as server:
        conn = connect(our_client_context(
            paths["ca"], certfile=paths["chain"], keyfile=paths["leaf_key"]),
            server.address)
        conn.do_handshake()
        conn.sendall(b"abc\n")
        got = b""
        while not got.endswith(b"\n"):
            got += conn.recv(100)
        assert got == b"cba\n"
        conn.shutdown()
        conn.close()
    assert "CN = localhost" in server.output or "localhost" in server.output


def test_chain_capture_under_verify_none_with_s_server(main):
    _, paths = main
    with peers.OpenSSLServer(paths, args=["-rev"]) as server:
        conn = connect(our_client_context(mode=SSL.VERIFY_NONE),
                       server.address)
        conn.do_handshake()
        assert [c.get_subject().CN for c in conn.get_peer_cert_chain()] == [
            "localhost", "Test Intermediate CA"]
        assert conn.get_verify_result() != 0       # nothing trusted ...
        assert conn.get_verified_chain() is not None    # ... still captured
        conn.close()


# ---- openssl s_client ----------------------------------------------------------

@pytest.mark.parametrize("ours,theirs,name,flag", PROTOCOLS)
def test_openssl_s_client_against_our_server(main, ours, theirs, name, flag):
    _, paths = main

    def handler(conn):
        line = b""
        while not line.endswith(b"\n"):
            line += conn.recv(100)
        conn.sendall(b"reply to " + line)
        conn.shutdown()
        return line

    with OurServer(our_server_context(paths), handler) as server:
        result = peers.openssl_client(server.address, cafile=paths["ca"],
                                      args=[flag], data=b"hi from s_client\n")
    out = result.stdout.decode(errors="replace")
    assert server.error is None, (server.error, out)
    assert server.result == b"hi from s_client\n"
    assert "reply to hi from s_client" in out
    assert "Verify return code: 0 (ok)" in out
    assert ("Protocol  : " + name) in out or name in out


def test_openssl_s_client_with_certificate(main):
    made, paths = main
    seen = []

    def handler(conn):
        seen.append(conn.get_peer_certificate())
        seen.append(conn.get_verified_chain())
        conn.sendall(b"ok\n")
        conn.shutdown()

    ctx = our_server_context(paths, client_ca=paths["ca"],
                             require_client_cert=True)
    with OurServer(ctx, handler) as server:
        result = peers.openssl_client(
            server.address, cafile=paths["ca"],
            args=["-cert", paths["leaf"], "-key", paths["leaf_key"],
                  "-cert_chain", paths["intermediate"]])
    assert server.error is None, result.stdout
    assert seen[0] == made.leaf.cert
    assert [c.get_subject().CN for c in seen[1]] == [
        "localhost", "Test Intermediate CA", "Test Root CA"]


def test_openssl_s_client_wrong_ca(main, other):
    _, paths = main
    _, other_paths = other
    with OurServer(our_server_context(paths), echo_once) as server:
        result = peers.openssl_client(server.address,
                                      cafile=other_paths["ca"])
    out = result.stdout.decode(errors="replace")
    assert "unable to get local issuer certificate" in out or \
        "verify error" in out
    assert isinstance(server.error, SSL.Error)
    reasons = [r for _, _, r in server.error.args[0]]
    assert any("alert" in r or "unknown ca" in r for r in reasons)

"""DTLS: cookies, DTLSv1_listen, timeouts and MTU, over memory BIOs, a
Python-object datagram transport, and UDP against openssl."""
import collections
import socket
import time

import pytest

from OpenSSL import SSL

from peers import (
    TIMEOUT, bounded, client_context, DatagramStream, exchange, handshake,
    InteractiveOpenSSLServer, kill_group, memory_pair, pki_paths, popen,
    server_context, Thread)

COOKIE = b"0123456789abcdef"


def dtls_contexts(cookies=None):
    sctx = server_context(SSL.DTLS_METHOD)
    sctx.set_cookie_generate_callback(lambda conn: COOKIE)

    def verify(conn, cookie):
        if cookies is not None:
            cookies.append(cookie)
        return cookie == COOKIE

    sctx.set_cookie_verify_callback(verify)
    cctx = client_context(SSL.DTLS_METHOD)
    return cctx, sctx


def client_hello(client, server):
    """The client's next ClientHello, handed to the memory-BIO server."""
    with pytest.raises(SSL.WantReadError):
        client.do_handshake()
    server.bio_write(client.bio_read(65536))


def verify_request(client, server):
    """The server's HelloVerifyRequest (DTLSv1_listen wants the client's
    hello with the cookie next), handed to the client."""
    with pytest.raises(SSL.WantReadError):
        server.DTLSv1_listen()
    client.bio_write(server.bio_read(65536))


def listen(client, server):
    """Hello, HelloVerifyRequest, hello with the cookie: what DTLSv1_listen
    does before a server commits any state."""
    client_hello(client, server)
    verify_request(client, server)
    client_hello(client, server)
    server.DTLSv1_listen()


class TestMemory:
    def test_cookie_exchange_then_handshake(self):
        cookies = []
        client, server = memory_pair(*dtls_contexts(cookies))
        listen(client, server)
        assert cookies == [COOKIE]
        handshake(client, server)
        assert client.get_protocol_version_name() == "DTLSv1.2"
        assert exchange(client, server, b"datagram") == b"datagram"
        assert exchange(server, client, b"back") == b"back"

    def test_bad_cookie_keeps_listening(self):
        cctx, sctx = dtls_contexts()
        sctx.set_cookie_verify_callback(lambda conn, cookie: False)
        client, server = memory_pair(cctx, sctx)
        client_hello(client, server)
        verify_request(client, server)
        client_hello(client, server)
        with pytest.raises(SSL.WantReadError):
            server.DTLSv1_listen()

    def test_cookie_too_long(self):
        cctx, sctx = dtls_contexts()
        sctx.set_cookie_generate_callback(lambda conn: b"x" * 256)
        client, server = memory_pair(cctx, sctx)
        client_hello(client, server)
        with pytest.raises(ValueError, match="(?i)cookie"):
            server.DTLSv1_listen()

    def test_cookie_callback_exception(self):
        cctx, sctx = dtls_contexts()

        def boom(conn):
            raise RuntimeError("no secret for cookies")

        sctx.set_cookie_generate_callback(boom)
        client, server = memory_pair(cctx, sctx)
        client_hello(client, server)
        with pytest.raises(RuntimeError, match="no secret"):
            server.DTLSv1_listen()

    def test_verify_callback_exception(self):
        cctx, sctx = dtls_contexts()

        def boom(conn, cookie):
            raise KeyError("cookie store gone")

        sctx.set_cookie_verify_callback(boom)
        client, server = memory_pair(cctx, sctx)
        client_hello(client, server)
        verify_request(client, server)
        client_hello(client, server)
        with pytest.raises(KeyError, match="cookie store gone"):
            server.DTLSv1_listen()

    def test_timeouts(self):
        client, server = memory_pair(*dtls_contexts())
        assert client.DTLSv1_get_timeout() is None
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        first = client.bio_read(65536)
        timeout = client.DTLSv1_get_timeout()
        assert 0 < timeout <= 1.0
        assert client.DTLSv1_handle_timeout() is False
        # Once the timer has run out, the ClientHello goes out again.
        time.sleep(timeout + 0.1)
        assert client.DTLSv1_handle_timeout() is True
        again = client.bio_read(65536)
        assert again[0] == first[0] == 0x16   # a handshake record

    def test_mtu(self):
        client, server = memory_pair(*dtls_contexts())
        client.set_ciphertext_mtu(600)
        server.set_ciphertext_mtu(600)
        listen(client, server)
        handshake(client, server)
        assert 0 < client.get_cleartext_mtu() < 600

    def test_srtp_profile(self):
        cctx, sctx = dtls_contexts()
        cctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        sctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80")
        client, server = memory_pair(cctx, sctx)
        listen(client, server)
        handshake(client, server)
        assert client.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"
        assert server.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"

    def test_unknown_srtp_profile(self):
        with pytest.raises(SSL.Error):
            client_context(SSL.DTLS_METHOD).set_tlsext_use_srtp(b"SRTP_NOPE")

    def test_methods_need_dtls(self):
        conn = SSL.Connection(client_context(), None)
        with pytest.raises(SSL.Error):
            conn.DTLSv1_listen()

    def test_bad_arguments(self):
        cctx, sctx = dtls_contexts()
        with pytest.raises(TypeError):
            sctx.set_cookie_generate_callback(1)
        with pytest.raises(TypeError):
            sctx.set_cookie_verify_callback("x")
        conn = SSL.Connection(cctx, None)
        with pytest.raises(TypeError):
            conn.set_ciphertext_mtu("big")


class _Datagrams:
    def __init__(self):
        self.queue = collections.deque()


class DatagramEndpoint:
    """A datagram transport in memory: write() sends one datagram, read()
    returns one (or would block)."""

    def __init__(self, inbound, outbound):
        self.inbound, self.outbound = inbound, outbound
        self.sizes = []

    def read(self, n):
        if not self.inbound.queue:
            raise BlockingIOError
        return self.inbound.queue.popleft()[:n]

    def write(self, data):
        self.sizes.append(len(data))
        self.outbound.queue.append(bytes(data))
        return len(data)


def datagram_pair():
    a, b = _Datagrams(), _Datagrams()
    return DatagramEndpoint(a, b), DatagramEndpoint(b, a)


class TestPythonTransport:
    def test_handshake_with_small_mtu(self):
        cctx, sctx = dtls_contexts()
        a, b = datagram_pair()
        server = SSL.Connection(sctx, a)
        server.set_accept_state()
        client = SSL.Connection(cctx, b)
        client.set_connect_state()
        client.set_ciphertext_mtu(400)
        server.set_ciphertext_mtu(400)
        for _ in range(20):
            try:
                server.DTLSv1_listen()
                break
            except SSL.WantReadError:
                pass
            try:
                client.do_handshake()
            except SSL.WantReadError:
                pass
        handshake(client, server, memory=False)
        # The certificate flight was cut to fit the MTU.
        assert max(a.sizes) <= 400
        assert len(a.sizes) > 3
        assert exchange(client, server, b"x" * 300, memory=False) == b"x" * 300


def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(TIMEOUT)
    return sock


class TestUDP:
    def test_our_client_with_openssl_server(self):
        with InteractiveOpenSSLServer("-dtls") as server:
            sock = udp_socket()
            sock.connect(("127.0.0.1", server.port))
            conn = SSL.Connection(client_context(SSL.DTLS_METHOD),
                                  DatagramStream(sock))
            conn.set_connect_state()
            conn.do_handshake()
            assert conn.get_protocol_version_name() == "DTLSv1.2"
            conn.send(b"over udp\n")
            server.wait_for("over udp")
            server.send(b"and back\n")
            assert conn.recv(100) == b"and back\n"
            sock.close()

    def test_our_server_with_openssl_client(self):
        cookies = []
        _, sctx = dtls_contexts(cookies)
        sock = udp_socket()
        port = sock.getsockname()[1]

        def serve():
            # Answer whoever sends the first datagram.
            _, peer = sock.recvfrom(1, socket.MSG_PEEK)
            sock.connect(peer)
            conn = SSL.Connection(sctx, DatagramStream(sock))
            conn.set_accept_state()
            while True:
                try:
                    conn.DTLSv1_listen()
                    break
                except SSL.WantReadError:
                    pass
            conn.do_handshake()
            data = conn.recv(100)
            conn.send(data.upper())
            return data

        thread = Thread(serve)
        thread.start()
        proc = popen(["openssl", "s_client", "-dtls", "-connect",
                      f"127.0.0.1:{port}", "-CAfile", pki_paths()["ca"]])
        try:
            out = b""
            for line in proc.stdout:
                out += line
                if line.startswith(b"---") and b"Verify return code" in out:
                    break
            proc.stdin.write(b"datagram tls\n")
            proc.stdin.flush()
            assert thread.join() == b"datagram tls\n"
            for line in proc.stdout:
                if b"DATAGRAM TLS" in line:
                    break
            else:
                raise AssertionError("s_client never got the reply")
        finally:
            kill_group(proc)
            sock.close()
        # Checked by DTLSv1_listen (and again if s_client resent its hello).
        assert cookies and set(cookies) == {COOKIE}

    def test_udp_socket_as_transport(self):
        with InteractiveOpenSSLServer("-dtls") as server:
            sock = bounded(udp_socket())
            sock.connect(("127.0.0.1", server.port))
            conn = SSL.Connection(client_context(SSL.DTLS_METHOD), sock)
            conn.set_connect_state()
            conn.do_handshake()
            conn.send(b"abc\n")
            server.wait_for("abc")
            server.send(b"xyz\n")
            assert conn.recv(100) == b"xyz\n"
            sock.close()


class TestUDPSocketObject:
    """A UDP socket given to a DTLS Connection gets OpenSSL's datagram BIO."""

    def test_connect_through_the_connection(self):
        with InteractiveOpenSSLServer("-dtls") as server:
            sock = bounded(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            conn = SSL.Connection(client_context(SSL.DTLS_METHOD), sock)
            conn.connect(("127.0.0.1", server.port))
            conn.do_handshake()
            conn.send(b"connected later\n")
            server.wait_for("connected later")
            sock.close()

    def test_listen_on_an_unconnected_socket(self):
        # The classic server: one bound socket, DTLSv1_listen answers
        # whoever writes, the handshake follows with that peer.
        cookies = []
        _, sctx = dtls_contexts(cookies)
        sock = bounded(udp_socket())
        port = sock.getsockname()[1]

        def serve():
            conn = SSL.Connection(sctx, sock)
            conn.set_accept_state()
            conn.DTLSv1_listen()
            conn.do_handshake()
            data = conn.recv(100)
            conn.send(data.upper())
            return data

        thread = Thread(serve)
        thread.start()
        client = bounded(udp_socket())
        client.connect(("127.0.0.1", port))
        conn = SSL.Connection(client_context(SSL.DTLS_METHOD), client)
        conn.set_connect_state()
        conn.do_handshake()
        conn.send(b"hello listener")
        assert conn.recv(100) == b"HELLO LISTENER"
        assert thread.join() == b"hello listener"
        assert cookies and set(cookies) == {COOKIE}
        client.close()
        sock.close()

    def test_lost_datagram_is_sent_again(self):
        # A relay that drops the client's first datagram: a blocking
        # handshake still completes, retransmitting on OpenSSL's timer.
        with InteractiveOpenSSLServer("-dtls") as server:
            relay = udp_socket()
            upstream = udp_socket()
            upstream.connect(("127.0.0.1", server.port))
            dropped = []
            stop = []

            def run():
                import select
                client_addr = None
                while not stop:
                    ready, _, _ = select.select([relay, upstream], [], [], 0.1)
                    if relay in ready:
                        data, client_addr = relay.recvfrom(65536)
                        if not dropped:
                            dropped.append(data)
                            continue
                        upstream.send(data)
                    if upstream in ready and client_addr is not None:
                        relay.sendto(upstream.recv(65536), client_addr)

            thread = Thread(run)
            thread.start()
            sock = bounded(udp_socket())
            sock.connect(relay.getsockname())
            conn = SSL.Connection(client_context(SSL.DTLS_METHOD), sock)
            conn.set_connect_state()
            try:
                conn.do_handshake()
                conn.send(b"despite the loss\n")
                server.wait_for("despite the loss")
            finally:
                stop.append(True)
                thread.join()
                for s in (sock, relay, upstream):
                    s.close()
            assert len(dropped) == 1 and dropped[0][0] == 0x16

"""TLS over any transport: Python objects with read()/write(), file-style
methods, and buffer-protocol I/O."""
import array
import http.client
import http.server
import io
import socket
import ssl

import pytest

from OpenSSL import SSL

from peers import (
    TIMEOUT, bounded, client_context, connect, connection_pair, exchange,
    handshake, handshake_sockets, InteractiveOpenSSLServer, memory_pair,
    pki_paths, pump, roundtrip_reversed, serve_once, server_context,
    socket_pair, SocketStream, Thread, transport_pair)


def pybio_pair():
    a, b = transport_pair()
    client, server = connection_pair(client_context(), server_context(),
                                     b, a)
    return client, server, a, b


class TestPythonObjectTransport:
    def test_handshake_and_data_both_ways(self):
        client, server, a, b = pybio_pair()
        handshake(client, server, memory=False)
        assert exchange(client, server, b"ping" * 1000, memory=False) == b"ping" * 1000
        assert exchange(server, client, b"pong", memory=False) == b"pong"
        assert a.reads and a.writes and b.reads and b.writes
        assert client.get_peer_certificate().get_subject().CN == "localhost"

    def test_large_records_both_ways(self):
        client, server, _, _ = pybio_pair()
        handshake(client, server, memory=False)
        data = bytes(range(256)) * 1024
        assert exchange(client, server, data, memory=False) == data

    def test_partial_writes_and_reads(self):
        # A transport that takes and gives a few bytes at a time.
        class Trickle:
            def __init__(self, endpoint):
                self.endpoint = endpoint

            def read(self, n):
                return memoryview(self.endpoint.read(min(n, 5)))

            def write(self, data):
                return self.endpoint.write(bytes(data[:7]))

        a, b = transport_pair()
        client, server = connection_pair(client_context(), server_context(),
                                         Trickle(b), Trickle(a))
        handshake(client, server, memory=False)
        data = bytes(range(256)) * 64
        assert exchange(client, server, data, memory=False) == data
        assert b.writes > len(data) // 7

    def test_empty_read_is_would_block(self):
        client, _, _, _ = pybio_pair()
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        # The ClientHello went out through write().
        with pytest.raises(SSL.WantReadError):
            client.recv(10)

    def test_read_returning_none_is_would_block(self):
        class Idle:
            def read(self, n):
                return None

            def write(self, data):
                return len(data)

        conn = SSL.Connection(client_context(), Idle())
        conn.set_connect_state()
        with pytest.raises(SSL.WantReadError):
            conn.do_handshake()

    def test_write_blocking_is_want_write(self):
        class Full:
            def read(self, n):
                raise BlockingIOError

            def write(self, data):
                raise BlockingIOError

        conn = SSL.Connection(client_context(), Full())
        conn.set_connect_state()
        with pytest.raises(SSL.WantWriteError):
            conn.do_handshake()

    def test_write_returning_none_is_want_write(self):
        class Full:
            def read(self, n):
                raise BlockingIOError

            def write(self, data):
                return None

        conn = SSL.Connection(client_context(), Full())
        conn.set_connect_state()
        with pytest.raises(SSL.WantWriteError):
            conn.do_handshake()

    def test_read_exception_is_raised_from_the_call(self):
        class Broken(Exception):
            pass

        class Failing:
            def read(self, n):
                raise Broken("read failed")

            def write(self, data):
                return len(data)

        conn = SSL.Connection(client_context(), Failing())
        conn.set_connect_state()
        with pytest.raises(Broken, match="read failed"):
            conn.do_handshake()

    def test_write_exception_is_raised_from_the_call(self):
        class Failing:
            def read(self, n):
                raise BlockingIOError

            def write(self, data):
                raise ConnectionResetError("peer went away")

        conn = SSL.Connection(client_context(), Failing())
        conn.set_connect_state()
        with pytest.raises(ConnectionResetError, match="peer went away"):
            conn.do_handshake()

    def test_write_returning_garbage_is_an_error(self):
        class Odd:
            def read(self, n):
                raise BlockingIOError

            def write(self, data):
                return "yes"

        conn = SSL.Connection(client_context(), Odd())
        conn.set_connect_state()
        with pytest.raises(TypeError):
            conn.do_handshake()

    def test_read_returning_too_much_is_an_error(self):
        class Odd:
            def read(self, n):
                return b"x" * (n + 1)

            def write(self, data):
                return len(data)

        conn = SSL.Connection(client_context(), Odd())
        conn.set_connect_state()
        with pytest.raises(ValueError, match="read"):
            conn.do_handshake()

    def test_close_notify_then_eof(self):
        client, server, a, b = pybio_pair()
        handshake(client, server, memory=False)
        server.shutdown()
        a.close()
        with pytest.raises(SSL.ZeroReturnError):
            client.recv(10)

    def test_eof_without_close_notify(self):
        client, server, a, b = pybio_pair()
        handshake(client, server, memory=False)
        a.close()
        with pytest.raises(SSL.Error):
            client.recv(10)

    def test_eof_without_close_notify_can_be_ignored(self):
        a, b = transport_pair()
        server = SSL.Connection(server_context(), a)
        server.set_accept_state()
        cctx = client_context()
        cctx.set_options(SSL.OP_IGNORE_UNEXPECTED_EOF)
        client = SSL.Connection(cctx, b)
        client.set_connect_state()
        handshake(client, server, memory=False)
        a.close()
        with pytest.raises(SSL.ZeroReturnError):
            client.recv(10)

    def test_many_threads_over_python_transports(self):
        # Callbacks into Python from OpenSSL running without the GIL, on
        # several threads at once.
        sctx = server_context()
        sctx.set_alpn_select_callback(lambda conn, protos: protos[0])
        cctx = client_context()
        cctx.set_alpn_protos([b"h2"])
        lines = []
        cctx.set_keylog_callback(lambda conn, line: lines.append(line))

        def work():
            for _ in range(10):
                a, b = transport_pair()
                client, server = connection_pair(cctx, sctx, b, a)
                handshake(client, server, memory=False)
                assert client.get_alpn_proto_negotiated() == b"h2"
                assert exchange(client, server, b"z" * 20000,
                                memory=False) == b"z" * 20000
            return True

        threads = [Thread(work) for _ in range(6)]
        for thread in threads:
            thread.start()
        assert all(thread.join(60) for thread in threads)
        assert len(lines) >= 60 * 4

    def test_object_without_read_write_or_fileno(self):
        with pytest.raises(TypeError):
            SSL.Connection(client_context(), object())

    def test_transport_kept_alive_by_connection(self):
        a, b = transport_pair()
        client, server = connection_pair(client_context(), server_context(),
                                         b, a)
        del a, b
        handshake(client, server, memory=False)
        assert exchange(server, client, b"still here", memory=False) == b"still here"

    def test_stdlib_server_over_socket_stream(self):
        ours, theirs = socket.socketpair()
        ours.settimeout(TIMEOUT)
        theirs.settimeout(TIMEOUT)
        paths = pki_paths()
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(paths["chain"], paths["leaf_key"])

        def serve():
            with sctx.wrap_socket(theirs, server_side=True) as tls:
                data = tls.recv(100)
                tls.sendall(data.upper())
                return tls.version()

        thread = Thread(serve)
        thread.start()
        conn = SSL.Connection(client_context(), SocketStream(ours))
        conn.set_tlsext_host_name(b"localhost")
        conn.set_connect_state()
        conn.do_handshake()
        conn.sendall(b"over a python object")
        assert conn.recv(100) == b"OVER A PYTHON OBJECT"
        assert thread.join() == "TLSv1.3"
        ours.close()

    def test_both_ends_in_threads_over_socket_streams(self):
        # Each side blocks inside its transport's read() with the GIL
        # released around OpenSSL and re-taken for the Python call.
        ours, theirs = socket.socketpair()
        ours.settimeout(TIMEOUT)
        theirs.settimeout(TIMEOUT)
        data = bytes(range(256)) * 4096

        def serve():
            conn = SSL.Connection(server_context(), SocketStream(theirs))
            conn.set_accept_state()
            got = b""
            while len(got) < len(data):
                got += conn.recv(65536)
            conn.sendall(got[::-1])
            return len(got)

        thread = Thread(serve)
        thread.start()
        conn = SSL.Connection(client_context(), SocketStream(ours))
        conn.set_connect_state()
        conn.sendall(data)
        back = b""
        while len(back) < len(data):
            back += conn.recv(65536)
        assert back == data[::-1]
        assert thread.join() == len(data)
        ours.close()
        theirs.close()

    def test_openssl_s_server_over_socket_stream(self):
        with InteractiveOpenSSLServer("-rev") as server:
            sock = connect(server.port)
            conn = SSL.Connection(client_context(), SocketStream(sock))
            conn.set_connect_state()
            conn.do_handshake()
            roundtrip_reversed(conn, b"abcdef")
            sock.close()


def socket_pair_connections():
    """Our client and server Connections over a socket pair, shaken."""
    client, server = socket_pair(client_context(), server_context())
    handshake_sockets(client, server)
    return client, server


class TestFileMethods:
    def test_readline_and_readlines(self):
        client, server = socket_pair_connections()
        server.sendall(b"first line\nsecond\nthird\n")
        server.shutdown()
        assert client.readline() == b"first line\n"
        assert client.readline(3) == b"sec"
        assert client.readline() == b"ond\n"
        assert client.readlines() == [b"third\n"]
        assert client.readline() == b""

    def test_writelines(self):
        client, server = socket_pair_connections()
        client.writelines([b"a\n", bytearray(b"b\n"), memoryview(b"c\n")])
        got = b""
        while len(got) < 6:
            got += server.recv(10)
        assert got == b"a\nb\nc\n"

    def test_writelines_rejects_str(self):
        client, _ = socket_pair_connections()
        with pytest.raises(TypeError):
            client.writelines(["text"])

    def test_makefile_binary_read_and_write(self):
        client, server = socket_pair_connections()
        wfile = client.makefile("wb")
        rfile = server.makefile("rb")
        assert isinstance(rfile, io.BufferedIOBase)
        wfile.write(b"hello\nworld\n")
        wfile.flush()
        assert rfile.readline() == b"hello\n"
        assert rfile.read(6) == b"world\n"

    def test_makefile_text_mode(self):
        client, server = socket_pair_connections()
        sfile = server.makefile("rw", encoding="utf-8", newline="\n")
        assert isinstance(sfile, io.TextIOBase)
        cfile = client.makefile("w", encoding="utf-8")
        cfile.write("grüße\n")
        cfile.flush()
        assert sfile.readline() == "grüße\n"
        sfile.write("ok\n")
        sfile.flush()
        assert client.makefile("r", encoding="utf-8").readline() == "ok\n"

    def test_makefile_unbuffered(self):
        client, server = socket_pair_connections()
        raw = server.makefile("rb", buffering=0)
        assert isinstance(raw, io.RawIOBase)
        client.sendall(b"xyz")
        buf = bytearray(10)
        assert raw.readinto(buf) == 3
        assert buf[:3] == b"xyz"

    def test_makefile_reads_eof_after_close_notify(self):
        client, server = socket_pair_connections()
        rfile = client.makefile("rb")
        server.sendall(b"last words")
        server.shutdown()
        assert rfile.read() == b"last words"

    def test_makefile_bad_mode(self):
        client, _ = socket_pair_connections()
        with pytest.raises(ValueError, match="mode"):
            client.makefile("rx")
        with pytest.raises(ValueError, match="mode"):
            client.makefile(mode="wq")
        with pytest.raises(ValueError):
            client.makefile("r", buffering=0)
        with pytest.raises(ValueError, match="mode"):
            SSL.ConnectionIO(client, mode="x")
        with pytest.raises(TypeError):
            SSL.ConnectionIO(object())

    def test_http_client_over_makefile(self):
        paths = pki_paths()
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(paths["chain"], paths["leaf_key"])

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"you asked for {self.path}\n".encode() * 100
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Test", "yes")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        httpd.socket = sctx.wrap_socket(httpd.socket, server_side=True)
        httpd.timeout = TIMEOUT
        thread = Thread(httpd.handle_request)
        thread.start()
        port = httpd.server_address[1]
        ctx = client_context()

        class OurHTTPS(http.client.HTTPConnection):
            def connect(self):
                sock = bounded(socket.create_connection(
                    (self.host, self.port), TIMEOUT))
                conn = SSL.Connection(ctx, sock)
                conn.set_tlsext_host_name(b"localhost")
                conn.set_connect_state()
                conn.do_handshake()
                self.sock = conn

        client = OurHTTPS("127.0.0.1", port, timeout=TIMEOUT)
        try:
            client.request("GET", "/index?x=1")
            response = client.getresponse()
            assert response.status == 200
            assert response.getheader("X-Test") == "yes"
            assert response.read() == b"you asked for /index?x=1\n" * 100
        finally:
            client.close()
            thread.join()
            httpd.server_close()


class TestBufferProtocol:
    def test_send_any_buffer(self):
        client, server = memory_pair(client_context(), server_context())
        handshake(client, server)
        for buf in (bytearray(b"ab"), memoryview(b"cd"), array.array("B", b"ef")):
            assert client.send(buf) == 2
        client.sendall(memoryview(b"0123456789")[2:5])
        pump(client, server)
        got = b""
        while len(got) < 9:
            got += server.recv(100)
        assert got == b"abcdef234"

    def test_bio_write_any_buffer(self):
        client, server = memory_pair(client_context(), server_context())
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        hello = client.bio_read(65536)
        assert server.bio_write(memoryview(bytearray(hello))) == len(hello)
        with pytest.raises(SSL.WantReadError):
            server.do_handshake()
        assert server.bio_read(65536)

    def test_recv_into(self):
        client, server = memory_pair(client_context(), server_context())
        handshake(client, server)
        exchange(client, server, b"", memory=True)
        client.send(b"into the buffer")
        pump(client, server)
        buf = bytearray(8)
        assert server.recv_into(buf) == 8
        assert buf == b"into the"
        view = memoryview(bytearray(20))
        assert server.recv_into(view[5:], 3) == 3
        assert bytes(view[5:8]) == b" bu"

    def test_bio_read_into(self):
        client, server = memory_pair(client_context(), server_context())
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        buf = bytearray(4096)
        n = client.bio_read_into(buf)
        assert 0 < n < 4096
        assert buf[0] == 0x16  # a handshake record
        server.bio_write(bytes(buf[:n]))
        with pytest.raises(SSL.WantReadError):
            server.do_handshake()
        part = bytearray(10)
        assert server.bio_read_into(memoryview(part)[2:], 5) == 5
        assert part[2] == 0x16

    def test_bio_read_into_empty_is_want_read(self):
        client, _ = memory_pair(client_context(), server_context())
        with pytest.raises(SSL.WantReadError):
            client.bio_read_into(bytearray(10))

    def test_bio_read_into_readonly_buffer(self):
        client, _ = memory_pair(client_context(), server_context())
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        with pytest.raises(TypeError):
            client.bio_read_into(b"read only")

    def test_bio_read_into_bad_size(self):
        client, _ = memory_pair(client_context(), server_context())
        with pytest.raises(ValueError):
            client.bio_read_into(bytearray(10), 11)
        with pytest.raises(ValueError):
            client.bio_read_into(bytearray(10), -1)

    def test_bio_read_into_needs_memory_bio(self):
        sock, other = socket.socketpair()
        conn = SSL.Connection(client_context(), sock)
        with pytest.raises(TypeError):
            conn.bio_read_into(bytearray(10))
        sock.close()
        other.close()

    def test_send_rejects_str_like_objects(self):
        client, server = memory_pair(client_context(), server_context())
        handshake(client, server)
        with pytest.raises(TypeError):
            client.send(12)

    def test_serve_over_socket_with_memoryview(self):
        def handler(conn):
            conn.do_handshake()
            buf = bytearray(100)
            n = conn.recv_into(buf)
            conn.sendall(memoryview(buf)[:n])

        port, thread = serve_once(server_context(), handler)
        sock = connect(port)
        conn = SSL.Connection(client_context(), sock)
        conn.set_connect_state()
        conn.do_handshake()
        conn.sendall(bytearray(b"echo me"))
        assert conn.recv(100) == b"echo me"
        thread.join()
        sock.close()

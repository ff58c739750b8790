"""Faults of the Python-object transport: read()/write() that raise, return
the wrong types or sizes, end the stream mid-handshake, or call back into
the Connection.  Each gives a named exception from the call that made
OpenSSL read or write, and the Context goes on working for others."""
import collections
import gc
import unittest

from OpenSSL import SSL

import peers


class Pipe:
    """One direction of an in-memory byte stream."""
    def __init__(self):
        self.data = collections.deque()


class Endpoint:
    """read(n)/write(data) over two Pipes; read() returns None while empty."""
    def __init__(self, inbox, outbox):
        self.inbox, self.outbox = inbox, outbox

    def read(self, n):
        if not self.inbox.data:
            return None
        chunk = bytearray()
        while self.inbox.data and len(chunk) < n:
            piece = self.inbox.data.popleft()
            take = piece[:n - len(chunk)]
            chunk += take
            if len(take) < len(piece):
                self.inbox.data.appendleft(piece[len(take):])
        return bytes(chunk)

    def write(self, data):
        self.outbox.data.append(bytes(data))
        return len(data)


def endpoints():
    ab, ba = Pipe(), Pipe()
    return Endpoint(ba, ab), Endpoint(ab, ba)


def contexts():
    _, paths = peers.chain()
    server = SSL.Context(SSL.TLS_METHOD)
    server.use_certificate_chain_file(paths["chain"])
    server.use_privatekey_file(paths["leaf_key"])
    client = SSL.Context(SSL.TLS_METHOD)
    client.load_verify_locations(paths["ca"])
    client.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: ok)
    return client, server


def drive(client, server, rounds=50):
    """Handshake two Connections on Python-object transports."""
    done = set()
    for _ in range(rounds):
        for conn in (client, server):
            if conn in done:
                continue
            try:
                conn.do_handshake()
                done.add(conn)
            except SSL.WantReadError:
                pass
        if len(done) == 2:
            return
    raise AssertionError("handshake did not finish")


class TransportFaultTests(unittest.TestCase):

    def setUp(self):
        self.client_ctx, self.server_ctx = contexts()

    def pair(self, client_transport=None, server_transport=None):
        a, b = endpoints()
        client = SSL.Connection(self.client_ctx, client_transport or a)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, server_transport or b)
        server.set_accept_state()
        return client, server, a, b

    def assert_still_works(self):
        client, server, _, _ = self.pair()
        drive(client, server)
        client.sendall(b"fine")
        for _ in range(10):
            try:
                self.assertEqual(server.recv(10), b"fine")
                return
            except SSL.WantReadError:
                pass
        self.fail("no data after a good handshake")

    def wrapped(self, base, **overrides):
        """`base` with some of read/write replaced."""
        class Wrapped:
            def read(self, n):
                if "read" in overrides:
                    return overrides["read"](n)
                return base.read(n)

            def write(self, data):
                if "write" in overrides:
                    return overrides["write"](data)
                return base.write(data)
        return Wrapped()

    def test_read_raising_reaches_the_caller(self):
        a, b = endpoints()

        def read(n):
            raise ConnectionResetError("link down")
        client = SSL.Connection(self.client_ctx, a)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, self.wrapped(b, read=read))
        server.set_accept_state()
        with self.assertRaises(SSL.WantReadError):
            client.do_handshake()
        with self.assertRaisesRegex(ConnectionResetError, "link down"):
            server.do_handshake()
        self.assert_still_works()

    def test_write_raising_reaches_the_caller(self):
        a, _ = endpoints()

        def write(data):
            raise BrokenPipeError("peer gone")
        client = SSL.Connection(self.client_ctx, self.wrapped(a, write=write))
        client.set_connect_state()
        with self.assertRaisesRegex(BrokenPipeError, "peer gone"):
            client.do_handshake()
        self.assert_still_works()

    def test_read_returning_wrong_types(self):
        for bad in ("text", 42, 1.5, [b"x"], object()):
            a, b = endpoints()
            client = SSL.Connection(self.client_ctx, a)
            client.set_connect_state()
            server = SSL.Connection(self.server_ctx,
                                    self.wrapped(b, read=lambda n, bad=bad: bad))
            server.set_accept_state()
            with self.assertRaises(SSL.WantReadError):
                client.do_handshake()
            with self.assertRaises(TypeError, msg=repr(bad)):
                server.do_handshake()
        self.assert_still_works()

    def test_read_returning_too_much(self):
        a, b = endpoints()
        server = SSL.Connection(self.server_ctx,
                                self.wrapped(b, read=lambda n: b"\x16" * (n + 1)))
        server.set_accept_state()
        with self.assertRaises(ValueError):
            server.do_handshake()

    def test_write_returning_wrong_things(self):
        for bad in ("3", 1.0, -1, 10 ** 9, object()):
            a, _ = endpoints()
            client = SSL.Connection(self.client_ctx,
                                    self.wrapped(a, write=lambda data, bad=bad: bad))
            client.set_connect_state()
            with self.assertRaises((TypeError, ValueError), msg=repr(bad)):
                client.do_handshake()
        self.assert_still_works()

    def test_end_of_stream_mid_handshake(self):
        a, b = endpoints()
        client = SSL.Connection(self.client_ctx, a)
        client.set_connect_state()
        with self.assertRaises(SSL.WantReadError):
            client.do_handshake()
        left = [b"".join(a.outbox.data)[:40]]  # then the stream ends

        def read(n):
            chunk, left[0] = left[0][:n], left[0][n:]
            return chunk
        server = SSL.Connection(self.server_ctx, self.wrapped(b, read=read))
        server.set_accept_state()
        with self.assertRaises((SSL.WantReadError, SSL.SysCallError)):
            server.do_handshake()
        with self.assertRaises(SSL.SysCallError):
            server.do_handshake()

    def test_transport_calling_back_into_its_connection(self):
        """A read() that uses the Connection it serves gets an exception
        (or a want-read), never a deadlock or a crash."""
        a, b = endpoints()
        holder = {}

        def read(n):
            return holder["conn"].recv(n)
        server = SSL.Connection(self.server_ctx, self.wrapped(b, read=read))
        server.set_accept_state()
        holder["conn"] = server
        with self.assertRaises((SSL.Error, RuntimeError, ValueError)):
            server.do_handshake()
        holder.clear()

    def test_transport_dropped_by_the_caller(self):
        client, server, a, b = self.pair()
        del a, b
        gc.collect()
        drive(client, server)
        self.assertEqual(client.get_peer_certificate().get_subject().CN, "localhost")

    def test_exception_stays_with_its_connection(self):
        """A failed transport on one Connection leaves another Connection on
        the same Context untouched."""
        a, _ = endpoints()

        def write(data):
            raise OSError("only this one")
        broken = SSL.Connection(self.client_ctx, self.wrapped(a, write=write))
        broken.set_connect_state()
        client, server, _, _ = self.pair()
        with self.assertRaisesRegex(OSError, "only this one"):
            broken.do_handshake()
        drive(client, server)


if __name__ == "__main__":
    unittest.main()

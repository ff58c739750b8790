"""Faults on the TLS side: peers that send garbage, truncate, stall or close
mid-handshake; callbacks that raise or return the wrong thing; Connections
used after their socket is gone or their Context is dropped.  Each fault
gives a named exception quickly, and a fresh handshake on the same Context
works afterwards."""
import gc
import os
import shutil
import socket
import tempfile
import threading
import unittest

from OpenSSL import SSL, crypto

import peers

TIMEOUT = peers.TIMEOUT


def server_context():
    _, paths = peers.chain()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate_chain_file(paths["chain"])
    ctx.use_privatekey_file(paths["leaf_key"])
    return ctx


def client_context(verify=None):
    _, paths = peers.chain()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.load_verify_locations(paths["ca"])
    ctx.set_verify(SSL.VERIFY_PEER, verify or (lambda conn, cert, errno, depth, ok: ok))
    return ctx


def client_hello():
    conn = SSL.Connection(client_context(), None)
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except SSL.WantReadError:
        pass
    return conn.bio_read(65536)


class FaultBase(unittest.TestCase):

    def setUp(self):
        self.server_ctx = server_context()

    def assert_context_still_works(self):
        client = SSL.Connection(client_context(), None)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, None)
        server.set_accept_state()
        peers.handshake(client, server)
        client.send(b"still fine")
        peers.pump(client, server)
        self.assertEqual(server.recv(100), b"still fine")

    def socket_server(self, peer_bytes, close=True):
        """A server Connection on a socket whose peer wrote `peer_bytes`
        (and then closed its sending side, if `close`)."""
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        if peer_bytes:
            theirs.sendall(peer_bytes)
        if close:
            theirs.shutdown(socket.SHUT_WR)
        conn = SSL.Connection(self.server_ctx, ours)
        conn.set_accept_state()
        return conn, theirs


class PeerFaultTests(FaultBase):

    def test_peer_sends_plaintext_http(self):
        conn, _ = self.socket_server(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        with self.assertRaises(SSL.Error) as caught:
            conn.do_handshake()
        self.assertIn("http request", str(caught.exception))
        self.assert_context_still_works()

    def test_peer_sends_random_garbage(self):
        conn, _ = self.socket_server(bytes(range(256)) * 8)
        with self.assertRaises(SSL.Error):
            conn.do_handshake()
        self.assert_context_still_works()

    def test_truncated_client_hello_then_close(self):
        hello = client_hello()
        for cut in (1, 5, 30, len(hello) - 1):
            conn, _ = self.socket_server(hello[:cut])
            with self.assertRaises(SSL.SysCallError, msg=f"cut at {cut}"):
                conn.do_handshake()
        self.assert_context_still_works()

    def test_peer_closes_after_client_hello(self):
        conn, _ = self.socket_server(client_hello())
        with self.assertRaises(SSL.SysCallError) as caught:
            conn.do_handshake()
        self.assertIn("EOF", str(caught.exception))

    def test_peer_resets_mid_handshake(self):
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        theirs.sendall(client_hello())
        theirs.close()
        conn = SSL.Connection(self.server_ctx, ours)
        conn.set_accept_state()
        with self.assertRaises(SSL.Error):
            conn.do_handshake()

    def test_stalled_peer_on_a_non_blocking_socket(self):
        """A peer that says nothing gives WantReadError at once on a
        non-blocking socket instead of hanging."""
        conn, _ = self.socket_server(b"", close=False)
        conn.setblocking(False)
        with self.assertRaises(SSL.WantReadError):
            conn.do_handshake()

    def test_stalled_peer_over_memory_bios(self):
        hello = client_hello()
        conn = SSL.Connection(self.server_ctx, None)
        conn.set_accept_state()
        conn.bio_write(hello[:len(hello) // 2])
        for _ in range(3):
            with self.assertRaises(SSL.WantReadError):
                conn.do_handshake()
        conn.bio_shutdown()
        with self.assertRaises(SSL.SysCallError):
            conn.do_handshake()

    def test_records_corrupted_after_handshake(self):
        client = SSL.Connection(client_context(), None)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, None)
        server.set_accept_state()
        peers.handshake(client, server)
        client.send(b"secret message")
        record = bytearray(client.bio_read(65536))
        record[-3] ^= 0x01
        server.bio_write(bytes(record))
        with self.assertRaises(SSL.Error) as caught:
            server.recv(100)
        self.assertIn("bad record mac", str(caught.exception))
        self.assert_context_still_works()

    def test_truncated_record_after_handshake(self):
        client = SSL.Connection(client_context(), None)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, None)
        server.set_accept_state()
        peers.handshake(client, server)
        client.send(b"x" * 1000)
        record = client.bio_read(65536)
        server.bio_write(record[:500])
        with self.assertRaises(SSL.WantReadError):
            server.recv(2000)
        server.bio_shutdown()
        with self.assertRaises(SSL.SysCallError):
            server.recv(2000)


class CallbackFaultTests(FaultBase):

    def handshake_with(self, client_ctx=None, server_ctx=None):
        client = SSL.Connection(client_ctx or client_context(), None)
        client.set_connect_state()
        server = SSL.Connection(server_ctx or self.server_ctx, None)
        server.set_accept_state()
        peers.handshake(client, server)

    def test_verify_callback_raising_fails_the_handshake(self):
        class VerifyProblem(Exception):
            pass

        def verify(*args):
            raise VerifyProblem("refused by the callback")
        with self.assertRaisesRegex(VerifyProblem, "refused by the callback"):
            self.handshake_with(client_context(verify))
        self.assert_context_still_works()

    def test_verify_callback_falsy_results_fail_closed(self):
        for result in (None, 0, False, b"", []):
            with self.assertRaises(SSL.Error, msg=repr(result)):
                self.handshake_with(client_context(lambda *a, r=result: r))

    def test_verify_callback_with_wrong_signature(self):
        with self.assertRaises(TypeError):
            self.handshake_with(client_context(lambda: True))
        self.assert_context_still_works()

    def test_info_callback_raising_surfaces(self):
        ctx = server_context()

        def info(conn, where, ret):
            raise LookupError("from the info callback")
        ctx.set_info_callback(info)
        with self.assertRaisesRegex(LookupError, "from the info callback"):
            self.handshake_with(server_ctx=ctx)
        self.assert_context_still_works()

    def encrypted_key_file(self):
        chain, _ = peers.chain()
        pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, chain.leaf.key,
                                     "aes-128-cbc", b"secret")
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "enc.key")
        with open(path, "wb") as f:
            f.write(pem)
        return path

    def test_passphrase_callback_faults(self):
        path = self.encrypted_key_file()
        cases = [
            (lambda *a: 42, (TypeError, ValueError)),
            (lambda *a: None, (TypeError, ValueError)),
            (lambda *a: b"wrong", SSL.Error),
            (lambda *a: b"x" * 100000, (SSL.Error, ValueError)),
            (lambda: b"secret", TypeError),
        ]
        for callback, expected in cases:
            ctx = SSL.Context(SSL.TLS_METHOD)
            ctx.set_passwd_cb(callback)
            with self.assertRaises(expected):
                ctx.use_privatekey_file(path)

        class Refused(Exception):
            pass

        def refuse(*args):
            raise Refused()
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_passwd_cb(refuse)
        with self.assertRaises(Refused):
            ctx.use_privatekey_file(path)
        ctx.set_passwd_cb(lambda *a: b"secret")
        ctx.use_privatekey_file(path)


class LifetimeFaultTests(FaultBase):

    def test_connection_outlives_its_context(self):
        ctx = server_context()
        server = SSL.Connection(ctx, None)
        server.set_accept_state()
        del ctx
        gc.collect()
        client = SSL.Connection(client_context(), None)
        client.set_connect_state()
        peers.handshake(client, server)
        self.assertIsNotNone(server.get_context())

    def test_connection_after_its_socket_is_closed(self):
        ours, theirs = socket.socketpair()
        theirs.close()
        conn = SSL.Connection(client_context(), ours)
        conn.set_connect_state()
        ours.close()
        with self.assertRaises(SSL.SysCallError):
            conn.do_handshake()
        with self.assertRaises(SSL.SysCallError):
            conn.send(b"x")

    def test_operations_before_a_state_is_set(self):
        conn = SSL.Connection(client_context(), None)
        with self.assertRaises(SSL.Error):
            conn.recv(10)
        with self.assertRaises(SSL.Error):
            conn.send(b"x")

    def test_use_after_shutdown(self):
        client = SSL.Connection(client_context(), None)
        client.set_connect_state()
        server = SSL.Connection(self.server_ctx, None)
        server.set_accept_state()
        peers.handshake(client, server)
        client.shutdown()
        peers.pump(client, server)
        with self.assertRaises(SSL.ZeroReturnError):
            server.recv(10)
        with self.assertRaises(SSL.Error):
            client.send(b"after shutdown")

    def test_peer_thread_closing_during_blocking_handshake(self):
        """A blocking handshake whose peer closes from another thread ends
        with an exception, not a hang."""
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        conn = SSL.Connection(self.server_ctx, ours)
        conn.set_accept_state()
        timer = threading.Timer(0.2, theirs.close)
        timer.start()
        self.addCleanup(timer.cancel)
        outcome = []

        def run():
            try:
                conn.do_handshake()
            except SSL.Error as exc:
                outcome.append(exc)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(TIMEOUT)
        self.assertFalse(thread.is_alive(), "handshake hangs after the peer closed")
        self.assertIsInstance(outcome[0], SSL.SysCallError)


if __name__ == "__main__":
    unittest.main()


class ReentrantCallbackTests(FaultBase):
    """Callbacks that use the Connection they were called for."""

    def pair(self, client_ctx, server_ctx=None):
        client = SSL.Connection(client_ctx, None)
        client.set_connect_state()
        server = SSL.Connection(server_ctx or self.server_ctx, None)
        server.set_accept_state()
        return client, server

    def test_io_from_inside_a_verify_callback_is_refused(self):
        for reenter in (lambda conn: conn.recv(10), lambda conn: conn.do_handshake()):
            def verify(conn, cert, errno, depth, ok, reenter=reenter):
                reenter(conn)
                return ok
            client, server = self.pair(client_context(verify))
            with self.assertRaisesRegex(RuntimeError, "in use"):
                peers.handshake(client, server)
        self.assert_context_still_works()

    def test_set_context_from_callbacks_while_the_old_one_is_dropped(self):
        def swap(conn, *args):
            conn.set_context(server_context())
            gc.collect()
            return args[-1] if args else None
        ctx = server_context()
        ctx.set_info_callback(swap)
        ctx.set_tlsext_servername_callback(swap)
        client, server = self.pair(client_context(), ctx)
        client.set_tlsext_host_name(b"localhost")
        del ctx
        gc.collect()
        peers.handshake(client, server)
        client.send(b"after the swap")
        peers.pump(client, server)
        self.assertEqual(server.recv(100), b"after the swap")

    def test_alpn_select_callback_wrong_results(self):
        for result in (None, 42, "h2", b"x" * 300):
            ctx = server_context()
            ctx.set_alpn_select_callback(lambda conn, protos, r=result: r)
            client_ctx = client_context()
            client_ctx.set_alpn_protos([b"h2"])
            client, server = self.pair(client_ctx, ctx)
            with self.assertRaises(TypeError, msg=repr(result)):
                peers.handshake(client, server)
        self.assert_context_still_works()

    def test_keylog_and_servername_callbacks_raising(self):
        for setter in ("set_keylog_callback", "set_tlsext_servername_callback"):
            ctx = server_context()
            getattr(ctx, setter)(lambda *args: 1 / 0)
            client, server = self.pair(client_context(), ctx)
            client.set_tlsext_host_name(b"localhost")
            with self.assertRaises(ZeroDivisionError, msg=setter):
                peers.handshake(client, server)
        self.assert_context_still_works()

"""Thread stress: 8 threads working on shared objects at once.

Every operation that releases the GIL (parsing, signing, key generation,
passphrase callbacks re-entering Python) runs in 8 threads together, some
of them with callbacks that raise.  Nothing may crash or deadlock, each
thread sees exactly its own results, and every exception a callback raises
surfaces in the thread whose call ran that callback.  The amount of work is
fixed (OSSL_STRESS_ROUNDS, default 40 per thread), not the time.
"""
import collections
import os
import select
import socket
import threading
import unittest

from OpenSSL import crypto

import pki

THREADS = 8
ROUNDS = int(os.environ.get("OSSL_STRESS_ROUNDS", "40"))
JOIN_TIMEOUT = 120
PEM, DER = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1


class ThreadFailure(Exception):
    pass


def run_threads(work, count=THREADS):
    """Run work(index) in `count` threads started together; return their
    results, re-raising the first failure and failing on a deadlock."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def body(index):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append((index, exc))

    threads = [threading.Thread(target=body, args=(i,), daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
        if thread.is_alive():
            raise ThreadFailure(f"a thread is still running after {JOIN_TIMEOUT}s: "
                                "deadlock or hang")
    if errors:
        index, exc = errors[0]
        raise ThreadFailure(f"thread {index} failed: {exc!r}") from exc
    return results


class CryptoThreadTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.chain = pki.make_chain("ec", san=["threads.example"])
        cls.ca = (cls.chain.ca.cert, cls.chain.ca.key)
        cls.key_enc = crypto.dump_privatekey(PEM, cls.chain.leaf.key, "aes-128-cbc",
                                             b"secret")
        cls.cert_der = crypto.dump_certificate(DER, cls.chain.leaf.cert)

    def test_shared_certificate_readers(self):
        """8 threads read one certificate object and parse its encoding."""
        cert = self.chain.leaf.cert
        expected = crypto.dump_certificate(PEM, cert)

        def work(index):
            for _ in range(ROUNDS):
                self.assertEqual(crypto.dump_certificate(PEM, cert), expected)
                again = crypto.load_certificate(DER, self.cert_der)
                self.assertEqual(again.get_subject().CN, "localhost")
                self.assertEqual(cert.digest("sha256"), again.digest("sha256"))
                str(cert.get_extension(0))
            return index
        self.assertEqual(run_threads(work), list(range(THREADS)))

    def test_signing_with_a_shared_ca_key(self):
        """8 threads issue certificates with one CA key; each verifies."""
        def work(index):
            issued = []
            for n in range(ROUNDS // 4 or 1):
                cert = pki.make_cert(f"t{index}-{n}.example", self.chain.leaf.key,
                                     self.ca, san=[f"t{index}-{n}.example"])
                issued.append(cert.get_subject().CN)
            return issued
        results = run_threads(work)
        for index, issued in enumerate(results):
            self.assertEqual(issued, [f"t{index}-{n}.example"
                                      for n in range(ROUNDS // 4 or 1)])

    def test_passphrase_callbacks_raise_in_their_own_thread(self):
        """Odd threads' callbacks raise an exception naming the thread; even
        threads' succeed.  Each thread gets its own outcome."""
        class CallbackError(Exception):
            pass

        def work(index):
            outcomes = []
            for n in range(ROUNDS // 4 or 1):
                def callback(*args, tag=(index, n)):
                    if index % 2:
                        raise CallbackError(tag)
                    return b"secret"
                try:
                    key = crypto.load_privatekey(PEM, self.key_enc, callback)
                except CallbackError as exc:
                    self.assertEqual(exc.args[0], (index, n))
                    outcomes.append("raised")
                else:
                    self.assertEqual(key.bits(), 256)
                    outcomes.append("loaded")
            return outcomes
        results = run_threads(work)
        for index, outcomes in enumerate(results):
            self.assertEqual(set(outcomes), {"raised" if index % 2 else "loaded"})

    def test_key_generation_and_mutation_of_separate_objects(self):
        """Key generation and name editing in parallel; each thread's objects
        keep its own values."""
        def work(index):
            names = []
            for n in range(ROUNDS // 8 or 1):
                key = crypto.PKey()
                key.generate_key(crypto.TYPE_EC, "prime256v1")
                req = crypto.X509Req()
                req.get_subject().CN = f"req-{index}-{n}"
                req.set_pubkey(key)
                req.sign(key, "sha256")
                self.assertTrue(req.verify(key))
                names.append(req.get_subject().CN)
            return names
        for index, names in enumerate(run_threads(work)):
            self.assertEqual(names, [f"req-{index}-{n}" for n in range(ROUNDS // 8 or 1)])

    def test_errors_stay_in_their_thread(self):
        """Threads that feed garbage and threads that feed good input run
        together: the good ones never see the bad ones' errors."""
        def work(index):
            for _ in range(ROUNDS):
                if index % 2:
                    with self.assertRaises(crypto.Error):
                        crypto.load_certificate(DER, self.cert_der[:100])
                else:
                    crypto.load_certificate(DER, self.cert_der)
            return True
        self.assertEqual(run_threads(work), [True] * THREADS)


if __name__ == "__main__":
    unittest.main()


class QueueTransport:
    """A Python-object transport: read(n)/write(data) over two deques;
    read() returns None while nothing has arrived."""
    def __init__(self, inbox, outbox):
        self.inbox, self.outbox = inbox, outbox

    @classmethod
    def pair(cls):
        one, two = collections.deque(), collections.deque()
        return cls(one, two), cls(two, one)

    def read(self, n):
        if not self.inbox:
            return None
        data = self.inbox.popleft()
        if len(data) > n:
            self.inbox.appendleft(data[n:])
            data = data[:n]
        return data

    def write(self, data):
        self.outbox.append(bytes(data))
        return len(data)


class TLSThreadTests(unittest.TestCase):
    """8 threads doing handshakes with one shared server Context, one shared
    client Context and the client's one X509Store, over memory BIOs,
    non-blocking socket pairs and Python-object transports, with verify,
    info, servername, ALPN and keylog callbacks; in some
    handshakes the verify callback raises an exception tagged with the
    thread and round, which must reach exactly that thread's call."""

    @classmethod
    def setUpClass(cls):
        from OpenSSL import SSL
        import peers
        cls.SSL, cls.peers = SSL, peers
        chain, paths = peers.chain("threads")
        cls.chain = chain
        cls.server_ctx = SSL.Context(SSL.TLS_METHOD)
        cls.server_ctx.use_certificate_chain_file(paths["chain"])
        cls.server_ctx.use_privatekey_file(paths["leaf_key"])
        cls.server_ctx.set_info_callback(cls.info)
        cls.client_ctx = SSL.Context(SSL.TLS_METHOD)
        cls.store = cls.client_ctx.get_cert_store()
        cls.store.add_cert(chain.ca.cert)
        cls.client_ctx.set_verify(SSL.VERIFY_PEER, cls.verify)
        cls.client_ctx.set_info_callback(cls.info)
        cls.server_ctx.set_tlsext_servername_callback(cls.servername)
        cls.server_ctx.set_alpn_select_callback(cls.alpn)
        cls.client_ctx.set_alpn_protos([b"h2", b"http/1.1"])
        for ctx in (cls.server_ctx, cls.client_ctx):
            ctx.set_keylog_callback(cls.keylog)
        cls.info_lock = threading.Lock()
        cls.info_calls = {}

    class Tagged(Exception):
        pass

    @classmethod
    def verify(cls, conn, cert, errno, depth, ok):
        data = conn.get_app_data()
        if data["raise"] and depth == 0:
            raise cls.Tagged(data["tag"])
        return ok

    @classmethod
    def servername(cls, conn):
        data = conn.get_app_data()
        assert conn.get_servername() == b"t%d-%d.example" % data["tag"][1:]

    @classmethod
    def alpn(cls, conn, protos):
        return b"http/1.1" if b"http/1.1" in protos else protos[0]

    @classmethod
    def keylog(cls, conn, line):
        assert line.startswith((b"CLIENT_", b"SERVER_", b"EXPORTER_")), line

    @classmethod
    def info(cls, conn, where, ret):
        data = conn.get_app_data()
        if data is not None:
            with cls.info_lock:
                cls.info_calls[data["tag"]] = cls.info_calls.get(data["tag"], 0) + 1

    def pair(self, index, n, mode):
        SSL = self.SSL
        tag = (index, n)
        if mode == "object":
            a, b = QueueTransport.pair()
            client = SSL.Connection(self.client_ctx, a)
            server = SSL.Connection(self.server_ctx, b)
        elif mode == "socket":
            a, b = socket.socketpair()
            a.setblocking(False)
            b.setblocking(False)
            self.sockets[tag] = (a, b)
            client = SSL.Connection(self.client_ctx, a)
            server = SSL.Connection(self.server_ctx, b)
        else:
            client = SSL.Connection(self.client_ctx, None)
            server = SSL.Connection(self.server_ctx, None)
        client.set_connect_state()
        server.set_accept_state()
        client.set_tlsext_host_name(b"t%d-%d.example" % tag)
        client.set_app_data({"tag": tag, "raise": (index + n) % 4 == 0})
        server.set_app_data({"tag": ("server",) + tag, "raise": False})
        return client, server, mode

    def run_handshake(self, client, server, mode):
        SSL = self.SSL
        done = set()
        for _ in range(200):
            for conn in (client, server):
                if conn in done:
                    continue
                try:
                    conn.do_handshake()
                    done.add(conn)
                except SSL.WantReadError:
                    pass
            if mode == "memory":
                self.peers.pump(client, server)
            if len(done) == 2:
                return
            if mode == "socket":
                select.select([client.fileno(), server.fileno()], [], [], 0.05)
        raise AssertionError("handshake did not finish")

    def test_handshakes_from_8_threads_with_raising_callbacks(self):
        SSL = self.SSL
        rounds = max(ROUNDS // 4, 3)
        self.sockets = {}

        def one_round(index, n, client, server, mode):
            try:
                self.run_handshake(client, server, mode)
            except self.Tagged as exc:
                self.assertEqual(exc.args[0], (index, n))
                return "raised"
            self.assertEqual(client.get_alpn_proto_negotiated(), b"http/1.1")
            client.sendall(b"%d:%d" % (index, n))
            if mode == "memory":
                self.peers.pump(client, server)
            for _ in range(200):
                try:
                    got = server.recv(100)
                    break
                except SSL.WantReadError:
                    if mode == "socket":
                        select.select([server.fileno()], [], [], 0.05)
            self.assertEqual(got, b"%d:%d" % (index, n))
            # the shared store verifies as well, from every thread
            ctx = crypto.X509StoreContext(self.store, self.chain.leaf.cert,
                                          chain=[self.chain.intermediate.cert])
            ctx.verify_certificate()
            return "ok"

        def work(index):
            outcomes = []
            for n in range(rounds):
                mode = ("memory", "socket", "object")[(index + n) % 3]
                client, server, mode = self.pair(index, n, mode)
                try:
                    outcomes.append(one_round(index, n, client, server, mode))
                finally:
                    for sock in self.sockets.pop((index, n), ()):
                        sock.close()
            return outcomes

        results = run_threads(work)
        for index, outcomes in enumerate(results):
            expected = ["raised" if (index + n) % 4 == 0 else "ok" for n in range(rounds)]
            self.assertEqual(outcomes, expected, f"thread {index}")
        self.assertGreater(len(self.info_calls), THREADS)

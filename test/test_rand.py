"""OpenSSL.rand: the PRNG functions, seed files and the EGD client."""
import os
import pathlib
import socket
import struct
import sys
import tempfile
import threading
import unittest

from OpenSSL import rand


class EGDServer:
    """A small Entropy Gathering Daemon on a Unix socket, in a thread.

    It answers the non-blocking read command (0x02 n -> count byte + count
    bytes) from a pool of `supply` bytes, and the entropy-level command
    (0x01 -> 4-byte big-endian bit count).  `mode` makes it misbehave:
    "close" hangs up after the request, "overflow" claims more bytes than
    asked for.  Every request is recorded in `requests`.
    """

    def __init__(self, supply=100000, mode="ok"):
        self.supply = supply
        self.mode = mode
        self.requests = []
        self.sent = b""
        self._dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self._dir.name, "egd-pool")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(4)
        self._sock.settimeout(10)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _recv_exact(self, conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self):
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            while True:
                try:
                    cmd = self._recv_exact(conn, 1)
                    if cmd is None:
                        return
                    if cmd == b"\x01":
                        self.requests.append((1, None))
                        conn.sendall(struct.pack(">I", self.supply * 8))
                        continue
                    count = self._recv_exact(conn, 1)
                    if count is None:
                        return
                    n = count[0]
                    self.requests.append((cmd[0], n))
                    if self.mode == "close":
                        return
                    if self.mode == "overflow":
                        conn.sendall(bytes([n + 1]) + os.urandom(n + 1))
                        continue
                    give = min(n, self.supply)
                    self.supply -= give
                    data = os.urandom(give)
                    self.sent += data
                    conn.sendall(bytes([give]) + data)
                except OSError:
                    return

    def close(self):
        # shutdown() wakes an accept() still waiting in the thread.
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(10)
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TestBytes(unittest.TestCase):
    def test_length_and_type(self):
        for n in (0, 1, 16, 1000, 64 * 1024, 1000000):
            data = rand.bytes(n)
            self.assertIsInstance(data, bytes)
            self.assertEqual(len(data), n)

    def test_fresh_every_call(self):
        samples = {rand.bytes(32) for _ in range(50)}
        self.assertEqual(len(samples), 50)

    def test_not_constant(self):
        # A megabyte of PRNG output uses every byte value.
        self.assertEqual(len(set(rand.bytes(1 << 20))), 256)

    def test_threads_get_distinct_output(self):
        results = []

        def work():
            results.append(rand.bytes(1 << 20))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 4)
        self.assertEqual(len(set(results)), 4)

    def test_negative(self):
        with self.assertRaisesRegex(ValueError, "num_bytes"):
            rand.bytes(-1)

    def test_wrong_type(self):
        for bad in ("10", 1.5, None):
            with self.assertRaisesRegex(TypeError, "num_bytes"):
                rand.bytes(bad)

    def test_too_large(self):
        with self.assertRaisesRegex(OverflowError, "num_bytes"):
            rand.bytes(1 << 40)


class TestAddSeedStatus(unittest.TestCase):
    def test_add_int_and_float_entropy(self):
        rand.add(b"some seed material", 4)
        rand.add(b"some more seed material", 2.5)
        rand.add(bytearray(b"buffer protocol"), 0)
        rand.add(b"claims too much", 1000)
        self.assertEqual(rand.status(), 1)

    def test_add_bad_entropy(self):
        with self.assertRaisesRegex(TypeError, "entropy"):
            rand.add(b"data", "2")
        with self.assertRaisesRegex(TypeError, "entropy"):
            rand.add(b"data", None)
        with self.assertRaisesRegex(ValueError, "entropy"):
            rand.add(b"data", -1)
        with self.assertRaisesRegex(ValueError, "entropy"):
            rand.add(b"data", float("nan"))

    def test_add_bad_buffer(self):
        with self.assertRaisesRegex(TypeError, "buffer"):
            rand.add(12, 1)

    def test_seed(self):
        rand.seed(b"x" * 64)
        rand.seed(memoryview(b"y" * 64))
        self.assertEqual(rand.status(), 1)
        with self.assertRaisesRegex(TypeError, "buffer"):
            rand.seed(None)

    def test_keyword_arguments(self):
        rand.add(buffer=b"keyword seed", entropy=1.0)
        rand.seed(buffer=b"keyword seed")
        self.assertEqual(len(rand.bytes(num_bytes=5)), 5)

    def test_status_is_int(self):
        self.assertIs(type(rand.status()), int)

    def test_cleanup_keeps_prng_usable(self):
        self.assertIsNone(rand.cleanup())
        self.assertEqual(len(rand.bytes(16)), 16)
        self.assertEqual(rand.status(), 1)

    def test_screen_only_on_windows(self):
        self.assertEqual(hasattr(rand, "screen"), sys.platform == "win32")

    def test_error_class(self):
        self.assertTrue(issubclass(rand.Error, Exception))


class TestFiles(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.addCleanup(self._dir.cleanup)
        self.dir = self._dir.name

    def test_write_then_load(self):
        path = os.path.join(self.dir, "seed")
        written = rand.write_file(path)
        self.assertGreater(written, 0)
        self.assertEqual(os.path.getsize(path), written)
        self.assertEqual(rand.load_file(path), written)
        self.assertEqual(rand.load_file(path, 10), 10)

    def test_path_types(self):
        path = os.path.join(self.dir, "seed")
        self.assertGreater(rand.write_file(pathlib.Path(path)), 0)
        self.assertGreater(rand.write_file(os.fsencode(path)), 0)
        self.assertEqual(rand.load_file(pathlib.Path(path), 5), 5)
        self.assertEqual(rand.load_file(os.fsencode(path), 7), 7)

    def test_seed_files_differ(self):
        a, b = os.path.join(self.dir, "a"), os.path.join(self.dir, "b")
        rand.write_file(a)
        rand.write_file(b)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertNotEqual(fa.read(), fb.read())

    def test_load_partial_file(self):
        path = os.path.join(self.dir, "data")
        with open(path, "wb") as f:
            f.write(os.urandom(300))
        self.assertEqual(rand.load_file(path), 300)
        self.assertEqual(rand.load_file(path, 100), 100)
        self.assertEqual(rand.load_file(path, 0), 0)

    def test_load_missing_file(self):
        with self.assertRaises(rand.Error):
            rand.load_file(os.path.join(self.dir, "missing"))

    def test_write_unwritable(self):
        with self.assertRaises(rand.Error):
            rand.write_file(os.path.join(self.dir, "no", "such", "dir"))

    def test_bad_arguments(self):
        with self.assertRaisesRegex(TypeError, "filename"):
            rand.load_file(12)
        with self.assertRaisesRegex(TypeError, "filename"):
            rand.write_file(None)
        with self.assertRaisesRegex(TypeError, "maxbytes"):
            rand.load_file(os.path.join(self.dir, "x"), "10")
        with self.assertRaisesRegex(ValueError, "maxbytes"):
            rand.load_file(os.path.join(self.dir, "x"), -2)
        with self.assertRaisesRegex(ValueError, "filename"):
            rand.load_file("a\0b")


@unittest.skipIf(sys.platform == "win32", "EGD uses Unix sockets")
class TestEGD(unittest.TestCase):
    def test_default_255_bytes(self):
        with EGDServer() as server:
            self.assertEqual(rand.egd(server.path), 255)
        self.assertEqual(server.requests, [(2, 255)])
        self.assertEqual(len(server.sent), 255)

    def test_more_than_one_chunk(self):
        with EGDServer() as server:
            self.assertEqual(rand.egd(server.path, 600), 600)
        self.assertEqual(server.requests, [(2, 255), (2, 255), (2, 90)])

    def test_small_request_and_path_types(self):
        with EGDServer() as server:
            self.assertEqual(rand.egd(pathlib.Path(server.path), 16), 16)
        self.assertEqual(server.requests, [(2, 16)])
        with EGDServer() as server:
            self.assertEqual(rand.egd(os.fsencode(server.path), 3), 3)

    def test_daemon_runs_dry(self):
        with EGDServer(supply=40) as server:
            self.assertEqual(rand.egd(server.path, 255), 40)
        self.assertEqual(server.requests, [(2, 255), (2, 215)])
        self.assertEqual(rand.status(), 1)

    def test_no_daemon(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(rand.Error, "No such file"):
                rand.egd(os.path.join(d, "nothing-here"))

    def test_daemon_hangs_up(self):
        with EGDServer(mode="close") as server:
            with self.assertRaisesRegex(rand.Error, "broke off"):
                rand.egd(server.path, 10)

    def test_daemon_sends_too_much(self):
        with EGDServer(mode="overflow") as server:
            with self.assertRaisesRegex(rand.Error, "malformed"):
                rand.egd(server.path, 10)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(TypeError, "path"):
            rand.egd(None)
        with self.assertRaisesRegex(TypeError, "bytes"):
            rand.egd("/tmp/x", "255")
        with self.assertRaisesRegex(ValueError, "bytes"):
            rand.egd("/tmp/x", -1)
        with self.assertRaisesRegex(ValueError, "path"):
            rand.egd("/" + "x" * 200)

    def test_zero_bytes_asks_nothing(self):
        with EGDServer() as server:
            self.assertEqual(rand.egd(server.path, 0), 0)
        self.assertEqual(server.requests, [])


if __name__ == "__main__":
    unittest.main()

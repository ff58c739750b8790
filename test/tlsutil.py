"""Peers and plumbing for the TLS tests around the handshake.

    paths = pki_paths()                 # PEM files of one CA -> int -> leaf
    sctx, cctx = server_context(), client_context()
    client, server = memory_pair(cctx, sctx)
    handshake(client, server)           # memory BIOs, pumped here
    a, b = transport_pair()             # two Python objects with read/write
    with OpenSSLServer("-alpn", "h2") as srv: srv.port ...

Everything listens on 127.0.0.1 only, every wait is bounded.
"""
import atexit
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading

from OpenSSL import SSL

try:
    import pki
except AttributeError:  # another OpenSSL package without crypto.TYPE_ED25519
    pki = None

TIMEOUT = 10

_paths = None
_paths_lock = threading.Lock()


def pki_paths():
    """PEM files of one EC chain (made once per test run, whichever
    thread asks first)."""
    global _paths
    with _paths_lock:
        return _make_paths()


def _make_paths():
    global _paths
    if _paths is None:
        directory = tempfile.mkdtemp(prefix="ossl-tls-")
        atexit.register(shutil.rmtree, directory, True)
        if pki is not None:
            _paths = pki.make_chain("ec").write_pem(directory)
        else:
            _paths = _openssl_chain(directory)
    return _paths


def _openssl_chain(directory):
    """The same chain made with the openssl command (for running these
    tests against another package whose crypto module pki cannot drive)."""
    def path(name):
        return os.path.join(directory, name)

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    with open(path("ext.cnf"), "w") as f:
        f.write("[ca]\nbasicConstraints=critical,CA:TRUE\n"
                "keyUsage=critical,keyCertSign,cRLSign\n"
                "[leaf]\nbasicConstraints=critical,CA:FALSE\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
    issuer = None
    for label in ("ca", "intermediate", "leaf"):
        run("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", path(label + ".key"))
        cn = "localhost" if label == "leaf" else "Test " + label
        run("req", "-new", "-key", path(label + ".key"), "-subj", "/CN=" + cn,
            "-out", path(label + ".csr"))
        section = "leaf" if label == "leaf" else "ca"
        args = ["x509", "-req", "-in", path(label + ".csr"), "-days", "2",
                "-extfile", path("ext.cnf"), "-extensions", section,
                "-out", path(label + ".pem")]
        if issuer is None:
            args += ["-signkey", path(label + ".key")]
        else:
            args += ["-CA", path(issuer + ".pem"), "-CAkey",
                     path(issuer + ".key"), "-CAcreateserial"]
        run(*args)
        issuer = label
    with open(path("chain.pem"), "wb") as out:
        for label in ("leaf", "intermediate"):
            with open(path(label + ".pem"), "rb") as f:
                out.write(f.read())
    paths = {"chain": path("chain.pem")}
    for label in ("ca", "intermediate", "leaf"):
        paths[label] = path(label + ".pem")
        paths[label + "_key"] = path(label + ".key")
    return paths


def server_context(method=SSL.TLS_METHOD, paths=None):
    paths = paths or pki_paths()
    ctx = SSL.Context(method)
    ctx.use_certificate_chain_file(paths["chain"])
    ctx.use_privatekey_file(paths["leaf_key"])
    return ctx


def client_context(method=SSL.TLS_METHOD, verify=True, paths=None):
    paths = paths or pki_paths()
    ctx = SSL.Context(method)
    if verify:
        ctx.load_verify_locations(paths["ca"])
        ctx.set_verify(SSL.VERIFY_PEER, lambda conn, cert, err, depth, ok: ok)
    return ctx


def memory_pair(client_ctx, server_ctx):
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    client = SSL.Connection(client_ctx, None)
    client.set_connect_state()
    return client, server


def pump(a, b):
    """Move every pending byte between two memory-BIO Connections."""
    moved = False
    for src, dst in ((a, b), (b, a)):
        while True:
            try:
                data = src.bio_read(65536)
            except SSL.WantReadError:
                break
            if not data:
                break
            dst.bio_write(data)
            moved = True
    return moved


def handshake(client, server, rounds=50, memory=True):
    """Drive both handshakes to the end (memory BIOs or a transport_pair)."""
    for _ in range(rounds):
        done = True
        for conn in (client, server):
            try:
                conn.do_handshake()
            except SSL.WantReadError:
                done = False
        moved = pump(client, server) if memory else False
        if done and not moved:
            return
    raise AssertionError("handshake did not finish")


def exchange(sender, receiver, data, memory=True):
    """Send `data` one way and return what arrived."""
    sender.sendall(data)
    if memory:
        pump(sender, receiver)
    got = b""
    while len(got) < len(data):
        got += receiver.recv(65536)
    return got


# ---- a Python-object transport ---------------------------------------------

class _Pipe:
    def __init__(self):
        self.buf = bytearray()
        self.closed = False


class Endpoint:
    """One end of an in-process byte stream: read(n)/write(data), no
    fileno().  An empty pipe "would block" (BlockingIOError) until the
    other end is closed, then read() returns b"" (EOF)."""

    def __init__(self, inbound, outbound):
        self.inbound = inbound
        self.outbound = outbound
        self.reads = 0
        self.writes = 0

    def read(self, n):
        self.reads += 1
        if not self.inbound.buf:
            if self.inbound.closed:
                return b""
            raise BlockingIOError
        data = bytes(self.inbound.buf[:n])
        del self.inbound.buf[:n]
        return data

    def write(self, data):
        self.writes += 1
        self.outbound.buf += data
        return len(data)

    def close(self):
        self.outbound.closed = True


def transport_pair():
    a_to_b, b_to_a = _Pipe(), _Pipe()
    return Endpoint(b_to_a, a_to_b), Endpoint(a_to_b, b_to_a)


class SocketStream:
    """A blocking socket hidden behind read()/write() (no fileno)."""

    def __init__(self, sock):
        self._sock = sock

    def read(self, n):
        return self._sock.recv(n)

    def write(self, data):
        self._sock.sendall(data)
        return len(data)


class DatagramStream:
    """A connected UDP socket behind read()/write(): one datagram each."""

    def __init__(self, sock):
        self._sock = sock

    def read(self, n):
        return self._sock.recv(n)

    def write(self, data):
        return self._sock.send(data)


# ---- threads and subprocess peers -------------------------------------------

class Thread(threading.Thread):
    """A thread whose exception is re-raised by join()."""

    def __init__(self, target, *args):
        super().__init__(daemon=True)
        self._target_fn = target
        self._args = args
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self._target_fn(*self._args)
        except BaseException as exc:  # noqa: B902 - handed to join()
            self.error = exc

    def join(self, timeout=TIMEOUT):
        super().join(timeout)
        if self.is_alive():
            raise AssertionError("peer thread did not finish")
        if self.error is not None:
            raise self.error
        return self.result


def bounded(sock):
    """Make `sock` blocking (what a Connection on its descriptor needs) but
    let the kernel give up on any single read or write after TIMEOUT."""
    sock.settimeout(None)
    tv = struct.pack("ll", TIMEOUT, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    return sock


def listener(kind=socket.SOCK_STREAM):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        sock.listen(5)
    sock.settimeout(TIMEOUT)
    return sock


def connect(port):
    return bounded(socket.create_connection(("127.0.0.1", port),
                                            timeout=TIMEOUT))


def popen(cmd):
    """Start cmd (under `timeout`) in a process group of its own, so that
    kill_group() ends it and everything it started."""
    return subprocess.Popen(["timeout", "20"] + cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    for f in (proc.stdin, proc.stdout):
        if f is not None:
            try:
                f.close()
            except BrokenPipeError:
                pass


class OpenSSLServer:
    """`openssl s_server` on 127.0.0.1 with the test chain."""

    def __init__(self, *args, cert=True, paths=None, naccept=1):
        paths = paths or pki_paths()
        cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0",
               "-naccept", str(naccept)]
        if cert:
            cmd += ["-cert", paths["leaf"], "-key", paths["leaf_key"],
                    "-cert_chain", paths["intermediate"]]
        cmd += list(args)
        self.proc = subprocess.Popen(
            ["timeout", "30"] + cmd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.lines = []
        for _ in range(50):
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            self.lines.append(line)
            if line.startswith("ACCEPT"):
                self.port = int(line.rsplit(":", 1)[1])
                return
        self.close()
        raise AssertionError("s_server did not start: " + "".join(self.lines))

    def send(self, data):
        """Type data into s_server: it sends it to the connected client."""
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, text):
        """Read s_server's output until a line contains text."""
        for _ in range(200):
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"s_server never printed {text!r}: "
                             + "".join(self.lines))

    def output(self):
        """Everything s_server printed, once it has exited."""
        try:
            out, _ = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
            out, _ = self.proc.communicate()
        return "".join(self.lines) + out.decode(errors="replace")

    def _kill(self):
        # `timeout` and s_server share a process group of their own.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self):
        if self.proc.poll() is None:
            self._kill()
        self.proc.communicate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def s_client(port, *args, stdin=b"", wait_for=None):
    """Run `openssl s_client` against 127.0.0.1:port; return its output.
    With wait_for, stdin is sent only once a line starting with it came
    from the server (so what arrived before it, such as TLS 1.3 tickets,
    has been processed)."""
    cmd = ["timeout", "20", "openssl", "s_client", "-connect",
           f"127.0.0.1:{port}", "-CAfile", pki_paths()["ca"]] + list(args)
    if wait_for is None:
        proc = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30)
        return proc.stdout.decode(errors="replace")
    proc = popen(cmd[2:])
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(wait_for):
                break
        proc.stdin.write(stdin)
        proc.stdin.close()
        # `timeout` bounds how long s_client can keep stdout open.
        lines.append(proc.stdout.read())
        proc.wait(timeout=30)
    finally:
        kill_group(proc)
    return b"".join(lines).decode(errors="replace")


def serve_once(ctx, handler, kind=socket.SOCK_STREAM):
    """Accept one TCP connection with our Connection in a thread; returns
    (port, thread); thread.join() gives handler(conn)'s result."""
    sock = listener(kind)

    def run():
        try:
            raw, _ = sock.accept()
        finally:
            sock.close()
        bounded(raw)
        conn = SSL.Connection(ctx, raw)
        conn.set_accept_state()
        try:
            return handler(conn)
        finally:
            raw.close()

    thread = Thread(run)
    thread.start()
    return sock.getsockname()[1], thread

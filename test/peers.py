"""Real TLS peers for the tests, all on 127.0.0.1 with bounded timeouts.

    with StdlibServer(paths, handler=echo) as server:     # stdlib ssl, thread
        sock = socket.create_connection(server.address, timeout=TIMEOUT)
    with StdlibClient(address, cafile=...) as client: ...  # stdlib ssl, thread
    with OpenSSLServer(paths) as server: ...               # openssl s_server
    result = openssl_client(address, cafile=..., data=b"x")  # openssl s_client

plus our own Connections as both peers:

    paths = pki_paths()                 # the chain the handshake tests share
    sctx, cctx = server_context(), client_context()
    client, server = memory_pair(cctx, sctx)
    handshake(client, server)           # memory BIOs, pumped here
    a, b = transport_pair()             # two Python objects with read/write
    client, server = socket_pair(cctx, sctx); handshake_sockets(client, server)
    port, thread = serve_once(sctx, handler)   # our server in a thread
    with InteractiveOpenSSLServer("-alpn", "h2") as srv: srv.port ...

`paths` is what pki.Chain.write_pem() returns: the server presents
paths["leaf"] with paths["leaf_key"] and the intermediate.
"""
import atexit
import functools
import os
import re
import shutil
import signal
import socket
import tempfile
import ssl
import struct
import subprocess
import threading
import typing

from OpenSSL import SSL, crypto

try:
    import pki
except AttributeError:
    # pki needs this package's crypto API; under OSSL_TEST_INSTALLED=1 with
    # a pyOpenSSL that lacks parts of it, chains come from cryptography.
    pki = None

TIMEOUT = 10.0          # any single network wait in the tests
OPENSSL = os.environ.get("OSSL_OPENSSL_BIN", "openssl")


# ---- certificates -------------------------------------------------------------

_tmp = tempfile.mkdtemp(prefix="ossl-peers-")
atexit.register(shutil.rmtree, _tmp, True)


@functools.lru_cache(maxsize=None)
def chain(label="main", key_type="ec"):
    """A CA -> intermediate -> leaf chain, made once per label, and the
    paths of its PEM files: (pki.Chain, paths)."""
    if pki is not None and hasattr(crypto, "X509Extension"):
        made = pki.make_chain(key_type)
    else:
        # OSSL_TEST_INSTALLED=1 against a pyOpenSSL without X509Extension:
        # the same chain, made with cryptography.
        made = _chain_with_cryptography(key_type)
    return made, made.write_pem(os.path.join(_tmp, label))


_paths_lock = threading.Lock()


def pki_paths():
    """The PEM files of the EC chain the handshake tests share (made once
    per test run, whichever thread asks first)."""
    with _paths_lock:
        return chain("tls")[1]


def _chain_with_cryptography(key_type):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID

    def key():
        if key_type == "rsa":
            return rsa.generate_private_key(65537, 2048)
        return ec.generate_private_key(ec.SECP256R1())

    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(cn, subject_key, issuer, ca, pathlen=None):
        name = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if ca:
            name.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                           "OpenSSL for Python tests"))
        name = x509.Name(name)
        issuer_name, issuer_key = issuer if issuer else (name, subject_key)
        builder = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(issuer_name)
                   .public_key(subject_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca, pathlen), True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
                False).add_extension(x509.ExtendedKeyUsage([
                    ExtendedKeyUsageOID.SERVER_AUTH,
                    ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        return _Issued(crypto.X509.from_cryptography(cert),
                          crypto.PKey.from_cryptography_key(subject_key)), \
            (name, subject_key)

    ca, ca_signer = issue("Test Root CA", key(), None, True)
    inter, inter_signer = issue("Test Intermediate CA", key(), ca_signer,
                                True, 0)
    leaf, _ = issue("localhost", key(), inter_signer, False)
    return _Chain(ca, inter, leaf)


class _Issued(typing.NamedTuple):
    cert: object
    key: object

    def pem(self):
        return crypto.dump_certificate(crypto.FILETYPE_PEM, self.cert)

    def key_pem(self):
        return crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key)


class _Chain(typing.NamedTuple):
    ca: _Issued
    intermediate: _Issued
    leaf: _Issued

    def write_pem(self, directory):
        os.makedirs(directory, exist_ok=True)
        paths = {}
        for label in ("ca", "intermediate", "leaf"):
            issued = getattr(self, label)
            for suffix, data in (("", issued.pem()), ("_key", issued.key_pem())):
                path = os.path.join(directory, label + suffix + ".pem")
                with open(path, "wb") as f:
                    f.write(data)
                paths[label + suffix] = path
        path = os.path.join(directory, "chain.pem")
        with open(path, "wb") as f:
            f.write(self.leaf.pem() + self.intermediate.pem())
        paths["chain"] = path
        return paths


# ---- stdlib ssl as the peer --------------------------------------------------

def stdlib_server_context(paths, *, cafile=None, require_client_cert=False,
                          minimum=None, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths["chain"], paths["leaf_key"])
    if cafile is not None:
        ctx.load_verify_locations(cafile)
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


def stdlib_client_context(cafile, *, certfile=None, keyfile=None,
                          minimum=None, maximum=None, check_hostname=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check_hostname
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cafile)
    if certfile is not None:
        ctx.load_cert_chain(certfile, keyfile)
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


def echo(sslsock, server):
    """Echo what arrives until the client closes; then close cleanly."""
    while True:
        try:
            data = sslsock.recv(65536)
        except (ssl.SSLEOFError, ConnectionResetError):
            return
        if not data:
            break
        server.received.append(data)
        sslsock.sendall(data)
    try:
        sslsock.unwrap()
    except (OSError, ssl.SSLError):
        pass


class PeerThread:
    """A peer whose _run() goes on in a daemon thread from the start of a
    `with` block; leaving the block waits for it (at most TIMEOUT) and
    then calls _close()."""

    def __init__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        raise NotImplementedError

    def _close(self):
        pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(TIMEOUT)
        self._close()
        return False


class StdlibServer(PeerThread):
    """A stdlib ssl server in a thread, for `count` connections.

    handler(sslsock, server) runs for each connection once the handshake is
    done (echo by default).  raw_handler(sock, server), when given, gets the
    plain TCP socket instead and no handshake happens (to misbehave).
    The peer certificate the client presented, what arrived and any
    exception of the server side are kept in .peer_certs, .received,
    .errors.
    """

    def __init__(self, paths, *, handler=echo, raw_handler=None, count=1,
                 context=None, **context_args):
        super().__init__()
        self.context = context or stdlib_server_context(paths, **context_args)
        self.handler = handler
        self.raw_handler = raw_handler
        self.count = count
        self.peer_certs = []
        self.received = []
        self.errors = []
        self.versions = []
        self.listener = listener()
        self.address = self.listener.getsockname()
        self.port = self.address[1]

    def _run(self):
        for _ in range(self.count):
            try:
                sock, _ = self.listener.accept()
            except OSError as exc:
                self.errors.append(exc)
                return
            sock.settimeout(TIMEOUT)
            try:
                if self.raw_handler is not None:
                    self.raw_handler(sock, self)
                    continue
                with self.context.wrap_socket(sock, server_side=True) as s:
                    self.peer_certs.append(s.getpeercert(binary_form=True))
                    self.versions.append(s.version())
                    self.handler(s, self)
            except Exception as exc:  # reported through .errors
                self.errors.append(exc)
            finally:
                sock.close()

    def _close(self):
        self.listener.close()


class StdlibClient(PeerThread):
    """A stdlib ssl client in a thread: connects, sends `data`, reads until
    the server closes, and keeps what arrived in .received (or the
    exception in .error)."""

    def __init__(self, address, cafile, *, data=b"", server_hostname="localhost",
                 **context_args):
        super().__init__()
        self.context = stdlib_client_context(cafile, **context_args)
        self.address = address
        self.data = data
        self.server_hostname = server_hostname
        self.received = b""
        self.error = None
        self.version = None
        self.cipher = None

    def _run(self):
        try:
            with socket.create_connection(self.address, timeout=TIMEOUT) as raw:
                with self.context.wrap_socket(
                        raw, server_hostname=self.server_hostname) as s:
                    self.version = s.version()
                    self.cipher = s.cipher()
                    if self.data:
                        s.sendall(self.data)
                    while True:
                        try:
                            chunk = s.recv(65536)
                        except ssl.SSLEOFError:
                            break
                        if not chunk:
                            break
                        self.received += chunk
        except Exception as exc:  # reported through .error
            self.error = exc

    def join(self):
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "stdlib client did not finish"


# ---- the openssl command line tool as the peer ------------------------------

class OpenSSLServer:
    """`openssl s_server` on 127.0.0.1, for one connection by default.

    Extra s_server arguments go in `args`.  What it printed is in .output
    once the context is left.
    """

    def __init__(self, paths, *, args=(), naccept=1):
        self.cmd = [OPENSSL, "s_server", "-accept", "127.0.0.1:0",
                    "-naccept", str(naccept), "-cert", paths["leaf"],
                    "-key", paths["leaf_key"], "-cert_chain",
                    paths["intermediate"], *args]
        self.proc = None
        self.output = ""
        self.address = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self._lines = []
        self._ready = threading.Event()
        # A thread reads the output: select() on a buffered pipe would miss
        # lines already sitting in Python's buffer.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(TIMEOUT) or self.address is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)
            self._reader.join(TIMEOUT)
            raise RuntimeError("openssl s_server did not start: "
                               + "".join(self._lines))
        return self

    def _read(self):
        for line in self.proc.stdout:
            self._lines.append(line)
            match = re.match(r"ACCEPT (\S+):(\d+)", line)
            if match and self.address is None:
                self.address = ("127.0.0.1", int(match.group(2)))
                self._ready.set()
        self._ready.set()

    def __exit__(self, *exc):
        try:
            self.proc.stdin.close()
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(TIMEOUT)
        self._reader.join(TIMEOUT)
        self.output = "".join(self._lines)
        return False


def openssl_client(address, *, cafile=None, args=(), data=b"",
                   servername="localhost"):
    """Run `openssl s_client` against address with `data` on stdin; return
    the CompletedProcess (stdout and stderr together in .stdout)."""
    cmd = [OPENSSL, "s_client", "-connect", "%s:%d" % address,
           "-servername", servername, "-ign_eof"]
    if cafile is not None:
        cmd += ["-CAfile", cafile, "-verify_return_error"]
    cmd += list(args)
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=TIMEOUT)


def start_openssl_client(address, *, cafile=None, args=(),
                         servername="localhost"):
    """`openssl s_client` as a running process (stdin/stdout pipes, bytes):
    for tests that serve it with our own server."""
    cmd = [OPENSSL, "s_client", "-connect", "%s:%d" % address,
           "-servername", servername, "-ign_eof"]
    if cafile is not None:
        cmd += ["-CAfile", cafile, "-verify_return_error"]
    cmd += list(args)
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


# ---- our own Connections as both peers -------------------------------------

def bound(sock, seconds=TIMEOUT):
    """Keep `sock` blocking (as OpenSSL's socket BIO sees it) but make the
    kernel give up a read or write after `seconds`, so a test that goes
    wrong fails instead of hanging."""
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    return sock


def pump(a, b):
    """Move every pending byte between two memory-BIO Connections; return
    whether anything moved."""
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
    """Run the handshake of two Connections to completion, over memory BIOs
    (pumped here) or, with memory=False, over a transport_pair; an
    exception of either side propagates."""
    done = {id(client): False, id(server): False}
    for _ in range(rounds):
        for conn in (client, server):
            if done[id(conn)]:
                continue
            try:
                conn.do_handshake()
            except SSL.WantReadError:
                pass
            else:
                done[id(conn)] = True
        moved = pump(client, server) if memory else False
        if all(done.values()) and not moved:
            return
    raise AssertionError("handshake did not finish in %d rounds" % rounds)


# The name the memory-BIO handshake had before it served both transports.
handshake_memory = handshake


def exchange(sender, receiver, data, memory=True):
    """Send `data` one way and return what arrived."""
    sender.sendall(data)
    if memory:
        pump(sender, receiver)
    got = b""
    while len(got) < len(data):
        got += receiver.recv(65536)
    return got


def server_context(method=SSL.TLS_METHOD, paths=None):
    """A Context serving the leaf of pki_paths() with its chain."""
    paths = paths or pki_paths()
    ctx = SSL.Context(method)
    ctx.use_certificate_chain_file(paths["chain"])
    ctx.use_privatekey_file(paths["leaf_key"])
    return ctx


def client_context(method=SSL.TLS_METHOD, verify=True, paths=None):
    """A Context trusting the CA of pki_paths() (verify=True)."""
    paths = paths or pki_paths()
    ctx = SSL.Context(method)
    if verify:
        ctx.load_verify_locations(paths["ca"])
        ctx.set_verify(SSL.VERIFY_PEER, lambda conn, cert, err, depth, ok: ok)
    return ctx


def connection_pair(client_ctx, server_ctx, client_transport=None,
                    server_transport=None):
    """A client and a server Connection over the given transports (None:
    memory BIOs), not yet shaken."""
    server = SSL.Connection(server_ctx, server_transport)
    server.set_accept_state()
    client = SSL.Connection(client_ctx, client_transport)
    client.set_connect_state()
    return client, server


def memory_pair(client_ctx, server_ctx):
    """A client and a server Connection over memory BIOs, not yet shaken."""
    return connection_pair(client_ctx, server_ctx)


def socket_pair(client_ctx, server_ctx):
    """A client and a server Connection over a socketpair (blocking, with
    kernel timeouts: see bound)."""
    a, b = socket.socketpair()
    return connection_pair(client_ctx, server_ctx, bound(a), bound(b))


def handshake_sockets(client, server):
    """Handshake two blocking socket Connections, the server in a thread."""
    errors = []

    def serve():
        try:
            server.do_handshake()
        except Exception as exc:  # re-raised below
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client.do_handshake()
    finally:
        thread.join(TIMEOUT)
    if errors:
        raise errors[0]


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


class DatagramStream(SocketStream):
    """A connected UDP socket behind read()/write(): one datagram each."""

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
    return bound(sock)


def listener(kind=socket.SOCK_STREAM):
    """A socket bound to a free port of 127.0.0.1 (listening, for TCP)."""
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        sock.listen(16)
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


class InteractiveOpenSSLServer:
    """`openssl s_server` on 127.0.0.1 with the chain of pki_paths(),
    started at once: send() types into it, wait_for() reads its output."""

    def __init__(self, *args, cert=True, paths=None, naccept=1):
        paths = paths or pki_paths()
        cmd = [OPENSSL, "s_server", "-accept", "127.0.0.1:0",
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


def roundtrip_reversed(conn, text):
    """Send the line `text` to an `s_server -rev` and read until it comes
    back reversed (reading, on the way, what came first, such as TLS 1.3
    session tickets)."""
    conn.sendall(text + b"\n")
    got = b""
    while text[::-1] not in got:
        got += conn.recv(100)
    return got


def s_client(port, *args, stdin=b"", wait_for=None):
    """Run `openssl s_client` against 127.0.0.1:port; return its output.
    With wait_for, stdin is sent only once a line starting with it came
    from the server (so what arrived before it, such as TLS 1.3 tickets,
    has been processed)."""
    cmd = ["timeout", "20", OPENSSL, "s_client", "-connect",
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

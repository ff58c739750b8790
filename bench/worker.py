"""One implementation's side of the benchmark, run in its own process.

    python worker.py IMPL DATADIR

IMPL is ``ours`` or ``pyopenssl`` (both through the pyOpenSSL API, ``import
OpenSSL``: which package that is depends on the interpreter and PYTHONPATH the
harness gives) or ``stdlib`` (the ``ssl`` module, TLS workloads only).  The
worker reads one JSON request a line on stdin, ``{"wl": NAME, "seconds": S,
"param": P}``, runs that workload for at least S seconds and answers one JSON
line: ``{"units": U, "seconds": T}`` (rate = U / T), or ``{"na": reason}``
when the implementation cannot run it, or ``{"error": message}`` when the
workload did not do its work (every workload checks its own result).
"""

import gc
import json
import os
import socket
import sys
import threading
import time
import traceback
import warnings

warnings.simplefilter("ignore")

BIO_CHUNK = 65536  # every implementation passes this to bio_read
APP_CHUNK = 16384  # and this to recv

IMPL = sys.argv[1]
DATA = sys.argv[2]


# The clock a run is measured with: this thread's CPU time (steady on a shared
# machine) unless the request asks for wall time.  W8 and W9 always use wall time.
clock = time.thread_time


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


class NotAvailable(Exception):
    pass


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def linked_openssl():
    """The OpenSSL this process really runs on."""
    if IMPL == "stdlib":
        import ssl
        return ssl.OPENSSL_VERSION
    if IMPL == "pyopenssl":
        import OpenSSL
        from cryptography.hazmat.backends.openssl import backend
        version = backend.openssl_version_text()
        # Linked dynamically (a distribution's build) or bundled (the wheel)?
        import cryptography
        import glob
        import subprocess
        where = "bundled in cryptography's wheel"
        for so in glob.glob(os.path.join(os.path.dirname(cryptography.__file__),
                                         "hazmat", "bindings", "*.so")):
            out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if "libcrypto.so" in line and "=>" in line:
                    where = line.split("=>")[1].split()[0]
        
        return f"{version} ({where}; pyOpenSSL {OpenSSL.__version__})"
    import ctypes
    from OpenSSL import crypto  # noqa: F401  (loads libcrypto)
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "libcrypto.so" in line}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        lib.OpenSSL_version.restype = ctypes.c_char_p
        return lib.OpenSSL_version(0).decode() + " (" + path + ")"
    return "unknown"


# ---------------------------------------------------------------------------
# The pyOpenSSL API (ours and pyOpenSSL)
# ---------------------------------------------------------------------------

class PyOpenSSLAPI:
    def __init__(self):
        from OpenSSL import crypto
        self.crypto = crypto
        try:
            from OpenSSL import SSL
            SSL.Context, SSL.Connection, SSL.WantReadError  # noqa: B018
            self.SSL = SSL
        except (ImportError, AttributeError):
            self.SSL = None
        self.leaf_pem = data("leaf.pem")
        self.leaf = crypto.load_certificate(crypto.FILETYPE_PEM, self.leaf_pem)
        self.ec_key = crypto.load_privatekey(crypto.FILETYPE_PEM, data("ec-key.pem"))
        self.expect_digest = self.leaf.digest("sha256")
        self.ctxs = {}
        self.notes = {}

    # -- TLS ------------------------------------------------------------
    def need_ssl(self):
        if self.SSL is None:
            raise NotAvailable("no OpenSSL.SSL.Context/Connection in this build")

    def contexts(self, kind):
        self.need_ssl()
        if kind not in self.ctxs:
            SSL, crypto = self.SSL, self.crypto
            pair = []
            for server in (False, True):
                ctx = SSL.Context(SSL.TLS_METHOD)
                ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
                ctx.set_tmp_ecdh(crypto.get_elliptic_curve("prime256v1"))
                if server:
                    ctx.use_certificate(crypto.load_certificate(
                        crypto.FILETYPE_PEM, data(kind + "-cert.pem")))
                    ctx.use_privatekey(crypto.load_privatekey(
                        crypto.FILETYPE_PEM, data(kind + "-key.pem")))
                ctx.set_verify(SSL.VERIFY_NONE)
                pair.append(ctx)
            self.ctxs[kind] = pair
        return self.ctxs[kind]

    def check_session(self, conn):
        version = conn.get_protocol_version_name()
        cipher = conn.get_cipher_name()
        group = conn.get_group_name() if hasattr(conn, "get_group_name") else "prime256v1"
        if (version != "TLSv1.3" or cipher != "TLS_AES_256_GCM_SHA384"
                or group not in ("prime256v1", "secp256r1", "P-256")):
            raise AssertionError(f"negotiated {version} {cipher} {group}")

    def mem_pair(self, kind):
        SSL = self.SSL
        cctx, sctx = self.contexts(kind)
        client = SSL.Connection(cctx, None)
        client.set_connect_state()
        server = SSL.Connection(sctx, None)
        server.set_accept_state()
        return client, server

    def mem_handshake(self, client, server):
        WantReadError = self.SSL.WantReadError

        def move(source, sink):
            try:
                sink.bio_write(source.bio_read(BIO_CHUNK))
            except WantReadError:
                pass

        handshake_loop(client.do_handshake, server.do_handshake,
                       lambda: move(client, server), lambda: move(server, client),
                       WantReadError)

    def handshake(self, kind, check):
        client, server = self.mem_pair(kind)
        self.mem_handshake(client, server)
        if check:
            self.check_session(client)

    def stream(self, total, chunk):
        """Returns the seconds spent moving total bytes (handshake excluded)."""
        client, server = self.mem_pair("ec")
        self.mem_handshake(client, server)
        return stream_loop(client.send, client.bio_read, server.bio_write,
                           server.recv, total, chunk)

    def tcp_server_side(self, sock, bulk, amount):
        SSL = self.SSL
        conn = SSL.Connection(self.contexts("ec")[1], sock)
        conn.set_accept_state()
        conn.do_handshake()
        tcp_server_loop(conn.sendall, conn.recv, bulk, amount)

    def tcp_client_side(self, sock, bulk, amount):
        SSL = self.SSL
        conn = SSL.Connection(self.contexts("ec")[0], sock)
        conn.set_connect_state()
        conn.do_handshake()
        self.check_session(conn)
        return tcp_client_loop(conn.sendall, conn.recv, bulk, amount)

    # -- certificates ----------------------------------------------------
    def w4(self):
        self.crypto.load_certificate(self.crypto.FILETYPE_PEM, self.leaf_pem)

    def w4b(self):
        pem = self.crypto.dump_certificate(self.crypto.FILETYPE_PEM, self.leaf)
        if pem != self.leaf_pem:
            raise AssertionError("dump != load")

    def w5(self, cert=None):
        cert = cert or self.leaf
        cn = cert.get_subject().CN
        issuer = cert.get_issuer().get_components()
        not_after = cert.get_notAfter()
        serial = cert.get_serial_number()
        digest = cert.digest("sha256")
        if hasattr(cert, "get_extension"):
            count = cert.get_extension_count()
            exts = [(e.get_short_name(), str(e))
                    for e in (cert.get_extension(i) for i in range(count))]
        else:
            # pyOpenSSL >= 26.2 has no way left to read an extension; its users
            # are sent to cryptography.
            self.notes["W5"] = "extensions through to_cryptography() (pyOpenSSL >= 26.2 has no get_extension)"
            exts = [(e.oid.dotted_string, repr(e.value))
                    for e in cert.to_cryptography().extensions]
        if (cn != "bench.example.com" or len(issuer) != 3 or len(not_after) != 15
                or serial != 0x3a1f5c7e9b2d4f60718293a4b5c6d7e8
                or digest != self.expect_digest or len(exts) != 6
                or not all(value for _, value in exts)):
            raise AssertionError("accessors gave wrong values")

    def w6(self):
        crypto = self.crypto
        if not hasattr(crypto, "X509Extension"):
            return self.w6_cryptography()
        cert = crypto.X509()
        cert.set_version(2)
        cert.set_serial_number(0x1234567)
        subject = cert.get_subject()  # a view: setting CN changes the certificate
        subject.CN = "signed.example.com"
        cert.set_issuer(subject)
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(30 * 24 * 3600)
        cert.set_pubkey(self.ec_key)
        cert.add_extensions([
            crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE"),
            crypto.X509Extension(b"keyUsage", True, b"digitalSignature"),
            crypto.X509Extension(b"subjectAltName", False,
                                 b"DNS:signed.example.com,DNS:www.example.com"),
        ])
        cert.sign(self.ec_key, "sha256")
        if (cert.get_extension_count() != 3 or cert.get_subject().CN != "signed.example.com"
                or cert.get_issuer().CN != "signed.example.com"):
            raise AssertionError("certificate incomplete")

    def w6_cryptography(self):
        # pyOpenSSL >= 26.2 cannot add an extension; its users build with
        # cryptography.x509 and the key it converts to.
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID
        self.notes["W6"] = "built with cryptography.x509 (pyOpenSSL >= 26.2 has no X509Extension)"
        key = self.ec_key.to_cryptography_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signed.example.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name)
                .serial_number(0x1234567)
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                .public_key(key.public_key())
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False,
                                             False, False, False), True)
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName("signed.example.com"), x509.DNSName("www.example.com")]), False)
                .sign(key, hashes.SHA256()))
        if len(cert.extensions) != 3:
            raise AssertionError("extensions missing")

    def w7(self, kind):
        crypto = self.crypto
        if kind == "rsa":
            key = crypto.PKey()
            key.generate_key(crypto.TYPE_RSA, 2048)
        else:
            try:
                key = crypto.PKey()
                key.generate_key(crypto.TYPE_EC, "prime256v1")
            except (crypto.Error, TypeError, ValueError):
                # pyOpenSSL's generate_key knows only RSA and DSA.
                from cryptography.hazmat.primitives.asymmetric import ec
                self.notes["W7-ec"] = "from_cryptography_key(ec.generate_private_key()) (pyOpenSSL's generate_key has no EC)"
                key = crypto.PKey.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))
        if key.bits() != (2048 if kind == "rsa" else 256):
            raise AssertionError("wrong key size")

    def mem_cert(self):
        self.w5(self.crypto.load_certificate(self.crypto.FILETYPE_PEM, self.leaf_pem))


# ---------------------------------------------------------------------------
# The stdlib ssl module (TLS workloads only)
# ---------------------------------------------------------------------------

class StdlibAPI:
    def __init__(self):
        import ssl
        self.ssl = ssl
        self.ctxs = {}
        self.notes = {}

    def contexts(self, kind):
        ssl = self.ssl
        if kind not in self.ctxs:
            cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cctx.check_hostname = False
            cctx.verify_mode = ssl.CERT_NONE
            sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            sctx.load_cert_chain(os.path.join(DATA, kind + "-cert.pem"),
                                 os.path.join(DATA, kind + "-key.pem"))
            for ctx in (cctx, sctx):
                ctx.minimum_version = ssl.TLSVersion.TLSv1_3
                ctx.set_ecdh_curve("prime256v1")
            self.ctxs[kind] = (cctx, sctx)
        return self.ctxs[kind]

    def check_session(self, obj):
        version, cipher = obj.version(), obj.cipher()[0]
        if version != "TLSv1.3" or cipher != "TLS_AES_256_GCM_SHA384":
            raise AssertionError(f"negotiated {version} {cipher}")

    def mem_pair(self, kind):
        ssl = self.ssl
        cctx, sctx = self.contexts(kind)
        cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
        client = cctx.wrap_bio(cin, cout, server_side=False)
        server = sctx.wrap_bio(sin, sout, server_side=True)
        return (client, cin, cout), (server, sin, sout)

    def mem_handshake(self, c, s):
        (client, cin, cout), (server, sin, sout) = c, s

        def move(source, sink):
            if source.pending:
                sink.write(source.read(BIO_CHUNK))

        handshake_loop(client.do_handshake, server.do_handshake,
                       lambda: move(cout, sin), lambda: move(sout, cin),
                       self.ssl.SSLWantReadError)

    def handshake(self, kind, check):
        c, s = self.mem_pair(kind)
        self.mem_handshake(c, s)
        if check:
            self.check_session(c[0])

    def stream(self, total, chunk):
        c, s = self.mem_pair("ec")
        self.mem_handshake(c, s)
        return stream_loop(c[0].write, c[2].read, s[1].write, s[0].read,
                           total, chunk)

    def tcp_server_side(self, sock, bulk, amount):
        conn = self.contexts("ec")[1].wrap_socket(sock, server_side=True)
        tcp_server_loop(conn.sendall, conn.recv, bulk, amount)

    def tcp_client_side(self, sock, bulk, amount):
        conn = self.contexts("ec")[0].wrap_socket(sock)
        self.check_session(conn)
        return tcp_client_loop(conn.sendall, conn.recv, bulk, amount)

    def _na(self, *args):
        raise NotAvailable("the ssl module has no certificate API")

    w4 = w4b = w5 = w6 = w7 = mem_cert = _na


# ---------------------------------------------------------------------------
# Shared drivers
# ---------------------------------------------------------------------------

def handshake_loop(client_step, server_step, client_to_server,
                   server_to_client, want_read):
    """W1: drive both sides of a memory-BIO handshake to the end."""
    c_done = s_done = False
    rounds = 0
    while not (c_done and s_done):
        rounds += 1
        if rounds > 10:
            raise AssertionError("handshake did not finish")
        if not c_done:
            try:
                client_step()
                c_done = True
            except want_read:
                pass
        client_to_server()
        if not s_done:
            try:
                server_step()
                s_done = True
            except want_read:
                pass
        server_to_client()


def stream_loop(send, bio_read, bio_write, recv, total, chunk):
    """W2/W3: total bytes from client to server in chunk-sized writes over
    memory BIOs; returns the seconds spent (handshake excluded)."""
    payload = bytes((i * 7 + 3) & 255 for i in range(chunk))
    sent = received = 0
    got = b""
    t0 = clock()
    while sent < total:
        send(payload)
        sent += chunk
        bio_write(bio_read(BIO_CHUNK))
        got = recv(APP_CHUNK)
        while len(got) < chunk:
            got += recv(APP_CHUNK)
        received += len(got)
    seconds = clock() - t0
    if received != sent or got != payload:
        raise AssertionError("bytes in != bytes out")
    return seconds


def tcp_server_loop(sendall, recv, bulk, amount):
    if bulk:
        got = 0
        while got < amount:
            got += len(recv(APP_CHUNK))
        sendall(b"k")
    else:
        for _ in range(amount):
            buf = recv(1024)
            while len(buf) < 1024:
                buf += recv(1024 - len(buf))
            sendall(buf)


def tcp_client_loop(sendall, recv, bulk, amount):
    payload = bytes((i * 13 + 1) & 255 for i in range(APP_CHUNK))
    t0 = time.perf_counter()
    if bulk:
        for _ in range(0, amount, APP_CHUNK):
            sendall(payload)
        if recv(1) != b"k":
            raise AssertionError("no acknowledgement")
    else:
        msg = payload[:1024]
        for _ in range(amount):
            sendall(msg)
            back = recv(1024)
            while len(back) < 1024:
                back += recv(1024 - len(back))
            if back != msg:
                raise AssertionError("echo differs")
    return time.perf_counter() - t0


def tcp_exchange(api, bulk, amount):
    """The server is a forked child of this worker; returns the client's
    seconds for the exchange, the handshake not counted."""
    api.contexts("ec")  # NotAvailable before anything forks
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(30)
    address = listener.getsockname()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            sock, _ = listener.accept()
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            api.tcp_server_side(sock, bulk, amount)
            sock.close()
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    listener.close()
    sock = socket.create_connection(address, timeout=30)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        seconds = api.tcp_client_side(sock, bulk, amount)
    finally:
        sock.close()
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise AssertionError("server side failed")
    return seconds


def handshake_rate(api, threads, seconds):
    """W1-ecdsa handshakes in `threads` threads at once: the summed rate."""
    results = []
    errors = []

    def loop():
        try:
            n = 0
            t0 = time.perf_counter()
            while True:
                api.handshake("ec", n == 0)
                n += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= seconds:
                    break
            results.append(n / elapsed)
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if errors:
        raise errors[0]
    return sum(results)


def run(api, wl, seconds, param):
    """Runs one workload for at least `seconds`; returns (units, seconds)."""
    if wl == "W9":
        api.handshake("ec", True)  # NotAvailable before any thread starts
        one = handshake_rate(api, 1, seconds / 2)
        two = handshake_rate(api, 2, seconds / 2)
        return {"units": two / one, "seconds": 1.0, "rate1": one, "rate2": two}
    if wl.startswith("mem-"):
        iterations = param or 100000
        warm = max(iterations // 100, 1)
        op = (api.mem_cert if wl == "mem-cert"
              else lambda: api.handshake("ec", False))
        for _ in range(warm):
            op()
        gc.collect()
        before = rss_kib()
        for _ in range(iterations):
            op()
        gc.collect()
        return {"rss_before_kib": before, "rss_after_kib": rss_kib(),
                "iterations": iterations}

    simple = {
        "W1-ecdsa": lambda check: api.handshake("ec", check),
        "W1-rsa": lambda check: api.handshake("rsa", check),
        "W4": lambda check: api.w4(),
        "W4b": lambda check: api.w4b(),
        "W5": lambda check: api.w5(),
        "W6": lambda check: api.w6(),
        "W7-rsa": lambda check: api.w7("rsa"),
        "W7-ec": lambda check: api.w7("ec"),
    }
    measured = {
        "W2": lambda: (param, api.stream(param, APP_CHUNK)),
        "W3": lambda: (param, api.stream(param * 64, 64)),
        "W8-rtt": lambda: (param, tcp_exchange(api, False, param)),
        "W8-bulk": lambda: (param, tcp_exchange(api, True, param)),
    }
    units = spent = 0.0
    t0 = time.perf_counter()
    if wl in simple:
        op = simple[wl]
        op(True)  # checks the session / result, and raises NotAvailable early
        units, t1, w1 = 0, clock(), time.perf_counter()
        while True:
            # Batches keep the clock out of the fast workloads.
            for _ in range(8):
                op(False)
            units += 8
            if time.perf_counter() - w1 >= seconds:
                break
        spent = clock() - t1
    elif wl in measured:
        while True:
            n, s = measured[wl]()
            units += n
            spent += s
            if time.perf_counter() - t0 >= seconds:
                break
    else:
        raise ValueError(f"unknown workload {wl}")
    return {"units": units, "seconds": spent}


def main():
    global clock
    api = StdlibAPI() if IMPL == "stdlib" else PyOpenSSLAPI()
    print(json.dumps({"openssl": linked_openssl()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        clock = time.perf_counter if req.get("clock") == "wall" else time.thread_time
        try:
            answer = run(api, req["wl"], req["seconds"], req.get("param", 0))
            note = api.notes.get(req["wl"])
            if note:
                answer["note"] = note
        except NotAvailable as e:
            answer = {"na": str(e)}
        except Exception as e:
            answer = {"error": f"{type(e).__name__}: {e}",
                      "traceback": traceback.format_exc()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()

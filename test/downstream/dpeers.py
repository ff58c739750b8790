"""Real TLS peers on 127.0.0.1 for the downstream tests: the stdlib `ssl`
module in a thread, as an echo server or an HTTPS server.

Every socket has a bounded timeout, and the server threads poll for their
stop flag, so a broken peer fails a test instead of hanging it.
"""
import hashlib
import http.server
import json
import urllib.parse
import socket
import ssl
import struct
import threading

TIMEOUT = 15.0


def bounded_blocking(sock):
    """Make `sock` blocking for OpenSSL.SSL.Connection (a Python timeout makes
    the descriptor non-blocking, and Connection then raises WantReadError),
    with kernel timeouts so a silent peer still cannot hang a test."""
    sock.settimeout(None)
    limit = struct.pack("ll", int(TIMEOUT), 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
    return sock


def connect(port):
    """A blocking TCP socket to 127.0.0.1:port, for an SSL.Connection."""
    return bounded_blocking(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT))


def server_context(cert_path, key_path, client_ca=None, alpn=None):
    """A stdlib server context; with `client_ca` it requires a client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def client_context(ca_path, cert_path=None, key_path=None):
    """A stdlib client context that verifies the server against `ca_path`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca_path)
    if cert_path:
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


def _common_name(peercert):
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


class EchoServer:
    """A stdlib TLS server: each connection is handshaken and echoed until EOF.

    `errors` collects the server-side failures (a client that rejects our
    certificate shows up here), `peers` the client certificates' common names,
    `alpn` the negotiated protocols, `server_names` the SNI names received.
    """

    def __init__(self, context):
        self.context = context
        self.errors = []
        self.peers = []
        self.alpn = []
        self.server_names = []
        self.context.sni_callback = self._sni
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sni(self, sslobj, name, ctx):
        self.server_names.append(name)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conn.settimeout(TIMEOUT)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.peers.append(_common_name(tls.getpeercert()))
                    self.alpn.append(tls.selected_alpn_protocol())
                    while True:
                        data = tls.recv(65536)
                        if not data:
                            break
                        tls.sendall(data)
            except (OSError, ssl.SSLError) as e:
                self.errors.append(e)
            finally:
                conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(TIMEOUT)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    timeout = TIMEOUT

    def _send(self, body, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        """Answer with the SHA-256 of the request body."""
        length = int(self.headers["Content-Length"])
        digest = hashlib.sha256(self.rfile.read(length)).hexdigest()
        self._send(json.dumps({"sha256": digest, "length": length}).encode())

    def do_GET(self):
        # The handshake was deferred to this thread (do_handshake_on_connect
        # is off); reading the request line already completed it.
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/big":
            n = int(urllib.parse.parse_qs(url.query)["n"][0])
            self._send(bytes(range(256)) * (n // 256), "application/octet-stream")
            return
        body = json.dumps({
            "path": self.path,
            "client": _common_name(self.connection.getpeercert()),
            "version": self.connection.version(),
        }).encode()
        self._send(body)

    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that rejects the certificate aborts the handshake; that is
        # the expected outcome of several tests, not a server fault.
        pass


class HTTPSServer:
    """A stdlib HTTPS server on 127.0.0.1.  GET answers with JSON (the path,
    the client certificate's common name, the TLS version), GET /big?n=N with
    N bytes (a multiple of 256), POST with the body's SHA-256 and length."""

    def __init__(self, context):
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.socket = context.wrap_socket(
            self.httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

"""TLS fuzz targets: a server and a client Connection over memory BIOs fed
the fuzzer's bytes with bio_write, during the handshake and after it.

The input is a list of length-prefixed chunks (see targets.fields); each
chunk is one bio_write, after which the Connection is driven (handshake,
recv) and its output drained with bio_read.  Every callback the contexts
have (verify, info, and servername/ALPN/keylog where the package has them)
is installed, so their paths run on hostile input too.  The only exception
allowed out is SSL.Error and its subclasses.
"""
import os
import sys
import tempfile

from OpenSSL import SSL, crypto

HERE = os.path.dirname(os.path.abspath(__file__))
TEST = os.path.join(os.path.dirname(HERE), "test")
if TEST not in sys.path:
    sys.path.append(TEST)

import pki  # noqa: E402

_state = {}


def _callbacks(ctx, seen):
    """Callbacks that read their arguments and count (a count, so a long
    run does not grow)."""
    def info(conn, where, ret):
        seen["info"] = seen.get("info", 0) + 1
        conn.get_state_string()

    def keylog(conn, line):
        seen["keylog"] = seen.get("keylog", 0) + len(line)
    ctx.set_info_callback(info)
    if hasattr(ctx, "set_keylog_callback"):
        ctx.set_keylog_callback(keylog)


def contexts():
    """(server context, client context), made once: an EC chain, the
    server asking for an optional client certificate, the client verifying."""
    if not _state:
        chain = pki.make_chain("ec", san=["localhost"])
        seen = {}
        server = SSL.Context(SSL.TLS_METHOD)
        server.use_certificate(chain.leaf.cert)
        server.use_privatekey(chain.leaf.key)
        server.add_extra_chain_cert(chain.intermediate.cert)
        server.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: True)
        _callbacks(server, seen)
        if hasattr(server, "set_tlsext_servername_callback"):
            server.set_tlsext_servername_callback(lambda conn: conn.get_servername())
        if hasattr(server, "set_alpn_select_callback"):
            server.set_alpn_select_callback(
                lambda conn, protos: protos[0] if protos else b"")
        paths = chain.write_pem(tempfile.mkdtemp(prefix="ossl-fuzz-"))
        clients = {}
        for version in (None, SSL.TLS1_2_VERSION):
            client = SSL.Context(SSL.TLS_METHOD)
            if version is not None:
                client.set_max_proto_version(version)
            client.load_verify_locations(paths["ca"])
            # accepts any chain: the seeds were made with another process's CA
            client.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: True)
            client.use_certificate(chain.leaf.cert)
            client.use_privatekey(chain.leaf.key)
            _callbacks(client, seen)
            if hasattr(client, "set_alpn_protos"):
                client.set_alpn_protos([b"h2", b"http/1.1"])
            clients[version] = client
        client = clients[None]
        _state.update(server=server, client=client, clients=clients, seen=seen,
                      chain=chain)
    return _state["server"], _state["client"]


def drain(conn):
    out = []
    while True:
        try:
            data = conn.bio_read(65536)
        except SSL.WantReadError:
            break
        if not data:
            break
        out.append(data)
    return b"".join(out)


def step(conn):
    """Drive `conn` once: the handshake while it runs, then a read."""
    try:
        conn.do_handshake()
    except SSL.WantReadError:
        return drain(conn)
    try:
        conn.recv(16384)
    except SSL.WantReadError:
        pass
    return drain(conn)


def look_at(conn):
    """What an application reads off a Connection, valid or not."""
    conn.get_state_string()
    conn.get_cipher_name()
    conn.get_protocol_version_name()
    conn.get_peer_certificate()
    conn.get_peer_cert_chain()
    conn.pending()
    if hasattr(conn, "get_alpn_proto_negotiated"):
        conn.get_alpn_proto_negotiated()
    conn.get_servername()


def new_server():
    server, _ = contexts()
    conn = SSL.Connection(server, None)
    conn.set_accept_state()
    return conn


def new_client(version=None):
    contexts()
    conn = SSL.Connection(_state["clients"][version], None)
    conn.set_connect_state()
    conn.set_tlsext_host_name(b"localhost")
    return conn


def feed(conn, chunks):
    try:
        for chunk in chunks[:32]:
            conn.bio_write(chunk)
            step(conn)
        conn.bio_shutdown()
        step(conn)
    finally:
        look_at(conn)


def handshake(client, server):
    """A real handshake over memory BIOs; returns each side's output."""
    client_out, server_out = [], []
    for _ in range(20):
        data = step(client)
        client_out.append(data)
        if data:
            server.bio_write(data)
        data = step(server)
        server_out.append(data)
        if data:
            client.bio_write(data)
        if (client.get_state_string() == server.get_state_string()
                and b"SSL negotiation finished" in client.get_state_string()):
            break
    return [c for c in client_out if c], [s for s in server_out if s]


class ChunkTransport:
    """A Python-object transport that hands out the fuzzer's chunks, one a
    read() (cut to n), then None (would block) once; b"" after the last."""
    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.written = 0
        self.idle = False

    def read(self, n):
        if self.idle:
            self.idle = False
            return None
        if not self.chunks:
            return b""
        chunk = self.chunks.pop(0)
        if len(chunk) > n:
            self.chunks.insert(0, chunk[n:])
            chunk = chunk[:n]
        self.idle = True
        return chunk

    def write(self, data):
        self.written += len(data)
        return len(data)


def has_object_transport():
    server, _ = contexts()
    try:
        SSL.Connection(server, ChunkTransport([]))
    except TypeError:
        return False
    return True


def register(target, fields):
    if has_object_transport():
        @target("ssl_server_object_transport", allowed=(SSL.Error,))
        def fuzz_ssl_server_object(data):
            """A server Connection whose Python-object transport's read()
            returns the fuzzer's chunks."""
            server, _ = contexts()
            conn = SSL.Connection(server, ChunkTransport(fields(data)[:64]))
            conn.set_accept_state()
            try:
                for _ in range(200):
                    try:
                        conn.do_handshake()
                        conn.recv(16384)
                    except SSL.WantReadError:
                        continue
            finally:
                look_at(conn)

    @target("ssl_server", allowed=(SSL.Error,))
    def fuzz_ssl_server(data):
        """A server Connection fed a client's bytes."""
        feed(new_server(), fields(data))

    @target("ssl_client", allowed=(SSL.Error,))
    def fuzz_ssl_client(data):
        """A client Connection (its ClientHello sent) fed a server's bytes;
        an odd first byte makes it a TLS 1.2 client (whose server flight
        arrives in the clear: certificate parsing and verify callback)."""
        conn = new_client(SSL.TLS1_2_VERSION if data[:1] and data[0] & 1 else None)
        step(conn)
        feed(conn, fields(data[1:]))

    @target("ssl_after_handshake", allowed=(SSL.Error,))
    def fuzz_ssl_after_handshake(data):
        """A finished handshake, then the fuzzer's bytes as records to the
        server (even first byte) or the client (odd), then the two sides try
        to go on talking."""
        client, server = new_client(), new_server()
        handshake(client, server)
        victim = server if not data or data[0] % 2 == 0 else client
        try:
            feed(victim, fields(data[1:]))
        finally:
            try:
                client.send(b"after")
                server.bio_write(drain(client))
                server.recv(100)
            except SSL.Error:
                pass


def seeds():
    """Transcripts of real handshakes between the package's own client and
    server, TLS 1.3 and 1.2, as the chunks each side wrote."""
    from targets import _recipe_chunks
    out = {"ssl_server": [], "ssl_client": [], "ssl_after_handshake": []}
    if has_object_transport():
        out["ssl_server_object_transport"] = out["ssl_server"]
    for version in (None, SSL.TLS1_2_VERSION):
        client, server = new_client(version), new_server()
        client_chunks, server_chunks = handshake(client, server)
        out["ssl_server"].append(_recipe_chunks(client_chunks))
        out["ssl_client"].append(bytes([version is not None])
                                 + _recipe_chunks(server_chunks))
        for n in range(1, len(client_chunks) + 1):
            out["ssl_server"].append(_recipe_chunks(client_chunks[:n]))
        try:
            client.send(b"hello records")
            server.send(b"and back")
        except SSL.Error:
            pass
        out["ssl_after_handshake"].append(b"\x00" + _recipe_chunks([drain(client)]))
        out["ssl_after_handshake"].append(b"\x01" + _recipe_chunks([drain(server)]))
    return out

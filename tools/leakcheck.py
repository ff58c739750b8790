"""Leak check: every public operation repeated N times, resident memory flat.

    python tools/leakcheck.py                  # N = 100,000 (the full run)
    python tools/leakcheck.py --quick          # N = 2,000 (CI)
    python tools/leakcheck.py -n 500 --only cert   # a subset, by substring
    python tools/leakcheck.py --list

For each operation: run it N/10 times (at least 200) to warm up (caches, free lists, the
allocator's arenas), take the resident set size, run it N more times, take
it again.  The growth over those N must stay under --bound KiB (default
1024 KiB: a leak of 11 bytes an iteration over 100,000 iterations fails).
Expensive operations (key generation, PBKDF2 decryption, RSA signing) run
N/`cost` times, and their line says so.  Exits 1 when any operation grows
past the bound or raises what it should not.

Under valgrind (`make valgrind`) a small N is used and the growth bound is
not checked (valgrind's own allocator moves RSS); valgrind's leak report is
what counts there.
"""
import argparse
import gc
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (os.path.join(ROOT, "test"), ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

from OpenSSL import crypto  # noqa: E402

import pki  # noqa: E402

PEM, DER, TEXT = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1, crypto.FILETYPE_TEXT
PAGE = os.sysconf("SC_PAGE_SIZE")

OPERATIONS = []  # (name, cost, func)


def operation(name, cost=1):
    def register(func):
        OPERATIONS.append((name, cost, func))
        return func
    return register


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE // 1024


def raises(exc, func, *args, **kwargs):
    try:
        func(*args, **kwargs)
    except exc:
        return
    raise AssertionError(f"{func.__name__} did not raise {exc.__name__}")


# -- fixtures, made once --------------------------------------------------------

class Fixtures:
    def __init__(self):
        self.chain = pki.make_chain("ec", san=["localhost", "127.0.0.1"])
        self.ec = self.chain.leaf.key
        self.rsa = pki.make_key("rsa1024")
        self.ed = pki.make_key("ed25519")
        self.cert = self.chain.leaf.cert
        self.cert_pem = crypto.dump_certificate(PEM, self.cert)
        self.cert_der = crypto.dump_certificate(DER, self.cert)
        self.key_pem = crypto.dump_privatekey(PEM, self.ec)
        self.key_der = crypto.dump_privatekey(DER, self.ec)
        self.key_enc = crypto.dump_privatekey(PEM, self.ec, "aes-128-cbc", b"secret")
        self.pub_pem = crypto.dump_publickey(PEM, self.ec)
        self.pub_der = crypto.dump_publickey(DER, self.ec)
        req = crypto.X509Req()
        req.get_subject().CN = "leak"
        req.set_pubkey(self.ec)
        req.add_extensions([crypto.X509Extension(b"subjectAltName", False,
                                                 b"DNS:leak.example")])
        req.sign(self.ec, "sha256")
        self.req = req
        self.req_pem = crypto.dump_certificate_request(PEM, req)
        self.req_der = crypto.dump_certificate_request(DER, req)
        self.garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"


F = None


# -- crypto: loading and dumping ------------------------------------------------

@operation("load_certificate PEM + DER")
def _():
    crypto.load_certificate(PEM, F.cert_pem)
    crypto.load_certificate(DER, F.cert_der)


@operation("dump_certificate PEM + DER + TEXT")
def _():
    crypto.dump_certificate(PEM, F.cert)
    crypto.dump_certificate(DER, F.cert)
    crypto.dump_certificate(TEXT, F.cert)


@operation("X509 getters")
def _():
    c = F.cert
    c.get_subject().get_components()
    c.get_issuer().der()
    c.get_serial_number()
    c.get_notBefore()
    c.get_notAfter()
    c.has_expired()
    c.get_signature_algorithm()
    c.digest("sha256")
    c.subject_name_hash()
    c.get_pubkey()
    for i in range(c.get_extension_count()):
        ext = c.get_extension(i)
        str(ext)
        ext.get_data()
        ext.get_short_name()


@operation("load/dump privatekey PEM + DER")
def _():
    crypto.dump_privatekey(PEM, crypto.load_privatekey(PEM, F.key_pem))
    crypto.dump_privatekey(DER, crypto.load_privatekey(DER, F.key_der))


@operation("load privatekey with passphrase (bytes, callback)", cost=20)
def _():
    crypto.load_privatekey(PEM, F.key_enc, b"secret")
    crypto.load_privatekey(PEM, F.key_enc, lambda *args: b"secret")


@operation("dump privatekey encrypted", cost=20)
def _():
    crypto.dump_privatekey(PEM, F.ec, "aes-256-cbc", b"secret")


@operation("load/dump publickey PEM + DER")
def _():
    crypto.dump_publickey(PEM, crypto.load_publickey(PEM, F.pub_pem))
    crypto.dump_publickey(DER, crypto.load_publickey(DER, F.pub_der))


@operation("load/dump certificate request")
def _():
    r = crypto.load_certificate_request(PEM, F.req_pem)
    crypto.load_certificate_request(DER, F.req_der)
    crypto.dump_certificate_request(PEM, r)
    crypto.dump_certificate_request(TEXT, r)
    r.get_extensions()
    r.get_subject().CN
    r.verify(r.get_pubkey())


# -- crypto: building and signing --------------------------------------------------

@operation("generate EC key", cost=5)
def _():
    k = crypto.PKey()
    k.generate_key(crypto.TYPE_EC, "prime256v1")
    k.check()


@operation("generate RSA-1024 key", cost=200)
def _():
    crypto.PKey().generate_key(crypto.TYPE_RSA, 1024)


@operation("build and sign a certificate (EC)", cost=5)
def _():
    pki.make_cert("leak.example", F.ec, (F.chain.ca.cert, F.chain.ca.key),
                  san=["leak.example", "10.0.0.1"])


@operation("sign/verify data (RSA, Ed25519)", cost=5)
def _():
    sig = crypto.sign(F.rsa, b"data", "sha256")
    cert = pki.make_cert("x", F.rsa) if not hasattr(F, "rsa_cert") else F.rsa_cert
    F.rsa_cert = cert
    crypto.verify(cert, sig, b"data", "sha256")


@operation("X509Name set/get/compare/copy")
def _():
    n = crypto.X509().get_subject()
    n.CN = "leak"
    n.O = "Ö org"
    n.emailAddress = "a@b.example"
    crypto.X509Name(n) == n  # noqa: B015
    n.get_components()
    n.hash()
    str(n)


@operation("X509Extension create (SAN, basicConstraints, SKI with subject)")
def _():
    crypto.X509Extension(b"subjectAltName", False, b"DNS:a.example, IP:10.0.0.1")
    crypto.X509Extension(b"basicConstraints", True, b"CA:TRUE, pathlen:0")
    crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash", subject=F.cert)


@operation("X509Req build and sign", cost=5)
def _():
    r = crypto.X509Req()
    r.get_subject().CN = "r"
    r.set_pubkey(F.ec)
    r.add_extensions([crypto.X509Extension(b"basicConstraints", False, b"CA:FALSE")])
    r.sign(F.ec, "sha256")


@operation("cryptography conversions")
def _():
    crypto.X509.from_cryptography(F.cert.to_cryptography())
    crypto.PKey.from_cryptography_key(F.ec.to_cryptography_key())
    crypto.X509Req.from_cryptography(F.req.to_cryptography())


# -- crypto: every error path ---------------------------------------------------------

@operation("errors: garbage certificate, key, request, public key")
def _():
    raises(crypto.Error, crypto.load_certificate, PEM, F.garbage)
    raises(crypto.Error, crypto.load_certificate, DER, b"\x30\x82\x01")
    raises(crypto.Error, crypto.load_privatekey, PEM, F.garbage)
    raises(crypto.Error, crypto.load_publickey, DER, b"\x30\x03\x02\x01\x01")
    raises(crypto.Error, crypto.load_certificate_request, PEM, F.garbage)


@operation("errors: wrong passphrase, raising callback, oversized", cost=10)
def _():
    raises(crypto.Error, crypto.load_privatekey, PEM, F.key_enc, b"wrong")

    def boom(*args):
        raise KeyError("from callback")
    raises(KeyError, crypto.load_privatekey, PEM, F.key_enc, boom)
    raises((crypto.Error, ValueError), crypto.load_privatekey, PEM, F.key_enc,
           lambda *args: b"x" * 100000)
    raises((crypto.Error, TypeError), crypto.load_privatekey, PEM, F.key_enc,
           lambda *args: 42)


@operation("errors: bad arguments (types, digest, extension, name)")
def _():
    raises(TypeError, crypto.load_certificate, PEM, 42)
    raises(ValueError, crypto.load_certificate, 99, F.cert_pem)
    raises(ValueError, F.cert.digest, "no-such-digest")
    raises(crypto.Error, crypto.X509Extension, b"noSuchExtension", False, b"x")
    raises(crypto.Error, crypto.X509Extension, b"subjectAltName", False, b"junk")
    raises(AttributeError, setattr, crypto.X509().get_subject(), "nosuchattr", "x")
    raises(TypeError, F.cert.set_pubkey, "not a key")
    raises(IndexError, F.cert.get_extension, 1000)


# -- verification, CRL, PKCS#12, PKCS#7, SPKI: present once they land ------------

if hasattr(crypto, "X509StoreContext"):
    @operation("verify a chain (success) with X509Store/X509StoreContext", cost=5)
    def _():
        store = crypto.X509Store()
        store.add_cert(F.chain.ca.cert)
        ctx = crypto.X509StoreContext(store, F.cert, chain=[F.chain.intermediate.cert])
        ctx.verify_certificate()
        ctx.get_verified_chain()

    @operation("errors: verification failures (no issuer, untrusted root)", cost=5)
    def _():
        store = crypto.X509Store()
        store.add_cert(F.chain.ca.cert)
        ctx = crypto.X509StoreContext(store, F.cert)
        raises(crypto.X509StoreContextError, ctx.verify_certificate)
        other = crypto.X509Store()
        raises(crypto.X509StoreContextError,
               crypto.X509StoreContext(other, F.chain.ca.cert).verify_certificate)

if hasattr(crypto, "CRL"):
    @operation("CRL build, export, load, dump", cost=5)
    def _():
        crl = crypto.CRL()
        revoked = crypto.Revoked()
        revoked.set_serial(b"1234")
        revoked.set_rev_date(b"20250101000000Z")
        revoked.set_reason(b"keyCompromise")
        crl.add_revoked(revoked)
        der = crl.export(F.chain.ca.cert, F.chain.ca.key, DER, 30, b"sha256")
        again = crypto.load_crl(DER, der)
        crypto.dump_crl(PEM, again)
        crypto.dump_crl(TEXT, again)
        for r in again.get_revoked():
            r.get_serial()
            r.get_reason()
        raises(crypto.Error, crypto.load_crl, DER, der[:40])

if hasattr(crypto, "PKCS12"):
    @operation("PKCS12 export and load_pkcs12", cost=10)
    def _():
        if not hasattr(F, "p12"):
            p12 = crypto.PKCS12()
            p12.set_certificate(F.cert)
            p12.set_privatekey(F.ec)
            p12.set_ca_certificates([F.chain.ca.cert])
            p12.set_friendlyname(b"leak")
            F.p12 = p12.export(b"secret", iter=10, maciter=10)
        p12 = crypto.load_pkcs12(F.p12, b"secret")
        p12.get_certificate()
        p12.get_privatekey()
        p12.get_ca_certificates()
        p12.export(b"secret", iter=10, maciter=10)
        raises(crypto.Error, crypto.load_pkcs12, F.p12, b"wrong")
        raises(crypto.Error, crypto.load_pkcs12, F.p12[:50], b"secret")

if hasattr(crypto, "load_pkcs7_data"):
    @operation("load_pkcs7_data, get_certificates, dump")
    def _():
        if not hasattr(F, "p7"):
            sys.path.insert(0, os.path.join(ROOT, "fuzz"))
            import seeds
            F.p7 = seeds.pkcs7_certs_der([F.cert_der,
                                          crypto.dump_certificate(DER, F.chain.ca.cert)])
        p7 = crypto.load_pkcs7_data(DER, F.p7)
        p7.get_certificates()
        p7.get_type_name()
        crypto.dump_pkcs7_data(PEM, p7)
        raises(crypto.Error, crypto.load_pkcs7_data, DER, F.p7[:30])

if hasattr(crypto, "NetscapeSPKI"):
    @operation("NetscapeSPKI sign, encode, decode, verify", cost=5)
    def _():
        spki = crypto.NetscapeSPKI()
        spki.set_pubkey(F.ec)
        spki.sign(F.ec, "sha256")
        again = crypto.NetscapeSPKI(spki.b64_encode())
        again.verify(again.get_pubkey())
        raises(crypto.Error, crypto.NetscapeSPKI, b"!!not base64!!")


# -- TLS: present once OpenSSL.SSL has Context and Connection ----------------------

try:
    from OpenSSL import SSL
except ImportError:  # pragma: no cover
    SSL = None

if SSL is not None and hasattr(SSL, "Connection"):
    import socket
    import tempfile

    class TLS:
        """Contexts made once: a server with the leaf chain asking for an
        optional client certificate, a client trusting the CA."""
        def __init__(self):
            chain = F.chain
            self.paths = chain.write_pem(tempfile.mkdtemp(prefix="ossl-leak-"))
            self.calls = 0
            self.server = SSL.Context(SSL.TLS_METHOD)
            self.server.use_certificate(chain.leaf.cert)
            self.server.use_privatekey(chain.leaf.key)
            self.server.add_extra_chain_cert(chain.intermediate.cert)
            self.server.set_verify(SSL.VERIFY_PEER, self.verify)
            self.server.set_info_callback(self.info)
            self.client = SSL.Context(SSL.TLS_METHOD)
            self.client.load_verify_locations(self.paths["ca"])
            self.client.set_verify(SSL.VERIFY_PEER, self.verify)
            self.client.set_info_callback(self.info)
            for ctx in (self.server, self.client):
                if hasattr(ctx, "set_keylog_callback"):
                    ctx.set_keylog_callback(lambda conn, line: None)
            if hasattr(self.server, "set_tlsext_servername_callback"):
                self.server.set_tlsext_servername_callback(lambda conn: None)
            if hasattr(self.server, "set_alpn_select_callback"):
                self.server.set_alpn_select_callback(lambda conn, protos: protos[0])
                self.client.set_alpn_protos([b"h2", b"http/1.1"])
            # A client nobody trusts: an empty store.
            self.stranger = SSL.Context(SSL.TLS_METHOD)
            self.stranger.set_verify(SSL.VERIFY_PEER, lambda c, x, e, d, ok: ok)

        def verify(self, conn, cert, errno, depth, ok):
            cert.get_subject()
            return ok

        def info(self, conn, where, ret):
            self.calls += 1

    def tls():
        if not hasattr(F, "tls"):
            F.tls = TLS()
        return F.tls

    def memory_pair(client_ctx):
        t = tls()
        server = SSL.Connection(t.server, None)
        server.set_accept_state()
        client = SSL.Connection(client_ctx or t.client, None)
        client.set_connect_state()
        client.set_tlsext_host_name(b"localhost")
        return client, server

    def move(src, dst):
        while True:
            try:
                data = src.bio_read(65536)
            except SSL.WantReadError:
                return
            dst.bio_write(data)

    def handshake(client, server):
        for _ in range(20):
            done = 0
            for conn in (client, server):
                try:
                    conn.do_handshake()
                    done += 1
                except SSL.WantReadError:
                    pass
            move(client, server)
            move(server, client)
            if done == 2:
                return

    @operation("TLS handshake + 1 KiB echo over memory BIOs, callbacks", cost=10)
    def _():
        client, server = memory_pair(None)
        handshake(client, server)
        client.send(b"x" * 1024)
        move(client, server)
        server.send(server.recv(4096))
        move(server, client)
        client.recv(4096)
        client.get_peer_cert_chain()
        client.get_peer_certificate()
        client.get_cipher_name()
        client.shutdown()
        move(client, server)
        try:
            server.recv(10)
        except SSL.ZeroReturnError:
            pass

    @operation("TLS handshake over a socketpair (blocking, GIL released)", cost=10)
    def _():
        a, b = socket.socketpair()  # blocking: a timeout makes them non-blocking
        t = tls()
        server = SSL.Connection(t.server, a)
        server.set_accept_state()
        client = SSL.Connection(t.client, b)
        client.set_connect_state()
        import threading
        thread = threading.Thread(target=server.do_handshake)
        thread.start()
        client.do_handshake()
        thread.join(30)
        assert not thread.is_alive(), "server handshake hangs"
        client.sendall(b"ping")
        assert server.recv(4) == b"ping"
        a.close()
        b.close()

    @operation("errors: handshake refused (untrusted server, garbage bytes)", cost=10)
    def _():
        client, server = memory_pair(tls().stranger)
        try:
            handshake(client, server)
        except SSL.Error:
            pass
        else:
            raise AssertionError("an untrusted server was accepted")
        s = SSL.Connection(tls().server, None)
        s.set_accept_state()
        s.bio_write(b"\x16\x03\x01\x00\x05hello" * 3)
        raises(SSL.Error, s.do_handshake)

    @operation("errors: verify callback raising fails the handshake", cost=10)
    def _():
        def boom(*args):
            raise KeyError("verify")
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_verify(SSL.VERIFY_PEER, boom)
        client, server = memory_pair(ctx)
        try:
            handshake(client, server)
        except KeyError:
            pass
        else:
            raise AssertionError("the raising callback did not fail the handshake")

    @operation("Context from files (chain, key, CA) and Connection objects", cost=5)
    def _():
        t = tls()
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.use_certificate_chain_file(t.paths["chain"])
        ctx.use_privatekey_file(t.paths["leaf_key"])
        ctx.check_privatekey()
        ctx.load_verify_locations(t.paths["ca"])
        ctx.set_cipher_list(b"ECDHE+AESGCM")
        conn = SSL.Connection(ctx, None)
        conn.set_app_data({"a": 1})
        conn.get_app_data()
        raises(SSL.Error, ctx.set_cipher_list, b"no-such-cipher")
        raises(SSL.Error, ctx.use_certificate_file, t.paths["leaf_key"])


if SSL is not None and hasattr(SSL, "Connection"):
    class QueueTransport:
        """read(n)/write(data) over two lists; None while nothing arrived."""
        def __init__(self, inbox, outbox):
            self.inbox, self.outbox = inbox, outbox

        def read(self, n):
            if not self.inbox:
                return None
            data = self.inbox.pop(0)
            if len(data) > n:
                self.inbox.insert(0, data[n:])
                data = data[:n]
            return data

        def write(self, data):
            self.outbox.append(bytes(data))
            return len(data)

    def object_transport_supported():
        try:
            SSL.Connection(SSL.Context(SSL.TLS_METHOD), QueueTransport([], []))
        except TypeError:
            return False
        return True

    if object_transport_supported():
        def object_pair():
            t = tls()
            one, two = [], []
            client = SSL.Connection(t.client, QueueTransport(one, two))
            client.set_connect_state()
            server = SSL.Connection(t.server, QueueTransport(two, one))
            server.set_accept_state()
            return client, server

        def object_handshake(client, server):
            for _ in range(20):
                done = 0
                for conn in (client, server):
                    try:
                        conn.do_handshake()
                        done += 1
                    except SSL.WantReadError:
                        pass
                if done == 2:
                    return

        @operation("TLS handshake + echo over Python-object transports", cost=10)
        def _():
            client, server = object_pair()
            object_handshake(client, server)
            client.sendall(b"y" * 2048)
            got = b""
            while len(got) < 2048:
                got += server.recv(4096)

        @operation("errors: Python-object transport raising / wrong types", cost=10)
        def _():
            class Broken:
                def __init__(self, result):
                    self.result = result

                def read(self, n):
                    if isinstance(self.result, Exception):
                        raise self.result
                    return self.result

                def write(self, data):
                    if isinstance(self.result, Exception):
                        raise self.result
                    return self.result
            for result, exc in ((OSError("down"), OSError), ("text", TypeError),
                                (-5, (TypeError, ValueError))):
                conn = SSL.Connection(tls().client, Broken(result))
                conn.set_connect_state()
                raises(exc, conn.do_handshake)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100000, help="iterations (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="N = 2,000 (CI)")
    parser.add_argument("--bound", type=int, default=1024, help="KiB growth allowed")
    parser.add_argument("--only", default="", help="run operations whose name has one of these (comma-separated)")
    parser.add_argument("--skip", default="", help="skip operations whose name has one of these (comma-separated)")
    parser.add_argument("--no-bound", action="store_true",
                        help="report growth, do not check it (valgrind)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.n = 2000
    if args.list:
        for name, cost, _ in OPERATIONS:
            print(f"{name}  (N/{cost})" if cost > 1 else name)
        return 0
    global F
    F = Fixtures()
    failed = []
    print(f"leakcheck: N={args.n}, bound {args.bound} KiB, start RSS {rss_kib()} KiB")
    started = time.monotonic()
    for name, cost, func in OPERATIONS:
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        if args.skip and any(part in name for part in args.skip.split(",")):
            continue
        # Under valgrind (--no-bound) only the leak report counts: a few
        # iterations each, no warm-up.
        n = max(args.n // cost, 2 if args.no_bound else 20)
        warmup = 1 if args.no_bound else max(n // 10, 200)
        t0 = time.monotonic()
        try:
            # Warm-up: long enough for the allocator and OpenSSL's caches to
            # reach their working size (short ones report false growth).
            for _ in range(warmup):
                func()
            gc.collect()
            before = rss_kib()
            for _ in range(n):
                func()
            gc.collect()
            after = rss_kib()
        except Exception as exc:  # noqa: BLE001 - reported, then the run fails
            print(f"  FAIL {name}: {type(exc).__name__}: {exc}")
            failed.append(name)
            continue
        growth = after - before
        bad = not args.no_bound and growth > args.bound
        if bad:
            failed.append(name)
        print(f"  {'LEAK' if bad else 'ok  '} {name:62s} x{n:<7d} "
              f"{before:7d} -> {after:7d} KiB  ({growth:+5d} KiB, "
              f"{time.monotonic() - t0:5.1f}s)", flush=True)
    print(f"leakcheck: {len(failed)} failing of {len(OPERATIONS)} operations, "
          f"end RSS {rss_kib()} KiB, {time.monotonic() - started:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

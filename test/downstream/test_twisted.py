"""Twisted's TLS (twisted.internet.ssl, twisted.protocols.tls) on our OpenSSL.

Twisted's global reactor runs in a background thread for the whole module
(it cannot be restarted, and TLSMemoryBIOProtocol schedules its writes on
it); tests drive it with blockingCallFromThread, and the test's own thread
is the stdlib `ssl` peer when there is one.  All on 127.0.0.1.

Twisted always does TLS over memory BIOs: TLSMemoryBIOProtocol feeds the
TCP bytes to Connection.bio_write and sends what bio_read returns.
"""
import socket
import ssl as stdlib_ssl
import threading

import pytest
from OpenSSL import SSL, crypto
from twisted.internet import defer, protocol
from twisted.internet import ssl as tssl
from twisted.internet._sslverify import OpenSSLAcceptableCiphers
from twisted.internet.threads import blockingCallFromThread
from twisted.protocols.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol

from dpeers import TIMEOUT, EchoServer, client_context, server_context

MESSAGE = b"hello over twisted tls\n" * 50


@pytest.fixture(scope="module")
def reactor():
    from twisted.internet import reactor

    thread = threading.Thread(
        target=reactor.run, kwargs={"installSignalHandlers": False}, daemon=True
    )
    thread.start()
    yield reactor
    reactor.callFromThread(reactor.stop)
    thread.join(TIMEOUT)


@pytest.fixture(autouse=True)
def logged_failures():
    """Twisted logs (and swallows) exceptions raised inside its OpenSSL
    callbacks, e.g. a Connection call that fails inside the verify callback.
    Each test ends with no logged failure other than those it expects: it
    removes them from the list this fixture yields."""
    from twisted.logger import globalLogPublisher

    failures = []

    def observer(event):
        if "log_failure" in event:
            failures.append(event["log_failure"])

    globalLogPublisher.addObserver(observer)
    try:
        yield failures
    finally:
        globalLogPublisher.removeObserver(observer)
    assert not failures, "Twisted logged: " + "; ".join(
        f"{f.type.__name__}: {f.value}" for f in failures)


def in_reactor(reactor, f, *args):
    """Call f in the reactor thread; wait (bounded) for its Deferred."""
    def call():
        d = defer.maybeDeferred(f, *args)
        return d.addTimeout(TIMEOUT, reactor)

    return blockingCallFromThread(reactor, call)


def private_certificate(issued):
    return tssl.PrivateCertificate.loadPEM(issued.cert_pem + issued.key_pem)


def ca_certificate(issued):
    return tssl.Certificate.loadPEM(issued.cert_pem)


class Echo(protocol.Protocol):
    def connectionMade(self):
        self.factory.connections.append(self)

    def dataReceived(self, data):
        if not self.factory.peers:
            self.factory.peers.append(self.transport.getPeerCertificate())
            self.factory.tls.append((self.transport, self.transport._tlsConnection))
        self.transport.write(data)


class EchoFactory(protocol.ServerFactory):
    protocol = Echo

    def __init__(self):
        self.connections = []
        self.peers = []
        self.tls = []  # (transport, its OpenSSL.SSL.Connection) per connection


class Sender(protocol.Protocol):
    """Sends MESSAGE, waits for it to come back, then closes; the factory's
    Deferred fires with what came back when the connection is lost."""

    def connectionMade(self):
        self.received = b""
        self.transport.write(MESSAGE)

    def dataReceived(self, data):
        self.received += data
        if len(self.received) >= len(MESSAGE):
            self.factory.peer = self.transport.getPeerCertificate()
            self.factory.alpn = getattr(self.transport, "negotiatedProtocol", None)
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.factory.reason = reason
        self.factory.done.callback(self.received)


class SenderFactory(protocol.ClientFactory):
    protocol = Sender

    def __init__(self):
        self.done = defer.Deferred()
        self.reason = None
        self.peer = None
        self.alpn = None

    def clientConnectionFailed(self, connector, reason):
        self.reason = reason
        self.done.callback(b"")


def stdlib_echo(port, ctx, hostname="localhost"):
    """The stdlib TLS client: send MESSAGE, return (what came back, version)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname=hostname) as tls:
            tls.sendall(MESSAGE)
            got = b""
            while len(got) < len(MESSAGE):
                data = tls.recv(65536)
                if not data:
                    break
                got += data
            return got, tls.version()


def listen(reactor, factory, options):
    return blockingCallFromThread(
        reactor, reactor.listenSSL, 0, factory, options, interface="127.0.0.1"
    )


def stop(reactor, port):
    in_reactor(reactor, port.stopListening)


def test_certificate_options_server_with_stdlib_client(reactor, pki):
    private = private_certificate(pki.server)
    options = tssl.CertificateOptions(
        privateKey=private.privateKey.original, certificate=private.original
    )
    assert isinstance(options.getContext(), SSL.Context)
    factory = EchoFactory()
    port = listen(reactor, factory, options)
    try:
        echo, version = stdlib_echo(port.getHost().port, client_context(pki.ca.cert_path))
    finally:
        stop(reactor, port)
    assert echo == MESSAGE
    assert version in ("TLSv1.2", "TLSv1.3")
    assert factory.peers == [None]  # no client certificate was asked for


def test_server_requires_client_certificate(reactor, pki):
    """PrivateCertificate.options(ca): verify=True, requireCertificate=True."""
    options = private_certificate(pki.server).options(ca_certificate(pki.ca))
    factory = EchoFactory()
    port = listen(reactor, factory, options)
    try:
        ctx = client_context(pki.ca.cert_path, pki.client.cert_path, pki.client.key_path)
        echo, _ = stdlib_echo(port.getHost().port, ctx)
        assert echo == MESSAGE
        peer = factory.peers[0]
        assert isinstance(peer, crypto.X509)
        assert peer.get_subject().CN == "downstream client"
        assert peer.to_cryptography() == pki.client.cert

        # Without a client certificate the server ends the handshake (under
        # TLS 1.3 the client learns it on its first read).
        with pytest.raises((stdlib_ssl.SSLError, ConnectionError)):
            echo, _ = stdlib_echo(port.getHost().port, client_context(pki.ca.cert_path))
            assert echo == b"", "served a client without a certificate"
            raise ConnectionError("closed without echo")
    finally:
        stop(reactor, port)


def alpn_echo(port, ca_path, offer):
    """A stdlib client offering ALPN `offer`: (echo, selected protocol)."""
    ctx = client_context(ca_path)
    ctx.set_alpn_protocols(offer)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"alpn")
            return tls.recv(100), tls.selected_alpn_protocol()


def test_server_selects_alpn_protocol(reactor, pki):
    """Twisted's ALPN select callback picks its preferred protocol from the
    client's offer; an offer with no overlap fails the handshake (the
    callback returns b"", which pyOpenSSL turns into a fatal alert)."""
    private = private_certificate(pki.server)
    options = tssl.CertificateOptions(
        privateKey=private.privateKey.original, certificate=private.original,
        acceptableProtocols=[b"h2", b"http/1.1"],
    )
    port = listen(reactor, EchoFactory(), options)
    try:
        assert alpn_echo(port.getHost().port, pki.ca.cert_path,
                         ["http/1.1", "h2"]) == (b"alpn", "h2")
        assert alpn_echo(port.getHost().port, pki.ca.cert_path,
                         ["http/1.1"]) == (b"alpn", "http/1.1")
        # No client offer: no protocol, the echo still works.
        assert alpn_echo(port.getHost().port, pki.ca.cert_path, []) == (b"alpn", None)
        with pytest.raises(stdlib_ssl.SSLError):
            alpn_echo(port.getHost().port, pki.ca.cert_path, ["spdy/3"])
    finally:
        stop(reactor, port)


def test_server_name_indication_switches_context(reactor, pki, logged_failures):
    """contextForServerName: the SNI callback hands the Connection another
    Context (get_servername, set_context); a callback that raises aborts the
    connection through get_app_data()."""
    default = private_certificate(pki.server_ec)
    other = private_certificate(pki.wrong_host)
    other_context = tssl.CertificateOptions(
        privateKey=other.privateKey.original, certificate=other.original
    ).getContext()
    seen = []

    def for_name(name):
        seen.append(name)
        if name == b"wrong.example":
            return other_context
        if name == b"broken.example":
            raise RuntimeError("no context for this name")
        return None

    options = tssl.CertificateOptions(
        privateKey=default.privateKey.original, certificate=default.original,
        contextForServerName=for_name,
    )
    port = listen(reactor, EchoFactory(), options)
    try:
        def peer_cn(name):
            ctx = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = stdlib_ssl.CERT_NONE
            with socket.create_connection(("127.0.0.1", port.getHost().port),
                                          timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(b"sni")
                    assert tls.recv(10) == b"sni"
                    der = tls.getpeercert(binary_form=True)
            return crypto.load_certificate(crypto.FILETYPE_ASN1, der).get_subject().CN

        assert peer_cn("localhost") == "localhost"
        assert peer_cn("wrong.example") == "wrong.example"
        with pytest.raises((stdlib_ssl.SSLError, ConnectionError)):
            peer_cn("broken.example")
    finally:
        stop(reactor, port)
    assert seen == [b"localhost", b"wrong.example", b"broken.example"]
    # Twisted logged the lookup's exception, and nothing else.
    assert [f.type for f in logged_failures] == [RuntimeError]
    assert str(logged_failures[0].value) == "no context for this name"
    logged_failures.clear()


class Recording(Echo):
    """Echo that reports how the connection ended."""

    def connectionLost(self, reason):
        self.factory.reason = reason
        self.factory.lost.callback(None)


class RecordingFactory(EchoFactory):
    protocol = Recording

    def __init__(self):
        super().__init__()
        self.lost = defer.Deferred()


def test_peer_close_with_and_without_close_notify(reactor, pki):
    """A peer's close_notify ends the connection cleanly (ConnectionDone); a
    TCP close without it is ConnectionLost: Twisted reads that from the
    Error's reason string ("unexpected eof ...") or a SysCallError."""
    from twisted.internet.error import ConnectionDone, ConnectionLost

    private = private_certificate(pki.server)
    options = tssl.CertificateOptions(
        privateKey=private.privateKey.original, certificate=private.original
    )
    outcomes = []
    for clean in (True, False):
        factory = RecordingFactory()
        port = listen(reactor, factory, options)
        try:
            ctx = client_context(pki.ca.cert_path)
            with socket.create_connection(("127.0.0.1", port.getHost().port),
                                          timeout=TIMEOUT) as raw:
                tls = ctx.wrap_socket(raw, server_hostname="localhost")
                tls.sendall(b"bye")
                assert tls.recv(10) == b"bye"
                if clean:
                    tls.unwrap()
                else:
                    # The TCP connection closes without a close_notify.
                    socket.socket(fileno=tls.detach()).close()
            in_reactor(reactor, lambda: factory.lost)
            reason = factory.reason
        finally:
            stop(reactor, port)
        outcomes.append(reason)
    clean_reason, abrupt_reason = outcomes
    assert clean_reason.check(ConnectionDone), clean_reason
    assert abrupt_reason.check(ConnectionLost), abrupt_reason
    assert not abrupt_reason.check(ConnectionDone)


def test_default_openssl_context_factory_from_files(reactor, pki):
    """The classic file-based server factory (SSLv23_METHOD, PEM files)."""
    factory = tssl.DefaultOpenSSLContextFactory(pki.server.key_path, pki.server.cert_path)
    context = factory.getContext()
    assert isinstance(context, SSL.Context)
    port = listen(reactor, EchoFactory(), factory)
    try:
        echo, _ = stdlib_echo(port.getHost().port, client_context(pki.ca.cert_path))
    finally:
        stop(reactor, port)
    assert echo == MESSAGE


class StartTLSServer(protocol.Protocol):
    """Plain text until a line STARTTLS, then TLS (as SMTP/IMAP servers do)."""

    def connectionMade(self):
        self.buffer = b""
        self.secure = False

    def dataReceived(self, data):
        if self.secure:
            self.transport.write(b"secure:" + data)
            return
        self.buffer += data
        if self.buffer == b"STARTTLS\r\n":
            self.transport.write(b"GO\r\n")
            self.transport.startTLS(self.factory.options)
            self.secure = True


def test_start_tls_on_a_plain_connection(reactor, pki):
    private = private_certificate(pki.server)
    factory = protocol.ServerFactory.forProtocol(StartTLSServer)
    factory.options = tssl.CertificateOptions(
        privateKey=private.privateKey.original, certificate=private.original
    )
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, factory,
                                  interface="127.0.0.1")
    try:
        with socket.create_connection(("127.0.0.1", port.getHost().port),
                                      timeout=TIMEOUT) as raw:
            raw.sendall(b"STARTTLS\r\n")
            assert raw.recv(4) == b"GO\r\n"
            ctx = client_context(pki.ca.cert_path)
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"hi")
                assert tls.recv(100) == b"secure:hi"
                cert = tls.getpeercert()
    finally:
        stop(reactor, port)
    assert dict(x[0] for x in cert["subject"])["commonName"] == "localhost"


def connect_client(reactor, port, options):
    """A Twisted client over TLSMemoryBIOFactory + plain TCP; returns the
    factory once the connection is over."""
    factory = SenderFactory()

    def start():
        tls_factory = TLSMemoryBIOFactory(options, True, factory)
        reactor.connectTCP("127.0.0.1", port, tls_factory, timeout=TIMEOUT)
        return factory.done

    factory.received = in_reactor(reactor, start)
    return factory


def test_options_for_client_tls_with_stdlib_server(reactor, pki):
    options = tssl.optionsForClientTLS(
        "localhost",
        trustRoot=ca_certificate(pki.ca),
        clientCertificate=private_certificate(pki.client),
        acceptableProtocols=[b"h2", b"http/1.1"],
    )
    sctx = server_context(pki.server.cert_path, pki.server.key_path,
                          client_ca=pki.ca.cert_path, alpn=["http/1.1"])
    with EchoServer(sctx) as server:
        factory = connect_client(reactor, server.port, options)
    assert factory.received == MESSAGE, factory.reason
    assert server.errors == []
    assert server.peers == ["downstream client"]
    assert server.server_names == ["localhost"]
    assert server.alpn == ["http/1.1"]
    assert factory.alpn == b"http/1.1"
    assert factory.peer.get_subject().CN == "localhost"
    assert factory.peer.to_cryptography() == pki.server.cert


def test_client_rejects_wrong_host_name(reactor, pki):
    from service_identity import VerificationError

    options = tssl.optionsForClientTLS("localhost", trustRoot=ca_certificate(pki.ca))
    sctx = server_context(pki.wrong_host.cert_path, pki.wrong_host.key_path)
    with EchoServer(sctx) as server:
        factory = connect_client(reactor, server.port, options)
    assert factory.received == b""
    assert factory.reason.check(VerificationError), factory.reason
    assert server.peers == []


def test_client_rejects_untrusted_issuer(reactor, pki):
    options = tssl.optionsForClientTLS("localhost", trustRoot=ca_certificate(pki.ca))
    sctx = server_context(pki.stranger.cert_path, pki.stranger.key_path)
    with EchoServer(sctx) as server:
        factory = connect_client(reactor, server.port, options)
    assert factory.received == b""
    assert factory.reason.check(SSL.Error), factory.reason
    assert "certificate verify failed" in str(factory.reason.value)
    assert server.peers == []
    assert any(isinstance(e, stdlib_ssl.SSLError) for e in server.errors)


def test_twisted_to_twisted_over_memory_bios(reactor, pki):
    """Both ends are TLSMemoryBIOProtocol, with client authentication."""
    server_options = private_certificate(pki.server_ec).options(ca_certificate(pki.ca))
    server_factory = EchoFactory()
    port = blockingCallFromThread(
        reactor, reactor.listenTCP, 0,
        TLSMemoryBIOFactory(server_options, False, server_factory),
        interface="127.0.0.1",
    )
    client_options = tssl.optionsForClientTLS(
        "localhost", trustRoot=ca_certificate(pki.ca),
        clientCertificate=private_certificate(pki.client),
    )
    try:
        factory = connect_client(reactor, port.getHost().port, client_options)
    finally:
        stop(reactor, port)
    assert factory.received == MESSAGE, factory.reason
    transport, connection = server_factory.tls[0]
    assert isinstance(transport, TLSMemoryBIOProtocol)
    assert isinstance(connection, SSL.Connection)
    assert server_factory.peers[0].get_subject().CN == "downstream client"
    assert factory.peer.to_cryptography() == pki.server_ec.cert


def test_many_interleaved_connections(reactor, pki):
    """20 Twisted clients at once against one Twisted server: 40 memory-BIO
    Connections whose handshakes and records interleave in one reactor."""
    server_options = private_certificate(pki.server_ec).options(ca_certificate(pki.ca))
    server_factory = EchoFactory()
    port = blockingCallFromThread(
        reactor, reactor.listenTCP, 0,
        TLSMemoryBIOFactory(server_options, False, server_factory),
        interface="127.0.0.1",
    )
    client_options = tssl.optionsForClientTLS(
        "localhost", trustRoot=ca_certificate(pki.ca),
        clientCertificate=private_certificate(pki.client),
    )
    factories = [SenderFactory() for _ in range(20)]

    def start():
        for factory in factories:
            reactor.connectTCP("127.0.0.1", port.getHost().port,
                               TLSMemoryBIOFactory(client_options, True, factory),
                               timeout=TIMEOUT)
        return defer.gatherResults([f.done for f in factories])

    try:
        received = in_reactor(reactor, start)
    finally:
        stop(reactor, port)
    assert received == [MESSAGE] * 20
    assert len(server_factory.connections) == 20


def test_web_agent_https_request(reactor, pki):
    """twisted.web.client.Agent with BrowserLikePolicyForHTTPS (what
    treq and most Twisted HTTPS clients use) against a stdlib HTTPS server."""
    import json

    from twisted.web.client import Agent, BrowserLikePolicyForHTTPS, readBody

    from dpeers import HTTPSServer

    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        def fetch(url):
            policy = BrowserLikePolicyForHTTPS(trustRoot=ca_certificate(pki.ca))
            agent = Agent(reactor, contextFactory=policy)
            d = agent.request(b"GET", url)
            d.addCallback(lambda response: readBody(response).addCallback(
                lambda body: (response.code, body)))
            return d

        code, body = in_reactor(reactor, fetch,
                                f"https://localhost:{server.port}/agent".encode())
        assert code == 200
        assert json.loads(body)["path"] == "/agent"
    from service_identity import VerificationError
    from twisted.web._newclient import ResponseNeverReceived

    wrong = server_context(pki.wrong_host.cert_path, pki.wrong_host.key_path)
    with HTTPSServer(wrong) as server:
        with pytest.raises(ResponseNeverReceived) as info:
            in_reactor(reactor, fetch, f"https://localhost:{server.port}/".encode())
    assert any(r.check(VerificationError) for r in info.value.reasons), info.value.reasons


def test_web_site_served_to_urllib3(reactor, pki):
    """Both ends downstream: a twisted.web Site over listenSSL, fetched by
    urllib3 with its pyOpenSSL backend, client certificate required."""
    import json

    import urllib3
    import urllib3.contrib.pyopenssl as u3
    from twisted.web import resource, server

    class Hello(resource.Resource):
        isLeaf = True

        def render_GET(self, request):
            peer = request.transport.getPeerCertificate()
            return json.dumps({"client": peer.get_subject().CN}).encode()

    options = private_certificate(pki.server).options(ca_certificate(pki.ca))
    port = listen(reactor, server.Site(Hello()), options)
    u3.inject_into_urllib3()
    try:
        with urllib3.HTTPSConnectionPool(
            "localhost", port.getHost().port, cert_reqs="CERT_REQUIRED",
            ca_certs=pki.ca.cert_path, cert_file=pki.client.cert_path,
            key_file=pki.client.key_path, retries=False, timeout=TIMEOUT,
        ) as p:
            response = p.request("GET", "/")
            assert response.status == 200
            assert json.loads(response.data) == {"client": "downstream client"}
    finally:
        u3.extract_from_urllib3()
        stop(reactor, port)


def test_key_pair_and_certificate_wrappers(pki):
    """KeyPair / Certificate / PrivateCertificate round trips (crypto module)."""
    private = private_certificate(pki.server)
    assert private.getSubject().commonName == b"localhost"
    assert private.getIssuer().commonName == b"Downstream Root CA"
    assert private.getPublicKey().matches(private.privateKey)
    again = tssl.Certificate.load(private.dump(crypto.FILETYPE_ASN1), crypto.FILETYPE_ASN1)
    assert again == tssl.Certificate.loadPEM(pki.server.cert_pem)
    pair = tssl.KeyPair.generate(crypto.TYPE_RSA, 2048)
    assert pair.original.bits() == 2048
    dumped = pair.dump(crypto.FILETYPE_PEM)
    assert tssl.KeyPair.load(dumped, crypto.FILETYPE_PEM).keyHash() == pair.keyHash()


def test_unknown_cipher_string_yields_no_ciphers():
    """Twisted recognises OpenSSL's "no cipher match" in Error.args[0]."""
    ciphers = OpenSSLAcceptableCiphers.fromOpenSSLCipherString("NOT-A-CIPHER")
    assert ciphers.selectCiphers(()) == ()
    with pytest.raises(ValueError, match="no usable ciphers"):
        tssl.CertificateOptions(acceptableCiphers=ciphers)


def test_options_respect_protocol_range():
    """insecurelyLowerMinimumTo / raiseMinimumTo map to OP_NO_* options."""
    options = tssl.CertificateOptions(raiseMinimumTo=tssl.TLSVersion.TLSv1_2)
    context = options.getContext()
    assert isinstance(context, SSL.Context)
    assert options._options & SSL.OP_NO_TLSv1
    assert options._options & SSL.OP_NO_TLSv1_1
    assert not options._options & SSL.OP_NO_TLSv1_2


def test_twisted_reads_util_lib():
    import OpenSSL._util
    from twisted.internet._sslverify import _ChooseDiffieHellmanEllipticCurve

    chooser = _ChooseDiffieHellmanEllipticCurve(
        SSL.OPENSSL_VERSION_NUMBER, openSSLlib=OpenSSL._util.lib, openSSLcrypto=crypto
    )
    context = SSL.Context(SSL.TLS_METHOD)
    chooser.configureECDHCurve(context)  # a no-op on OpenSSL >= 1.1.0
    assert SSL.OPENSSL_VERSION_NUMBER >= 0x30000000
    assert context._context is not None

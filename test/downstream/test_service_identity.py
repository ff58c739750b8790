"""service_identity.pyopenssl on a Connection after a real handshake.

The client is an OpenSSL.SSL.Connection on a TCP socket to a stdlib `ssl`
echo server on 127.0.0.1; service_identity reads the peer certificate
(get_peer_certificate().to_cryptography()) and checks the name.
"""

import pytest
from OpenSSL import SSL
from service_identity import (
    CertificateError,
    VerificationError,
    pyopenssl as si_pyopenssl,
)
from service_identity.hazmat import DNSPattern, IPAddressPattern

from dpeers import EchoServer, connect, server_context


def handshake(port, ca_path, server_name=b"localhost"):
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(ca_path)
    ctx.set_verify(SSL.VERIFY_PEER)
    sock = connect(port)
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(server_name)
    conn.set_connect_state()
    conn.do_handshake()
    return conn


def close(conn):
    conn.shutdown()
    conn.close()


@pytest.fixture
def server(pki):
    with EchoServer(server_context(pki.server.cert_path, pki.server.key_path)) as s:
        yield s


def test_verify_hostname_match_and_mismatch(server, pki):
    conn = handshake(server.port, pki.ca.cert_path)
    try:
        si_pyopenssl.verify_hostname(conn, "localhost")
        with pytest.raises(VerificationError):
            si_pyopenssl.verify_hostname(conn, "example.com")
        # The handshake and the check did not disturb the connection.
        conn.sendall(b"still here")
        assert conn.recv(100) == b"still here"
    finally:
        close(conn)


def test_verify_ip_address(server, pki):
    conn = handshake(server.port, pki.ca.cert_path)
    try:
        si_pyopenssl.verify_ip_address(conn, "127.0.0.1")
        si_pyopenssl.verify_ip_address(conn, "::1")
        with pytest.raises(VerificationError):
            si_pyopenssl.verify_ip_address(conn, "127.0.0.2")
    finally:
        close(conn)


def test_extract_patterns_from_peer_certificate(server, pki):
    conn = handshake(server.port, pki.ca.cert_path)
    try:
        patterns = si_pyopenssl.extract_patterns(conn.get_peer_certificate())
    finally:
        close(conn)
    assert DNSPattern.from_bytes(b"localhost") in patterns
    ips = {str(p.pattern) for p in patterns if isinstance(p, IPAddressPattern)}
    assert ips == {"127.0.0.1", "::1"}


def test_certificate_without_matching_name(pki):
    sctx = server_context(pki.wrong_host.cert_path, pki.wrong_host.key_path)
    with EchoServer(sctx) as server:
        conn = handshake(server.port, pki.ca.cert_path)
        try:
            with pytest.raises(VerificationError) as info:
                si_pyopenssl.verify_hostname(conn, "localhost")
            assert "localhost" in str(info.value)
            si_pyopenssl.verify_hostname(conn, "wrong.example")
        finally:
            close(conn)
    # service_identity's CertificateError is the other error it may raise.
    assert not issubclass(VerificationError, CertificateError)

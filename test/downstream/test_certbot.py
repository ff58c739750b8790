"""certbot and certbot-style use: contexts built from PEM files on disk,
check_privatekey, and the peer's certificate handed to cryptography."""
import re
import socket

import pytest
from certbot import crypto_util, errors
from cryptography import x509
from OpenSSL import SSL, crypto

from dpeers import TIMEOUT, EchoServer, bounded_blocking, client_context, connect, server_context


def test_certbot_cert_matches_key(pki):
    # certbot.crypto_util.verify_cert_matches_priv_key: Context from files +
    # check_privatekey.
    crypto_util.verify_cert_matches_priv_key(pki.server.cert_path, pki.server.key_path)
    crypto_util.verify_cert_matches_priv_key(pki.server_ec.cert_path,
                                             pki.server_ec.key_path)


def test_certbot_cert_does_not_match_key(pki):
    with pytest.raises(errors.Error, match="has failed"):
        crypto_util.verify_cert_matches_priv_key(pki.server.cert_path,
                                                 pki.client.key_path)


def test_certbot_unreadable_files(pki, tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(errors.Error):
        crypto_util.verify_cert_matches_priv_key(missing, pki.server.key_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n")
    with pytest.raises(errors.Error):
        crypto_util.verify_cert_matches_priv_key(str(garbage), pki.server.key_path)


def test_check_privatekey_mismatch_raises_ssl_error(pki):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate_file(pki.server.cert_path)
    ctx.use_privatekey_file(pki.server_ec.key_path)
    with pytest.raises(SSL.Error):
        ctx.check_privatekey()


def _serve_one(ctx, sock, out):
    conn, _ = sock.accept()
    bounded_blocking(conn)
    server = SSL.Connection(ctx, conn)
    server.set_accept_state()
    try:
        server.do_handshake()
        out["client"] = server.get_peer_certificate()
        data = server.recv(1024)
        server.sendall(data)
        server.shutdown()
    except SSL.Error as e:
        out["error"] = e
    finally:
        conn.close()


def test_server_context_from_files_with_stdlib_client(pki):
    """A server Context loaded as certbot's installers lay files out:
    fullchain.pem + privkey.pem, clients verified against a CA file."""
    import threading

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(pki.server_fullchain)
    ctx.use_privatekey_file(pki.server.key_path, SSL.FILETYPE_PEM)
    ctx.check_privatekey()
    ctx.load_verify_locations(pki.ca.cert_path)
    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(TIMEOUT)
    out = {}
    thread = threading.Thread(target=_serve_one, args=(ctx, sock, out))
    thread.start()
    try:
        cctx = client_context(pki.ca.cert_path, pki.client.cert_path, pki.client.key_path)
        with socket.create_connection(sock.getsockname(), timeout=TIMEOUT) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost") as tls:
                # fullchain.pem's CA came along with the leaf
                sent = tls.getpeercert()
                tls.sendall(b"certbot")
                assert tls.recv(1024) == b"certbot"
    finally:
        thread.join(TIMEOUT)
        sock.close()
    assert "error" not in out, out.get("error")
    client = out["client"].to_cryptography()
    assert isinstance(client, x509.Certificate)
    assert client == pki.client.cert
    assert dict(x[0] for x in sent["issuer"])["commonName"] == "Downstream Root CA"


def test_client_context_from_files_peer_to_cryptography(pki):
    """A client Context from files; the peer certificate and chain go to
    cryptography for the name and key checks certbot makes."""
    sctx = server_context(pki.server_fullchain, pki.server.key_path,
                          client_ca=pki.ca.cert_path)
    with EchoServer(sctx) as server:
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.load_verify_locations(pki.ca.cert_path)
        ctx.use_certificate_file(pki.client.cert_path)
        ctx.use_privatekey_file(pki.client.key_path)
        ctx.check_privatekey()
        ctx.set_verify(SSL.VERIFY_PEER)
        sock = connect(server.port)
        conn = SSL.Connection(ctx, sock)
        conn.set_tlsext_host_name(b"localhost")
        conn.set_connect_state()
        try:
            conn.do_handshake()
            peer = conn.get_peer_certificate()
            chain = conn.get_peer_cert_chain()
            conn.sendall(b"ping")
            assert conn.recv(10) == b"ping"
            conn.shutdown()
        finally:
            conn.close()
    cert = peer.to_cryptography()
    assert cert == pki.server.cert
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.public_key().public_numbers() == pki.server.key.public_key().public_numbers()
    assert [c.to_cryptography() for c in chain] == [pki.server.cert, pki.ca.cert]
    assert server.peers == ["downstream client"]
    assert server.server_names == ["localhost"]
    # certbot's own reading of the same certificate, from PEM.
    pem = crypto.dump_certificate(crypto.FILETYPE_PEM, peer)
    assert crypto_util.get_names_from_cert(pem) == ["localhost"]


def test_verification_failure_names_the_reason(pki):
    sctx = server_context(pki.stranger.cert_path, pki.stranger.key_path)
    with EchoServer(sctx) as server:
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.load_verify_locations(pki.ca.cert_path)
        ctx.set_verify(SSL.VERIFY_PEER)
        sock = connect(server.port)
        conn = SSL.Connection(ctx, sock)
        conn.set_connect_state()
        try:
            with pytest.raises(SSL.Error) as info:
                conn.do_handshake()
        finally:
            conn.close()
    assert "certificate verify failed" in str(info.value)


def test_certbot_and_acme_own_crypto_util_tests(tmp_path):
    """certbot's and acme's own crypto_util tests, shipped in their wheels."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
         "certbot._internal.tests.crypto_util_test",
         "acme._internal.tests.crypto_util_test"],
        cwd=tmp_path, env=dict(os.environ, PYTHONWARNINGS="ignore"),
        capture_output=True, text=True, timeout=600,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    assert re.search(r"^\d+ passed", out.splitlines()[-1]), out[-2000:]

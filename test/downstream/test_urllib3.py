"""urllib3 with urllib3.contrib.pyopenssl injected: HTTPS to a stdlib server
on 127.0.0.1, certificate verification on."""
import hashlib
import json

import pytest
import urllib3
import urllib3.contrib.pyopenssl as u3
from cryptography.hazmat.primitives.serialization import Encoding
from urllib3.exceptions import SSLError

from dpeers import TIMEOUT, HTTPSServer, server_context
from dpki import PASSWORD


@pytest.fixture
def injected():
    u3.inject_into_urllib3()
    try:
        assert urllib3.util.ssl_.SSLContext is u3.PyOpenSSLContext
        yield
    finally:
        u3.extract_from_urllib3()


def pool(port, ca, host="localhost", **kw):
    return urllib3.HTTPSConnectionPool(
        host, port, cert_reqs="CERT_REQUIRED", ca_certs=ca, retries=False,
        timeout=TIMEOUT, **kw,
    )


def get_json(p, path="/"):
    response = p.request("GET", path)
    assert response.status == 200
    return json.loads(response.data)


def test_https_request_with_verification(injected, pki):
    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with pool(server.port, pki.ca.cert_path) as p:
            conn = p._get_conn()
            try:
                conn.connect()
                # The socket is urllib3's wrapper around our Connection.
                assert isinstance(conn.sock, u3.WrappedSocket)
                assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
                peer = conn.sock.getpeercert()
                assert peer["subject"] == ((("commonName", "localhost"),),)
                assert ("DNS", "localhost") in peer["subjectAltName"]
                assert ("IP Address", "127.0.0.1") in peer["subjectAltName"]
                der = conn.sock.getpeercert(binary_form=True)
                assert der == pki.server.cert.public_bytes(Encoding.DER)
            finally:
                conn.close()
            body = get_json(p, "/hello?x=1")
    assert body["path"] == "/hello?x=1"
    assert body["client"] is None


def test_pool_manager_and_ip_address(injected, pki):
    """A PoolManager request, by name and by IP (no SNI for an IP: RFC 6066)."""
    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=pki.ca.cert_path,
                                 retries=False, timeout=TIMEOUT) as manager:
            for host in ("localhost", "127.0.0.1"):
                response = manager.request("GET", f"https://{host}:{server.port}/p")
                assert response.status == 200
                assert json.loads(response.data)["path"] == "/p"


def test_untrusted_certificate_is_refused(injected, pki):
    ctx = server_context(pki.stranger.cert_path, pki.stranger.key_path)
    with HTTPSServer(ctx) as server:
        with pool(server.port, pki.ca.cert_path) as p:
            with pytest.raises(SSLError, match="certificate verify failed"):
                p.request("GET", "/")


def test_wrong_host_name_is_refused(injected, pki):
    ctx = server_context(pki.wrong_host.cert_path, pki.wrong_host.key_path)
    with HTTPSServer(ctx) as server:
        with pool(server.port, pki.ca.cert_path) as p:
            with pytest.raises(SSLError, match="hostname|match"):
                p.request("GET", "/")


def test_verification_off_is_explicit(injected, pki):
    """cert_reqs=CERT_NONE talks to the untrusted server (and warns)."""
    ctx = server_context(pki.stranger.cert_path, pki.stranger.key_path)
    with HTTPSServer(ctx) as server:
        with urllib3.HTTPSConnectionPool("localhost", server.port, cert_reqs="CERT_NONE",
                                         retries=False, timeout=TIMEOUT) as p:
            with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
                assert get_json(p)["path"] == "/"


def test_client_certificate(injected, pki):
    ctx = server_context(pki.server.cert_path, pki.server.key_path,
                         client_ca=pki.ca.cert_path)
    with HTTPSServer(ctx) as server:
        with pool(server.port, pki.ca.cert_path, cert_file=pki.client.cert_path,
                  key_file=pki.client.key_path) as p:
            assert get_json(p)["client"] == "downstream client"


def test_client_certificate_with_encrypted_key(injected, pki):
    """key_password: urllib3 loads the key with cryptography and passes it to
    Context.use_privatekey when OpenSSL.__version__ >= 26."""
    ctx = server_context(pki.server.cert_path, pki.server.key_path,
                         client_ca=pki.ca.cert_path)
    with HTTPSServer(ctx) as server:
        with pool(server.port, pki.ca.cert_path, cert_file=pki.client_enc.cert_path,
                  key_file=pki.client_enc.key_path, key_password=PASSWORD) as p:
            assert get_json(p)["client"] == "downstream client"
        with pool(server.port, pki.ca.cert_path, cert_file=pki.client_enc.cert_path,
                  key_file=pki.client_enc.key_path, key_password=b"wrong") as p:
            with pytest.raises(SSLError, match="Unable to load certificate chain"):
                p.request("GET", "/")


def test_server_refuses_missing_client_certificate(injected, pki):
    ctx = server_context(pki.server.cert_path, pki.server.key_path,
                         client_ca=pki.ca.cert_path)
    with HTTPSServer(ctx) as server:
        with pool(server.port, pki.ca.cert_path) as p:
            with pytest.raises((SSLError, urllib3.exceptions.ProtocolError)):
                p.request("GET", "/")


def test_tls_version_bounds(injected, pki):
    """ssl_minimum_version maps onto Context.set_options(OP_NO_*)."""
    import ssl

    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with pool(server.port, pki.ca.cert_path,
                  ssl_minimum_version=ssl.TLSVersion.TLSv1_3) as p:
            assert get_json(p)["version"] == "TLSv1.3"
        with pool(server.port, pki.ca.cert_path,
                  ssl_maximum_version=ssl.TLSVersion.TLSv1_2) as p:
            assert get_json(p)["version"] == "TLSv1.2"


def test_large_bodies_both_ways(injected, pki):
    """Megabytes through WrappedSocket: recv_into and sendall across many TLS
    records (urllib3 retries on WantReadError/WantWriteError itself)."""
    payload = bytes(range(256)) * 4096 * 3  # 3 MiB
    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with pool(server.port, pki.ca.cert_path) as p:
            response = p.request("GET", f"/big?n={len(payload)}")
            assert response.status == 200
            assert response.data == payload
            response = p.request("POST", "/upload", body=payload)
            assert json.loads(response.data) == {
                "sha256": hashlib.sha256(payload).hexdigest(), "length": len(payload)}
            # streamed, in small reads
            response = p.request("GET", "/big?n=65536", preload_content=False)
            chunks = list(response.stream(1000))
            assert b"".join(chunks) == payload[:65536]
            response.release_conn()


def test_requests_over_injected_urllib3(injected, pki):
    """requests (what certbot's ACME client uses) on top of the injection."""
    import requests

    ctx = server_context(pki.server.cert_path, pki.server.key_path,
                         client_ca=pki.ca.cert_path)
    with HTTPSServer(ctx) as server:
        url = f"https://localhost:{server.port}/acme/directory"
        with requests.Session() as session:
            response = session.get(url, verify=pki.ca.cert_path, timeout=TIMEOUT,
                                   cert=(pki.client.cert_path, pki.client.key_path))
            assert response.json()["client"] == "downstream client"
            assert response.json()["path"] == "/acme/directory"
        with requests.Session() as session:
            with pytest.raises(requests.exceptions.SSLError):
                session.get(url, verify=pki.other_ca.cert_path, timeout=TIMEOUT)


def test_ca_cert_data_fails_as_urllib3_ssl_error(injected, pki):
    """urllib3's pyOpenSSL backend first calls load_verify_locations(None,
    None) for ca_cert_data; pyOpenSSL raises SSL.Error there, which urllib3
    turns into its SSLError.  Any other exception type would escape it."""
    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with urllib3.HTTPSConnectionPool(
            "localhost", server.port, cert_reqs="CERT_REQUIRED",
            ca_cert_data=pki.ca.cert_pem.decode(), retries=False, timeout=TIMEOUT,
        ) as p:
            with pytest.raises(SSLError, match="unable to load trusted certificates"):
                p.request("GET", "/")


def test_cipher_selection(injected, pki):
    """create_urllib3_context(ciphers=...) reaches Context.set_cipher_list."""
    import ssl

    ctx = urllib3.util.ssl_.create_urllib3_context(
        ciphers="ECDHE-RSA-AES128-GCM-SHA256", ssl_maximum_version=ssl.TLSVersion.TLSv1_2)
    assert isinstance(ctx, u3.PyOpenSSLContext)
    with HTTPSServer(server_context(pki.server.cert_path, pki.server.key_path)) as server:
        with pool(server.port, pki.ca.cert_path, ssl_context=ctx) as p:
            conn = p._get_conn()
            try:
                conn.connect()
                assert conn.sock.connection.get_cipher_name() == "ECDHE-RSA-AES128-GCM-SHA256"
                assert conn.sock.version() == "TLSv1.2"
            finally:
                conn.close()


def test_concurrent_requests_from_threads(injected, pki):
    """One PoolManager shared by 8 threads, as requests/urllib3 users run it:
    handshakes, verify callbacks and I/O interleave across threads."""
    from concurrent.futures import ThreadPoolExecutor

    ctx = server_context(pki.server.cert_path, pki.server.key_path,
                         client_ca=pki.ca.cert_path)
    with HTTPSServer(ctx) as server:
        with urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=pki.ca.cert_path,
                                 cert_file=pki.client.cert_path,
                                 key_file=pki.client.key_path, maxsize=8,
                                 retries=False, timeout=TIMEOUT) as manager:
            def fetch(i):
                response = manager.request(
                    "GET", f"https://localhost:{server.port}/big?n={256 * (i + 1)}")
                return response.status, len(response.data)

            with ThreadPoolExecutor(8) as executor:
                results = list(executor.map(fetch, range(64)))
    assert results == [(200, 256 * (i + 1)) for i in range(64)]

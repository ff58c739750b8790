"""Around the handshake: SNI, ALPN, OCSP stapling, key logging, groups,
TLS 1.3 post-handshake client authentication and PSK."""
import os
import socket
import ssl
import subprocess
import tempfile

import pytest

from OpenSSL import SSL, crypto

from peers import (
    TIMEOUT, client_context, connect, connection_pair, exchange, handshake,
    InteractiveOpenSSLServer, kill_group, memory_pair, pki_paths, popen,
    roundtrip_reversed, s_client, serve_once, server_context,
    transport_pair)

try:
    import pki
except AttributeError:
    pki = None


class TestSNI:
    def test_server_sees_the_name(self):
        sctx = server_context()
        seen = []
        sctx.set_tlsext_servername_callback(
            lambda conn: seen.append(conn.get_servername()))
        client, server = memory_pair(client_context(), sctx)
        client.set_tlsext_host_name(b"example.test")
        handshake(client, server)
        assert seen == [b"example.test"]
        assert server.get_servername() == b"example.test"
        assert client.get_servername() == b"example.test"

    def test_no_name_sent(self):
        sctx = server_context()
        seen = []
        sctx.set_tlsext_servername_callback(
            lambda conn: seen.append(conn.get_servername()))
        client, server = memory_pair(client_context(), sctx)
        handshake(client, server)
        assert server.get_servername() is None
        assert seen == [None]

    def test_switch_context_in_callback(self, tmp_path):
        other = pki.make_chain("ec", leaf_cn="other.test", san=["other.test"])
        paths = other.write_pem(str(tmp_path))
        other_ctx = server_context(paths=paths)
        sctx = server_context()

        def pick(conn):
            if conn.get_servername() == b"other.test":
                conn.set_context(other_ctx)

        sctx.set_tlsext_servername_callback(pick)
        for name, cn in ((b"other.test", "other.test"), (b"localhost", "localhost")):
            client, server = memory_pair(client_context(verify=False), sctx)
            client.set_tlsext_host_name(name)
            handshake(client, server)
            assert client.get_peer_certificate().get_subject().CN == cn
        assert server.get_context() is sctx

    def test_stdlib_client_name_over_socket(self):
        seen = []
        sctx = server_context()
        sctx.set_tlsext_servername_callback(
            lambda conn: seen.append(conn.get_servername()))
        port, thread = serve_once(sctx, lambda conn: conn.do_handshake())
        cctx = ssl.create_default_context(cafile=pki_paths()["ca"])
        with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost"):
                pass
        thread.join()
        assert seen == [b"localhost"]

    def test_openssl_client_name(self):
        seen = []
        sctx = server_context()
        sctx.set_tlsext_servername_callback(
            lambda conn: seen.append(conn.get_servername()))
        port, thread = serve_once(sctx, lambda conn: conn.do_handshake())
        s_client(port, "-servername", "sni.example")
        thread.join()
        assert seen == [b"sni.example"]

    def test_callback_exception_fails_the_handshake(self):
        sctx = server_context()

        def boom(conn):
            raise KeyError("no such virtual host")

        sctx.set_tlsext_servername_callback(boom)
        client, server = memory_pair(client_context(), sctx)
        client.set_tlsext_host_name(b"x.test")
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        server.bio_write(client.bio_read(65536))
        with pytest.raises(KeyError, match="no such virtual host"):
            server.do_handshake()

    def test_host_name_must_be_bytes(self):
        conn = SSL.Connection(client_context(), None)
        with pytest.raises(TypeError):
            conn.set_tlsext_host_name("example.test")
        with pytest.raises(TypeError):
            conn.set_tlsext_host_name(b"exa\0mple")

    def test_callback_must_be_callable(self):
        with pytest.raises(TypeError):
            server_context().set_tlsext_servername_callback(3)


class TestALPN:
    def test_negotiated_between_our_connections(self):
        offered = []
        sctx = server_context()

        def select(conn, protos):
            offered.append(protos)
            return b"http/1.1"

        sctx.set_alpn_select_callback(select)
        cctx = client_context()
        cctx.set_alpn_protos([b"h2", b"http/1.1"])
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert offered == [[b"h2", b"http/1.1"]]
        assert client.get_alpn_proto_negotiated() == b"http/1.1"
        assert server.get_alpn_proto_negotiated() == b"http/1.1"

    def test_per_connection_protos(self):
        sctx = server_context()
        sctx.set_alpn_select_callback(lambda conn, protos: protos[0])
        client, server = memory_pair(client_context(), sctx)
        client.set_alpn_protos([b"spdy/3"])
        handshake(client, server)
        assert client.get_alpn_proto_negotiated() == b"spdy/3"

    def test_no_overlapping_protocols(self):
        sctx = server_context()
        sctx.set_alpn_select_callback(
            lambda conn, protos: SSL.NO_OVERLAPPING_PROTOCOLS)
        cctx = client_context()
        cctx.set_alpn_protos([b"h2"])
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert client.get_alpn_proto_negotiated() == b""
        assert server.get_alpn_proto_negotiated() == b""

    def test_empty_selection_refuses_the_client(self):
        # b"" is "no protocol I can speak": the handshake fails with a fatal
        # no_application_protocol alert (Twisted relies on this).
        sctx = server_context()
        sctx.set_alpn_select_callback(lambda conn, protos: b"")
        cctx = client_context()
        cctx.set_alpn_protos([b"h2"])
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.Error, match="no application protocol"):
            handshake(client, server)

    def test_nothing_negotiated_without_alpn(self):
        client, server = memory_pair(client_context(), server_context())
        handshake(client, server)
        assert client.get_alpn_proto_negotiated() == b""

    def test_callback_exception_is_raised(self):
        sctx = server_context()

        def boom(conn, protos):
            raise ValueError("bad protocol list")

        sctx.set_alpn_select_callback(boom)
        cctx = client_context()
        cctx.set_alpn_protos([b"h2"])
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        server.bio_write(client.bio_read(65536))
        with pytest.raises(ValueError, match="bad protocol list"):
            server.do_handshake()

    def test_callback_returning_wrong_type(self):
        sctx = server_context()
        sctx.set_alpn_select_callback(lambda conn, protos: "h2")
        cctx = client_context()
        cctx.set_alpn_protos([b"h2"])
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.WantReadError):
            client.do_handshake()
        server.bio_write(client.bio_read(65536))
        with pytest.raises(TypeError):
            server.do_handshake()

    def test_bad_protocol_lists(self):
        ctx = client_context()
        with pytest.raises(ValueError):
            ctx.set_alpn_protos([])
        with pytest.raises(ValueError):
            ctx.set_alpn_protos([b""])
        with pytest.raises(ValueError):
            ctx.set_alpn_protos([b"x" * 256])
        with pytest.raises(TypeError):
            ctx.set_alpn_protos(["h2"])

    def test_openssl_server_selects(self):
        cctx = client_context()
        cctx.set_alpn_protos([b"h2", b"http/1.1"])
        with InteractiveOpenSSLServer("-alpn", "http/1.1,h2") as server:
            sock = connect(server.port)
            conn = SSL.Connection(cctx, sock)
            conn.set_connect_state()
            conn.do_handshake()
            # s_server's own order wins.
            assert conn.get_alpn_proto_negotiated() == b"http/1.1"
            sock.close()

    def test_openssl_client_offers(self):
        sctx = server_context()
        sctx.set_alpn_select_callback(
            lambda conn, protos: b"acme-tls/1" if b"acme-tls/1" in protos
            else SSL.NO_OVERLAPPING_PROTOCOLS)
        port, thread = serve_once(
            sctx, lambda conn: (conn.do_handshake(),
                                conn.get_alpn_proto_negotiated())[1])
        out = s_client(port, "-alpn", "h2,acme-tls/1")
        assert thread.join() == b"acme-tls/1"
        assert "ALPN protocol: acme-tls/1" in out

    def test_stdlib_client_offers(self):
        sctx = server_context()
        sctx.set_alpn_select_callback(lambda conn, protos: protos[-1])
        port, thread = serve_once(sctx, lambda conn: conn.do_handshake())
        cctx = ssl.create_default_context(cafile=pki_paths()["ca"])
        cctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.selected_alpn_protocol() == "http/1.1"
        thread.join()


class TestNPNAbsent:
    def test_no_npn(self):
        ctx = client_context()
        for name in ("set_npn_advertise_callback", "set_npn_select_callback"):
            with pytest.raises(AttributeError):
                getattr(ctx, name)
        conn = SSL.Connection(ctx, None)
        with pytest.raises(AttributeError):
            conn.get_next_proto_negotiated


def ocsp_response(tmp_path):
    """A real DER OCSP response for the test leaf, from `openssl ocsp`."""
    paths = pki_paths()
    index = tmp_path / "index.txt"
    index.write_text("")
    out = tmp_path / "resp.der"
    subprocess.run(
        ["openssl", "ocsp", "-index", str(index), "-rsigner",
         paths["intermediate"], "-rkey", paths["intermediate_key"],
         "-CA", paths["intermediate"], "-issuer", paths["intermediate"],
         "-cert", paths["leaf"], "-respout", str(out), "-ndays", "1",
         "-noverify"], check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=TIMEOUT)
    return out.read_bytes(), str(out)


class TestOCSP:
    def pair(self, server_cb, client_cb, server_data=None, client_data=None,
             request=True):
        sctx = server_context()
        sctx.set_ocsp_server_callback(server_cb, server_data)
        cctx = client_context()
        cctx.set_ocsp_client_callback(client_cb, client_data)
        client, server = memory_pair(cctx, sctx)
        if request:
            client.request_ocsp()
        return client, server

    def test_staple_reaches_the_client(self, tmp_path):
        # OpenSSL's client drops a staple that is not an OCSP response.
        der, _ = ocsp_response(tmp_path)
        seen = []

        def staple(conn, data):
            seen.append(("server", data))
            return der

        def check(conn, ocsp, data):
            seen.append(("client", ocsp, data))
            return True

        client, server = self.pair(staple, check, "sdata", "cdata")
        handshake(client, server)
        assert seen == [("server", "sdata"), ("client", der, "cdata")]

    def test_client_rejecting_fails_handshake(self):
        client, server = self.pair(lambda conn, d: b"revoked!",
                                   lambda conn, ocsp, d: False)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    def test_server_with_nothing_to_staple(self):
        seen = []
        client, server = self.pair(
            lambda conn, d: b"",
            lambda conn, ocsp, d: seen.append(ocsp) or True)
        handshake(client, server)
        assert seen == [b""]

    def test_server_not_asked_without_request(self):
        seen = []
        client, server = self.pair(
            lambda conn, d: seen.append("server") or b"x",
            lambda conn, ocsp, d: True, request=False)
        handshake(client, server)
        assert seen == []

    def test_server_callback_exception(self):
        def boom(conn, data):
            raise LookupError("responder down")

        client, server = self.pair(boom, lambda conn, ocsp, d: True)
        with pytest.raises(LookupError, match="responder down"):
            handshake(client, server)

    def test_client_callback_exception(self):
        def boom(conn, ocsp, data):
            raise ZeroDivisionError("bad staple")

        client, server = self.pair(lambda conn, d: b"x", boom)
        with pytest.raises(ZeroDivisionError, match="bad staple"):
            handshake(client, server)

    def test_server_callback_wrong_type(self):
        client, server = self.pair(lambda conn, d: "text",
                                   lambda conn, ocsp, d: True)
        with pytest.raises(TypeError):
            handshake(client, server)

    def test_openssl_server_staples(self, tmp_path):
        der, path = ocsp_response(tmp_path)
        seen = []
        cctx = client_context()
        cctx.set_ocsp_client_callback(
            lambda conn, ocsp, d: seen.append(ocsp) or True)
        with InteractiveOpenSSLServer("-status_file", path) as server:
            sock = connect(server.port)
            conn = SSL.Connection(cctx, sock)
            conn.request_ocsp()
            conn.set_connect_state()
            conn.do_handshake()
            sock.close()
        assert seen == [der]

    def test_openssl_client_reads_our_staple(self, tmp_path):
        der, _ = ocsp_response(tmp_path)
        sctx = server_context()
        sctx.set_ocsp_server_callback(lambda conn, d: der)
        port, thread = serve_once(sctx, lambda conn: conn.do_handshake())
        out = s_client(port, "-status")
        thread.join()
        assert "OCSP Response Status: successful" in out


class TestKeylog:
    @pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
    def test_lines_match_the_session(self, version):
        lines = []
        cctx = client_context()
        cctx.set_max_proto_version(version)
        cctx.set_keylog_callback(lambda conn, line: lines.append((conn, line)))
        client, server = memory_pair(cctx, server_context())
        handshake(client, server)
        assert lines and all(conn is client for conn, _ in lines)
        random = client.client_random().hex().encode()
        labels = set()
        for _, line in lines:
            label, rand, secret = line.split(b" ")
            assert rand.lower() == random
            labels.add(label)
        if version == SSL.TLS1_2_VERSION:
            assert labels == {b"CLIENT_RANDOM"}
            assert lines[0][1].split(b" ")[2].lower() == \
                client.master_key().hex().encode()
        else:
            assert {b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
                    b"CLIENT_TRAFFIC_SECRET_0",
                    b"SERVER_TRAFFIC_SECRET_0"} <= labels

    def test_same_lines_as_openssl_server(self, tmp_path):
        path = str(tmp_path / "keys.log")
        lines = []
        cctx = client_context()
        cctx.set_keylog_callback(lambda conn, line: lines.append(line))
        with InteractiveOpenSSLServer("-keylogfile", path, "-rev") as server:
            sock = connect(server.port)
            conn = SSL.Connection(cctx, sock)
            conn.set_connect_state()
            conn.do_handshake()
            roundtrip_reversed(conn, b"abc")
            conn.shutdown()
            sock.close()
            server.output()
        with open(path, "rb") as f:
            theirs = {line.strip() for line in f if not line.startswith(b"#")}
        assert theirs and theirs == set(lines)

    def test_callback_exception_is_raised(self):
        cctx = client_context()

        def boom(conn, line):
            raise OSError("disk full")

        cctx.set_keylog_callback(boom)
        client, server = memory_pair(cctx, server_context())
        with pytest.raises(OSError, match="disk full"):
            handshake(client, server)


class TestInfoCallback:
    def test_handshake_start_and_done(self):
        events = []
        cctx = client_context()
        cctx.set_info_callback(lambda conn, where, ret: events.append(where))
        client, server = memory_pair(cctx, server_context())
        handshake(client, server)
        assert any(w & SSL.SSL_CB_HANDSHAKE_START for w in events)
        assert any(w & SSL.SSL_CB_HANDSHAKE_DONE for w in events)


class TestGroups:
    def test_client_picks_the_group(self):
        cctx = client_context()
        cctx.set_groups(["P-384"])
        client, server = memory_pair(cctx, server_context())
        handshake(client, server)
        assert client.get_group_name() == "secp384r1"
        assert server.get_group_name() == "secp384r1"

    def test_colon_string_and_bytes(self):
        cctx = client_context()
        cctx.set_groups(b"X448:P-521")
        sctx = server_context()
        sctx.set_groups("P-521")
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert client.get_group_name() == "secp521r1"

    def test_no_common_group(self):
        cctx = client_context()
        cctx.set_groups(["X25519"])
        sctx = server_context()
        sctx.set_groups(["P-256"])
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    def test_unknown_group(self):
        with pytest.raises(SSL.Error, match="no-such-group"):
            client_context().set_groups(["no-such-group"])

    def test_bad_arguments(self):
        ctx = client_context()
        with pytest.raises(ValueError):
            ctx.set_groups([])
        with pytest.raises(TypeError):
            ctx.set_groups([25519])

    def test_post_quantum_hybrid(self):
        ctx = client_context()
        if SSL.OPENSSL_VERSION_NUMBER >= 0x30500000:
            ctx.set_groups(["X25519MLKEM768", "X25519"])
        else:
            with pytest.raises(SSL.Error, match="X25519MLKEM768"):
                ctx.set_groups(["X25519MLKEM768", "X25519"])

    def test_openssl_server_group(self):
        cctx = client_context()
        cctx.set_groups(["X25519", "P-384"])
        with InteractiveOpenSSLServer("-groups", "P-384") as server:
            sock = connect(server.port)
            conn = SSL.Connection(cctx, sock)
            conn.set_connect_state()
            conn.do_handshake()
            assert conn.get_group_name() == "secp384r1"
            sock.close()


def pha_contexts():
    paths = pki_paths()
    sctx = server_context()
    sctx.load_verify_locations(paths["ca"])
    sctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_POST_HANDSHAKE)
    cctx = client_context()
    cctx.use_certificate_chain_file(paths["chain"])
    cctx.use_privatekey_file(paths["leaf_key"])
    cctx.set_post_handshake_auth(True)
    return cctx, sctx


class TestPostHandshakeAuth:
    def test_certificate_after_the_handshake(self):
        cctx, sctx = pha_contexts()
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert server.get_peer_certificate() is None
        server.verify_client_post_handshake()
        assert exchange(server, client, b"who are you?") == b"who are you?"
        assert exchange(client, server, b"me") == b"me"
        assert server.get_peer_certificate().get_subject().CN == "localhost"

    def test_client_without_pha_support(self):
        cctx, sctx = pha_contexts()
        cctx.set_post_handshake_auth(False)
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        with pytest.raises(SSL.Error):
            server.verify_client_post_handshake()

    def test_not_in_tls12(self):
        cctx, sctx = pha_contexts()
        cctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        with pytest.raises(SSL.Error):
            server.verify_client_post_handshake()

    def test_stdlib_client(self):
        paths = pki_paths()
        _, sctx = pha_contexts()

        def handler(conn):
            conn.do_handshake()
            before = conn.get_peer_certificate()
            conn.verify_client_post_handshake()
            conn.sendall(b"identify\n")
            data = conn.recv(100)
            return before, conn.get_peer_certificate(), data

        port, thread = serve_once(sctx, handler)
        cctx = ssl.create_default_context(cafile=paths["ca"])
        cctx.load_cert_chain(paths["chain"], paths["leaf_key"])
        cctx.post_handshake_auth = True
        with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.recv(100) == b"identify\n"
                tls.sendall(b"ok")
        before, after, data = thread.join()
        assert before is None
        assert after.get_subject().CN == "localhost"
        assert data == b"ok"

    def test_openssl_client(self):
        paths = pki_paths()
        _, sctx = pha_contexts()

        def handler(conn):
            conn.do_handshake()
            conn.verify_client_post_handshake()
            conn.sendall(b"identify\n")
            conn.recv(100)
            return conn.get_peer_certificate()

        port, thread = serve_once(sctx, handler)
        # Answer only once the request has come (it precedes "identify"),
        # so the certificate reaches the server before b"ok".
        proc = popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
             "-CAfile", paths["ca"], "-enable_pha", "-cert", paths["leaf"],
             "-key", paths["leaf_key"], "-cert_chain", paths["intermediate"]])
        try:
            for line in proc.stdout:
                if line.startswith(b"identify"):
                    break
            proc.stdin.write(b"ok\n")
            proc.stdin.close()
            cert = thread.join()
        finally:
            kill_group(proc)
        assert cert.get_subject().CN == "localhost"


PSK = bytes.fromhex("00112233445566778899aabbccddeeff")


def psk_contexts(version, hint=None, client_psk=PSK, server_cert=False):
    seen = {}

    def client_cb(conn, their_hint):
        seen["hint"] = their_hint
        return b"client-7", client_psk

    def server_cb(conn, identity):
        seen["identity"] = identity
        return PSK if identity == b"client-7" else b""

    cctx = SSL.Context(SSL.TLS_METHOD)
    cctx.set_min_proto_version(version)
    cctx.set_max_proto_version(version)
    cctx.set_psk_client_callback(client_cb)
    sctx = server_context() if server_cert else SSL.Context(SSL.TLS_METHOD)
    sctx.set_psk_server_callback(server_cb)
    if hint is not None:
        sctx.use_psk_identity_hint(hint)
    if version == SSL.TLS1_2_VERSION:
        cctx.set_cipher_list(b"PSK")
        sctx.set_cipher_list(b"PSK")
    return cctx, sctx, seen


class TestPSK:
    def test_tls12(self):
        cctx, sctx, seen = psk_contexts(SSL.TLS1_2_VERSION, hint=b"hint-1")
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert seen == {"hint": b"hint-1", "identity": b"client-7"}
        assert "PSK" in client.get_cipher_name()
        assert exchange(client, server, b"secret talk") == b"secret talk"

    def test_tls13(self):
        cctx, sctx, seen = psk_contexts(SSL.TLS1_3_VERSION)
        client, server = memory_pair(cctx, sctx)
        handshake(client, server)
        assert seen["identity"] == b"client-7"
        assert client.get_protocol_version_name() == "TLSv1.3"
        assert exchange(server, client, b"no certificates") == b"no certificates"
        assert client.get_peer_certificate() is None

    @pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
    def test_wrong_key_fails(self, version):
        cctx, sctx, _ = psk_contexts(version, client_psk=b"\x01" * 16)
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    @pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
    def test_empty_psk_refuses_the_client(self, version):
        cctx, sctx, seen = psk_contexts(version)
        sctx.set_psk_server_callback(lambda conn, identity: b"")
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(SSL.Error):
            handshake(client, server)

    def test_client_callback_exception(self):
        cctx, sctx, _ = psk_contexts(SSL.TLS1_2_VERSION)

        def boom(conn, hint):
            raise PermissionError("no key for this server")

        cctx.set_psk_client_callback(boom)
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(PermissionError, match="no key"):
            handshake(client, server)

    def test_client_callback_bad_return(self):
        cctx, sctx, _ = psk_contexts(SSL.TLS1_2_VERSION)
        cctx.set_psk_client_callback(lambda conn, hint: b"just one")
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(TypeError):
            handshake(client, server)

    def test_server_callback_exception(self):
        cctx, sctx, _ = psk_contexts(SSL.TLS1_3_VERSION)

        def boom(conn, identity):
            raise RuntimeError("key store locked")

        sctx.set_psk_server_callback(boom)
        client, server = memory_pair(cctx, sctx)
        with pytest.raises(RuntimeError, match="key store locked"):
            handshake(client, server)

    def test_hint_too_long(self):
        with pytest.raises(ValueError):
            SSL.Context(SSL.TLS_METHOD).use_psk_identity_hint(b"h" * 300)

    @pytest.mark.parametrize("flags", [["-tls1_3"],
                                       ["-tls1_2", "-cipher", "PSK"]])
    def test_openssl_server(self, flags):
        version = SSL.TLS1_3_VERSION if "-tls1_3" in flags else SSL.TLS1_2_VERSION
        cctx, _, seen = psk_contexts(version)
        args = ["-nocert", "-psk", PSK.hex(), "-psk_identity", "client-7",
                "-psk_hint", "from-s_server", "-rev"] + flags
        with InteractiveOpenSSLServer(*args, cert=False) as server:
            sock = connect(server.port)
            conn = SSL.Connection(cctx, sock)
            conn.set_connect_state()
            conn.do_handshake()
            roundtrip_reversed(conn, b"psk")
            sock.close()
        if version == SSL.TLS1_2_VERSION:
            assert seen["hint"] == b"from-s_server"

    @pytest.mark.parametrize("flags", [["-tls1_3"],
                                       ["-tls1_2", "-cipher", "PSK"]])
    def test_openssl_client(self, flags):
        version = SSL.TLS1_3_VERSION if "-tls1_3" in flags else SSL.TLS1_2_VERSION
        _, sctx, seen = psk_contexts(version, hint=b"our-hint")

        def handler(conn):
            conn.do_handshake()
            return conn.recv(100)

        port, thread = serve_once(sctx, handler)
        s_client(port, "-psk", PSK.hex(), "-psk_identity", "client-7",
                 *flags, stdin=b"over psk\n")
        assert thread.join() == b"over psk\n"
        assert seen["identity"] == b"client-7"

    def test_over_python_transport(self):
        cctx, sctx, _ = psk_contexts(SSL.TLS1_3_VERSION)
        a, b = transport_pair()
        client, server = connection_pair(cctx, sctx, b, a)
        handshake(client, server, memory=False)
        assert exchange(client, server, b"x" * 5000, memory=False) == b"x" * 5000


class TestOverPythonTransport:
    """The extensions ride on any transport: one handshake over two Python
    objects with read()/write() carries SNI, ALPN, an OCSP staple, key log
    lines and a chosen group, and a second one resumes the session."""

    def test_everything_at_once(self, tmp_path):
        der, _ = ocsp_response(tmp_path)
        seen = {}
        sctx = server_context()
        sctx.set_session_id(b"python transport")
        sctx.set_tlsext_servername_callback(
            lambda conn: seen.setdefault("sni", conn.get_servername()))
        sctx.set_alpn_select_callback(lambda conn, protos: protos[-1])
        sctx.set_ocsp_server_callback(lambda conn, data: der)
        cctx = client_context()
        cctx.set_alpn_protos([b"h2", b"http/1.1"])
        cctx.set_ocsp_client_callback(
            lambda conn, ocsp, data: seen.setdefault("ocsp", ocsp) is not None)
        cctx.set_groups(["P-384"])
        lines = []
        cctx.set_keylog_callback(lambda conn, line: lines.append(line))

        def connect(session=None):
            a, b = transport_pair()
            server = SSL.Connection(sctx, a)
            server.set_accept_state()
            client = SSL.Connection(cctx, b)
            client.set_tlsext_host_name(b"py.transport")
            client.request_ocsp()
            if session is not None:
                client.set_session(session)
            client.set_connect_state()
            handshake(client, server, memory=False)
            assert exchange(server, client, b"ticket", memory=False) == b"ticket"
            return client, server

        client, server = connect()
        assert seen == {"sni": b"py.transport", "ocsp": der}
        assert client.get_alpn_proto_negotiated() == b"http/1.1"
        assert client.get_group_name() == "secp384r1"
        assert any(line.startswith(b"CLIENT_TRAFFIC_SECRET_0") for line in lines)
        session = client.get_session()
        client.shutdown()
        again, _ = connect(session)
        assert again.session_reused()

"""Session resumption: Session objects, get/set_session, session_reused()
and the new-session callback, with TLS 1.2 session ids and TLS 1.3 tickets."""
import os
import subprocess
import tempfile

import pytest

from OpenSSL import SSL

from peers import (
    client_context, connect, exchange, handshake, InteractiveOpenSSLServer,
    memory_pair, roundtrip_reversed, s_client, serve_once, server_context)


def greet_and_tell_reuse(conn):
    """A serve_once handler: say hello, read the answer, and return whether
    the client resumed a session."""
    conn.do_handshake()
    conn.sendall(b"hello\n")
    conn.recv(100)
    reused = conn.session_reused()
    conn.shutdown()
    return reused


def contexts(version):
    sctx = server_context()
    sctx.set_session_id(b"session tests")
    cctx = client_context()
    if version is not None:
        cctx.set_max_proto_version(version)
    return cctx, sctx


def connect_once(cctx, sctx, session=None):
    client, server = memory_pair(cctx, sctx)
    if session is not None:
        client.set_session(session)
    handshake(client, server)
    # Under TLS 1.3 the tickets come after the handshake: read them.
    assert exchange(server, client, b"tickets?") == b"tickets?"
    return client, server


VERSIONS = [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION]


class TestSessionObjects:
    def test_no_session_before_handshake(self):
        conn = SSL.Connection(client_context(), None)
        assert conn.get_session() is None

    def test_session_type(self):
        client, _ = connect_once(*contexts(None))
        session = client.get_session()
        assert isinstance(session, SSL.Session)

    def test_set_session_wrong_type(self):
        conn = SSL.Connection(client_context(), None)
        with pytest.raises(TypeError):
            conn.set_session(b"not a session")

    def test_empty_session_object(self):
        # Session() exists as a type; an empty one cannot resume anything.
        session = SSL.Session()
        conn = SSL.Connection(client_context(), None)
        with pytest.raises((SSL.Error, ValueError)):
            conn.set_session(session)


class TestResumption:
    @pytest.mark.parametrize("version", VERSIONS)
    def test_resumed_between_our_connections(self, version):
        cctx, sctx = contexts(version)
        first, _ = connect_once(cctx, sctx)
        assert not first.session_reused()
        session = first.get_session()
        second, server = connect_once(cctx, sctx, session)
        assert second.session_reused()
        assert server.session_reused()
        assert second.get_protocol_version() == version

    @pytest.mark.parametrize("version", VERSIONS)
    def test_fresh_connection_is_not_resumed(self, version):
        cctx, sctx = contexts(version)
        connect_once(cctx, sctx)
        client, server = connect_once(cctx, sctx)
        assert not client.session_reused()
        assert not server.session_reused()

    def test_tls12_session_id_from_the_server_cache(self):
        # No tickets: the server finds the session by its id in its cache.
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)
        sctx.set_options(SSL.OP_NO_TICKET)
        first, _ = connect_once(cctx, sctx)
        session = first.get_session()
        assert len(session.get_id()) == 32
        second, server = connect_once(cctx, sctx, session)
        assert second.session_reused() and server.session_reused()
        assert server.get_session().get_id() == session.get_id()

    def test_openssl_client_resumes_by_session_id(self, tmp_path):
        cctx, sctx = contexts(None)
        sctx.set_options(SSL.OP_NO_TICKET)

        path = str(tmp_path / "session.pem")
        outs = []
        for args in (["-sess_out", path], ["-sess_in", path]):
            port, thread = serve_once(sctx, greet_and_tell_reuse)
            outs.append(s_client(port, "-tls1_2", "-no_ticket", *args,
                                 stdin=b"bye\n", wait_for=b"hello"))
            assert thread.join() is (args[0] == "-sess_in")
        assert "New, TLSv1.2" in outs[0]
        assert "Reused, TLSv1.2" in outs[1]

    def test_tickets_off_and_no_cache_means_no_resumption(self):
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)
        sctx.set_options(SSL.OP_NO_TICKET)
        sctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        first, _ = connect_once(cctx, sctx)
        second, _ = connect_once(cctx, sctx, first.get_session())
        assert not second.session_reused()

    def test_session_survives_its_connection(self):
        cctx, sctx = contexts(SSL.TLS1_3_VERSION)
        first, _ = connect_once(cctx, sctx)
        session = first.get_session()
        first.shutdown()
        del first
        second, _ = connect_once(cctx, sctx, session)
        assert second.session_reused()

    @pytest.mark.parametrize("flag", ["-tls1_2", "-tls1_3"])
    def test_openssl_client_resumes_with_our_server(self, flag):
        cctx, sctx = contexts(None)

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "session.pem")
            port, thread = serve_once(sctx, greet_and_tell_reuse)
            out = s_client(port, flag, "-sess_out", path, stdin=b"bye\n",
                           wait_for=b"hello")
            assert thread.join() is False
            assert "New, TLSv1" in out
            port, thread = serve_once(sctx, greet_and_tell_reuse)
            out = s_client(port, flag, "-sess_in", path, stdin=b"bye\n",
                           wait_for=b"hello")
            assert thread.join() is True
            assert "Reused, TLSv1" in out

    @pytest.mark.parametrize("flag", ["-tls1_2", "-tls1_3"])
    def test_our_client_resumes_with_openssl_server(self, flag):
        cctx = client_context()
        session = None
        with InteractiveOpenSSLServer(flag, "-rev", naccept=2) as server:
            for attempt in range(2):
                sock = connect(server.port)
                conn = SSL.Connection(cctx, sock)
                if session is not None:
                    conn.set_session(session)
                conn.set_connect_state()
                conn.do_handshake()
                roundtrip_reversed(conn, b"resume")
                assert conn.session_reused() is (attempt == 1)
                session = conn.get_session()
                # A connection dropped without close_notify is not resumable.
                conn.shutdown()
                sock.close()


class TestSessionCallback:
    @pytest.mark.parametrize("version", VERSIONS)
    def test_callback_gets_resumable_sessions(self, version):
        cctx, sctx = contexts(version)
        seen = []
        cctx.set_session_callback(lambda conn, session: seen.append((conn, session)))
        first, _ = connect_once(cctx, sctx)
        assert seen
        conn, session = seen[-1]
        assert conn is first
        assert isinstance(session, SSL.Session)
        second, _ = connect_once(cctx, sctx, session)
        assert second.session_reused()

    def test_client_only_context(self):
        _, sctx = contexts(SSL.TLS1_3_VERSION)
        cctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        seen = []
        cctx.set_session_callback(lambda conn, session: seen.append(session))
        assert cctx.get_session_cache_mode() & SSL.SESS_CACHE_CLIENT
        first, _ = connect_once(cctx, sctx)
        second, _ = connect_once(cctx, sctx, seen[-1])
        assert second.session_reused()

    def test_callback_of_the_first_context_after_a_switch(self):
        # The session cache, and its callback, stay with the Context the
        # Connection was made with when SNI switches to another.
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)
        sctx.set_options(SSL.OP_NO_TICKET)
        other = server_context()
        sctx.set_tlsext_servername_callback(lambda conn: conn.set_context(other))
        seen = []
        sctx.set_session_callback(lambda conn, session: seen.append(conn))
        client, server = memory_pair(cctx, sctx)
        client.set_tlsext_host_name(b"switch.test")
        handshake(client, server)
        assert server.get_context() is other
        assert seen == [server]

    def test_server_side_callback(self):
        # A server's session cache (TLS 1.2 without tickets) stores ids.
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)
        sctx.set_options(SSL.OP_NO_TICKET)
        seen = []
        sctx.set_session_callback(lambda conn, session: seen.append(conn))
        _, server = connect_once(cctx, sctx)
        assert seen == [server]

    def test_callback_exception_is_raised_from_the_handshake(self):
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)

        def boom(conn, session):
            raise RuntimeError("cannot store session")

        cctx.set_session_callback(boom)
        with pytest.raises(RuntimeError, match="cannot store session"):
            connect_once(cctx, sctx)

    def test_callback_none_clears_it(self):
        cctx, sctx = contexts(SSL.TLS1_2_VERSION)
        seen = []
        cctx.set_session_callback(lambda conn, session: seen.append(1))
        cctx.set_session_callback(None)
        connect_once(cctx, sctx)
        assert seen == []

    def test_callback_not_callable(self):
        with pytest.raises(TypeError):
            client_context().set_session_callback(42)


class TestSessionSerialisation:
    """Sessions leave the process (an external cache) and come back."""

    @pytest.mark.parametrize("version", VERSIONS)
    def test_der_round_trip_resumes(self, version):
        cctx, sctx = contexts(version)
        first, _ = connect_once(cctx, sctx)
        session = first.get_session()
        assert session.is_resumable()
        assert session.get_protocol_version() == version
        der = session.to_der()
        restored = SSL.Session.from_der(der)
        assert restored.get_id() == session.get_id()
        assert restored.to_der() == der
        second, _ = connect_once(cctx, sctx, restored)
        assert second.session_reused()

    def test_openssl_reads_our_session(self, tmp_path):
        cctx, sctx = contexts(SSL.TLS1_3_VERSION)
        first, _ = connect_once(cctx, sctx)
        path = tmp_path / "session.der"
        path.write_bytes(first.get_session().to_der())
        out = subprocess.run(
            ["openssl", "sess_id", "-inform", "DER", "-in", str(path),
             "-text", "-noout"], check=True, capture_output=True,
            timeout=30).stdout.decode()
        assert "Protocol  : TLSv1.3" in out

    def test_session_from_openssl_client_resumes_ours(self, tmp_path):
        cctx, sctx = contexts(None)
        pem = str(tmp_path / "session.pem")
        port, thread = serve_once(sctx, greet_and_tell_reuse)
        s_client(port, "-sess_out", pem, stdin=b"bye\n", wait_for=b"hello")
        thread.join()
        der = subprocess.run(
            ["openssl", "sess_id", "-in", pem, "-outform", "DER"],
            check=True, capture_output=True, timeout=30).stdout
        second, _ = connect_once(cctx, sctx, SSL.Session.from_der(der))
        assert second.session_reused()

    def test_bad_der(self):
        with pytest.raises(SSL.Error):
            SSL.Session.from_der(b"\x30\x03not a session")
        with pytest.raises(TypeError):
            SSL.Session.from_der("text")

    def test_empty_session(self):
        empty = SSL.Session()
        assert not empty.is_resumable()
        with pytest.raises(ValueError):
            empty.to_der()
        with pytest.raises(ValueError):
            empty.get_id()

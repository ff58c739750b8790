"""The data methods of a Connection (send, sendall, recv, recv_into,
bio_read, bio_write) take their arguments by position and by keyword, refuse
bad ones with a TypeError naming the problem, and move the bytes unchanged
whatever the record sizes."""
import pytest

from OpenSSL import SSL

import peers
from peers import handshake_memory, memory_pair, pump


@pytest.fixture(scope="module")
def contexts():
    made, _ = peers.chain("main")
    server = SSL.Context(SSL.TLS_METHOD)
    server.use_certificate(made.leaf.cert)
    server.use_privatekey(made.leaf.key)
    client = SSL.Context(SSL.TLS_METHOD)
    return client, server


@pytest.fixture
def pair(contexts):
    client, server = memory_pair(*contexts)
    handshake_memory(client, server)
    return client, server


def test_keywords(pair):
    client, server = pair
    assert client.send(buf=b"abc", flags=0) == 3
    assert client.sendall(b"def", flags=0) == 3
    assert client.write(b"ghi") == 3
    pump(client, server)
    # One record per call: each recv returns from one of them.
    assert server.recv(bufsiz=2) == b"ab"
    assert server.read(2, flags=None) == b"c"
    buf = bytearray(10)
    assert server.recv_into(buffer=buf, nbytes=2, flags=0) == 2
    assert bytes(buf[:2]) == b"de"
    assert server.recv_into(buf) == 1
    assert server.recv_into(buf) == 3
    assert bytes(buf[:3]) == b"ghi"


@pytest.mark.parametrize("call, message", [
    (lambda c: c.recv(), "missing required argument 'bufsiz'"),
    (lambda c: c.recv(10, 0, 1), "at most 2 arguments"),
    (lambda c: c.recv(10, bufsiz=10), "multiple values for argument 'bufsiz'"),
    (lambda c: c.recv(10, size=10), "unexpected keyword argument 'size'"),
    (lambda c: c.send(b"x", flags="0"), "flags must be an integer"),
    (lambda c: c.sendall(), "missing required argument 'buf'"),
    (lambda c: c.send("x", nope=1), "unexpected keyword argument 'nope'"),
    (lambda c: c.recv_into(b"ro"), "buffer must be a writable bytes-like"),
    (lambda c: c.bio_write(123), "buf must be"),
    (lambda c: c.bio_write(), "exactly one argument"),
])
def test_bad_arguments(pair, call, message):
    client, _ = pair
    with pytest.raises(TypeError, match=message):
        call(client)


@pytest.mark.parametrize("size", [1, 64, 1000, 4096, 4097, 16384, 40000])
def test_records_of_every_size(pair, size):
    client, server = pair
    payload = bytes(i * 7 & 255 for i in range(size))
    assert client.sendall(payload) == size
    # The records arrive in pieces: recv returns only what is complete.
    wire = client.bio_read(1 << 20)
    got = b""
    for start in range(0, len(wire), 3000):
        server.bio_write(wire[start:start + 3000])
        while True:
            try:
                got += server.recv(1 << 20)
            except SSL.WantReadError:
                break
    assert got == payload
    with pytest.raises(SSL.WantReadError):
        server.recv(100)


def test_recv_small_and_large_buffers(pair):
    import socket
    client, server = pair
    client.sendall(b"x" * 5000 + b"y" * 5000)
    pump(client, server)
    assert server.recv(10) == b"x" * 10
    assert server.recv(10, socket.MSG_PEEK) == b"x" * 10
    assert server.recv(4990) == b"x" * 4990
    assert server.recv(100000) == b"y" * 5000


def test_callbacks_during_a_small_recv(pair):
    """The session tickets of TLS 1.3 reach the client with the first
    application data: the info callback runs inside that recv, can use the
    Connection's getters, and its exception is what recv raises."""
    client, server = pair
    seen = []

    def info(conn, where, ret):
        seen.append(conn.get_state_string())

    client.set_info_callback(info)
    server.send(b"hello")
    pump(client, server)
    assert client.recv(100) == b"hello"
    assert seen and all(isinstance(state, bytes) for state in seen)


def test_callback_exception_from_a_small_recv(contexts):
    client, server = memory_pair(*contexts)
    handshake_memory(client, server)

    def info(conn, where, ret):
        raise KeyError("from the info callback")

    client.set_info_callback(info)
    server.send(b"hello")
    pump(client, server)
    with pytest.raises(KeyError, match="from the info callback"):
        client.recv(100)


def test_callback_cannot_reenter_a_small_recv(contexts):
    client, server = memory_pair(*contexts)
    handshake_memory(client, server)
    errors = []

    def info(conn, where, ret):
        try:
            conn.recv(10)
        except RuntimeError as e:
            errors.append(e)

    client.set_info_callback(info)
    server.send(b"hello")
    pump(client, server)
    assert client.recv(100) == b"hello"
    assert errors and "in use" in str(errors[0])


def test_bio_read_into_arguments(pair):
    client, _ = pair
    with pytest.raises(TypeError, match="1 or 2 arguments"):
        client.bio_read_into()
    with pytest.raises(TypeError, match="1 or 2 arguments"):
        client.bio_read_into(bytearray(4), 4, 4)
    with pytest.raises(TypeError, match="buffer must be a writable"):
        client.bio_read_into(b"ro")
    client.send(b"data")
    buf = bytearray(100)
    n = client.bio_read_into(buf, 50)
    assert 4 < n <= 50

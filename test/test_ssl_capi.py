"""OpenSSL.SSL._C_API: another C extension, compiled here against
OpenSSL.get_include(), pumps a memory-BIO handshake between two of our
Connections on its own and trades certificates and keys with us."""
import importlib.util
import os
import shlex
import socket
import subprocess
import sysconfig

import pytest

import OpenSSL
from OpenSSL import SSL, crypto

from peers import client_context, exchange, memory_pair, server_context

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def pump(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("capi")
    target = out_dir / ("_capi_pump" + sysconfig.get_config_var("EXT_SUFFIX"))
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")
    cmd = cc + ["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror",
                "-Wno-missing-field-initializers",
                "-I" + sysconfig.get_paths()["include"],
                "-I" + OpenSSL.get_include()]
    prefix = os.environ.get("OPENSSL_DIR")
    if prefix:
        cmd.append("-I" + os.path.join(prefix, "include"))
        for lib in ("lib64", "lib"):
            if os.path.isdir(os.path.join(prefix, lib)):
                cmd += ["-L" + os.path.join(prefix, lib),
                        "-Wl,-rpath," + os.path.join(prefix, lib)]
    cmd += [os.path.join(HERE, "capi_ext", "pump.c"), "-o", str(target),
            "-lssl", "-lcrypto"]
    subprocess.run(cmd, check=True, timeout=120)
    spec = importlib.util.spec_from_file_location("_capi_pump", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_header_ships_with_the_package():
    assert os.path.isfile(os.path.join(OpenSSL.get_include(),
                                       "OpenSSL_capi.h"))


def test_capsule_is_versioned(pump):
    assert type(SSL._C_API).__name__ == "PyCapsule"
    assert "OpenSSL.SSL._C_API" in repr(SSL._C_API)
    version, size = pump.api_version()
    assert version >= 1 and size > 0


@pytest.mark.parametrize("version", [SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION])
def test_extension_pumps_the_handshake(pump, version):
    cctx = client_context()
    cctx.set_max_proto_version(version)
    verified = []
    cctx.set_verify(SSL.VERIFY_PEER,
                    lambda conn, cert, err, depth, ok: verified.append(depth)
                    or ok)
    client, server = memory_pair(cctx, server_context())
    rounds = pump.pump_handshake(client, server)
    assert 2 <= rounds <= 10
    # Python callbacks ran inside the C extension's handshake.
    assert 0 in verified
    assert client.get_protocol_version() == version
    # The Connections carry on from Python.
    assert exchange(client, server, b"after the C pump") == b"after the C pump"


def test_failed_handshake_is_reported(pump):
    # No CA loaded: the client cannot verify the server.
    cctx = SSL.Context(SSL.TLS_METHOD)
    cctx.set_verify(SSL.VERIFY_PEER)
    client, server = memory_pair(cctx, server_context())
    with pytest.raises(SSL.Error, match="client handshake failed"):
        pump.pump_handshake(client, server)


def test_certificates_cross_the_api(pump):
    client, server = memory_pair(client_context(), server_context())
    pump.pump_handshake(client, server)
    cert = pump.peer_certificate(client)
    assert isinstance(cert, crypto.X509)
    assert cert.get_subject().CN == "localhost"
    assert pump.certificate_der(cert) == crypto.dump_certificate(
        crypto.FILETYPE_ASN1, client.get_peer_certificate())
    assert pump.peer_certificate(server) is None


def test_keys_cross_the_api(pump):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, 2048)
    assert pump.key_bits(key) == 2048
    ctx = server_context()
    pkey = pump.context_private_key(ctx)
    assert isinstance(pkey, crypto.PKey)
    assert pkey.bits() == 256


def test_wrong_objects(pump):
    ctx = client_context()
    with pytest.raises(TypeError):
        pump.pump_handshake(ctx, ctx)
    with pytest.raises(TypeError):
        pump.certificate_der(b"not a certificate")
    with pytest.raises(TypeError):
        pump.key_bits(None)
    with pytest.raises(TypeError):
        pump.context_private_key(SSL.Connection(ctx, None))
    a, b = socket.socketpair()
    try:
        over_socket = SSL.Connection(ctx, a)
        with pytest.raises(ValueError, match="memory BIOs"):
            pump.pump_handshake(over_socket, SSL.Connection(ctx, None))
    finally:
        a.close()
        b.close()

"""The X509Store of a Context (Context.get_cert_store()): what is added to
it and set on it decides the handshake's certificate verification."""
import gc
import time

import pytest

from OpenSSL import SSL, crypto

import pki
import peers
from peers import memory_pair


@pytest.fixture(scope="module")
def chain():
    return pki.make_chain("ec")


def server_context(chain):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(chain.leaf.cert)
    ctx.use_privatekey(chain.leaf.key)
    ctx.add_extra_chain_cert(chain.intermediate.cert)
    return ctx


def client_context():
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER)
    return ctx


def handshake(client_ctx, server_ctx):
    """The client's verify result after a handshake; SSL.Error if the
    handshake failed."""
    client, server = memory_pair(client_ctx, server_ctx)
    peers.handshake(client, server)
    return client.get_verify_result()


def _gmt(seconds):
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(seconds)).encode()


def test_store_trust_decides_the_handshake(chain):
    ctx = client_context()
    store = ctx.get_cert_store()
    assert isinstance(store, crypto.X509Store)
    with pytest.raises(SSL.Error):
        handshake(ctx, server_context(chain))
    store.add_cert(chain.ca.cert)
    assert handshake(ctx, server_context(chain)) == 0


def test_store_host_check_applies_to_the_handshake(chain):
    ctx = client_context()
    store = ctx.get_cert_store()
    store.add_cert(chain.ca.cert)
    store.set_host("localhost")
    assert handshake(ctx, server_context(chain)) == 0
    store.set_host("example.org")
    with pytest.raises(SSL.Error):
        handshake(ctx, server_context(chain))
    # Without VERIFY_PEER the handshake goes on and the result says why.
    ctx.set_verify(SSL.VERIFY_NONE)
    assert handshake(ctx, server_context(chain)) == 62   # hostname mismatch


def test_store_crl_check_applies_to_the_handshake(chain):
    ctx = client_context()
    store = ctx.get_cert_store()
    store.add_cert(chain.ca.cert)
    entry = crypto.Revoked()
    entry.set_serial(b"%x" % chain.leaf.cert.get_serial_number())
    entry.set_rev_date(_gmt(time.time() - 3600))
    crl = crypto.CRL()
    crl.add_revoked(entry)
    crl.set_lastUpdate(_gmt(time.time() - 3600))
    crl.set_nextUpdate(_gmt(time.time() + 86400))
    crl.sign(chain.intermediate.cert, chain.intermediate.key, b"sha256")
    store.add_crl(crl)
    assert handshake(ctx, server_context(chain)) == 0
    store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    with pytest.raises(SSL.Error):
        handshake(ctx, server_context(chain))
    ctx.set_verify(SSL.VERIFY_NONE)
    assert handshake(ctx, server_context(chain)) == 23   # revoked


def test_store_outlives_its_context(chain):
    ctx = client_context()
    store = ctx.get_cert_store()
    del ctx
    gc.collect()
    store.add_cert(chain.ca.cert)
    verified = crypto.X509StoreContext(store, chain.leaf.cert,
                                       [chain.intermediate.cert])
    assert len(verified.get_verified_chain()) == 3


def test_two_get_cert_store_calls_share_one_store(chain):
    ctx = client_context()
    ctx.get_cert_store().add_cert(chain.ca.cert)
    first, second = ctx.get_cert_store(), ctx.get_cert_store()
    first.set_purpose(crypto.X509StorePurpose.SSL_CLIENT)
    # The server's leaf says serverAuth and clientAuth: both purposes pass,
    # so the change shows in a verification through the second object.
    assert crypto.X509StoreContext(second, chain.leaf.cert,
                                   [chain.intermediate.cert]
                                   ).verify_certificate() is None
    first.set_depth(0)
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(second, chain.leaf.cert,
                                [chain.intermediate.cert]).verify_certificate()
    assert info.value.errors[0] == 22

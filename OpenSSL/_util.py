"""Names that downstream code imports from pyOpenSSL's private ``_util``.

Twisted does ``from OpenSSL._util import lib as pyOpenSSLlib`` at import
time (it only calls into it on OpenSSL 1.0.2, which this package does not
support), so ``lib`` must exist.
"""


class _Lib:
    """A stand-in for pyOpenSSL's cffi ``lib``: no OpenSSL 1.0.2 symbols."""

    def __repr__(self):
        return "<OpenSSL._util.lib>"


lib = _Lib()
ffi = None

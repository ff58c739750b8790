"""OpenSSL for Python: certificates, keys and TLS, written in C.

The three modules are ``OpenSSL.crypto``, ``OpenSSL.SSL`` and
``OpenSSL.rand``; the API is pyOpenSSL's.
"""

import os as _os

from OpenSSL import crypto, rand, SSL
from OpenSSL.version import (
    __author__, __copyright__, __email__, __license__, __summary__,
    __title__, __uri__, __version__,
)

__all__ = [
    "SSL", "crypto", "rand", "get_include",
    "__author__", "__copyright__", "__email__", "__license__", "__summary__",
    "__title__", "__uri__", "__version__",
]


def get_include() -> str:
    """Return the directory holding ``OpenSSL_capi.h``, for C extensions."""
    return _os.path.join(_os.path.dirname(__file__), "include")

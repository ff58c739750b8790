"""Version and metadata of the OpenSSL package."""

__all__ = [
    "__author__", "__copyright__", "__email__", "__license__", "__summary__",
    "__title__", "__uri__", "__version__",
]

# The first field follows the pyOpenSSL API level the package implements:
# downstream code picks its code path from int(__version__.split(".")[0]).
__version__ = "26.4.0"

__title__ = "OpenSSL"
__uri__ = "https://pypi.org/project/OpenSSL/"
__summary__ = "OpenSSL for Python in C, with the pyOpenSSL API"
__author__ = "The OpenSSL for Python developers"
__email__ = "openssl-python@localhost"
__license__ = "Apache License, Version 2.0"
__copyright__ = f"Copyright 2026 {__author__}"

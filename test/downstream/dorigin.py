"""Which `OpenSSL` the downstream packages import, and whether it is the
one DOWNSTREAM_AGAINST asks for."""
import importlib.metadata
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(os.path.dirname(HERE))


def _distribution(name):
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def origin_problem():
    """Why the imported `OpenSSL` is not the one DOWNSTREAM_AGAINST asks for,
    or None when it is."""
    against = os.environ.get("DOWNSTREAM_AGAINST")
    import OpenSSL
    import OpenSSL.crypto

    where = os.path.realpath(OpenSSL.__file__)
    # (the venv itself may live inside the checkout, as .venv-downstream does)
    if not where.startswith(os.path.realpath(sys.prefix) + os.sep):
        return f"OpenSSL imported from {where}, not from the venv {sys.prefix}"
    if where == os.path.join(os.path.realpath(CHECKOUT), "OpenSSL", "__init__.py"):
        return f"OpenSSL imported from the checkout ({where}), not the venv"
    crypto_is_c = OpenSSL.crypto.__file__.endswith(".so")
    if against == "ours":
        if _distribution("pyOpenSSL") is not None:
            return "pyOpenSSL is installed in the venv and could shadow this package"
        if _distribution("OpenSSL") is None or not crypto_is_c:
            return f"OpenSSL at {where} is not this package"
        return None
    if against == "pyopenssl":
        if _distribution("pyOpenSSL") is None or crypto_is_c:
            return f"OpenSSL at {where} is not pyOpenSSL"
        return None
    return f"DOWNSTREAM_AGAINST must be 'ours' or 'pyopenssl', not {against!r}"

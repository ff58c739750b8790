"""The downstream tests: real Twisted, urllib3, service_identity and certbot
from PyPI, run unchanged against the `OpenSSL` package installed in the venv.

They run in their own venv, made by tools/downstream.sh (`make downstream`).
The plain suite's venv has none of those packages, so there this directory is
not collected at all; a venv that has them but lacks `DOWNSTREAM_AGAINST`
is a mistake and fails loudly instead.

DOWNSTREAM_AGAINST=ours       the installed `OpenSSL` must be this package
DOWNSTREAM_AGAINST=pyopenssl  it must be pyOpenSSL (proves the tests right)
"""
import importlib.metadata
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(os.path.dirname(HERE))

_NEEDED = ("twisted", "urllib3", "service_identity", "certbot")
_HAVE_DOWNSTREAM = all(importlib.util.find_spec(name) is not None for name in _NEEDED)

if not _HAVE_DOWNSTREAM:
    # Not the downstream venv (e.g. `make test`): nothing here can run.
    collect_ignore_glob = ["*.py"]
else:
    if HERE not in sys.path:
        sys.path.insert(0, HERE)


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


def pytest_report_header(config):
    if not _HAVE_DOWNSTREAM:
        return None
    import OpenSSL

    return (f"downstream: against={os.environ.get('DOWNSTREAM_AGAINST')} "
            f"OpenSSL {OpenSSL.__version__} from {os.path.dirname(OpenSSL.__file__)}")


@pytest.fixture(scope="session", autouse=True)
def _right_openssl():
    problem = origin_problem()
    assert problem is None, problem


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    from dpki import Pki

    return Pki(str(tmp_path_factory.mktemp("pki")))

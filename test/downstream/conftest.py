"""The downstream tests: real Twisted, urllib3, service_identity and certbot
from PyPI, run unchanged against the `OpenSSL` package installed in the venv.

They run in their own venv, made by tools/downstream.sh (`make downstream`).
The plain suite's venv has none of those packages, so there this directory is
not collected at all; a venv that has them but lacks `DOWNSTREAM_AGAINST`
is a mistake and fails loudly instead.

DOWNSTREAM_AGAINST=ours       the installed `OpenSSL` must be this package
DOWNSTREAM_AGAINST=pyopenssl  it must be pyOpenSSL (proves the tests right)
"""
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

_NEEDED = ("twisted", "urllib3", "service_identity", "certbot")
_HAVE_DOWNSTREAM = all(importlib.util.find_spec(name) is not None for name in _NEEDED)

if not _HAVE_DOWNSTREAM:
    # Not the downstream venv (e.g. `make test`): nothing here can run.
    collect_ignore_glob = ["*.py"]
else:
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    from dorigin import origin_problem


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

"""Test set-up: run against the in-place build in the checkout.

With OSSL_TEST_INSTALLED=1 the tests import whichever `OpenSSL` the running
Python has installed instead; the same tests then run against pyOpenSSL,
which is how the suite itself is checked against the reference behaviour.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("OSSL_TEST_INSTALLED") != "1":
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
else:
    # test/ itself must stay importable for the helpers (pki, peers).
    HERE = os.path.dirname(os.path.abspath(__file__))
    if HERE not in sys.path:
        sys.path.insert(0, HERE)


def pytest_configure(config):
    # For runs with pytest-run-parallel (every test in several threads at
    # once): tests that need the main thread (signals) say so.
    config.addinivalue_line(
        "markers", "thread_unsafe: the test must run in one thread only")

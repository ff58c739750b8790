"""The downstream packages import the `OpenSSL` this run is meant to test."""
import os

from dorigin import origin_problem


def test_openssl_is_the_package_under_test():
    assert origin_problem() is None


def test_downstream_modules_see_the_same_openssl():
    import OpenSSL
    import OpenSSL._util
    import certbot.crypto_util
    import service_identity.pyopenssl  # noqa: F401 (must import cleanly)
    import twisted.internet._sslverify as sslverify
    import urllib3.contrib.pyopenssl as u3

    assert sslverify.SSL is OpenSSL.SSL
    assert sslverify.crypto is OpenSSL.crypto
    assert sslverify.pyOpenSSLlib is OpenSSL._util.lib
    assert u3.OpenSSL is OpenSSL
    assert certbot.crypto_util.SSL is OpenSSL.SSL
    here = os.path.dirname(OpenSSL.__file__)
    assert os.path.dirname(OpenSSL.SSL.__file__) == here


def test_version_has_an_integer_first_field():
    # urllib3 picks its key-loading path from int(__version__.split(".")[0]).
    import OpenSSL

    assert int(OpenSSL.__version__.split(".")[0]) >= 20

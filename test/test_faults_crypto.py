"""Faults on the crypto side: truncated and corrupted input at every length,
passphrase callbacks that raise or return the wrong thing, objects that
outlive the object they came from.  Each fault gives a named exception, and
the next operation (on the same or another object) is unaffected."""
import gc
import unittest

from OpenSSL import crypto

import pki

PEM, DER, TEXT = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1, crypto.FILETYPE_TEXT


def setUpModule():
    global CHAIN, KEY, CERT, CERT_DER, CERT_PEM, KEY_DER, KEY_ENC, REQ_DER
    CHAIN = pki.make_chain("ec", san=["fault.example"])
    KEY = CHAIN.leaf.key
    CERT = CHAIN.leaf.cert
    CERT_DER = crypto.dump_certificate(DER, CERT)
    CERT_PEM = crypto.dump_certificate(PEM, CERT)
    KEY_DER = crypto.dump_privatekey(DER, KEY)
    KEY_ENC = crypto.dump_privatekey(PEM, KEY, "aes-128-cbc", b"secret")
    req = crypto.X509Req()
    req.get_subject().CN = "fault"
    req.set_pubkey(KEY)
    req.sign(KEY, "sha256")
    REQ_DER = crypto.dump_certificate_request(DER, req)


class TruncationTests(unittest.TestCase):
    """Every prefix of a valid encoding is refused with crypto.Error."""

    def check_prefixes(self, load, data, step=1, end=b""):
        """`data` without its PEM `end` line, cut at every `step` bytes."""
        for size in range(0, len(data), step):
            with self.assertRaises(crypto.Error, msg=f"prefix of {size} bytes"):
                load(data[:size])
        load(data + end)  # and the whole still loads afterwards

    def test_certificate_der_every_prefix(self):
        self.check_prefixes(lambda d: crypto.load_certificate(DER, d), CERT_DER)

    def test_certificate_pem_prefixes(self):
        end = b"-----END CERTIFICATE-----\n"
        self.check_prefixes(lambda d: crypto.load_certificate(PEM, d),
                            CERT_PEM[:-len(end)], 7, end)

    def test_privatekey_der_every_prefix(self):
        self.check_prefixes(lambda d: crypto.load_privatekey(DER, d), KEY_DER)

    def test_request_der_every_prefix(self):
        self.check_prefixes(lambda d: crypto.load_certificate_request(DER, d), REQ_DER)

    def test_encrypted_key_prefixes(self):
        end = b"-----END ENCRYPTED PRIVATE KEY-----\n"
        self.check_prefixes(lambda d: crypto.load_privatekey(PEM, d, b"secret"),
                            KEY_ENC[:-len(end)], 13, end)


class CorruptionTests(unittest.TestCase):

    def test_every_byte_flipped_never_crashes(self):
        """A flipped byte either still parses (a changed signature or field)
        or is refused with crypto.Error; a parsed one can be dumped again."""
        refused = 0
        for i in range(len(CERT_DER)):
            data = bytearray(CERT_DER)
            data[i] ^= 0xff
            try:
                cert = crypto.load_certificate(DER, bytes(data))
            except crypto.Error:
                refused += 1
                continue
            crypto.dump_certificate(TEXT, cert)
            cert.get_subject().get_components()
        self.assertGreater(refused, 0)

    def test_length_fields_that_lie(self):
        for lie in (b"\x30\x84\xff\xff\xff\xff", b"\x30\x80", b"\x30\x89" + b"\xff" * 9,
                    b"\x30\x82\xff\xff" + CERT_DER[4:]):
            with self.assertRaises(crypto.Error):
                crypto.load_certificate(DER, lie)

    def test_deep_nesting(self):
        deep = b"\x30\x80" * 10000 + b"\x00\x00" * 10000
        with self.assertRaises(crypto.Error):
            crypto.load_certificate(DER, deep)
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(DER, deep)

    def test_errors_do_not_leak_into_the_next_call(self):
        """A failed parse leaves OpenSSL's error queue empty: the next
        failure reports only its own reasons, and successes succeed."""
        with self.assertRaises(crypto.Error):
            crypto.load_certificate(DER, b"\x30\x03\x02\x01")
        cert = crypto.load_certificate(DER, CERT_DER)
        self.assertEqual(cert.get_subject().CN, "localhost")
        with self.assertRaises(crypto.Error) as first:
            crypto.load_privatekey(PEM, b"-----BEGIN PRIVATE KEY-----\nAA==\n"
                                        b"-----END PRIVATE KEY-----\n")
        with self.assertRaises(crypto.Error) as second:
            crypto.load_privatekey(PEM, b"-----BEGIN PRIVATE KEY-----\nAA==\n"
                                         b"-----END PRIVATE KEY-----\n")
        self.assertEqual(first.exception.args, second.exception.args)


class PassphraseFaultTests(unittest.TestCase):

    def load(self, passphrase):
        return crypto.load_privatekey(PEM, KEY_ENC, passphrase)

    def assert_still_works(self):
        key = self.load(b"secret")
        self.assertEqual(crypto.dump_publickey(DER, key), crypto.dump_publickey(DER, KEY))

    def test_callback_raising_surfaces_its_exception(self):
        class Boom(Exception):
            pass

        def callback(*args):
            raise Boom("no passphrase for you")
        with self.assertRaisesRegex(Boom, "no passphrase for you"):
            self.load(callback)
        self.assert_still_works()

    def test_callback_returning_wrong_types(self):
        for value in (None, 42, 1.5, ["secret"], object()):
            with self.assertRaises((TypeError, ValueError), msg=repr(value)):
                self.load(lambda *args, value=value: value)
        self.assert_still_works()

    def test_oversized_passphrase(self):
        with self.assertRaisesRegex(ValueError, "too long"):
            self.load(lambda *args: b"x" * 100000)
        with self.assertRaises((ValueError, crypto.Error)):
            self.load(b"y" * 100000)
        self.assert_still_works()

    def test_wrong_and_empty_passphrase(self):
        for passphrase in (b"wrong", b"", lambda *args: b"wrong"):
            with self.assertRaises(crypto.Error):
                self.load(passphrase)
        self.assert_still_works()

    def test_missing_passphrase(self):
        with self.assertRaises((crypto.Error, TypeError)):
            crypto.load_privatekey(PEM, KEY_ENC)
        self.assert_still_works()

    def test_callback_with_wrong_signature(self):
        with self.assertRaises(TypeError):
            self.load(lambda: b"secret")
        self.assert_still_works()

    def test_callback_exception_is_not_swallowed_by_a_later_success(self):
        def callback(*args):
            raise KeyError("first")
        with self.assertRaises(KeyError):
            self.load(callback)
        # a plain key needs no passphrase: the callback is not called, and no
        # stale exception from the previous call appears here
        plain = crypto.dump_privatekey(PEM, KEY)
        crypto.load_privatekey(PEM, plain, callback)


class LifetimeTests(unittest.TestCase):
    """Objects taken from another object stay valid after it is gone."""

    def test_name_outlives_certificate(self):
        cert = crypto.load_certificate(DER, CERT_DER)
        subject = cert.get_subject()
        del cert
        gc.collect()
        self.assertEqual(subject.CN, "localhost")
        subject.O = "still writable"
        self.assertIn((b"O", b"still writable"), subject.get_components())

    def test_extension_and_key_outlive_certificate(self):
        cert = crypto.load_certificate(DER, CERT_DER)
        ext = cert.get_extension(0)
        key = cert.get_pubkey()
        del cert
        gc.collect()
        str(ext)
        self.assertTrue(ext.get_data())
        self.assertEqual(crypto.dump_publickey(DER, key), crypto.dump_publickey(DER, KEY))

    def test_name_outlives_request(self):
        req = crypto.load_certificate_request(DER, REQ_DER)
        subject = req.get_subject()
        exts = req.get_extensions()
        del req
        gc.collect()
        self.assertEqual(subject.CN, "fault")
        self.assertEqual(exts, [])

    def test_uninitialised_objects_give_named_errors(self):
        """Objects made empty (as the constructors allow) refuse what needs
        content with an exception rather than crashing."""
        key = crypto.PKey()
        with self.assertRaises((crypto.Error, TypeError, ValueError)):
            crypto.dump_privatekey(PEM, key)
        with self.assertRaises((crypto.Error, TypeError, ValueError)):
            key.bits() if key.bits() == 0 else key.check()
        cert = crypto.X509()
        with self.assertRaises(crypto.Error):
            cert.get_pubkey()
        with self.assertRaises((crypto.Error, TypeError, ValueError)):
            cert.sign(key, "sha256")
        req = crypto.X509Req()
        with self.assertRaises(crypto.Error):
            req.get_pubkey()
        with self.assertRaises((crypto.Error, TypeError, ValueError)):
            req.sign(key, "sha256")


if __name__ == "__main__":
    unittest.main()

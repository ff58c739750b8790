"""PKey: generation, loading and dumping, passphrases, sign/verify."""
import unittest

from OpenSSL import crypto


def rsa_key(bits=2048):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, bits)
    return key


class GenerateTests(unittest.TestCase):
    def test_rsa(self):
        key = rsa_key(1024)
        self.assertEqual(key.bits(), 1024)
        self.assertEqual(key.type(), crypto.TYPE_RSA)
        self.assertTrue(key.check())

    def test_ec_by_name_and_object(self):
        for curve in ("prime256v1", "P-384", crypto.get_elliptic_curve("secp521r1")):
            key = crypto.PKey()
            key.generate_key(crypto.TYPE_EC, curve)
            self.assertEqual(key.type(), crypto.TYPE_EC)
        self.assertEqual(key.bits(), 521)

    def test_ed(self):
        for kind, bits in ((crypto.TYPE_ED25519, 256), (crypto.TYPE_ED448, 456)):
            key = crypto.PKey()
            key.generate_key(kind, 0)
            self.assertEqual(key.type(), kind)
            self.assertEqual(key.bits(), bits)

    def test_bad_arguments(self):
        key = crypto.PKey()
        with self.assertRaises(TypeError):
            key.generate_key("rsa", 1024)
        with self.assertRaises(ValueError):
            key.generate_key(crypto.TYPE_RSA, 0)
        with self.assertRaises(crypto.Error):
            key.generate_key(12345, 1024)
        with self.assertRaisesRegex(ValueError, "unknown elliptic curve"):
            key.generate_key(crypto.TYPE_EC, "no-such-curve")
        with self.assertRaisesRegex(ValueError, "empty PKey|PKey is empty"):
            key.bits()


class SerializationTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.key = rsa_key(1024)

    def test_pem_der_round_trip(self):
        for filetype in (crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1):
            data = crypto.dump_privatekey(filetype, self.key)
            again = crypto.load_privatekey(filetype, data)
            self.assertEqual(crypto.dump_privatekey(filetype, again), data)

    def test_text(self):
        text = crypto.dump_privatekey(crypto.FILETYPE_TEXT, self.key)
        self.assertIn(b"Private-Key: (1024 bit", text)

    def test_passphrase_forms(self):
        pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key,
                                     "aes-256-cbc", b"secret")
        self.assertIn(b"ENCRYPTED", pem)
        # a callback is called as callback(rwflag), as in pyOpenSSL
        for passphrase in (b"secret", "secret", lambda rwflag: b"secret"):
            key = crypto.load_privatekey(crypto.FILETYPE_PEM, pem, passphrase)
            self.assertEqual(key.bits(), 1024)

    def test_bad_passphrases(self):
        pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key,
                                     "aes-256-cbc", b"secret")
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"wrong")
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem)

        def raises(*args):
            raise RuntimeError("from the callback")

        with self.assertRaisesRegex(RuntimeError, "from the callback"):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem, raises)
        with self.assertRaises(TypeError):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem, lambda *a: 42)
        with self.assertRaisesRegex(ValueError, "too long"):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem,
                                   lambda rwflag: b"x" * 100000)
        with self.assertRaises(TypeError):
            crypto.load_privatekey(crypto.FILETYPE_PEM, pem, 42)

    def test_garbage_and_truncated(self):
        pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key)
        for bad in (b"", b"garbage", pem[: len(pem) // 2]):
            with self.assertRaises(crypto.Error):
                crypto.load_privatekey(crypto.FILETYPE_PEM, bad)
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(crypto.FILETYPE_ASN1, b"\x30\x82\x01")
        with self.assertRaises(ValueError):
            crypto.load_privatekey(99, pem)

    def test_public_only(self):
        pub = crypto.dump_publickey(crypto.FILETYPE_PEM, self.key)
        key = crypto.load_publickey(crypto.FILETYPE_PEM, pub)
        self.assertEqual(key.bits(), 1024)
        self.assertEqual(crypto.dump_publickey(crypto.FILETYPE_PEM, key), pub)
        with self.assertRaises(TypeError):
            crypto.dump_privatekey(crypto.FILETYPE_PEM, key)
        with self.assertRaises(TypeError):
            key.check()

    def test_cipher_rules(self):
        with self.assertRaises(TypeError):
            crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key, "aes-256-cbc")
        with self.assertRaises(ValueError):
            crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key, "nope", b"x")


class ErrorQueueTests(unittest.TestCase):
    def test_error_is_a_list_of_triples(self):
        with self.assertRaises(crypto.Error) as caught:
            crypto.load_privatekey(crypto.FILETYPE_PEM, b"garbage")
        errors = caught.exception.args[0]
        self.assertIsInstance(errors, list)
        self.assertTrue(errors)
        for entry in errors:
            self.assertEqual(len(entry), 3)
            self.assertTrue(all(isinstance(part, str) for part in entry))
        # the queue was emptied: the next good call is not polluted
        crypto.load_privatekey(crypto.FILETYPE_PEM,
                               crypto.dump_privatekey(crypto.FILETYPE_PEM, rsa_key(1024)))


class CryptographyTests(unittest.TestCase):
    def test_round_trip(self):
        try:
            from cryptography.hazmat.primitives.asymmetric import ec
        except ImportError:  # cryptography is installed by `make test`
            self.fail("cryptography is required for the test suite")
        ours = crypto.PKey()
        ours.generate_key(crypto.TYPE_EC, "prime256v1")
        theirs = ours.to_cryptography_key()
        self.assertIsInstance(theirs, ec.EllipticCurvePrivateKey)
        back = crypto.PKey.from_cryptography_key(theirs.public_key())
        self.assertTrue(back._only_public)
        self.assertEqual(crypto.dump_publickey(crypto.FILETYPE_PEM, back),
                         crypto.dump_publickey(crypto.FILETYPE_PEM, ours))


if __name__ == "__main__":
    unittest.main()

"""PEM files as downstream code hands them to load_privatekey/load_publickey.

Twisted's PrivateCertificate.loadPEM passes one certificate+key file whole to
crypto.load_privatekey; `openssl ecparam -genkey` writes EC PARAMETERS before
the key.  The key is found past the blocks in front of it, as pyOpenSSL does.
"""
import subprocess
import unittest

from OpenSSL import crypto

import pki


class LoadKeyPastOtherBlocks(unittest.TestCase):
    def setUp(self):
        self.key = pki.make_key("ec")
        self.cert = pki.make_cert("combined.example", key=self.key)
        self.cert_pem = crypto.dump_certificate(crypto.FILETYPE_PEM, self.cert)
        self.key_pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key)
        self.pub_pem = crypto.dump_publickey(crypto.FILETYPE_PEM, self.key)

    def test_private_key_after_certificate(self):
        loaded = crypto.load_privatekey(crypto.FILETYPE_PEM, self.cert_pem + self.key_pem)
        self.assertEqual(crypto.dump_privatekey(crypto.FILETYPE_PEM, loaded), self.key_pem)
        # and the certificate still loads from the same bytes
        again = crypto.load_certificate(crypto.FILETYPE_PEM, self.cert_pem + self.key_pem)
        self.assertEqual(again.get_subject().CN, "combined.example")

    def test_encrypted_private_key_after_certificate(self):
        encrypted = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key,
                                           "aes-256-cbc", b"secret")
        loaded = crypto.load_privatekey(crypto.FILETYPE_PEM, self.cert_pem + encrypted,
                                        b"secret")
        self.assertEqual(crypto.dump_privatekey(crypto.FILETYPE_PEM, loaded), self.key_pem)
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(crypto.FILETYPE_PEM, self.cert_pem + encrypted, b"wrong")

    def test_public_key_after_certificate(self):
        loaded = crypto.load_publickey(crypto.FILETYPE_PEM, self.cert_pem + self.pub_pem)
        self.assertEqual(crypto.dump_publickey(crypto.FILETYPE_PEM, loaded), self.pub_pem)

    def test_ec_parameters_before_key(self):
        out = subprocess.run(
            ["openssl", "ecparam", "-genkey", "-name", "prime256v1"],
            capture_output=True, check=True, timeout=30,
        ).stdout
        self.assertIn(b"EC PARAMETERS", out)
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, out)
        self.assertEqual(key.bits(), 256)
        self.assertEqual(key.type(), crypto.TYPE_EC)

    def test_certificate_alone_is_still_an_error(self):
        with self.assertRaises(crypto.Error):
            crypto.load_privatekey(crypto.FILETYPE_PEM, self.cert_pem)
        with self.assertRaises(crypto.Error):
            crypto.load_publickey(crypto.FILETYPE_PEM, self.cert_pem)

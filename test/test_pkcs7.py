"""PKCS7: structures made by `openssl crl2pkcs7`, `openssl smime` and
`openssl cms`, loaded, inspected and dumped back for `openssl pkcs7`."""
import os
import tempfile
import unittest

from OpenSSL import crypto

from pki import cert_pem, make_chain, openssl

PEM, ASN1, TEXT = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1, crypto.FILETYPE_TEXT


class PKCS7Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._dir = tempfile.TemporaryDirectory()
        cls.dir = cls._dir.name
        cls.chain = make_chain("ec")
        cls.paths = cls.chain.write_pem(cls.dir)
        cls.bundle_order = [cls.chain.leaf, cls.chain.intermediate, cls.chain.ca]
        bundle = os.path.join(cls.dir, "bundle.pem")
        with open(bundle, "wb") as f:
            f.write(b"".join(i.pem() for i in cls.bundle_order))
        cls.message = os.path.join(cls.dir, "message.txt")
        with open(cls.message, "wb") as f:
            f.write(b"a message to sign\n")
        cls.p7b_pem = openssl("crl2pkcs7", "-nocrl", "-certfile", bundle)
        cls.p7b_der = openssl("crl2pkcs7", "-nocrl", "-certfile", bundle,
                              "-outform", "DER")
        cls.signed_pem = openssl(
            "smime", "-sign", "-in", cls.message, "-signer", cls.paths["leaf"],
            "-inkey", cls.paths["leaf_key"], "-certfile", cls.paths["intermediate"],
            "-outform", "PEM")
        cls.signed_der = openssl(
            "smime", "-sign", "-in", cls.message, "-signer", cls.paths["leaf"],
            "-inkey", cls.paths["leaf_key"], "-outform", "DER", "-nodetach")
        rsa_chain = make_chain("rsa")
        rsa_paths = rsa_chain.write_pem(os.path.join(cls.dir, "rsa"))
        cls.enveloped_der = openssl(
            "smime", "-encrypt", "-in", cls.message, "-outform", "DER",
            "-aes256", rsa_paths["leaf"])
        cls.data_der = openssl("cms", "-data_create", "-in", cls.message,
                               "-outform", "DER")

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def check_types(self, p7, signed=False, enveloped=False, data=False):
        self.assertIs(p7.type_is_signed(), signed)
        self.assertIs(p7.type_is_enveloped(), enveloped)
        self.assertIs(p7.type_is_signedAndEnveloped(), False)
        self.assertIs(p7.type_is_data(), data)

    def test_p7b_bundle_pem_and_der(self):
        for filetype, data in ((PEM, self.p7b_pem), (ASN1, self.p7b_der),
                               (PEM, self.p7b_pem.decode("ascii"))):
            p7 = crypto.load_pkcs7_data(filetype, data)
            self.check_types(p7, signed=True)
            self.assertEqual(p7.get_type_name(), b"pkcs7-signedData")
            certs = p7.get_certificates()
            self.assertIsInstance(certs, tuple)
            self.assertEqual([cert_pem(c) for c in certs],
                             [i.pem() for i in self.bundle_order])

    def test_certificates_are_usable(self):
        p7 = crypto.load_pkcs7_data(PEM, self.p7b_pem)
        leaf, intermediate, ca = p7.get_certificates()
        self.assertEqual(leaf.get_subject().CN, "localhost")
        paths = [self.write(name + ".pem", cert_pem(cert)) for name, cert in
                 (("p7-leaf", leaf), ("p7-intermediate", intermediate), ("p7-ca", ca))]
        out = openssl("verify", "-CAfile", paths[2], "-untrusted", paths[1], paths[0])
        self.assertIn(b": OK", out)
        # Changing a returned certificate leaves the structure alone.
        leaf.get_subject().CN = "changed"
        self.assertEqual(p7.get_certificates()[0].get_subject().CN, "localhost")

    def test_signed_message(self):
        p7 = crypto.load_pkcs7_data(PEM, self.signed_pem)
        self.check_types(p7, signed=True)
        self.assertEqual(sorted(cert_pem(c) for c in p7.get_certificates()),
                         sorted([self.chain.leaf.pem(), self.chain.intermediate.pem()]))
        p7 = crypto.load_pkcs7_data(ASN1, self.signed_der)
        self.check_types(p7, signed=True)
        self.assertEqual([cert_pem(c) for c in p7.get_certificates()],
                         [self.chain.leaf.pem()])

    def test_enveloped_message(self):
        p7 = crypto.load_pkcs7_data(ASN1, self.enveloped_der)
        self.check_types(p7, enveloped=True)
        self.assertEqual(p7.get_type_name(), b"pkcs7-envelopedData")
        self.assertIsNone(p7.get_certificates())

    def test_data(self):
        p7 = crypto.load_pkcs7_data(ASN1, self.data_der)
        self.check_types(p7, data=True)
        self.assertEqual(p7.get_type_name(), b"pkcs7-data")
        self.assertIsNone(p7.get_certificates())
        self.assertIn(b"a message to sign", crypto.dump_pkcs7_data(ASN1, p7))

    def test_dump_read_by_openssl(self):
        p7 = crypto.load_pkcs7_data(ASN1, self.p7b_der)
        pem = crypto.dump_pkcs7_data(PEM, p7)
        self.assertTrue(pem.startswith(b"-----BEGIN PKCS7-----"))
        der = crypto.dump_pkcs7_data(ASN1, p7)
        self.assertEqual(der, self.p7b_der)
        for data, form in ((pem, "PEM"), (der, "DER")):
            out = openssl("pkcs7", "-inform", form, "-in",
                          self.write("ours.p7", data), "-print_certs")
            for issued in self.bundle_order:
                self.assertIn(issued.pem(), out)

    def test_signed_dump_verifies_with_openssl(self):
        p7 = crypto.load_pkcs7_data(ASN1, self.signed_der)
        path = self.write("signed.der", crypto.dump_pkcs7_data(ASN1, p7))
        trusted = self.write("trusted.pem",
                             self.chain.ca.pem() + self.chain.intermediate.pem())
        out = openssl("smime", "-verify", "-inform", "DER", "-in", path,
                      "-CAfile", trusted, "-purpose", "any")
        self.assertEqual(out.replace(b"\r\n", b"\n"), b"a message to sign\n")

    def test_dump_text(self):
        p7 = crypto.load_pkcs7_data(PEM, self.p7b_pem)
        text = crypto.dump_pkcs7_data(TEXT, p7)
        self.assertIn(b"pkcs7-signedData", text)
        self.assertIn(b"localhost", text)

    def test_round_trip_pem(self):
        p7 = crypto.load_pkcs7_data(PEM, self.signed_pem)
        again = crypto.load_pkcs7_data(PEM, crypto.dump_pkcs7_data(PEM, p7))
        self.assertEqual(crypto.dump_pkcs7_data(ASN1, again),
                         crypto.dump_pkcs7_data(ASN1, p7))

    def test_bad_input(self):
        for cut in (1, 20, len(self.p7b_der) // 2, len(self.p7b_der) - 1):
            with self.assertRaises(crypto.Error):
                crypto.load_pkcs7_data(ASN1, self.p7b_der[:cut])
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs7_data(PEM, self.p7b_pem[:len(self.p7b_pem) // 2])
        for garbage in (b"", b"garbage", self.chain.leaf.pem()):
            for filetype in (PEM, ASN1):
                with self.assertRaises(crypto.Error):
                    crypto.load_pkcs7_data(filetype, garbage)
        # DER where PEM was announced, and the other way round.
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs7_data(PEM, self.p7b_der)
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs7_data(ASN1, self.p7b_pem)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "FILETYPE"):
            crypto.load_pkcs7_data(TEXT, self.p7b_pem)
        with self.assertRaisesRegex(ValueError, "FILETYPE"):
            crypto.load_pkcs7_data(100, self.p7b_pem)
        with self.assertRaisesRegex(TypeError, "buffer"):
            crypto.load_pkcs7_data(PEM, None)
        with self.assertRaisesRegex(TypeError, "type"):
            crypto.load_pkcs7_data("PEM", self.p7b_pem)
        p7 = crypto.load_pkcs7_data(PEM, self.p7b_pem)
        with self.assertRaisesRegex(TypeError, "pkcs7"):
            crypto.dump_pkcs7_data(PEM, self.chain.leaf.cert)
        with self.assertRaisesRegex(ValueError, "FILETYPE"):
            crypto.dump_pkcs7_data(7, p7)
        with self.assertRaisesRegex(TypeError, "type"):
            crypto.dump_pkcs7_data(None, p7)

    def test_not_constructible(self):
        with self.assertRaisesRegex(TypeError, "load_pkcs7_data"):
            crypto.PKCS7()
        self.assertIs(crypto.PKCS7Type, crypto.PKCS7)


if __name__ == "__main__":
    unittest.main()

"""X509Req: building, signing and verifying requests, loading and dumping,
and conversion to and from `cryptography`."""
import functools
import subprocess
import unittest

from OpenSSL import crypto

from pki import make_cert, make_key, run_threads


def make_req(key, cn="req.example", digest="sha256", extensions=()):
    req = crypto.X509Req()
    req.get_subject().CN = cn
    req.get_subject().O = "Org"
    req.set_pubkey(key)
    if extensions:
        req.add_extensions(list(extensions))
    req.sign(key, digest)
    return req


SAN = crypto.X509Extension(b"subjectAltName", False, b"DNS:req.example")
BC = crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE")


class BuildTests(unittest.TestCase):
    def test_new_request(self):
        req = crypto.X509Req()
        self.assertEqual(req.get_version(), 0)
        self.assertIsNone(req.get_subject().CN)
        self.assertEqual(req.get_extensions(), [])
        with self.assertRaises(crypto.Error):
            req.get_pubkey()

    def test_subject_is_a_live_view(self):
        req = crypto.X509Req()
        subject = req.get_subject()
        subject.CN = "view"
        self.assertEqual(req.get_subject().CN, "view")
        self.assertEqual(req.get_subject(), subject)

    def test_version(self):
        req = crypto.X509Req()
        req.set_version(0)
        self.assertEqual(req.get_version(), 0)
        for bad in (1, 2, -1):
            with self.assertRaises(ValueError):
                req.set_version(bad)
        with self.assertRaises(TypeError):
            req.set_version("0")

    def test_pubkey(self):
        key = make_key("ec")
        req = crypto.X509Req()
        req.set_pubkey(key)
        pub = req.get_pubkey()
        self.assertEqual(crypto.dump_publickey(crypto.FILETYPE_PEM, pub),
                         crypto.dump_publickey(crypto.FILETYPE_PEM, key))
        with self.assertRaises(TypeError):
            crypto.dump_privatekey(crypto.FILETYPE_PEM, pub)
        with self.assertRaises(TypeError):
            req.set_pubkey(None)
        with self.assertRaises(ValueError):
            req.set_pubkey(crypto.PKey())


class SignVerifyTests(unittest.TestCase):
    def test_sign_and_verify_every_key_type(self):
        for key_type in ("rsa1024", "ec", "ed25519", "ed448"):
            with self.subTest(key_type=key_type):
                key = make_key(key_type)
                req = make_req(key)
                self.assertIs(req.verify(key), True)
                self.assertIs(req.verify(req.get_pubkey()), True)

    def test_verify_with_wrong_key(self):
        req = make_req(make_key("ec"))
        with self.assertRaises(crypto.Error):
            req.verify(make_key("ec"))

    def test_verify_unsigned(self):
        req = crypto.X509Req()
        key = make_key("ec")
        req.set_pubkey(key)
        with self.assertRaises(crypto.Error):
            req.verify(key)

    def test_verify_bad_arguments(self):
        req = make_req(make_key("ec"))
        with self.assertRaises(TypeError):
            req.verify("key")
        with self.assertRaises(ValueError):
            req.verify(crypto.PKey())

    def test_sign_bad_arguments(self):
        key = make_key("ec")
        req = crypto.X509Req()
        req.set_pubkey(key)
        with self.assertRaisesRegex(ValueError, "digest"):
            req.sign(key, "no-such-digest")
        with self.assertRaisesRegex(ValueError, "private"):
            req.sign(req.get_pubkey(), "sha256")
        with self.assertRaises(TypeError):
            req.sign(None, "sha256")
        with self.assertRaises(TypeError):
            req.sign(key, None)

    def test_changed_after_signing_no_longer_verifies(self):
        key = make_key("ec")
        req = make_req(key)
        der = crypto.dump_certificate_request(crypto.FILETYPE_ASN1, req)
        loaded = crypto.load_certificate_request(crypto.FILETYPE_ASN1, der)
        loaded.get_subject().CN = "tampered"
        tampered = crypto.load_certificate_request(
            crypto.FILETYPE_ASN1,
            crypto.dump_certificate_request(crypto.FILETYPE_ASN1, loaded))
        self.assertEqual(tampered.get_subject().CN, "tampered")
        with self.assertRaises(crypto.Error):
            tampered.verify(key)

    def test_sign_in_threads(self):
        key = make_key("rsa")
        reqs = [crypto.X509Req() for _ in range(4)]
        for req in reqs:
            req.set_pubkey(key)

        def sign_five_times(req):
            for _ in range(5):
                req.sign(key, "sha256")
        self.assertEqual(
            run_threads(functools.partial(sign_five_times, r) for r in reqs), [])
        for req in reqs:
            self.assertTrue(req.verify(key))


class ExtensionTests(unittest.TestCase):
    def test_add_and_get(self):
        req = make_req(make_key("ec"), extensions=[SAN])
        exts = req.get_extensions()
        self.assertEqual([e.get_short_name() for e in exts], [b"subjectAltName"])
        self.assertEqual(str(exts[0]), "DNS:req.example")

    def test_add_twice_merges(self):
        req = crypto.X509Req()
        req.add_extensions([SAN])
        req.add_extensions([BC])
        self.assertEqual([e.get_short_name() for e in req.get_extensions()],
                         [b"subjectAltName", b"basicConstraints"])
        self.assertEqual(req.get_extensions()[1].get_critical(), 1)

    def test_add_bad(self):
        req = crypto.X509Req()
        with self.assertRaises(ValueError):
            req.add_extensions([SAN, "x"])
        self.assertEqual(req.get_extensions(), [])
        with self.assertRaises(TypeError):
            req.add_extensions(5)

    def test_openssl_reads_the_request(self):
        req = make_req(make_key("rsa"), extensions=[SAN, BC])
        pem = crypto.dump_certificate_request(crypto.FILETYPE_PEM, req)
        result = subprocess.run(["openssl", "req", "-noout", "-verify", "-text"],
                                input=pem, capture_output=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout + result.stderr
        self.assertIn(b"verify OK", out)
        self.assertIn(b"DNS:req.example", out)
        self.assertIn(b"CN = req.example", out)


class LoadDumpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.key = make_key("ec")
        cls.req = make_req(cls.key, extensions=[SAN])

    def test_round_trips(self):
        for filetype in (crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1):
            data = crypto.dump_certificate_request(filetype, self.req)
            loaded = crypto.load_certificate_request(filetype, data)
            self.assertEqual(crypto.dump_certificate_request(filetype, loaded), data)
            self.assertEqual(loaded.get_subject().CN, "req.example")
            self.assertTrue(loaded.verify(self.key))

    def test_pem_header_and_text(self):
        pem = crypto.dump_certificate_request(crypto.FILETYPE_PEM, self.req)
        self.assertTrue(pem.startswith(b"-----BEGIN CERTIFICATE REQUEST-----"))
        text = crypto.dump_certificate_request(crypto.FILETYPE_TEXT, self.req)
        self.assertIn(b"Certificate Request:", text)
        self.assertIn(b"DNS:req.example", text)

    def test_made_by_openssl(self):
        key_pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, self.key)
        result = subprocess.run(
            ["openssl", "req", "-new", "-key", "/dev/stdin", "-subj", "/CN=from-cli",
             "-addext", "subjectAltName=DNS:cli.example"],
            input=key_pem, capture_output=True, check=True)
        req = crypto.load_certificate_request(crypto.FILETYPE_PEM, result.stdout)
        self.assertEqual(req.get_subject().CN, "from-cli")
        self.assertTrue(req.verify(self.key))
        self.assertEqual(str(req.get_extensions()[0]), "DNS:cli.example")

    def test_bad_input(self):
        pem = crypto.dump_certificate_request(crypto.FILETYPE_PEM, self.req)
        der = crypto.dump_certificate_request(crypto.FILETYPE_ASN1, self.req)
        cert_pem = crypto.dump_certificate(crypto.FILETYPE_PEM,
                                           make_cert("c", make_key("ec")))
        for filetype, data in ((crypto.FILETYPE_PEM, pem[:60]),
                               (crypto.FILETYPE_PEM, b"garbage"),
                               (crypto.FILETYPE_PEM, cert_pem),
                               (crypto.FILETYPE_PEM, b""),
                               (crypto.FILETYPE_ASN1, der[:-5]),
                               (crypto.FILETYPE_ASN1, b"\x00" * 10),
                               (crypto.FILETYPE_ASN1, b"")):
            with self.subTest(data=data[:20]):
                with self.assertRaises(crypto.Error):
                    crypto.load_certificate_request(filetype, data)

    def test_bad_types(self):
        with self.assertRaises(ValueError):
            crypto.load_certificate_request(crypto.FILETYPE_TEXT, b"x")
        with self.assertRaises(TypeError):
            crypto.load_certificate_request(crypto.FILETYPE_PEM, 5)
        with self.assertRaises(TypeError):
            crypto.dump_certificate_request(crypto.FILETYPE_PEM, "req")
        with self.assertRaises(ValueError):
            crypto.dump_certificate_request(12, self.req)


class IssueTests(unittest.TestCase):
    def test_certificate_from_request(self):
        ca_key = make_key("ec")
        ca = make_cert("CA", ca_key, ca=True)
        leaf_key = make_key("ec")
        req = make_req(leaf_key, extensions=[SAN])
        self.assertTrue(req.verify(req.get_pubkey()))
        cert = crypto.X509()
        cert.set_version(2)
        cert.set_serial_number(10)
        cert.set_subject(req.get_subject())
        cert.set_issuer(ca.get_subject())
        cert.set_pubkey(req.get_pubkey())
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(3600)
        cert.add_extensions(req.get_extensions())
        cert.sign(ca_key, "sha256")
        self.assertEqual(cert.get_subject().CN, "req.example")
        self.assertEqual(str(cert.get_extension(0)), "DNS:req.example")
        crypto.verify(cert, crypto.sign(leaf_key, b"data", "sha256"), b"data", "sha256")


class CryptographyTests(unittest.TestCase):
    def test_round_trip(self):
        from cryptography import x509
        req = make_req(make_key("ec"), extensions=[SAN])
        theirs = req.to_cryptography()
        self.assertIsInstance(theirs, x509.CertificateSigningRequest)
        self.assertTrue(theirs.is_signature_valid)
        self.assertEqual(
            theirs.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value,
            "req.example")
        back = crypto.X509Req.from_cryptography(theirs)
        self.assertIsInstance(back, crypto.X509Req)
        self.assertEqual(crypto.dump_certificate_request(crypto.FILETYPE_ASN1, back),
                         crypto.dump_certificate_request(crypto.FILETYPE_ASN1, req))

    def test_from_cryptography_wrong_type(self):
        with self.assertRaises(TypeError):
            crypto.X509Req.from_cryptography(crypto.X509Req())
        with self.assertRaises(TypeError):
            crypto.X509Req.from_cryptography(None)


class AliasTests(unittest.TestCase):
    def test_type_alias(self):
        self.assertIs(crypto.X509ReqType, crypto.X509Req)


if __name__ == "__main__":
    unittest.main()

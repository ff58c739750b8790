"""X509Extension: building from OpenSSL's config syntax, reading back."""
import subprocess
import unittest

from OpenSSL import crypto

from pki import make_cert, make_key, make_name


def ext(name, value, critical=False, **kwargs):
    return crypto.X509Extension(name, critical, value, **kwargs)


class BuildTests(unittest.TestCase):
    def test_subject_alt_name(self):
        e = ext(b"subjectAltName", b"DNS:example.com, IP:127.0.0.1")
        self.assertEqual(str(e), "DNS:example.com, IP Address:127.0.0.1")
        self.assertEqual(e.get_short_name(), b"subjectAltName")
        self.assertEqual(e.get_critical(), 0)
        # SEQUENCE { [2] "example.com", [7] 127.0.0.1 }
        self.assertEqual(e.get_data(),
                         b"0\x13\x82\x0bexample.com\x87\x04\x7f\x00\x00\x01")

    def test_email_and_uri(self):
        e = ext(b"subjectAltName", b"email:a@example.com, URI:https://example.com/")
        self.assertEqual(str(e), "email:a@example.com, URI:https://example.com/")

    def test_basic_constraints_critical(self):
        e = ext(b"basicConstraints", b"CA:TRUE, pathlen:0", critical=True)
        self.assertEqual(e.get_critical(), 1)
        self.assertEqual(str(e), "CA:TRUE, pathlen:0")

    def test_critical_prefix_in_value(self):
        e = ext(b"basicConstraints", b"critical,CA:FALSE")
        self.assertEqual(e.get_critical(), 1)

    def test_key_usage_and_extended_key_usage(self):
        self.assertEqual(str(ext(b"keyUsage", b"digitalSignature, keyCertSign")),
                         "Digital Signature, Certificate Sign")
        self.assertEqual(str(ext(b"extendedKeyUsage", b"serverAuth, clientAuth")),
                         "TLS Web Server Authentication, "
                         "TLS Web Client Authentication")

    def test_crl_distribution_points_and_name_constraints(self):
        e = ext(b"crlDistributionPoints", b"URI:http://crl.example.com/ca.crl")
        self.assertIn("URI:http://crl.example.com/ca.crl", str(e))
        e = ext(b"nameConstraints", b"permitted;DNS:.example.com")
        self.assertIn("DNS:.example.com", str(e))

    def test_str_arguments_accepted(self):
        e = crypto.X509Extension("subjectAltName", False, "DNS:example.org")
        self.assertEqual(str(e), "DNS:example.org")

    def test_subject_key_identifier_needs_subject(self):
        with self.assertRaises(crypto.Error) as cm:
            ext(b"subjectKeyIdentifier", b"hash")
        self.assertIn("no subject details", str(cm.exception))
        cert = make_cert("ski", make_key("ec"))
        e = ext(b"subjectKeyIdentifier", b"hash", subject=cert)
        self.assertEqual(len(e.get_data()), 22)  # OCTET STRING of 20 bytes

    def test_authority_key_identifier_needs_issuer(self):
        with self.assertRaises(crypto.Error):
            ext(b"authorityKeyIdentifier", b"keyid:always")
        ca = make_cert("ca", make_key("ec"), ca=True)
        e = ext(b"authorityKeyIdentifier", b"keyid:always", issuer=ca)
        ski = next(ca.get_extension(i) for i in range(ca.get_extension_count())
                   if ca.get_extension(i).get_short_name() == b"subjectKeyIdentifier")
        self.assertIn(str(ski), str(e))


class BadInputTests(unittest.TestCase):
    def test_unknown_extension_name(self):
        with self.assertRaises(crypto.Error) as cm:
            ext(b"noSuchExtension", b"x")
        self.assertIn("unknown extension name", str(cm.exception))

    def test_malformed_values(self):
        for name, value in ((b"subjectAltName", b"bogus"),
                            (b"subjectAltName", b"IP:not-an-ip"),
                            (b"basicConstraints", b"CA:maybe"),
                            (b"keyUsage", b"flyingSaucer"),
                            (b"extendedKeyUsage", b"1.2.bad oid")):
            with self.subTest(name=name, value=value):
                with self.assertRaises(crypto.Error):
                    ext(name, value)

    def test_wrong_types(self):
        with self.assertRaises(TypeError):
            crypto.X509Extension(1, False, b"x")
        with self.assertRaises(TypeError):
            crypto.X509Extension(b"subjectAltName", False, None)
        with self.assertRaises(TypeError):
            crypto.X509Extension(b"subjectAltName", False)
        with self.assertRaisesRegex(TypeError, "subject"):
            ext(b"subjectKeyIdentifier", b"hash", subject="cert")
        with self.assertRaisesRegex(TypeError, "issuer"):
            ext(b"authorityKeyIdentifier", b"keyid", issuer=object())

    def test_nul_bytes_refused(self):
        with self.assertRaisesRegex(ValueError, "value"):
            ext(b"subjectAltName", b"DNS:good.example\x00.evil")
        with self.assertRaisesRegex(ValueError, "type_name"):
            ext(b"subjectAltName\x00", b"DNS:x")


class CertificateTests(unittest.TestCase):
    def test_add_and_get_back(self):
        key = make_key("ec")
        cert = make_cert("exts", key, key_ids=False, key_usage="",
                         extended_key_usage=[])
        self.assertEqual(cert.get_extension_count(), 1)  # basicConstraints
        cert.add_extensions([ext(b"subjectAltName", b"DNS:a.example"),
                             ext(b"nsComment", b"hello")])
        self.assertEqual(cert.get_extension_count(), 3)
        got = cert.get_extension(1)
        self.assertIsInstance(got, crypto.X509Extension)
        self.assertEqual(got.get_short_name(), b"subjectAltName")
        self.assertEqual(str(got), "DNS:a.example")
        self.assertEqual(str(cert.get_extension(2)), "hello")

    def test_nul_in_loaded_san_is_shown(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        import datetime
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([])
        now = datetime.datetime.now(datetime.timezone.utc)
        san = x509.SubjectAlternativeName([
            x509.DNSName("good.example\x00.evil"),
            x509.UniformResourceIdentifier("https://a\x00b/")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(san, critical=False)
                .sign(key, hashes.SHA256()))
        ours = crypto.X509.from_cryptography(cert)
        self.assertEqual(str(ours.get_extension(0)),
                         "DNS:good.example\x00.evil, URI:https://a\x00b/")

    def test_unknown_extension_shown_as_bytes(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        import datetime
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([])
        now = datetime.datetime.now(datetime.timezone.utc)
        unknown = x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x03abc")
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(unknown, critical=False)
                .sign(key, hashes.SHA256()))
        got = crypto.X509.from_cryptography(cert).get_extension(0)
        self.assertEqual(got.get_short_name(), b"1.3.6.1.4.1.55555.1")
        self.assertEqual(got.get_data(), b"\x04\x03abc")
        self.assertIn("abc", str(got))

    def test_openssl_shows_extensions(self):
        key = make_key("ec")
        cert = make_cert("shown", key, san=["shown.example", "10.0.0.1"],
                         extensions=[ext(b"nameConstraints",
                                         b"permitted;DNS:.example")])
        pem = crypto.dump_certificate(crypto.FILETYPE_PEM, cert)
        text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem,
                              capture_output=True, check=True).stdout.decode()
        self.assertIn("DNS:shown.example, IP Address:10.0.0.1", text)
        self.assertIn("X509v3 Name Constraints", text)
        self.assertIn("TLS Web Server Authentication", text)


class AliasTests(unittest.TestCase):
    def test_type_alias(self):
        self.assertIs(crypto.X509ExtensionType, crypto.X509Extension)


if __name__ == "__main__":
    unittest.main()

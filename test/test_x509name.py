"""X509Name: attributes, views of certificate names, comparison, encoding."""
import unittest

from OpenSSL import crypto

from pki import make_name


class AttributeTests(unittest.TestCase):
    def test_short_and_long_names_are_the_same_entry(self):
        name = make_name("example.com")
        self.assertEqual(name.CN, "example.com")
        self.assertEqual(name.commonName, "example.com")
        name.countryName = "DE"
        self.assertEqual(name.C, "DE")
        for short, long_name, value in (
                ("ST", "stateOrProvinceName", "Berlin"),
                ("L", "localityName", "Berlin"),
                ("O", "organizationName", "Org"),
                ("OU", "organizationalUnitName", "Unit"),
                ("emailAddress", "emailAddress", "a@example.com")):
            setattr(name, short, value)
            self.assertEqual(getattr(name, long_name), value)

    def test_missing_attribute_is_none(self):
        self.assertIsNone(make_name("x").OU)

    def test_unknown_attribute(self):
        name = make_name("x")
        with self.assertRaises(AttributeError):
            name.noSuchAttribute
        with self.assertRaises(AttributeError):
            name.noSuchAttribute = "x"

    def test_setting_replaces_every_entry_of_that_type(self):
        name = make_name("first")
        name.CN = "second"
        self.assertEqual(name.get_components(), [(b"CN", b"second")])

    def test_unicode_round_trip(self):
        name = make_name("Grüße, 世界")
        self.assertEqual(name.CN, "Grüße, 世界")
        self.assertEqual(name.get_components(),
                         [(b"CN", "Grüße, 世界".encode("utf-8"))])

    def test_bytes_value_accepted(self):
        name = make_name()
        name.O = b"Org"
        self.assertEqual(name.O, "Org")

    def test_nul_in_value_is_refused(self):
        name = make_name("x")
        with self.assertRaisesRegex(ValueError, "NUL"):
            name.CN = "evil\x00.example"
        with self.assertRaisesRegex(ValueError, "NUL"):
            name.O = b"a\x00b"
        self.assertEqual(name.CN, "x")

    def test_wrong_value_type(self):
        name = make_name("x")
        with self.assertRaises(TypeError):
            name.CN = 5
        with self.assertRaises(TypeError):
            name.CN = None

    def test_too_long_country_is_an_error(self):
        with self.assertRaises(crypto.Error):
            make_name().C = "DEU"

    def test_cannot_delete(self):
        name = make_name("x")
        with self.assertRaises(AttributeError):
            del name.CN

    def test_dotted_oid_attribute(self):
        name = make_name("x")
        self.assertEqual(getattr(name, "2.5.4.3"), "x")


class ViewTests(unittest.TestCase):
    def test_setting_through_get_subject_changes_certificate(self):
        cert = crypto.X509()
        cert.get_subject().CN = "renamed"
        self.assertEqual(cert.get_subject().CN, "renamed")
        cert.get_issuer().O = "Issuer Org"
        self.assertEqual(cert.get_issuer().O, "Issuer Org")
        self.assertIsNone(cert.get_subject().O)

    def test_view_survives_set_subject(self):
        cert = crypto.X509()
        view = cert.get_subject()
        cert.set_subject(make_name("replacement"))
        self.assertEqual(view.CN, "replacement")
        view.CN = "again"
        self.assertEqual(cert.get_subject().CN, "again")

    def test_view_keeps_certificate_alive(self):
        cert = crypto.X509()
        cert.get_subject().CN = "kept"
        view = cert.get_subject()
        del cert
        self.assertEqual(view.CN, "kept")

    def test_copy_is_independent(self):
        cert = crypto.X509()
        cert.get_subject().CN = "original"
        copy = crypto.X509Name(cert.get_subject())
        copy.CN = "copy"
        self.assertEqual(cert.get_subject().CN, "original")
        self.assertEqual(copy.CN, "copy")

    def test_copy_constructor_needs_a_name(self):
        with self.assertRaises(TypeError):
            crypto.X509Name("CN=x")
        with self.assertRaises(TypeError):
            crypto.X509Name()

    def test_rename_is_written_out(self):
        key = crypto.PKey()
        key.generate_key(crypto.TYPE_EC, "prime256v1")
        cert = crypto.X509()
        cert.set_pubkey(key)
        cert.get_subject().CN = "before"
        cert.set_issuer(cert.get_subject())
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(3600)
        cert.sign(key, "sha256")
        loaded = crypto.load_certificate(
            crypto.FILETYPE_ASN1, crypto.dump_certificate(crypto.FILETYPE_ASN1, cert))
        loaded.get_subject().CN = "after"
        again = crypto.load_certificate(
            crypto.FILETYPE_ASN1, crypto.dump_certificate(crypto.FILETYPE_ASN1, loaded))
        self.assertEqual(again.get_subject().CN, "after")


class CompareTests(unittest.TestCase):
    def test_equality_and_hash(self):
        a = make_name("same", O="Org")
        b = make_name("same", O="Org")
        self.assertEqual(a, b)
        self.assertFalse(a != b)
        self.assertEqual(hash(a), hash(b))
        self.assertEqual(len({a, b}), 1)
        self.assertNotEqual(a, make_name("other", O="Org"))

    def test_equality_ignores_case_and_spacing_like_openssl(self):
        self.assertEqual(make_name("Example  Name"), make_name("example name"))

    def test_ordering(self):
        a, b = make_name("a"), make_name("b")
        self.assertTrue(a < b)
        self.assertTrue(a <= b)
        self.assertTrue(b > a)
        self.assertTrue(b >= a)
        self.assertFalse(a > b)

    def test_other_types(self):
        name = make_name("x")
        self.assertNotEqual(name, "x")
        self.assertFalse(name == None)  # noqa: E711
        with self.assertRaises(TypeError):
            name < "x"


class EncodingTests(unittest.TestCase):
    def test_repr(self):
        self.assertEqual(repr(make_name("example", O="Org")),
                         "<X509Name object '/CN=example/O=Org'>")

    def test_der_and_hash(self):
        name = make_name("example")
        der = name.der()
        self.assertEqual(der[0], 0x30)
        self.assertIn(b"example", der)
        self.assertIsInstance(name.hash(), int)
        self.assertEqual(name.hash(), make_name("example").hash())
        self.assertNotEqual(name.hash(), make_name("other").hash())

    def test_hash_matches_openssl_subject_hash(self):
        import subprocess
        from pki import make_cert, make_key
        cert = make_cert("hashme", make_key("ec"))
        pem = crypto.dump_certificate(crypto.FILETYPE_PEM, cert)
        out = subprocess.run(["openssl", "x509", "-noout", "-subject_hash"],
                             input=pem, capture_output=True, check=True).stdout
        self.assertEqual(cert.get_subject().hash(), int(out.strip(), 16))
        self.assertEqual(cert.subject_name_hash(), int(out.strip(), 16))

    def test_components_in_order(self):
        name = make_name("cn", C="DE", O="Org")
        self.assertEqual(name.get_components(),
                         [(b"CN", b"cn"), (b"C", b"DE"), (b"O", b"Org")])

    def test_nul_in_loaded_name_is_not_truncated(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import datetime
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             "good.example\x00.evil")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1))
                .sign(key, hashes.SHA256()))
        ours = crypto.X509.from_cryptography(cert)
        self.assertEqual(ours.get_subject().CN, "good.example\x00.evil")
        self.assertEqual(ours.get_subject().get_components(),
                         [(b"CN", b"good.example\x00.evil")])


class AliasTests(unittest.TestCase):
    def test_type_alias(self):
        self.assertIs(crypto.X509NameType, crypto.X509Name)


if __name__ == "__main__":
    unittest.main()

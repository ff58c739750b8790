"""X509: every getter and setter, signing, loading/dumping, chains that the
`openssl` tool accepts, and conversion to and from `cryptography`."""
import datetime
import functools
import subprocess
import tempfile
import threading
import unittest

from OpenSSL import crypto

import pki
from pki import DAY, make_cert, make_key, make_name, run_threads


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True)


class VersionSerialTests(unittest.TestCase):
    def test_version(self):
        cert = crypto.X509()
        self.assertEqual(cert.get_version(), 0)
        for version in (0, 1, 2):
            cert.set_version(version)
            self.assertEqual(cert.get_version(), version)

    def test_version_out_of_range(self):
        cert = crypto.X509()
        for bad in (-1, 3, 1000):
            with self.assertRaises(ValueError):
                cert.set_version(bad)
        with self.assertRaises(OverflowError):
            cert.set_version(2 ** 80)
        with self.assertRaises(TypeError):
            cert.set_version("2")

    def test_serial_numbers(self):
        cert = crypto.X509()
        for serial in (0, 1, 255, 256, 2 ** 64, 2 ** 159 + 12345, -1, -(2 ** 70)):
            cert.set_serial_number(serial)
            self.assertEqual(cert.get_serial_number(), serial)

    def test_large_serial_survives_dump(self):
        serial = 0x7F_0123456789ABCDEF_0123456789ABCDEF_01234567
        cert = make_cert("serial", make_key("ec"), serial=serial)
        loaded = crypto.load_certificate(
            crypto.FILETYPE_PEM, crypto.dump_certificate(crypto.FILETYPE_PEM, cert))
        self.assertEqual(loaded.get_serial_number(), serial)
        out = openssl("x509", "-noout", "-serial",
                      input=crypto.dump_certificate(crypto.FILETYPE_PEM, cert))
        self.assertEqual(int(out.stdout.split(b"=")[1], 16), serial)

    def test_serial_wrong_type(self):
        cert = crypto.X509()
        for bad in ("1", 1.0, None, b"\x01"):
            with self.assertRaises(TypeError):
                cert.set_serial_number(bad)


class NameTests(unittest.TestCase):
    def test_set_subject_and_issuer_copy(self):
        cert = crypto.X509()
        name = make_name("subject", O="Org")
        cert.set_subject(name)
        cert.set_issuer(make_name("issuer"))
        name.CN = "changed later"
        self.assertEqual(cert.get_subject().CN, "subject")
        self.assertEqual(cert.get_subject().O, "Org")
        self.assertEqual(cert.get_issuer().CN, "issuer")

    def test_set_name_wrong_type(self):
        cert = crypto.X509()
        for method in (cert.set_subject, cert.set_issuer):
            with self.assertRaises(TypeError):
                method("CN=x")
            with self.assertRaises(TypeError):
                method(None)

    def test_subject_name_hash(self):
        a = make_cert("same", make_key("ec"))
        b = make_cert("same", make_key("ec"))
        self.assertEqual(a.subject_name_hash(), b.subject_name_hash())
        self.assertEqual(a.subject_name_hash(), a.get_subject().hash())


class PubkeyTests(unittest.TestCase):
    def test_get_pubkey_is_public_only(self):
        key = make_key("ec")
        cert = crypto.X509()
        cert.set_pubkey(key)
        pub = cert.get_pubkey()
        self.assertEqual(pub.type(), crypto.TYPE_EC)
        self.assertEqual(pub.bits(), 256)
        self.assertEqual(crypto.dump_publickey(crypto.FILETYPE_PEM, pub),
                         crypto.dump_publickey(crypto.FILETYPE_PEM, key))
        with self.assertRaises(TypeError):
            crypto.dump_privatekey(crypto.FILETYPE_PEM, pub)

    def test_no_pubkey(self):
        with self.assertRaises(crypto.Error):
            crypto.X509().get_pubkey()

    def test_set_pubkey_bad(self):
        cert = crypto.X509()
        with self.assertRaises(TypeError):
            cert.set_pubkey("key")
        with self.assertRaises(ValueError):
            cert.set_pubkey(crypto.PKey())


class TimeTests(unittest.TestCase):
    def test_unset_times_are_none(self):
        cert = crypto.X509()
        self.assertIsNone(cert.get_notBefore())
        self.assertIsNone(cert.get_notAfter())

    def test_set_and_get(self):
        cert = crypto.X509()
        cert.set_notBefore(b"20200101000000Z")
        cert.set_notAfter(b"20600615123456Z")
        self.assertEqual(cert.get_notBefore(), b"20200101000000Z")
        self.assertEqual(cert.get_notAfter(), b"20600615123456Z")
        cert.set_notBefore("19991231235959Z")
        self.assertEqual(cert.get_notBefore(), b"19991231235959Z")

    def test_utctime_form_accepted(self):
        cert = crypto.X509()
        cert.set_notAfter(b"300101000000Z")
        self.assertEqual(cert.get_notAfter(), b"20300101000000Z")

    def test_malformed_times(self):
        cert = crypto.X509()
        for bad in (b"", b"2020", b"20201301000000Z", b"20200132000000Z",
                    b"20200101250000Z", b"20200101000000", b"2020010100000Z",
                    b"20200101000000+0100", b"garbage-garbage", b"20200101000000Z\x00"):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    cert.set_notBefore(bad)
                with self.assertRaises(ValueError):
                    cert.set_notAfter(bad)
        self.assertIsNone(cert.get_notBefore())

    def test_time_wrong_type(self):
        with self.assertRaises(TypeError):
            crypto.X509().set_notBefore(20200101)
        with self.assertRaises(TypeError):
            crypto.X509().set_notAfter(None)

    def test_gmtime_adj(self):
        cert = crypto.X509()
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        cert.gmtime_adj_notBefore(-DAY)
        cert.gmtime_adj_notAfter(10 * DAY)
        after = datetime.datetime.now(datetime.timezone.utc)

        def parse(value):
            return datetime.datetime.strptime(value.decode(), "%Y%m%d%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        nb, na = parse(cert.get_notBefore()), parse(cert.get_notAfter())
        self.assertTrue(before - datetime.timedelta(days=1) <= nb
                        <= after - datetime.timedelta(days=1))
        self.assertTrue(before + datetime.timedelta(days=10) <= na
                        <= after + datetime.timedelta(days=10))

    def test_gmtime_adj_far_future_uses_generalized_time(self):
        cert = crypto.X509()
        cert.gmtime_adj_notAfter(100 * 365 * DAY)
        self.assertGreater(int(cert.get_notAfter()[:4]), 2100)

    def test_gmtime_adj_bad(self):
        cert = crypto.X509()
        with self.assertRaises(TypeError):
            cert.gmtime_adj_notBefore("0")
        with self.assertRaises(TypeError):
            cert.gmtime_adj_notAfter(1.5)
        with self.assertRaises(OverflowError):
            cert.gmtime_adj_notAfter(2 ** 100)
        with self.assertRaises(crypto.Error):
            cert.gmtime_adj_notAfter(20000 * 365 * DAY)

    def test_has_expired(self):
        cert = crypto.X509()
        cert.gmtime_adj_notAfter(-10)
        self.assertTrue(cert.has_expired())
        cert.gmtime_adj_notAfter(DAY)
        self.assertFalse(cert.has_expired())
        cert.set_notAfter(b"19700101000000Z")
        self.assertTrue(cert.has_expired())

    def test_has_expired_without_time(self):
        with self.assertRaises(ValueError):
            crypto.X509().has_expired()


class SignTests(unittest.TestCase):
    def _cert(self, key):
        cert = crypto.X509()
        cert.set_version(2)
        cert.set_serial_number(7)
        cert.get_subject().CN = "signed"
        cert.set_issuer(cert.get_subject())
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(DAY)
        cert.set_pubkey(key)
        return cert

    def test_sign_every_key_type(self):
        for key_type, digest, algorithm in (
                ("rsa1024", "sha256", b"sha256WithRSAEncryption"),
                ("rsa1024", "sha512", b"sha512WithRSAEncryption"),
                ("ec", "sha384", b"ecdsa-with-SHA384"),
                ("ed25519", "sha256", b"ED25519"),
                ("ed448", "ignored-for-ed448", b"ED448")):
            with self.subTest(key_type=key_type, digest=digest):
                key = make_key(key_type)
                cert = self._cert(key)
                cert.sign(key, digest)
                self.assertEqual(cert.get_signature_algorithm(), algorithm)
                pem = crypto.dump_certificate(crypto.FILETYPE_PEM, cert)
                with tempfile.NamedTemporaryFile(suffix=".pem") as f:
                    f.write(pem)
                    f.flush()
                    result = openssl("verify", "-CAfile", f.name, f.name)
                self.assertEqual(result.returncode, 0, result.stderr)

    def test_sign_dsa(self):
        key = make_key("dsa")
        cert = self._cert(key)
        cert.sign(key, "sha256")
        self.assertEqual(cert.get_signature_algorithm(), b"dsa_with_SHA256")

    def test_unsigned_signature_algorithm(self):
        with self.assertRaises(ValueError):
            crypto.X509().get_signature_algorithm()

    def test_sign_bad_arguments(self):
        key = make_key("ec")
        cert = self._cert(key)
        with self.assertRaisesRegex(ValueError, "digest"):
            cert.sign(key, "no-such-digest")
        with self.assertRaises(TypeError):
            cert.sign("key", "sha256")
        with self.assertRaises(ValueError):
            cert.sign(crypto.PKey(), "sha256")
        with self.assertRaisesRegex(ValueError, "private"):
            cert.sign(cert.get_pubkey(), "sha256")
        with self.assertRaises(TypeError):
            cert.sign(key, 256)
        with self.assertRaises(ValueError):
            cert.sign(key, "sha\x00256")

    def test_sign_keyword_arguments(self):
        key = make_key("ec")
        cert = self._cert(key)
        cert.sign(pkey=key, digest="sha256")
        self.assertEqual(cert.get_signature_algorithm(), b"ecdsa-with-SHA256")

    def test_sign_in_threads(self):
        key = make_key("rsa")
        certs = [self._cert(key) for _ in range(4)]

        def sign_five_times(cert):
            for _ in range(5):
                cert.sign(key, "sha256")
        self.assertEqual(
            run_threads(functools.partial(sign_five_times, c) for c in certs), [])
        for cert in certs:
            self.assertEqual(cert.get_signature_algorithm(),
                             b"sha256WithRSAEncryption")

    def test_sign_while_another_thread_uses_the_certificate(self):
        key = make_key("rsa")
        cert = self._cert(key)
        cert.sign(key, "sha256")  # an unsigned certificate cannot be dumped
        stop = threading.Event()
        errors = []

        def meddle():
            try:
                i = 0
                while not stop.is_set():
                    i += 1
                    cert.get_subject().CN = "name %d" % i
                    cert.set_serial_number(i)
                    crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
        thread = threading.Thread(target=meddle)
        thread.start()
        try:
            for _ in range(20):
                cert.sign(key, "sha256")
        finally:
            stop.set()
            thread.join()
        self.assertEqual(errors, [])
        cert.sign(key, "sha256")
        loaded = crypto.load_certificate(
            crypto.FILETYPE_PEM, crypto.dump_certificate(crypto.FILETYPE_PEM, cert))
        self.assertEqual(loaded.get_subject().CN, cert.get_subject().CN)
        crypto.verify(loaded, crypto.sign(key, b"x", "sha256"), b"x", "sha256")

    def test_sign_incomplete_certificate(self):
        key = make_key("ec")
        cert = crypto.X509()
        cert.set_pubkey(key)
        cert.sign(key, "sha256")
        self.assertEqual(cert.get_signature_algorithm(), b"ecdsa-with-SHA256")

    def test_digest(self):
        cert = make_cert("digest", make_key("ec"))
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        import hashlib
        for name in ("sha1", "sha256", "md5", "SHA512"):
            expected = hashlib.new(name.lower(), der).hexdigest().upper()
            expected = ":".join(expected[i:i + 2] for i in range(0, len(expected), 2))
            self.assertEqual(cert.digest(name), expected.encode())
        self.assertEqual(cert.digest(b"sha256"), cert.digest("sha256"))
        self.assertEqual(cert.digest(digest_name="sha1"), cert.digest("sha1"))

    def test_digest_bad_name(self):
        cert = make_cert("digest", make_key("ec"))
        with self.assertRaisesRegex(ValueError, "no-such"):
            cert.digest("no-such")
        with self.assertRaises(TypeError):
            cert.digest(None)


class ExtensionTests(unittest.TestCase):
    def test_count_and_index(self):
        cert = crypto.X509()
        self.assertEqual(cert.get_extension_count(), 0)
        cert.add_extensions([crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE")])
        self.assertEqual(cert.get_extension_count(), 1)
        self.assertEqual(cert.get_extension(0).get_short_name(), b"basicConstraints")
        for bad in (1, -1, 2 ** 40):
            with self.assertRaises(IndexError):
                cert.get_extension(bad)
        with self.assertRaises(TypeError):
            cert.get_extension("0")

    def test_add_extensions_bad(self):
        cert = crypto.X509()
        good = crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE")
        with self.assertRaises(ValueError):
            cert.add_extensions([good, "not an extension"])
        self.assertEqual(cert.get_extension_count(), 0)
        with self.assertRaises(TypeError):
            cert.add_extensions(None)

    def test_add_extensions_from_generator(self):
        cert = crypto.X509()
        cert.add_extensions(crypto.X509Extension(b"nsComment", False, b"c%d" % i)
                            for i in range(3))
        self.assertEqual([str(cert.get_extension(i)) for i in range(3)],
                         ["c0", "c1", "c2"])


class LoadDumpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cert = make_cert("dump", make_key("ec"), san=["dump.example"])

    def test_round_trips(self):
        for filetype in (crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1):
            data = crypto.dump_certificate(filetype, self.cert)
            loaded = crypto.load_certificate(filetype, data)
            self.assertEqual(crypto.dump_certificate(filetype, loaded), data)
            self.assertEqual(loaded.get_subject().CN, "dump")

    def test_text(self):
        text = crypto.dump_certificate(crypto.FILETYPE_TEXT, self.cert)
        self.assertIn(b"Subject: CN=dump", text)
        self.assertIn(b"DNS:dump.example", text)

    def test_bad_input(self):
        pem = crypto.dump_certificate(crypto.FILETYPE_PEM, self.cert)
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, self.cert)
        for filetype, data in ((crypto.FILETYPE_PEM, pem[: len(pem) // 2]),
                               (crypto.FILETYPE_PEM, b"garbage"),
                               (crypto.FILETYPE_PEM, b""),
                               (crypto.FILETYPE_ASN1, der[:-10]),
                               (crypto.FILETYPE_ASN1, b"\x30\x82\xff\xff"),
                               (crypto.FILETYPE_ASN1, b"")):
            with self.subTest(data=data[:20]):
                with self.assertRaises(crypto.Error):
                    crypto.load_certificate(filetype, data)

    def test_bad_types(self):
        with self.assertRaises(ValueError):
            crypto.load_certificate(99, b"x")
        with self.assertRaises(ValueError):
            crypto.load_certificate(crypto.FILETYPE_TEXT, b"x")
        with self.assertRaises(TypeError):
            crypto.load_certificate(crypto.FILETYPE_PEM, None)
        with self.assertRaises(TypeError):
            crypto.dump_certificate(crypto.FILETYPE_PEM, "cert")
        with self.assertRaises(ValueError):
            crypto.dump_certificate(99, self.cert)


class EqualityTests(unittest.TestCase):
    def test_equal_by_content(self):
        cert = make_cert("eq", make_key("ec"))
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        a = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
        b = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
        self.assertIsNot(a, b)
        self.assertEqual(a, b)
        self.assertEqual(hash(a), hash(b))
        self.assertEqual(len({a, b, cert}), 1)
        self.assertNotEqual(a, make_cert("eq", make_key("ec")))
        self.assertNotEqual(a, "cert")

    def test_change_breaks_equality(self):
        cert = make_cert("eq", make_key("ec"))
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        a = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
        b = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
        b.set_serial_number(b.get_serial_number() + 1)
        self.assertNotEqual(a, b)

    def test_private_pointer_for_urllib3(self):
        self.assertIsNotNone(crypto.X509()._x509)


class ChainTests(unittest.TestCase):
    def _verify(self, chain, *extra):
        with tempfile.TemporaryDirectory() as tmp:
            paths = chain.write_pem(tmp)
            result = openssl("verify", "-CAfile", paths["ca"], "-untrusted",
                             paths["intermediate"], *extra, paths["leaf"])
            text = openssl("x509", "-noout", "-text", "-in", paths["leaf"])
            int_text = openssl("x509", "-noout", "-text", "-in", paths["intermediate"])
        return result, text.stdout.decode(), int_text.stdout.decode()

    def test_rsa_and_ec_chains_verify(self):
        for key_type in ("rsa", "ec"):
            with self.subTest(key_type=key_type):
                chain = pki.make_chain(key_type, san=["localhost", "127.0.0.1"])
                result, text, int_text = self._verify(
                    chain, "-purpose", "sslserver", "-verify_hostname", "localhost")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn(b"OK", result.stdout)
                self.assertIn("DNS:localhost, IP Address:127.0.0.1", text)
                self.assertIn("CA:FALSE", text)
                self.assertIn("TLS Web Server Authentication", text)
                self.assertIn("X509v3 Authority Key Identifier", text)
                self.assertIn("CA:TRUE, pathlen:0", int_text)
                self.assertIn("Certificate Sign", int_text)

    def test_mixed_key_types(self):
        chain = pki.make_chain("ec", ca_key_type="rsa", leaf_key_type="ed25519")
        result, _, _ = self._verify(chain)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_expired_leaf_is_rejected(self):
        chain = pki.make_chain("ec", leaf_kwargs={"not_before": -10 * DAY,
                                                  "not_after": -DAY})
        self.assertTrue(chain.leaf.cert.has_expired())
        result, _, _ = self._verify(chain)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"expired", result.stdout + result.stderr)

    def test_wrong_issuer_is_rejected(self):
        ca = pki.make_ca(key_type="ec")
        intermediate = pki.make_intermediate(ca, key_type="ec")
        leaf = pki.make_leaf(intermediate, key_type="ec",
                             issuer_name=make_name("Somebody Else"))
        result, _, _ = self._verify(pki.Chain(ca, intermediate, leaf))
        self.assertNotEqual(result.returncode, 0)

    def test_pathlen_is_enforced(self):
        ca = pki.make_ca(key_type="ec", pathlen=0)
        intermediate = pki.make_intermediate(ca, key_type="ec")
        leaf = pki.make_leaf(intermediate, key_type="ec")
        result, _, _ = self._verify(pki.Chain(ca, intermediate, leaf))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"path length", result.stdout + result.stderr)

    def test_client_only_leaf_is_not_a_server(self):
        chain = pki.make_chain("ec", leaf_kwargs={"extended_key_usage": ["clientAuth"]})
        result, _, _ = self._verify(chain, "-purpose", "sslserver")
        self.assertNotEqual(result.returncode, 0)
        result, _, _ = self._verify(chain, "-purpose", "sslclient")
        self.assertEqual(result.returncode, 0, result.stderr)


class CryptographyTests(unittest.TestCase):
    def test_round_trip(self):
        from cryptography import x509
        cert = make_cert("crypto", make_key("ec"), san=["crypto.example"])
        theirs = cert.to_cryptography()
        self.assertIsInstance(theirs, x509.Certificate)
        self.assertEqual(theirs.serial_number, cert.get_serial_number())
        self.assertEqual(
            theirs.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value,
            "crypto")
        san = theirs.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        self.assertEqual(san.value.get_values_for_type(x509.DNSName), ["crypto.example"])
        back = crypto.X509.from_cryptography(theirs)
        self.assertIsInstance(back, crypto.X509)
        self.assertEqual(back, cert)

    def test_from_cryptography_wrong_type(self):
        with self.assertRaises(TypeError):
            crypto.X509.from_cryptography(b"not a certificate")
        with self.assertRaises(TypeError):
            crypto.X509.from_cryptography(make_cert("x", make_key("ec")))


class AliasTests(unittest.TestCase):
    def test_type_alias(self):
        self.assertIs(crypto.X509Type, crypto.X509)


if __name__ == "__main__":
    unittest.main()

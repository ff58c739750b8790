"""PKCS12 and load_pkcs12: archives we write are read by `openssl pkcs12` and
`cryptography`, archives `openssl pkcs12 -export` writes (modern, -legacy,
-descert, -nomac, ...) are read here."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import OpenSSL
from OpenSSL import crypto

from pki import (cert_pem, make_ca, make_chain, make_key, make_leaf, openssl,
                 run_threads)

PEM = crypto.FILETYPE_PEM


def pem_blocks(text, kind):
    """The PEM blocks of type `kind` in `text` (bytes), in order."""
    begin = b"-----BEGIN " + kind + b"-----"
    end = b"-----END " + kind + b"-----\n"
    blocks = []
    pos = 0
    while True:
        start = text.find(begin, pos)
        if start < 0:
            return blocks
        stop = text.index(end, start) + len(end)
        blocks.append(text[start:stop])
        pos = stop


def same_key(a, b):
    return (crypto.dump_publickey(PEM, a) == crypto.dump_publickey(PEM, b))


class Fixture:
    """A chain and its PEM files in a temporary directory."""

    def __init__(self, key_type="rsa"):
        self.chain = make_chain(key_type)
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name
        self.paths = self.chain.write_pem(self.dir)
        self.paths["cas"] = os.path.join(self.dir, "cas.pem")
        with open(self.paths["cas"], "wb") as f:
            f.write(self.chain.intermediate.pem() + self.chain.ca.pem())

    def path(self, name):
        return os.path.join(self.dir, name)

    def export_with_openssl(self, *options, password="secret", name=None,
                            chain=True):
        out = self.path("out.p12")
        args = ["pkcs12", "-export", "-in", self.paths["leaf"],
                "-inkey", self.paths["leaf_key"], "-out", out,
                "-passout", "pass:" + password, *options]
        if chain:
            args += ["-certfile", self.paths["cas"]]
        if name is not None:
            args += ["-name", name]
        openssl(*args)
        with open(out, "rb") as f:
            return f.read()

    def read_with_openssl(self, data, password, *options):
        path = self.path("ours.p12")
        with open(path, "wb") as f:
            f.write(data)
        # -info reports the algorithms on stderr.
        return openssl("pkcs12", "-in", path, "-passin", "pass:" + password,
                       "-nodes", *options, stderr=True)

    def close(self):
        self._dir.cleanup()


class FixtureTests(unittest.TestCase):
    """Tests sharing one Fixture (self.fx)."""

    @classmethod
    def setUpClass(cls):
        cls.fx = Fixture()

    @classmethod
    def tearDownClass(cls):
        cls.fx.close()


class OpensslMadeTests(FixtureTests):
    """Archives written by `openssl pkcs12 -export`."""

    def check_full(self, p12, name=None):
        chain = self.fx.chain
        self.assertEqual(cert_pem(p12.get_certificate()), chain.leaf.pem())
        key = p12.get_privatekey()
        self.assertIsInstance(key, crypto.PKey)
        self.assertTrue(same_key(key, chain.leaf.key))
        # The key is the private half: it signs what the certificate verifies.
        signature = crypto.sign(key, b"data", "sha256")
        crypto.verify(p12.get_certificate(), signature, b"data", "sha256")
        cas = p12.get_ca_certificates()
        self.assertIsInstance(cas, tuple)
        self.assertEqual(sorted(cert_pem(c) for c in cas),
                         sorted([chain.intermediate.pem(), chain.ca.pem()]))
        self.assertEqual(p12.get_friendlyname(), name)

    def test_default_algorithms(self):
        data = self.fx.export_with_openssl(name="server key")
        self.check_full(crypto.load_pkcs12(data, b"secret"), b"server key")

    def test_str_passphrase(self):
        data = self.fx.export_with_openssl()
        self.check_full(crypto.load_pkcs12(data, "secret"))
        self.check_full(crypto.load_pkcs12(data, passphrase=bytearray(b"secret")))

    def test_legacy_rc2(self):
        data = self.fx.export_with_openssl("-legacy", name="old tool")
        self.check_full(crypto.load_pkcs12(data, b"secret"), b"old tool")

    def test_descert(self):
        data = self.fx.export_with_openssl("-descert")
        self.check_full(crypto.load_pkcs12(data, b"secret"))

    def test_legacy_with_3des_everywhere(self):
        data = self.fx.export_with_openssl(
            "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES",
            "-macalg", "sha1")
        self.check_full(crypto.load_pkcs12(data, b"secret"))

    def test_no_mac(self):
        data = self.fx.export_with_openssl("-nomac")
        self.check_full(crypto.load_pkcs12(data, b"secret"))
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs12(data, b"wrong")

    def test_no_encryption(self):
        data = self.fx.export_with_openssl("-certpbe", "NONE", "-keypbe", "NONE")
        self.check_full(crypto.load_pkcs12(data, b"secret"))

    def test_empty_password(self):
        data = self.fx.export_with_openssl(password="")
        self.check_full(crypto.load_pkcs12(data))
        self.check_full(crypto.load_pkcs12(data, b""))
        self.check_full(crypto.load_pkcs12(data, None))

    def test_certificate_only(self):
        data = self.fx.export_with_openssl("-nokeys", name="just a cert",
                                           chain=False)
        p12 = crypto.load_pkcs12(data, b"secret")
        # As in OpenSSL's PKCS12_parse: a certificate that no key claims
        # (no localKeyID) is one of the "CA" certificates.
        self.assertIsNone(p12.get_privatekey())
        self.assertIsNone(p12.get_certificate())
        self.assertEqual([cert_pem(c) for c in p12.get_ca_certificates()],
                         [self.fx.chain.leaf.pem()])
        self.assertIsNone(p12.get_friendlyname())

    def test_key_only(self):
        out = self.fx.path("key-only.p12")
        # A key with no certificate: -nocerts still needs -export's -in.
        openssl("pkcs12", "-export", "-nocerts", "-inkey",
                self.fx.paths["leaf_key"], "-out", out, "-passout", "pass:pw")
        with open(out, "rb") as f:
            p12 = crypto.load_pkcs12(f.read(), b"pw")
        self.assertIsNone(p12.get_certificate())
        self.assertIsNone(p12.get_ca_certificates())
        self.assertIsNone(p12.get_friendlyname())
        self.assertTrue(same_key(p12.get_privatekey(), self.fx.chain.leaf.key))

    def test_wrong_passphrase(self):
        for options in ((), ("-legacy",), ("-descert",)):
            data = self.fx.export_with_openssl(*options)
            for wrong in (b"wrong", None, b"", "secreT"):
                with self.assertRaises(crypto.Error) as cm:
                    crypto.load_pkcs12(data, wrong)
                self.assertIn("mac verify failure", str(cm.exception))

    def test_missing_passphrase_message(self):
        data = self.fx.export_with_openssl()
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs12(data)

    def test_truncated_and_corrupted(self):
        data = self.fx.export_with_openssl()
        for cut in (1, 10, len(data) // 2, len(data) - 1):
            with self.assertRaises(crypto.Error):
                crypto.load_pkcs12(data[:cut], b"secret")
        corrupted = bytearray(data)
        corrupted[len(data) // 2] ^= 0x55
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs12(bytes(corrupted), b"secret")
        for garbage in (b"", b"\x00" * 100, b"not a pkcs12 file", self.fx.chain.leaf.pem()):
            with self.assertRaises(crypto.Error):
                crypto.load_pkcs12(garbage, b"secret")

    def test_bad_argument_types(self):
        with self.assertRaisesRegex(TypeError, "buffer"):
            crypto.load_pkcs12(None)
        with self.assertRaisesRegex(TypeError, "buffer"):
            crypto.load_pkcs12(12, b"secret")
        with self.assertRaisesRegex(TypeError, "passphrase"):
            crypto.load_pkcs12(b"x", 12)
        with self.assertRaisesRegex(ValueError, "passphrase"):
            crypto.load_pkcs12(b"x", b"a\0b")

    def test_parallel_loads(self):
        data = self.fx.export_with_openssl()
        results = []

        def work():
            for _ in range(5):
                p12 = crypto.load_pkcs12(data, b"secret")
                results.append(cert_pem(p12.get_certificate()))

        self.assertEqual(run_threads([work] * 4), [])
        self.assertEqual(results, [self.fx.chain.leaf.pem()] * 20)


class LegacyProviderTests(FixtureTests):
    """The legacy provider is loaded by the first archive that needs it, and
    not before (checked in a fresh interpreter through libcrypto itself)."""

    SCRIPT = textwrap.dedent("""
        import ctypes, ctypes.util, sys
        from OpenSSL import crypto
        lib = ctypes.CDLL(crypto.__file__)  # resolves libcrypto's symbols
        available = lib.OSSL_PROVIDER_available
        available.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        legacy = lambda: available(None, b"legacy")
        modern, old = (open(p, "rb").read() for p in sys.argv[1:3])
        steps = [legacy()]
        crypto.load_pkcs12(modern, b"secret")
        steps.append(legacy())
        try:
            crypto.load_pkcs12(old, b"wrong")
        except crypto.Error:
            pass
        steps.append(legacy())
        p12 = crypto.load_pkcs12(old, b"secret")
        steps.append(legacy())
        steps.append(available(None, b"default"))
        assert p12.get_privatekey().check()
        print(steps)
    """)

    THREADS_SCRIPT = textwrap.dedent("""
        import sys, threading
        from OpenSSL import crypto
        old = open(sys.argv[2], "rb").read()
        results = []
        start = threading.Barrier(8)
        def work():
            start.wait(30)
            try:
                crypto.load_pkcs12(old, b"secret")
                results.append("ok")
            except Exception as e:
                results.append(repr(e))
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        print(results)
    """)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.files = []
        for name, options in (("modern.p12", ()), ("old.p12", ("-legacy",))):
            path = cls.fx.path(name)
            with open(path, "wb") as f:
                f.write(cls.fx.export_with_openssl(*options))
            cls.files.append(path)

    def run_fresh(self, script):
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(OpenSSL.__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run([sys.executable, "-c", script, *self.files],
                              capture_output=True, timeout=120, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc

    def test_first_loads_in_parallel(self):
        # Threads that all fail with the default provider before one of them
        # loads the legacy one must all succeed on their retry.
        proc = self.run_fresh(self.THREADS_SCRIPT)
        self.assertEqual(proc.stdout.strip(), str(["ok"] * 8).encode())

    def test_loaded_on_demand(self):
        proc = self.run_fresh(self.SCRIPT)
        # legacy: absent, still absent after a modern file and a wrong
        # passphrase, present after the RC2 file; default still there.
        self.assertEqual(proc.stdout.strip(), b"[0, 0, 0, 1, 1]")


class ExportTests(FixtureTests):
    """Archives written here, read by `openssl pkcs12` and by ourselves."""

    def make_p12(self, name=b"my key"):
        chain = self.fx.chain
        p12 = crypto.PKCS12()
        p12.set_certificate(chain.leaf.cert)
        p12.set_privatekey(chain.leaf.key)
        p12.set_ca_certificates([chain.intermediate.cert, chain.ca.cert])
        if name is not None:
            p12.set_friendlyname(name)
        return p12

    def test_openssl_reads_ours(self):
        data = self.make_p12().export(b"pass phrase")
        out = self.fx.read_with_openssl(data, "pass phrase")
        certs = pem_blocks(out, b"CERTIFICATE")
        chain = self.fx.chain
        self.assertEqual(certs[0], chain.leaf.pem())
        self.assertEqual(sorted(certs[1:]),
                         sorted([chain.intermediate.pem(), chain.ca.pem()]))
        [key] = pem_blocks(out, b"PRIVATE KEY")
        self.assertTrue(same_key(crypto.load_privatekey(PEM, key), chain.leaf.key))
        self.assertIn(b"friendlyName: my key", out)
        info = self.fx.read_with_openssl(data, "pass phrase", "-info", "-nokeys")
        self.assertIn(b"pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048", info)

    def test_openssl_rejects_wrong_passphrase(self):
        data = self.make_p12().export(b"right")
        with self.assertRaisesRegex(AssertionError, "(?i)mac verify"):
            self.fx.read_with_openssl(data, "wrong")

    def test_iterations(self):
        data = self.make_p12().export(b"pw", iter=5000, maciter=3000)
        info = self.fx.read_with_openssl(data, "pw", "-info", "-nokeys")
        self.assertIn(b"Iteration 5000", info)
        self.assertIn(b"Iteration 3000", info)
        self.assertEqual(cert_pem(crypto.load_pkcs12(data, b"pw").get_certificate()),
                         self.fx.chain.leaf.pem())

    def test_without_mac(self):
        data = self.make_p12().export(b"pw", maciter=-1)
        out = self.fx.read_with_openssl(data, "pw", "-nomacver")
        self.assertIn(self.fx.chain.leaf.pem(), out)
        p12 = crypto.load_pkcs12(data, b"pw")
        self.assertTrue(same_key(p12.get_privatekey(), self.fx.chain.leaf.key))
        with self.assertRaises(crypto.Error):
            crypto.load_pkcs12(data, b"wrong")

    def test_round_trip(self):
        for key_type in ("rsa", "ec", "ed25519", "dsa"):
            with self.subTest(key_type=key_type):
                ca = make_ca(key_type=key_type)
                leaf = make_leaf(ca, key_type=key_type)
                p12 = crypto.PKCS12()
                p12.set_certificate(leaf.cert)
                p12.set_privatekey(leaf.key)
                p12.set_ca_certificates((ca.cert,))
                p12.set_friendlyname(b"round trip")
                again = crypto.load_pkcs12(p12.export(b"x"), b"x")
                self.assertEqual(cert_pem(again.get_certificate()), leaf.pem())
                self.assertEqual(
                    crypto.dump_privatekey(PEM, again.get_privatekey()),
                    crypto.dump_privatekey(PEM, leaf.key))
                self.assertEqual([cert_pem(c) for c in again.get_ca_certificates()],
                                 [ca.pem()])
                self.assertEqual(again.get_friendlyname(), b"round trip")

    def test_cryptography_reads_ours(self):
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
        data = self.make_p12().export(b"pw")
        key, cert, cas = pkcs12.load_key_and_certificates(data, b"pw")
        self.assertEqual(cert.public_bytes(Encoding.PEM), self.fx.chain.leaf.pem())
        self.assertEqual(len(cas), 2)
        self.assertEqual(key.key_size, 2048)

    def test_without_passphrase(self):
        for passphrase in (None, b"", ""):
            with self.subTest(passphrase=passphrase):
                data = self.make_p12().export(passphrase)
                out = self.fx.read_with_openssl(data, "")
                self.assertIn(self.fx.chain.leaf.pem(), out)
                for given in (None, b""):
                    p12 = crypto.load_pkcs12(data, given)
                    self.assertEqual(cert_pem(p12.get_certificate()),
                                     self.fx.chain.leaf.pem())
                with self.assertRaises(crypto.Error):
                    crypto.load_pkcs12(data, b"something")

    def test_defaults_without_arguments(self):
        data = self.make_p12(name=None).export()
        p12 = crypto.load_pkcs12(data)
        self.assertIsNone(p12.get_friendlyname())
        self.assertEqual(len(p12.get_ca_certificates()), 2)

    def test_certificate_only(self):
        p12 = crypto.PKCS12()
        p12.set_certificate(self.fx.chain.leaf.cert)
        data = p12.export(b"pw")
        out = self.fx.read_with_openssl(data, "pw")
        self.assertEqual(pem_blocks(out, b"CERTIFICATE"), [self.fx.chain.leaf.pem()])
        self.assertEqual(pem_blocks(out, b"PRIVATE KEY"), [])
        again = crypto.load_pkcs12(data, b"pw")
        self.assertIsNone(again.get_privatekey())
        # Without a key to pair it with, it comes back as a CA certificate,
        # as with OpenSSL's own tools.
        self.assertIsNone(again.get_certificate())
        self.assertEqual([cert_pem(c) for c in again.get_ca_certificates()],
                         [self.fx.chain.leaf.pem()])

    def test_key_only(self):
        p12 = crypto.PKCS12()
        p12.set_privatekey(self.fx.chain.leaf.key)
        data = p12.export(b"pw")
        out = self.fx.read_with_openssl(data, "pw")
        self.assertEqual(pem_blocks(out, b"CERTIFICATE"), [])
        again = crypto.load_pkcs12(data, b"pw")
        self.assertIsNone(again.get_certificate())
        self.assertTrue(same_key(again.get_privatekey(), self.fx.chain.leaf.key))

    def test_ca_certificates_only(self):
        p12 = crypto.PKCS12()
        p12.set_ca_certificates([self.fx.chain.ca.cert])
        again = crypto.load_pkcs12(p12.export(b"pw"), b"pw")
        self.assertIsNone(again.get_certificate())
        self.assertIsNone(again.get_privatekey())
        self.assertEqual([cert_pem(c) for c in again.get_ca_certificates()],
                         [self.fx.chain.ca.pem()])

    def test_empty_archive(self):
        with self.assertRaisesRegex(crypto.Error, "nothing to export"):
            crypto.PKCS12().export(b"pw")
        p12 = crypto.PKCS12()
        p12.set_ca_certificates([])
        with self.assertRaises(crypto.Error):
            p12.export(b"pw")

    def test_key_does_not_match_certificate(self):
        p12 = self.make_p12()
        p12.set_privatekey(make_key("rsa"))
        with self.assertRaises(crypto.Error) as cm:
            p12.export(b"pw")
        self.assertIn("key values mismatch", str(cm.exception))

    def test_bad_export_arguments(self):
        p12 = self.make_p12()
        with self.assertRaisesRegex(TypeError, "passphrase"):
            p12.export(12)
        with self.assertRaisesRegex(TypeError, "iter"):
            p12.export(b"pw", "2048")
        with self.assertRaisesRegex(TypeError, "maciter"):
            p12.export(b"pw", maciter=1.0)
        with self.assertRaisesRegex(ValueError, "iter"):
            p12.export(b"pw", iter=0)
        with self.assertRaisesRegex(ValueError, "maciter"):
            p12.export(b"pw", maciter=-5)

    def test_export_after_certificate_changes(self):
        # The archive holds the certificate as it is at export time.
        p12 = self.make_p12()
        first = crypto.load_pkcs12(p12.export(b"pw"), b"pw")
        self.assertEqual(cert_pem(first.get_certificate()), self.fx.chain.leaf.pem())


class AccessorTests(unittest.TestCase):
    def setUp(self):
        self.chain = make_chain("ec")

    def test_new_is_empty(self):
        p12 = crypto.PKCS12()
        self.assertIsNone(p12.get_certificate())
        self.assertIsNone(p12.get_privatekey())
        self.assertIsNone(p12.get_ca_certificates())
        self.assertIsNone(p12.get_friendlyname())
        self.assertIs(crypto.PKCS12Type, crypto.PKCS12)

    def test_set_and_get_return_same_objects(self):
        p12 = crypto.PKCS12()
        p12.set_certificate(self.chain.leaf.cert)
        p12.set_privatekey(pkey=self.chain.leaf.key)
        self.assertIs(p12.get_certificate(), self.chain.leaf.cert)
        self.assertIs(p12.get_privatekey(), self.chain.leaf.key)

    def test_unset_with_none(self):
        p12 = crypto.PKCS12()
        p12.set_certificate(self.chain.leaf.cert)
        p12.set_privatekey(self.chain.leaf.key)
        p12.set_ca_certificates([self.chain.ca.cert])
        p12.set_friendlyname(b"x")
        p12.set_certificate(None)
        p12.set_privatekey(None)
        p12.set_ca_certificates(None)
        p12.set_friendlyname(None)
        self.assertIsNone(p12.get_certificate())
        self.assertIsNone(p12.get_privatekey())
        self.assertIsNone(p12.get_ca_certificates())
        self.assertIsNone(p12.get_friendlyname())

    def test_ca_certificates_from_any_iterable(self):
        p12 = crypto.PKCS12()
        certs = [self.chain.intermediate.cert, self.chain.ca.cert]
        p12.set_ca_certificates(iter(certs))
        self.assertEqual(p12.get_ca_certificates(), tuple(certs))
        p12.set_ca_certificates([])
        self.assertEqual(p12.get_ca_certificates(), ())
        # Changing the caller's list later does not change the archive.
        p12.set_ca_certificates(certs)
        certs.append(self.chain.leaf.cert)
        self.assertEqual(len(p12.get_ca_certificates()), 2)

    def test_friendlyname(self):
        p12 = crypto.PKCS12()
        p12.set_friendlyname(b"bytes name")
        self.assertEqual(p12.get_friendlyname(), b"bytes name")
        p12.set_friendlyname("n\u00e4me")
        self.assertEqual(p12.get_friendlyname(), "n\u00e4me".encode())
        with self.assertRaisesRegex(ValueError, "name"):
            p12.set_friendlyname(b"a\0b")
        with self.assertRaisesRegex(TypeError, "name"):
            p12.set_friendlyname(12)

    def test_type_errors_name_the_argument(self):
        p12 = crypto.PKCS12()
        with self.assertRaisesRegex(TypeError, "cert"):
            p12.set_certificate(self.chain.leaf.key)
        with self.assertRaisesRegex(TypeError, "pkey"):
            p12.set_privatekey(self.chain.leaf.cert)
        with self.assertRaisesRegex(TypeError, "cacerts"):
            p12.set_ca_certificates([self.chain.ca.cert, "x"])
        with self.assertRaisesRegex(TypeError, "cacerts"):
            p12.set_ca_certificates(12)
        with self.assertRaisesRegex(TypeError, "cacerts"):
            p12.set_ca_certificates(b"cert")
        with self.assertRaisesRegex(ValueError, "pkey"):
            p12.set_privatekey(crypto.PKey())
        public = self.chain.leaf.cert.get_pubkey()
        with self.assertRaisesRegex(ValueError, "pkey"):
            p12.set_privatekey(public)
        with self.assertRaises(TypeError):
            crypto.PKCS12(1)


if __name__ == "__main__":
    unittest.main()

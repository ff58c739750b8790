"""NetscapeSPKI: SPKACs made by `openssl spkac` load and verify here, and ours
pass `openssl spkac -verify`."""
import base64
import functools
import os
import tempfile
import unittest

from OpenSSL import crypto

from pki import make_key, openssl, run_threads

PEM = crypto.FILETYPE_PEM


def public_pem(key):
    return crypto.dump_publickey(PEM, key)


def spkac_field(output):
    """The base64 SPKAC of `openssl spkac` output ("SPKAC=...")."""
    for line in output.splitlines():
        if line.startswith(b"SPKAC="):
            return line[len(b"SPKAC="):]
    raise AssertionError(f"no SPKAC= line in {output!r}")


class SPKITests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._dir = tempfile.TemporaryDirectory()
        cls.dir = cls._dir.name
        cls.keys = {kind: make_key(kind) for kind in ("rsa", "ec", "ed25519")}
        cls.key_paths = {}
        for kind, key in cls.keys.items():
            path = os.path.join(cls.dir, kind + ".key")
            with open(path, "wb") as f:
                f.write(crypto.dump_privatekey(PEM, key))
            cls.key_paths[kind] = path

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def openssl_verify(self, b64):
        path = os.path.join(self.dir, "ours.spkac")
        with open(path, "wb") as f:
            f.write(b"SPKAC=" + b64 + b"\n")
        return openssl("spkac", "-in", path, "-verify", stderr=True)

    def make_spki(self, key, digest="sha256"):
        spki = crypto.NetscapeSPKI()
        spki.set_pubkey(key)
        spki.sign(key, digest)
        return spki

    def test_openssl_made_spkac_loads_and_verifies(self):
        for kind in ("rsa", "ec"):
            with self.subTest(kind=kind):
                out = openssl("spkac", "-key", self.key_paths[kind],
                              "-challenge", "a challenge", "-digest", "sha256")
                b64 = spkac_field(out)
                for enc in (b64, b64.decode("ascii")):
                    spki = crypto.NetscapeSPKI(enc)
                    pubkey = spki.get_pubkey()
                    self.assertEqual(public_pem(pubkey), public_pem(self.keys[kind]))
                    self.assertIs(spki.verify(pubkey), True)
                    self.assertIs(spki.verify(self.keys[kind]), True)
                    self.assertEqual(spki.b64_encode(), b64)

    def test_openssl_made_spkac_wrong_key(self):
        b64 = spkac_field(openssl("spkac", "-key", self.key_paths["rsa"]))
        spki = crypto.NetscapeSPKI(enc=b64)
        with self.assertRaises(crypto.Error):
            spki.verify(make_key("rsa"))

    def test_ours_verify_with_openssl(self):
        for kind, key in self.keys.items():
            with self.subTest(kind=kind):
                spki = self.make_spki(key)
                out = self.openssl_verify(spki.b64_encode())
                self.assertIn(b"Signature OK", out)
                self.assertIs(spki.verify(key), True)

    def test_ours_with_other_digests(self):
        key = self.keys["rsa"]
        for digest in ("sha1", "sha384", b"sha512"):
            with self.subTest(digest=digest):
                spki = self.make_spki(key, digest)
                self.assertIn(b"Signature OK", self.openssl_verify(spki.b64_encode()))

    def test_resigning_keeps_the_challenge(self):
        b64 = spkac_field(openssl("spkac", "-key", self.key_paths["ec"],
                                  "-challenge", "keep me", "-digest", "sha256"))
        spki = crypto.NetscapeSPKI(b64)
        spki.sign(self.keys["ec"], "sha384")
        out = self.openssl_verify(spki.b64_encode())
        self.assertIn(b"Signature OK", out)
        self.assertIn(b"Challenge String: keep me", out)

    def test_round_trip(self):
        spki = self.make_spki(self.keys["ec"])
        again = crypto.NetscapeSPKI(spki.b64_encode())
        self.assertIs(again.verify(self.keys["ec"]), True)
        self.assertEqual(public_pem(again.get_pubkey()), public_pem(self.keys["ec"]))

    def test_changed_key_breaks_signature(self):
        spki = self.make_spki(self.keys["rsa"])
        other = make_key("rsa")
        spki.set_pubkey(other)
        with self.assertRaises(crypto.Error):
            spki.verify(other)
        with self.assertRaises(crypto.Error):
            spki.verify(self.keys["rsa"])
        with self.assertRaisesRegex(AssertionError, "(?i)fail"):
            self.openssl_verify(spki.b64_encode())

    def test_public_key_has_no_private_half(self):
        spki = self.make_spki(self.keys["rsa"])
        pubkey = spki.get_pubkey()
        with self.assertRaises(TypeError):
            crypto.dump_privatekey(PEM, pubkey)
        with self.assertRaisesRegex(ValueError, "pkey"):
            spki.sign(pubkey, "sha256")

    def test_empty_spki(self):
        spki = crypto.NetscapeSPKI()
        with self.assertRaises(crypto.Error):
            spki.get_pubkey()
        with self.assertRaises(crypto.Error):
            spki.b64_encode()
        with self.assertRaises(crypto.Error):
            spki.verify(self.keys["rsa"])
        with self.assertRaisesRegex(crypto.Error, "public key"):
            spki.sign(self.keys["rsa"], "sha256")
        self.assertIsInstance(crypto.NetscapeSPKI(None), crypto.NetscapeSPKI)
        self.assertIs(crypto.NetscapeSPKIType, crypto.NetscapeSPKI)

    def test_bad_encodings(self):
        good = self.make_spki(self.keys["rsa"]).b64_encode()
        for bad in (b"", b"not base64 !!!", good[: len(good) // 2], b"QUJD"):
            with self.assertRaises(crypto.Error):
                crypto.NetscapeSPKI(bad)
        # A damaged signature still parses, and fails to verify.
        der = bytearray(base64.b64decode(good))
        der[-5] ^= 0xFF
        damaged = crypto.NetscapeSPKI(base64.b64encode(bytes(der)))
        with self.assertRaises(crypto.Error):
            damaged.verify(self.keys["rsa"])

    def test_bad_arguments(self):
        spki = crypto.NetscapeSPKI()
        with self.assertRaisesRegex(TypeError, "enc"):
            crypto.NetscapeSPKI(12)
        with self.assertRaisesRegex(TypeError, "pkey"):
            spki.set_pubkey("key")
        with self.assertRaisesRegex(TypeError, "key"):
            spki.verify(None)
        with self.assertRaisesRegex(TypeError, "pkey"):
            spki.sign(None, "sha256")
        with self.assertRaisesRegex(TypeError, "digest"):
            spki.sign(self.keys["rsa"], 256)
        with self.assertRaisesRegex(ValueError, "pkey"):
            spki.set_pubkey(crypto.PKey())
        spki.set_pubkey(self.keys["rsa"])
        with self.assertRaisesRegex(ValueError, "digest"):
            spki.sign(self.keys["rsa"], "no-such-digest")

    def test_signing_in_threads(self):
        key = self.keys["rsa"]
        spkis = [crypto.NetscapeSPKI() for _ in range(8)]
        for spki in spkis:
            spki.set_pubkey(key)
        self.assertEqual(
            run_threads(functools.partial(s.sign, key, "sha256") for s in spkis), [])
        for spki in spkis:
            self.assertIs(spki.verify(key), True)


if __name__ == "__main__":
    unittest.main()

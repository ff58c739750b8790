"""`python -m OpenSSL`: each subcommand run as a user runs it, in a subprocess."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT)


def cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "OpenSSL", *args], env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True,
                          timeout=60)


class CertgenTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.result = cli("certgen", "--out", cls.dir, "--intermediates", "2",
                         "--leaf", "www.example.test", "--san", "www.example.test",
                         "--san", "127.0.0.1", "--san", "admin@example.test",
                         "--pkcs12", "--passphrase", "pw")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_openssl_accepts_the_chain(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        untrusted = self.path("untrusted.pem")
        with open(untrusted, "wb") as out:
            for name in ("intermediate1.pem", "intermediate2.pem"):
                with open(self.path(name), "rb") as f:
                    out.write(f.read())
        done = openssl("verify", "-CAfile", self.path("ca.pem"), "-untrusted",
                       untrusted, "-verify_hostname", "www.example.test",
                       "-verify_ip", "127.0.0.1", self.path("www.example.test.pem"))
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn(": OK", done.stdout)

    def test_extensions_visible_to_openssl(self):
        text = openssl("x509", "-noout", "-text", "-in",
                       self.path("www.example.test.pem")).stdout
        self.assertIn("DNS:www.example.test", text)
        self.assertIn("IP Address:127.0.0.1", text)
        self.assertIn("email:admin@example.test", text)
        self.assertIn("CA:FALSE", text)

    def test_pkcs12_bundle_opens_with_openssl(self):
        done = openssl("pkcs12", "-in", self.path("www.example.test.p12"),
                       "-passin", "pass:pw", "-nokeys")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.count("BEGIN CERTIFICATE"), 4)

    def test_verify_subcommand(self):
        chain = self.path("www.example.test-chain.pem")
        ok = cli("verify", chain, "--cafile", self.path("ca.pem"),
                 "--host", "www.example.test", "--purpose", "sslserver")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("OK", ok.stdout)
        self.assertEqual(len(re.findall(r"^\s+\d: ", ok.stdout, re.M)), 4)
        bad = cli("verify", chain, "--cafile", self.path("ca.pem"),
                  "--host", "other.example.test")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("FAILED", bad.stdout)
        self.assertIn("hostname mismatch", bad.stdout.lower())
        late = cli("verify", chain, "--cafile", self.path("ca.pem"),
                   "--at-time", "2200-01-01T00:00:00")
        self.assertEqual(late.returncode, 1)
        self.assertIn("expired", late.stdout)


class ErrorTests(unittest.TestCase):
    def assert_clean_error(self, done):
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1 if "usage" not in
                         done.stderr else len(done.stderr.strip().splitlines()))
        self.assertIn("error", done.stderr)

    def test_unreadable_file(self):
        self.assert_clean_error(cli("verify", "/nonexistent/cert.pem",
                                    "--cafile", "/nonexistent/ca.pem"))

    def test_not_a_certificate(self):
        with tempfile.NamedTemporaryFile(suffix=".pem") as f:
            f.write(b"-----BEGIN CERTIFICATE-----\nnot base64\n"
                    b"-----END CERTIFICATE-----\n")
            f.flush()
            self.assert_clean_error(cli("verify", f.name, "--cafile", f.name))

    def test_bad_arguments(self):
        self.assert_clean_error(cli("certgen", "--bits", "12"))
        self.assert_clean_error(cli("connect", "no-port-here"))
        self.assert_clean_error(cli("nosuchcommand"))

    def test_help_on_every_subcommand(self):
        for command in ("certgen", "verify", "connect", "serve", "info"):
            done = cli(command, "--help")
            self.assertEqual(done.returncode, 0)
            self.assertIn("usage:", done.stdout)


class InfoTests(unittest.TestCase):
    def test_info_and_debug(self):
        for args in (["-m", "OpenSSL", "info"], ["-m", "OpenSSL.debug"]):
            done = subprocess.run([sys.executable, *args], env=ENV,
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("OpenSSL 3.", done.stdout)
            self.assertIn("Python:", done.stdout)


class ServeConnectTests(unittest.TestCase):
    def test_connect_to_serve(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "OpenSSL", "serve", "--port", str(port),
             "--count", "1", "--alpn", "http/1.1,h2"], env=ENV, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            while line and "listening" not in line:
                line = server.stdout.readline()
            self.assertIn("listening", line)
            done = cli("connect", f"127.0.0.1:{port}", "--insecure",
                       "--alpn", "h2,http/1.1", timeout=30)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("protocol: TLSv1.3", done.stdout)
            # the server's preference wins over the client's order
            self.assertIn("alpn:     http/1.1", done.stdout)
            self.assertIn("CN=localhost", done.stdout)
            # the certificate is self-signed and not in the system store
            self.assertIn("verification: FAILED", done.stdout)
            strict = cli("connect", f"127.0.0.1:{port}", timeout=30)
        finally:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stdout.close()
            server.stderr.close()
        # the server took one connection and exited: a second connect fails cleanly
        self.assertEqual(strict.returncode, 2, strict.stdout + strict.stderr)
        self.assertNotIn("Traceback", strict.stderr)


if __name__ == "__main__":
    unittest.main()

"""The API reference (doc/api/*.rst) documents every public name."""
import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

from apinames import (MODULES, ROOT, documented_names, documented_parameters,
                      runtime_names, stub_names, stub_parameters, tutorial_blocks)


class ReferenceCoverageTests(unittest.TestCase):
    def test_every_built_name_is_documented(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                missing = runtime_names(modname) - documented_names(modname)
                self.assertEqual(sorted(missing), [],
                                 f"{modname} has names the reference does not document: "
                                 f"add a py: directive for each to {MODULES[modname][1]}")

    def test_every_documented_name_is_stubbed(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                extra = documented_names(modname) - stub_names(modname)
                self.assertEqual(sorted(extra), [],
                                 f"the {modname} reference documents names the stub lacks")

    def test_reference_signatures_match_the_stubs(self):
        # A reader writes keyword arguments from the reference; the stubs
        # (checked against the build by stubtest) say what the names are and
        # which parameters are positional-only or keyword-only.
        for modname in MODULES:
            documented = documented_parameters(modname)
            stubbed = stub_parameters(modname)
            compared = 0
            for name, params in sorted(documented.items()):
                if name in stubbed:
                    compared += 1
                    with self.subTest(name=f"{modname}.{name}"):
                        self.assertEqual(params, stubbed[name])
            self.assertGreater(compared, 0)

    def test_pages_are_in_the_table_of_contents(self):
        with open(os.path.join(ROOT, "doc", "index.rst"), encoding="utf-8") as f:
            index = f.read()
        for page in ("installation", "tutorial", "cli", "api/crypto", "api/ssl",
                     "api/rand", "internals"):
            self.assertIn(page, index)


def _names_used(code):
    return set(re.findall(r"\b(crypto|SSL)\.(\w+)", code))


def _missing_names(code):
    """Module attributes the code uses that the build does not have yet."""
    from OpenSSL import SSL, crypto

    modules = {"crypto": crypto, "SSL": SSL}
    return sorted(f"{m}.{n}" for m, n in _names_used(code)
                  if not hasattr(modules[m], n))


def _pki_code():
    """The certificate-making blocks of the tutorial (not the check)."""
    return "\n".join(tutorial_blocks("Make a CA and certificates")[:2])


def _run_script(code, cwd, timeout=60):
    """Run tutorial code as a reader would: a script in its own process."""
    path = os.path.join(cwd, "tutorial_example.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(code)
    env = dict(os.environ)
    if env.get("OSSL_TEST_INSTALLED") != "1":
        env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, path], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


class OpenSSLServer:
    """`openssl s_server -www` on a free loopback port, in a directory."""

    def __init__(self, cwd, naccept):
        cmd = ["timeout", "60", "openssl", "s_server", "-accept", "127.0.0.1:0",
               "-naccept", str(naccept), "-cert", "server.pem", "-key",
               "server.key", "-www"]
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        seen = []
        for line in self.proc.stdout:
            line = line.decode(errors="replace")
            seen.append(line)
            if line.startswith("ACCEPT"):
                self.port = int(line.rsplit(":", 1)[1])
                return
        self.close()
        raise AssertionError("s_server did not start: " + "".join(seen))

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TutorialTests(unittest.TestCase):
    """The tutorial's code runs as printed.

    A section whose code uses a name the build does not have yet is run once
    that name lands; until then the test checks that the name is at least
    part of the documented API, so the tutorial never shows an undocumented
    call.
    """

    def assert_pending_only(self, missing):
        documented = {f"crypto.{n}" for n in documented_names("OpenSSL.crypto")}
        documented |= {f"SSL.{n}" for n in documented_names("OpenSSL.SSL")}
        self.assertTrue(missing)
        self.assertEqual([n for n in missing if n not in documented], [])

    def test_certificate_section_makes_a_chain_openssl_accepts(self):
        from OpenSSL import crypto

        blocks = tutorial_blocks("Make a CA and certificates")
        self.assertGreaterEqual(len(blocks), 3)
        namespace = {}
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    for block in blocks:
                        missing = _missing_names(block)
                        if missing:
                            self.assert_pending_only(missing)
                            break
                        exec(compile(block, "tutorial.rst", "exec"), namespace)
            finally:
                os.chdir(cwd)
            result = subprocess.run(
                ["openssl", "verify", "-CAfile", os.path.join(tmp, "ca.pem"),
                 os.path.join(tmp, "server.pem")],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            with open(os.path.join(tmp, "server.key"), "rb") as f:
                key = crypto.load_privatekey(crypto.FILETYPE_PEM, f.read())
        self.assertEqual(
            crypto.dump_publickey(crypto.FILETYPE_PEM, key),
            crypto.dump_publickey(crypto.FILETYPE_PEM,
                                  namespace["server_cert"].get_pubkey()))
        if "chain" in namespace:
            self.assertIn("['localhost', 'Tutorial CA']", out.getvalue())

    def test_verify_callback_section_against_openssl_s_server(self):
        blocks = tutorial_blocks("Capture and check the peer's chain")
        self.assertEqual(len(blocks), 2)
        code = "\n".join(blocks) + "\nprint('SEEN', seen)\n"
        missing = _missing_names(code)
        if missing:
            self.assert_pending_only(missing)
            return
        with tempfile.TemporaryDirectory() as tmp:
            result = _run_script(_pki_code(), tmp)
            self.assertEqual(result.returncode, 0, result.stderr)
            with OpenSSLServer(tmp, naccept=2) as server:
                result = _run_script(code.replace("8443", str(server.port)), tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("SEEN [(1, 'Tutorial CA', 0), (0, 'localhost', 0)]",
                      result.stdout)

    def test_memory_bio_section_in_asyncio_against_openssl_s_server(self):
        blocks = tutorial_blocks("TLS over memory buffers in an event loop")
        self.assertEqual(len(blocks), 1)
        code = blocks[0]
        missing = _missing_names(code)
        if missing:
            self.assert_pending_only(missing)
            return
        with tempfile.TemporaryDirectory() as tmp:
            result = _run_script(_pki_code(), tmp)
            self.assertEqual(result.returncode, 0, result.stderr)
            with OpenSSLServer(tmp, naccept=1) as server:
                result = _run_script(code.replace("8443", str(server.port)), tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("TLSv1.3", result.stdout)
        self.assertIn("HTTP/1.0 200 ok", result.stdout)

    def test_python_object_section_runs_tls_between_two_threads(self):
        from OpenSSL import SSL

        blocks = tutorial_blocks("TLS over a Python object")
        self.assertEqual(len(blocks), 1)
        missing = _missing_names(blocks[0])
        if missing:
            self.assert_pending_only(missing)
            return

        class Idle:
            def read(self, n):
                return None

            def write(self, data):
                return len(data)

        try:
            SSL.Connection(SSL.Context(SSL.TLS_METHOD), Idle())
        except TypeError:
            # Connections over Python objects are not built yet: the
            # reference documents them (Connection's transport argument).
            self.assertIn("read(n)", _reference_text("ssl"))
            return
        with tempfile.TemporaryDirectory() as tmp:
            result = _run_script(_pki_code() + "\n" + blocks[0], tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("b'echo: hello'", result.stdout)


def _reference_text(page):
    with open(os.path.join(ROOT, "doc", "api", page + ".rst"), encoding="utf-8") as f:
        return f.read()


class CApiExampleTests(unittest.TestCase):
    def test_internals_c_example_compiles_against_the_header(self):
        # The C API example a reader copies from doc/internals.rst must
        # compile with the shipped OpenSSL_capi.h, warnings as errors.
        import sysconfig

        import OpenSSL

        with open(os.path.join(ROOT, "doc", "internals.rst"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        start = lines.index(".. code-block:: c")
        body = []
        for line in lines[start + 1:]:
            if line and not line.startswith("   "):
                break
            body.append(line[3:])
        code = textwrap.dedent("\n".join(body))
        self.assertIn("PyCapsule_Import(OSSL_CRYPTO_CAPI_NAME", code)
        # The example's functions are static and unused in a lone file.
        code += ("\nvoid *example_uses[] = {(void *)load_api, (void *)wrap_certificate,"
                 " (void *)pump};\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "example.c")
            with open(path, "w", encoding="utf-8") as f:
                f.write(code)
            result = subprocess.run(
                ["gcc", "-std=gnu11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                 "-I", OpenSSL.get_include(), "-I", sysconfig.get_paths()["include"],
                 path],
                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)


class CommandLinePageTests(unittest.TestCase):
    def commands(self):
        with open(os.path.join(ROOT, "doc", "cli.rst"), encoding="utf-8") as f:
            text = f.read()
        # Literal blocks: "::" then indented lines; "\\" continues a line.
        found = re.findall(r"::\n\n((?:    .*\n?)+)", text)
        return [" ".join(block.replace("\\\n", " ").split()) for block in found]

    def test_certgen_and_verify_examples_run_as_printed(self):
        commands = {c.split()[3]: c for c in self.commands()
                    if c.startswith("python -m OpenSSL ")}
        env = dict(os.environ)
        if env.get("OSSL_TEST_INSTALLED") != "1":
            env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("certgen", "verify"):
                argv = [sys.executable] + commands[name].split()[1:]
                result = subprocess.run(argv, cwd=tmp, capture_output=True, text=True,
                                        timeout=120, env=env)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn(": OK", result.stdout)
            self.assertTrue(os.path.isfile(os.path.join(tmp, "certs", "localhost.p12")))

"""The API reference (doc/api/*.rst) documents every public name."""
import contextlib
import io
import os
import re
import subprocess
import tempfile
import textwrap
import unittest

from apinames import MODULES, ROOT, documented_names, runtime_names, stub_names


class ReferenceCoverageTests(unittest.TestCase):
    def test_every_built_name_is_documented(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                missing = runtime_names(modname) - documented_names(modname)
                self.assertEqual(sorted(missing), [],
                                 f"{modname} has names the reference does not document")

    def test_every_documented_name_is_stubbed(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                extra = documented_names(modname) - stub_names(modname)
                self.assertEqual(sorted(extra), [],
                                 f"the {modname} reference documents names the stub lacks")

    def test_reference_pages_are_in_the_table_of_contents(self):
        with open(os.path.join(ROOT, "doc", "index.rst"), encoding="utf-8") as f:
            index = f.read()
        for page in ("installation", "tutorial", "api/crypto", "api/ssl",
                     "api/rand", "internals"):
            self.assertIn(page, index)


def _tutorial_blocks(section_title):
    """The python code blocks of one section of doc/tutorial.rst, dedented."""
    with open(os.path.join(ROOT, "doc", "tutorial.rst"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = lines.index(section_title)
    blocks, current, in_section = [], None, True
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if i + 1 < len(lines) and set(lines[i + 1]) == {"-"} and line.strip():
            in_section = False  # the next section's title
        if not in_section:
            break
        if line.startswith(".. code-block:: python"):
            current = []
            blocks.append(current)
        elif current is not None:
            if line and not line.startswith("   "):
                current = None
            else:
                current.append(line[3:])
    return [textwrap.dedent("\n".join(b)) for b in blocks]


class TutorialTests(unittest.TestCase):
    def test_certificate_section_makes_a_chain_openssl_accepts(self):
        # Runs the tutorial's PKI code as a reader would paste it, up to the
        # first block that needs a name the build does not have yet.
        from OpenSSL import crypto

        blocks = _tutorial_blocks("Make a CA and certificates")
        self.assertGreaterEqual(len(blocks), 2)
        namespace = {}
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    for block in blocks:
                        used = set(re.findall(r"crypto\.(\w+)", block))
                        if not all(hasattr(crypto, name) for name in used):
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

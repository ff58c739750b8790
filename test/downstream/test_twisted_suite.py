"""Twisted's own TLS tests, shipped in its wheel, run against this `OpenSSL`.

They are Twisted's, unchanged: certificate options, verification, ALPN, SNI,
service_identity, TLSMemoryBIOProtocol over memory BIOs and real TCP.  Trial
runs them in a subprocess of this venv's Python, in a scratch directory.
"""
import os
import re
import subprocess
import sys

MODULES = [
    "twisted.test.test_sslverify",
    "twisted.protocols.test.test_tls",
    "twisted.internet.test.test_tls",
    "twisted.test.test_ssl",
]

# Generous: RSA key generation dominates, and OpenSSL 3.0 is slow at it.
SUITE_TIMEOUT = 1500


def failing_tests(out):
    """The tests of trial's [FAIL] and [ERROR] sections: each section ends
    with the names of the tests it applies to, one a line."""
    names = set()
    for section in re.split(r"^=+$", out, flags=re.MULTILINE):
        lines = section.strip().splitlines()
        if lines and lines[0] in ("[FAIL]", "[ERROR]"):
            for line in reversed(lines):
                if not re.fullmatch(r"twisted\.[\w.]+", line):
                    break
                names.add(line)
    return sorted(names)


def test_twisted_tls_test_suite(tmp_path):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    result = subprocess.run(
        [sys.executable, "-m", "twisted.trial", *MODULES],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT,
    )
    out = result.stdout + result.stderr
    summary = [line for line in out.splitlines()[-4:] if line.strip()]
    names = failing_tests(out)
    assert result.returncode == 0, (
        f"trial: {' '.join(summary)}\nfailing: {names}\n" + out[-6000:])
    assert re.search(r"^Ran \d+ tests", out, re.MULTILINE), out[-2000:]
    assert "PASSED" in summary[-1], summary

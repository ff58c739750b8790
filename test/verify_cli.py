"""One verification run two ways: through X509Store/X509StoreContext and
through `openssl verify` on the same PEM files, for the tests that check the
package's verdict against OpenSSL's own.

    setup = VerifySetup(trusted=[...], untrusted=[...], leaf=cert, crls=[...],
                        flags=X509StoreFlags.CRL_CHECK, host="example.com")
    ours = setup.verify_ours(tmpdir)       # None or (code, depth)
    theirs = setup.verify_openssl(tmpdir)  # the same from the command line

Both sides read the certificates and CRLs back from the files written, so
they see the same bytes.
"""
import calendar
import datetime
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from OpenSSL import crypto

OPENSSL = shutil.which("openssl")

# Flag -> `openssl verify` option.
_FLAG_OPTIONS = [
    (crypto.X509StoreFlags.CRL_CHECK_ALL | crypto.X509StoreFlags.CRL_CHECK,
     "-crl_check_all"),
    (crypto.X509StoreFlags.CRL_CHECK, "-crl_check"),
    (crypto.X509StoreFlags.PARTIAL_CHAIN, "-partial_chain"),
    (crypto.X509StoreFlags.X509_STRICT, "-x509_strict"),
    (crypto.X509StoreFlags.IGNORE_CRITICAL, "-ignore_critical"),
    (crypto.X509StoreFlags.CHECK_SS_SIGNATURE, "-check_ss_sig"),
    (crypto.X509StoreFlags.POLICY_CHECK, "-policy_check"),
    (crypto.X509StoreFlags.EXPLICIT_POLICY, "-explicit_policy"),
    (crypto.X509StoreFlags.INHIBIT_ANY, "-inhibit_any"),
    (crypto.X509StoreFlags.INHIBIT_MAP, "-inhibit_map"),
    (crypto.X509StoreFlags.USE_DELTAS, "-use_deltas"),
    (crypto.X509StoreFlags.EXTENDED_CRL_SUPPORT, "-extended_crl"),
    (crypto.X509StoreFlags.TRUSTED_FIRST, "-trusted_first"),
    (crypto.X509StoreFlags.NO_ALT_CHAINS, "-no_alt_chains"),
    (crypto.X509StoreFlags.NO_CHECK_TIME, "-no_check_time"),
    (crypto.X509StoreFlags.ALLOW_PROXY_CERTS, "-allow_proxy_certs"),
    (crypto.X509StoreFlags.NOTIFY_POLICY, "-policy_print"),
]

PURPOSE_NAMES = {
    crypto.X509StorePurpose.SSL_CLIENT: "sslclient",
    crypto.X509StorePurpose.SSL_SERVER: "sslserver",
    crypto.X509StorePurpose.NS_SSL_SERVER: "nssslserver",
    crypto.X509StorePurpose.SMIME_SIGN: "smimesign",
    crypto.X509StorePurpose.SMIME_ENCRYPT: "smimeencrypt",
    crypto.X509StorePurpose.CRL_SIGN: "crlsign",
    crypto.X509StorePurpose.ANY: "any",
    crypto.X509StorePurpose.OCSP_HELPER: "ocsphelper",
    crypto.X509StorePurpose.TIMESTAMP_SIGN: "timestampsign",
}

_ERROR_LINE = re.compile(rb"^error (\d+) at (-?\d+) depth lookup", re.M)


def _pem(obj):
    if isinstance(obj, crypto.CRL):
        return crypto.dump_crl(crypto.FILETYPE_PEM, obj)
    if isinstance(obj, bytes):
        return obj
    return crypto.dump_certificate(crypto.FILETYPE_PEM, obj)


def _load_pem_blocks(path, label, load):
    """Every `label` block of a PEM file, read with load(FILETYPE_PEM, block)."""
    with open(path, "rb") as f:
        data = f.read()
    pattern = b"-----BEGIN %s-----.+?-----END %s-----" % (label, label)
    return [load(crypto.FILETYPE_PEM, b) for b in re.findall(pattern, data, re.S)]


def _load_certs(path):
    return _load_pem_blocks(path, b"CERTIFICATE", crypto.load_certificate)


def _load_crls(path):
    return _load_pem_blocks(path, b"X509 CRL", crypto.load_crl)


@dataclass
class VerifySetup:
    """What to verify and how.  Certificates and CRLs may be our objects or
    PEM bytes; `time` is a POSIX timestamp (None: now)."""
    trusted: list
    leaf: object
    untrusted: list = field(default_factory=list)
    crls: list = field(default_factory=list)
    flags: int = 0
    host: str = None
    ip: str = None
    email: str = None
    purpose: int = None
    depth: int = None
    time: int = None

    def write(self, directory):
        """Write the PEM files: trusted certificates and CRLs in one CA file
        (as `openssl verify -CAfile` and load_locations read them), the
        untrusted certificates, the leaf."""
        os.makedirs(directory, exist_ok=True)
        paths = {}
        for name, items in (("trusted", self.trusted + self.crls),
                            ("untrusted", self.untrusted),
                            ("leaf", [self.leaf])):
            if not items:
                continue
            paths[name] = os.path.join(directory, name + ".pem")
            with open(paths[name], "wb") as f:
                for item in items:
                    f.write(_pem(item))
        return paths

    def verify_ours(self, directory, via_load_locations=False):
        """None, or (code, depth) of the X509StoreContextError.  The trusted
        certificates and CRLs go in with add_cert/add_crl, or with
        load_locations on the CA file as `openssl verify` reads it."""
        paths = self.write(directory)
        store = crypto.X509Store()
        if via_load_locations:
            store.load_locations(paths["trusted"])
        else:
            for cert in _load_certs(paths["trusted"]):
                store.add_cert(cert)
            for crl in _load_crls(paths["trusted"]):
                store.add_crl(crl)
        if self.flags:
            store.set_flags(self.flags)
        if self.host is not None:
            store.set_host(self.host)
        if self.ip is not None:
            store.set_ip(self.ip)
        if self.email is not None:
            store.set_email(self.email)
        if self.purpose is not None:
            store.set_purpose(self.purpose)
        if self.depth is not None:
            store.set_depth(self.depth)
        if self.time is not None:
            store.set_time(datetime.datetime.fromtimestamp(
                self.time, datetime.timezone.utc))
        untrusted = (_load_certs(paths["untrusted"])
                     if "untrusted" in paths else None)
        [leaf] = _load_certs(paths["leaf"])
        ctx = crypto.X509StoreContext(store, leaf, untrusted)
        try:
            result = ctx.verify_certificate()
        except crypto.X509StoreContextError as exc:
            code, depth, message = exc.errors
            assert str(exc) == message
            return code, depth
        assert result is None
        return None

    def openssl_command(self, paths):
        cmd = [OPENSSL, "verify", "-no-CApath", "-no-CAstore",
               "-CAfile", paths["trusted"]]
        if "untrusted" in paths:
            cmd += ["-untrusted", paths["untrusted"]]
        flags = self.flags
        for flag, option in _FLAG_OPTIONS:
            if flags & flag == flag:
                cmd.append(option)
                flags &= ~flag
        assert flags == 0, f"no command-line option for flags {flags:#x}"
        if self.host is not None:
            cmd += ["-verify_hostname", self.host]
        if self.ip is not None:
            cmd += ["-verify_ip", self.ip]
        if self.email is not None:
            cmd += ["-verify_email", self.email]
        if self.purpose is not None:
            cmd += ["-purpose", PURPOSE_NAMES[self.purpose]]
        if self.depth is not None:
            cmd += ["-verify_depth", str(self.depth)]
        if self.time is not None:
            cmd += ["-attime", str(self.time)]
        cmd.append(paths["leaf"])
        return cmd

    def verify_openssl(self, directory):
        """`openssl verify`'s verdict: None, or (code, depth) of the first
        error it reports (the one X509_verify_cert stops at when nothing
        overrides it)."""
        paths = self.write(directory)
        proc = subprocess.run(self.openssl_command(paths), capture_output=True,
                              timeout=30)
        output = proc.stdout + proc.stderr
        match = _ERROR_LINE.search(output)
        if proc.returncode == 0:
            assert match is None, output
            assert b": OK" in proc.stdout, output
            return None
        assert match is not None, output
        return int(match.group(1)), int(match.group(2))


def timestamp(dt):
    """POSIX seconds of a datetime (naive: UTC)."""
    return calendar.timegm(dt.utctimetuple())

"""The verification matrix: each case is verified with X509StoreContext and
with `openssl verify` on the same files, and the two verdicts (success, or
the error code and depth) must be equal, and equal to what the case means
to test.
"""
import calendar
import time

import pytest

from OpenSSL import crypto

import pki
from pki import DAY
from verify_cli import VerifySetup

Flags = crypto.X509StoreFlags
Purpose = crypto.X509StorePurpose

# OpenSSL's X509_V_ERR_* codes the cases expect.
OK = None
UNABLE_TO_GET_ISSUER_CERT = 2
UNABLE_TO_GET_CRL = 3
CERT_SIGNATURE_FAILURE = 7
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
CRL_HAS_EXPIRED = 12
DEPTH_ZERO_SELF_SIGNED_CERT = 18
SELF_SIGNED_CERT_IN_CHAIN = 19
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
CERT_CHAIN_TOO_LONG = 22
CERT_REVOKED = 23
INVALID_CA = 79
PATH_LENGTH_EXCEEDED = 25
INVALID_PURPOSE = 26
UNHANDLED_CRITICAL_EXTENSION = 34
NO_EXPLICIT_POLICY = 43
PERMITTED_VIOLATION = 47
HOSTNAME_MISMATCH = 62
EMAIL_MISMATCH = 63
IP_ADDRESS_MISMATCH = 64


def _gmt(seconds):
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(seconds)).encode()


def make_crl(issuer, revoked_certs=(), last=-DAY, next_=30 * DAY):
    """A CRL signed by `issuer` (an Issued) revoking `revoked_certs`."""
    now = int(time.time())
    crl = crypto.CRL()
    for cert in revoked_certs:
        entry = crypto.Revoked()
        entry.set_serial(b"%x" % cert.get_serial_number())
        entry.set_rev_date(_gmt(now - DAY))
        entry.set_reason(b"keyCompromise")
        crl.add_revoked(entry)
    crl.set_lastUpdate(_gmt(now + last))
    crl.set_nextUpdate(_gmt(now + next_))
    crl.sign(issuer.cert, issuer.key, b"sha256")
    return crl


class PKI:
    """Every certificate the matrix needs, made once (EC keys: fast)."""

    def __init__(self):
        email_san = ("localhost", "127.0.0.1", "::1", "email:alice@example.com")
        self.root = pki.make_ca("Matrix Root", "ec")
        self.other_root = pki.make_ca("Other Root", "ec")
        self.inter = pki.make_intermediate(self.root, "Matrix Intermediate", "ec")
        self.leaf = pki.make_leaf(self.inter, key_type="ec", san=email_san)

        rsa = pki.make_chain("rsa")
        self.rsa = rsa
        self.ed = pki.make_chain("ed25519")

        self.leaf_expired = pki.make_leaf(self.inter, key_type="ec",
                                          not_before=-30 * DAY, not_after=-DAY)
        self.leaf_future = pki.make_leaf(self.inter, key_type="ec",
                                         not_before=DAY, not_after=30 * DAY)
        self.inter_expired = pki.make_intermediate(
            self.root, "Expired Intermediate", "ec",
            not_before=-30 * DAY, not_after=-DAY)
        self.leaf_of_expired = pki.make_leaf(self.inter_expired, key_type="ec")
        self.inter_future = pki.make_intermediate(
            self.root, "Future Intermediate", "ec",
            not_before=DAY, not_after=30 * DAY)
        self.leaf_of_future = pki.make_leaf(self.inter_future, key_type="ec")

        # Signed with a key that is not the intermediate's.
        impostor_key = pki.make_key("ec")
        key = pki.make_key("ec")
        self.leaf_bad_sig = pki.Issued(
            pki.make_cert(pki.make_name("localhost"), key,
                          issuer=(self.inter.cert, impostor_key),
                          san=["localhost"]), key)

        key = pki.make_key("ec")
        self.inter_not_ca = pki.Issued(
            pki.make_cert(pki.make_name("Not A CA"), key, issuer=self.root,
                          ca=False, key_usage="digitalSignature",
                          extended_key_usage=[]), key)
        self.leaf_of_not_ca = pki.make_leaf(self.inter_not_ca, key_type="ec")
        key = pki.make_key("ec")
        self.inter_not_ca_certsign = pki.Issued(
            pki.make_cert(pki.make_name("Not A CA But Signs"), key,
                          issuer=self.root, ca=False,
                          key_usage="keyCertSign, digitalSignature",
                          extended_key_usage=[]), key)
        self.leaf_of_not_ca_certsign = pki.make_leaf(
            self.inter_not_ca_certsign, key_type="ec")

        # A PKI from two months ago, with a leaf that expired yesterday.
        self.old_root = pki.make_ca("Old Root", "ec", not_before=-60 * DAY)
        self.old_inter = pki.make_intermediate(self.old_root, "Old Intermediate",
                                               "ec", not_before=-60 * DAY)
        self.old_leaf = pki.make_leaf(self.old_inter, key_type="ec",
                                      not_before=-30 * DAY, not_after=-DAY)

        # pathlen:0 on the intermediate, then one more CA below it.
        self.inter2 = pki.make_intermediate(self.inter, "Second Intermediate",
                                            "ec", pathlen=None)
        self.leaf_of_inter2 = pki.make_leaf(self.inter2, key_type="ec")

        self.leaf_server_only = pki.make_leaf(
            self.inter, key_type="ec", extended_key_usage=["serverAuth"])
        self.leaf_client_only = pki.make_leaf(
            self.inter, key_type="ec", extended_key_usage=["clientAuth"])

        nc = crypto.X509Extension(b"nameConstraints", True,
                                  b"permitted;DNS:.example.com")
        self.inter_nc = pki.make_intermediate(self.root, "Constrained", "ec",
                                              extensions=[nc])
        self.leaf_nc_ok = pki.make_leaf(self.inter_nc, "www.example.com", "ec",
                                        san=["www.example.com"])
        self.leaf_nc_bad = pki.make_leaf(self.inter_nc, "www.example.org", "ec",
                                         san=["www.example.org"])

        self.self_signed = pki.make_ca("localhost", "ec")

        odd = crypto.X509Extension(b"1.3.6.1.4.1.55555.1", True, b"DER:05:00")
        self.leaf_unknown_critical = pki.make_leaf(self.inter, key_type="ec",
                                                   extensions=[odd])

        self.crl_inter_revokes_leaf = make_crl(self.inter, [self.leaf.cert])
        self.crl_inter_empty = make_crl(self.inter)
        self.crl_inter_expired = make_crl(self.inter, last=-10 * DAY,
                                          next_=-DAY)
        self.crl_root_revokes_inter = make_crl(self.root, [self.inter.cert])
        self.crl_root_empty = make_crl(self.root)


@pytest.fixture(scope="module")
def p():
    return PKI()


def _cases():
    """(name, expected, function of the PKI giving a VerifySetup)."""
    now = int(time.time())

    def chain(p, leaf=None, inter=None, **kw):
        return VerifySetup(trusted=[p.root.cert],
                           untrusted=[(inter or p.inter).cert],
                           leaf=(leaf or p.leaf).cert, **kw)

    return [
        ("valid EC chain", OK, lambda p: chain(p)),
        ("valid RSA chain", OK, lambda p: VerifySetup(
            [p.rsa.ca.cert], p.rsa.leaf.cert, [p.rsa.intermediate.cert])),
        ("valid Ed25519 chain", OK, lambda p: VerifySetup(
            [p.ed.ca.cert], p.ed.leaf.cert, [p.ed.intermediate.cert])),
        ("expired leaf", CERT_HAS_EXPIRED,
         lambda p: chain(p, p.leaf_expired)),
        ("not yet valid leaf", CERT_NOT_YET_VALID,
         lambda p: chain(p, p.leaf_future)),
        ("expired intermediate", CERT_HAS_EXPIRED,
         lambda p: chain(p, p.leaf_of_expired, p.inter_expired)),
        ("not yet valid intermediate", CERT_NOT_YET_VALID,
         lambda p: chain(p, p.leaf_of_future, p.inter_future)),
        ("signature by the wrong key", CERT_SIGNATURE_FAILURE,
         lambda p: chain(p, p.leaf_bad_sig)),
        ("untrusted root", UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
         lambda p: VerifySetup([p.other_root.cert], p.leaf.cert,
                               [p.inter.cert])),
        ("untrusted root sent in the chain", SELF_SIGNED_CERT_IN_CHAIN,
         lambda p: VerifySetup([p.other_root.cert], p.leaf.cert,
                               [p.inter.cert, p.root.cert])),
        ("missing intermediate", UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
         lambda p: VerifySetup([p.root.cert], p.leaf.cert)),
        ("missing intermediate with PARTIAL_CHAIN",
         UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
         lambda p: VerifySetup([p.root.cert], p.leaf.cert,
                               flags=Flags.PARTIAL_CHAIN)),
        ("trusted intermediate without its root", UNABLE_TO_GET_ISSUER_CERT,
         lambda p: VerifySetup([p.inter.cert], p.leaf.cert)),
        ("trusted intermediate with PARTIAL_CHAIN", OK,
         lambda p: VerifySetup([p.inter.cert], p.leaf.cert,
                               flags=Flags.PARTIAL_CHAIN)),
        ("intermediate with CA:FALSE", INVALID_CA,
         lambda p: chain(p, p.leaf_of_not_ca, p.inter_not_ca)),
        ("intermediate with CA:FALSE and keyCertSign", INVALID_CA,
         lambda p: chain(p, p.leaf_of_not_ca_certsign,
                         p.inter_not_ca_certsign)),
        ("pathlen exceeded", PATH_LENGTH_EXCEEDED,
         lambda p: VerifySetup([p.root.cert], p.leaf_of_inter2.cert,
                               [p.inter.cert, p.inter2.cert])),
        ("depth exceeded", CERT_CHAIN_TOO_LONG,
         lambda p: chain(p, depth=0)),
        ("depth just enough", OK, lambda p: chain(p, depth=1)),
        ("revoked leaf with CRL_CHECK", CERT_REVOKED,
         lambda p: chain(p, crls=[p.crl_inter_revokes_leaf],
                         flags=Flags.CRL_CHECK)),
        ("revoked leaf without CRL_CHECK", OK,
         lambda p: chain(p, crls=[p.crl_inter_revokes_leaf])),
        ("CRL_CHECK without a CRL", UNABLE_TO_GET_CRL,
         lambda p: chain(p, flags=Flags.CRL_CHECK)),
        ("CRL_CHECK with a current CRL", OK,
         lambda p: chain(p, crls=[p.crl_inter_empty], flags=Flags.CRL_CHECK)),
        ("CRL_CHECK with an expired CRL", CRL_HAS_EXPIRED,
         lambda p: chain(p, crls=[p.crl_inter_expired],
                         flags=Flags.CRL_CHECK)),
        ("revoked intermediate with CRL_CHECK_ALL", CERT_REVOKED,
         lambda p: chain(p, crls=[p.crl_inter_empty, p.crl_root_revokes_inter],
                         flags=Flags.CRL_CHECK | Flags.CRL_CHECK_ALL)),
        ("revoked intermediate with CRL_CHECK only", OK,
         lambda p: chain(p, crls=[p.crl_inter_empty, p.crl_root_revokes_inter],
                         flags=Flags.CRL_CHECK)),
        ("CRL_CHECK_ALL with current CRLs", OK,
         lambda p: chain(p, crls=[p.crl_inter_empty, p.crl_root_empty],
                         flags=Flags.CRL_CHECK | Flags.CRL_CHECK_ALL)),
        ("right host", OK, lambda p: chain(p, host="localhost")),
        ("wrong host", HOSTNAME_MISMATCH, lambda p: chain(p, host="example.org")),
        ("right IPv4", OK, lambda p: chain(p, ip="127.0.0.1")),
        ("right IPv6", OK, lambda p: chain(p, ip="::1")),
        ("wrong IP", IP_ADDRESS_MISMATCH, lambda p: chain(p, ip="10.1.2.3")),
        ("right e-mail", OK, lambda p: chain(p, email="alice@example.com")),
        ("wrong e-mail", EMAIL_MISMATCH,
         lambda p: chain(p, email="bob@example.com")),
        ("serverAuth leaf as server", OK,
         lambda p: chain(p, p.leaf_server_only, purpose=Purpose.SSL_SERVER)),
        ("serverAuth leaf as client", INVALID_PURPOSE,
         lambda p: chain(p, p.leaf_server_only, purpose=Purpose.SSL_CLIENT)),
        ("clientAuth leaf as server", INVALID_PURPOSE,
         lambda p: chain(p, p.leaf_client_only, purpose=Purpose.SSL_SERVER)),
        ("clientAuth leaf as client", OK,
         lambda p: chain(p, p.leaf_client_only, purpose=Purpose.SSL_CLIENT)),
        ("time before validity", CERT_NOT_YET_VALID,
         lambda p: chain(p, time=now - 10 * DAY)),
        ("time inside validity", OK, lambda p: chain(p, time=now + 100 * DAY)),
        ("time after validity", CERT_HAS_EXPIRED,
         lambda p: chain(p, time=now + 400 * DAY)),
        ("expired leaf at a time it was valid", OK,
         lambda p: VerifySetup([p.old_root.cert], p.old_leaf.cert,
                               [p.old_inter.cert], time=now - 10 * DAY)),
        ("expired leaf at a time before it was valid", CERT_NOT_YET_VALID,
         lambda p: VerifySetup([p.old_root.cert], p.old_leaf.cert,
                               [p.old_inter.cert], time=now - 40 * DAY)),
        ("expired leaf of an older PKI now", CERT_HAS_EXPIRED,
         lambda p: VerifySetup([p.old_root.cert], p.old_leaf.cert,
                               [p.old_inter.cert])),
        ("name constraints permit", OK,
         lambda p: chain(p, p.leaf_nc_ok, p.inter_nc, host="www.example.com")),
        ("name constraints violated", PERMITTED_VIOLATION,
         lambda p: chain(p, p.leaf_nc_bad, p.inter_nc)),
        ("self-signed leaf", DEPTH_ZERO_SELF_SIGNED_CERT,
         lambda p: VerifySetup([p.root.cert], p.self_signed.cert)),
        ("self-signed leaf that is trusted", OK,
         lambda p: VerifySetup([p.self_signed.cert], p.self_signed.cert)),
        ("unknown critical extension", UNHANDLED_CRITICAL_EXTENSION,
         lambda p: chain(p, p.leaf_unknown_critical)),
        ("unknown critical extension with IGNORE_CRITICAL", OK,
         lambda p: chain(p, p.leaf_unknown_critical,
                         flags=Flags.IGNORE_CRITICAL)),
        ("expired leaf with NO_CHECK_TIME", OK,
         lambda p: chain(p, p.leaf_expired, flags=Flags.NO_CHECK_TIME)),
        ("EXPLICIT_POLICY on a chain without policies", NO_EXPLICIT_POLICY,
         lambda p: chain(p, flags=Flags.EXPLICIT_POLICY)),
        ("X509_STRICT on a good chain", OK,
         lambda p: chain(p, flags=Flags.X509_STRICT)),
        ("several checks at once, all met", OK,
         lambda p: chain(p, p.leaf_server_only, host="localhost",
                         purpose=Purpose.SSL_SERVER, depth=1,
                         crls=[p.crl_inter_empty, p.crl_root_empty],
                         flags=Flags.CRL_CHECK_ALL | Flags.CRL_CHECK
                         | Flags.X509_STRICT)),
    ]


FLAG_NAMES = [name for name in dir(Flags) if name.isupper()]


def _flag_cases():
    """Every X509StoreFlags constant alone on a good chain (with the CRLs
    the CRL flags need)."""
    cases = []
    for name in FLAG_NAMES:
        flag = getattr(Flags, name)
        if name == "CRL_CHECK_ALL":
            flag |= Flags.CRL_CHECK
        expected = NO_EXPLICIT_POLICY if name == "EXPLICIT_POLICY" else OK

        def make(p, flag=flag):
            return VerifySetup([p.root.cert], p.leaf.cert, [p.inter.cert],
                               crls=[p.crl_inter_empty, p.crl_root_empty],
                               flags=flag)
        cases.append((f"flag {name} on a good chain", expected, make))
    return cases


CASES = _cases() + _flag_cases()


@pytest.mark.parametrize("name, expected, make", CASES,
                         ids=[c[0] for c in CASES])
def test_matches_openssl_verify(p, tmp_path, name, expected, make):
    setup = make(p)
    ours = setup.verify_ours(tmp_path)
    theirs = setup.verify_openssl(tmp_path)
    assert ours == theirs, f"{name}: ours {ours}, openssl verify {theirs}"
    assert (ours and ours[0]) == expected, name
    # A store filled from the same CA file with load_locations agrees too.
    assert setup.verify_ours(tmp_path, via_load_locations=True) == theirs


def test_matrix_size():
    """The matrix the issue asks for, and then some."""
    assert len(CASES) >= 70
    assert len(FLAG_NAMES) >= 10
    assert sum(expected is not OK for _, expected, _ in CASES) >= 25

"""The x509-limbo path-validation corpus, run through X509Store and
X509StoreContext and through `openssl verify` on the same files.

Every testcase whose requirements X509Store can express (trusted roots,
untrusted intermediates, validation time, server or client purpose, DNS
name, IP address, one e-mail address, maximum depth, CRLs) is run, once with
the default flags and once with X509_STRICT, and on our side twice: with the
roots and CRLs added one by one and loaded from the CA file with
load_locations.  The package's verdict and
error code must equal OpenSSL's on every one of them; limbo's own expected
result is only counted, since where OpenSSL disagrees with limbo that is
OpenSSL's behaviour.

LIMBO_JSON points at another limbo.json (e.g. upstream's, with the
bettertls cases).
"""
import datetime
import hashlib
import json
import os

import pytest

from OpenSSL import crypto

from verify_cli import OPENSSL, VerifySetup, timestamp

HERE = os.path.dirname(os.path.abspath(__file__))
# A copy of x509-limbo's corpus (Apache-2.0, see data/x509-limbo/LICENSE).
DEFAULT_LIMBO = os.path.join(HERE, "data", "x509-limbo", "limbo.json")
LIMBO_JSON = os.environ.get("LIMBO_JSON") or DEFAULT_LIMBO

PURPOSES = {"SERVER": crypto.X509StorePurpose.SSL_SERVER,
            "CLIENT": crypto.X509StorePurpose.SSL_CLIENT}
EKU_FOR_KIND = {"SERVER": "serverAuth", "CLIENT": "clientAuth"}


def limbo_setup(case, flags=0):
    """A VerifySetup for `case`, or a str saying why it cannot be expressed."""
    kind = case["validation_kind"]
    if kind not in PURPOSES:
        return f"validation kind {kind}"
    if case["signature_algorithms"]:
        return "a signature algorithm restriction"
    if case["key_usage"]:
        return "a keyUsage requirement"
    if any(eku != EKU_FOR_KIND[kind] for eku in case["extended_key_usage"]):
        return "an extendedKeyUsage other than the purpose's"
    if len(case["expected_peer_names"]) > 1:
        return "more than one expected peer name"
    setup = VerifySetup(
        trusted=[pem.encode() for pem in case["trusted_certs"]],
        untrusted=[pem.encode() for pem in case["untrusted_intermediates"]],
        leaf=case["peer_certificate"].encode(),
        purpose=PURPOSES[kind], flags=flags)
    name = case["expected_peer_name"]
    if name is not None:
        if name["kind"] == "DNS":
            setup.host = name["value"]
        elif name["kind"] == "IP":
            setup.ip = name["value"]
        elif name["kind"] == "RFC822":
            setup.email = name["value"]
        else:
            return f"a peer name of kind {name['kind']}"
    for other in case["expected_peer_names"]:
        if other["kind"] != "RFC822" or setup.email is not None:
            return f"a peer name of kind {other['kind']}"
        setup.email = other["value"]
    if case["max_chain_depth"] is not None:
        setup.depth = case["max_chain_depth"]
    if case["crls"]:
        setup.crls = [pem.encode() for pem in case["crls"]]
        setup.flags |= crypto.X509StoreFlags.CRL_CHECK
    if case["validation_time"] is not None:
        setup.time = timestamp(datetime.datetime.fromisoformat(
            case["validation_time"]))
    if not setup.trusted:
        return "no trusted certificate"
    return setup


def _report(capsys, text):
    """Show `text` in the test run's output even when output is captured."""
    with capsys.disabled():
        print(text)


def test_limbo_corpus_matches_openssl(tmp_path, capsys):
    assert os.path.exists(LIMBO_JSON), (
        f"x509-limbo corpus not found at {LIMBO_JSON}; set LIMBO_JSON")
    with open(LIMBO_JSON, "rb") as f:
        raw = f.read()
    corpus = json.loads(raw)
    assert corpus["version"] == 1
    cases = corpus["testcases"]
    ran = agreed_with_limbo = 0
    not_expressible = {}
    mismatches = []
    for index, case in enumerate(cases):
        for flags in (0, crypto.X509StoreFlags.X509_STRICT):
            setup = limbo_setup(case, flags)
            if isinstance(setup, str):
                not_expressible[case["id"]] = setup
                break
            directory = tmp_path / f"{index}-{flags}"
            ours = setup.verify_ours(directory)
            theirs = setup.verify_openssl(directory)
            ran += 1
            if ours != theirs:
                mismatches.append((case["id"], flags, ours, theirs))
            # The same store filled from the CA file, as the command reads it.
            from_file = setup.verify_ours(directory, via_load_locations=True)
            if from_file != theirs:
                mismatches.append((case["id"], flags, "load_locations",
                                   from_file, theirs))
            if (ours is None) == (case["expected_result"] == "SUCCESS"):
                agreed_with_limbo += 1
    _report(capsys, f"\nx509-limbo {LIMBO_JSON} "
          f"(sha256 {hashlib.sha256(raw).hexdigest()[:16]}...): "
          f"{len(cases)} testcases, {len(cases) - len(not_expressible)} "
          f"expressible, {ran} verifications (default flags and X509_STRICT), "
          f"each run by X509StoreContext twice (add_cert/add_crl and "
          f"load_locations) and by `openssl verify`; {len(mismatches)} "
          f"disagreements; limbo's expectation met in {agreed_with_limbo} "
          f"of {ran}")
    for case_id, reason in sorted(not_expressible.items()):
        _report(capsys, f"  not run: {case_id}: {reason}")
    assert mismatches == []
    # The corpus shipped with the project has 208 cases, 3 of which
    # X509Store cannot express (two keyUsage demands, two e-mail names).
    assert len(cases) - len(not_expressible) >= 0.95 * len(cases)


@pytest.mark.parametrize("with_flag", [False, True])
def test_limbo_crl_case_needs_crl_check(tmp_path, with_flag):
    """A revoked leaf passes without CRL_CHECK and fails with it, in both
    implementations alike: the CRL is consulted only when asked for."""
    with open(LIMBO_JSON, "rb") as f:
        cases = json.load(f)["testcases"]
    [case] = [c for c in cases if c["id"] == "crl::revoked-certificate-with-crl"]
    setup = limbo_setup(case)
    if not with_flag:
        setup.flags = 0
    ours = setup.verify_ours(tmp_path)
    assert ours == setup.verify_openssl(tmp_path)
    if with_flag:
        assert ours == (23, 0)   # X509_V_ERR_CERT_REVOKED at the leaf
    else:
        assert ours is None


def test_openssl_found():
    assert OPENSSL is not None

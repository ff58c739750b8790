"""CRL, Revoked, load_crl and dump_crl, checked with `openssl crl` and
``cryptography``."""
import datetime
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from OpenSSL import crypto

import pki


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca("CRL Issuer", "ec")


def revoked(serial=b"10b", date=b"20240101000000Z", reason=None):
    entry = crypto.Revoked()
    entry.set_serial(serial)
    entry.set_rev_date(date)
    if reason is not None:
        entry.set_reason(reason)
    return entry


def openssl_crl(tmp_path, data, *args, der=False):
    path = tmp_path / ("crl.der" if der else "crl.pem")
    path.write_bytes(data)
    proc = subprocess.run(
        ["openssl", "crl", "-in", str(path), "-inform", "DER" if der else "PEM",
         "-noout", *args], capture_output=True, timeout=30)
    return proc.returncode, (proc.stdout + proc.stderr).decode()


# ---- Revoked ----------------------------------------------------------------

def test_revoked_starts_empty():
    entry = crypto.Revoked()
    assert entry.get_reason() is None
    assert entry.get_rev_date() is None
    assert entry.get_serial() == b"00"


def test_serial_round_trip():
    entry = crypto.Revoked()
    assert entry.set_serial(b"10b") is None
    assert entry.get_serial() == b"010B"
    entry.set_serial(hex_str=b"DEADBEEF0123456789")
    assert entry.get_serial() == b"DEADBEEF0123456789"
    entry.set_serial("ff")
    assert entry.get_serial() == b"FF"


@pytest.mark.parametrize("bad", [b"", b"pqrst", b"12 34", b"0x12", b"12g"])
def test_serial_must_be_hex(bad):
    with pytest.raises(ValueError, match="hex_str"):
        crypto.Revoked().set_serial(bad)


def test_serial_type():
    with pytest.raises(TypeError):
        crypto.Revoked().set_serial(100)


def test_all_reasons():
    reasons = crypto.Revoked().all_reasons()
    assert reasons == [b"unspecified", b"keyCompromise", b"CACompromise",
                       b"affiliationChanged", b"superseded",
                       b"cessationOfOperation", b"certificateHold"]
    reasons.clear()
    assert len(crypto.Revoked().all_reasons()) == 7


def test_every_reason_round_trips():
    entry = crypto.Revoked()
    for reason in entry.all_reasons():
        entry.set_reason(reason)
        text = entry.get_reason()
        assert text.lower().replace(b" ", b"") == reason.lower()
        # What get_reason() gives is accepted back.
        entry.set_reason(text)
        assert entry.get_reason() == text
    entry.set_reason(b"keyCompromise")
    assert entry.get_reason() == b"Key Compromise"
    entry.set_reason(None)
    assert entry.get_reason() is None


@pytest.mark.parametrize("bad, exc", [(b"stolen", ValueError),
                                      (b"removeFromCRL", ValueError),
                                      (b"key\0Compromise", ValueError),
                                      (3, TypeError)])
def test_bad_reason(bad, exc):
    with pytest.raises(exc, match="reason"):
        crypto.Revoked().set_reason(bad)


def test_rev_date():
    entry = crypto.Revoked()
    entry.set_rev_date(b"20240229120000Z")
    assert entry.get_rev_date() == b"20240229120000Z"
    entry.set_rev_date(b"20991231235959Z")
    assert entry.get_rev_date() == b"20991231235959Z"
    with pytest.raises(ValueError, match="when"):
        entry.set_rev_date(b"yesterday")
    with pytest.raises(TypeError, match="when"):
        entry.set_rev_date(20240101)


# ---- CRL --------------------------------------------------------------------------

def test_new_crl_is_empty():
    crl = crypto.CRL()
    assert crl.get_revoked() is None
    assert crl.get_issuer().get_components() == []
    assert crl.get_lastUpdate() is None


def test_add_and_get_revoked_copy():
    crl = crypto.CRL()
    entry = revoked(b"abc", reason=b"superseded")
    crl.add_revoked(entry)
    crl.add_revoked(revoked=revoked(b"123"))
    entry.set_serial(b"ffff")           # after adding: no effect on the CRL
    got = crl.get_revoked()
    assert isinstance(got, tuple)
    assert [r.get_serial() for r in got] == [b"0ABC", b"0123"]
    assert got[0].get_reason() == b"Superseded"
    got[0].set_reason(None)             # a copy again
    assert crl.get_revoked()[0].get_reason() == b"Superseded"
    with pytest.raises(TypeError, match="revoked must be a Revoked"):
        crl.add_revoked(b"abc")


def test_sign_and_verify_with_openssl(ca, tmp_path):
    crl = crypto.CRL()
    crl.add_revoked(revoked(b"1001", reason=b"keyCompromise"))
    crl.add_revoked(revoked(b"0fff"))
    crl.set_lastUpdate(b"20240101000000Z")
    crl.set_nextUpdate(b"20340101000000Z")
    crl.sign(ca.cert, ca.key, b"sha384")
    assert crl.get_issuer() == ca.cert.get_subject()
    pem = crypto.dump_crl(crypto.FILETYPE_PEM, crl)
    (tmp_path / "ca.pem").write_bytes(ca.pem())
    rc, out = openssl_crl(tmp_path, pem, "-text", "-CAfile",
                          str(tmp_path / "ca.pem"))
    assert rc == 0, out
    assert "verify OK" in out
    assert "ecdsa-with-SHA384" in out
    assert "Version 2" in out   # entry extensions make it a v2 CRL
    assert "Last Update: Jan  1 00:00:00 2024 GMT" in out
    assert "Next Update: Jan  1 00:00:00 2034 GMT" in out
    # Sorted by serial, as OpenSSL's lookups need.
    assert out.index("Serial Number: 0FFF") < out.index("Serial Number: 1001")
    assert "Key Compromise" in out


def test_signature_by_another_key_fails_openssl_check(ca, tmp_path):
    crl = crypto.CRL()
    crl.set_lastUpdate(b"20240101000000Z")
    crl.set_nextUpdate(b"20340101000000Z")
    crl.sign(ca.cert, pki.make_key("ec"), b"sha256")
    (tmp_path / "ca.pem").write_bytes(ca.pem())
    rc, out = openssl_crl(tmp_path, crypto.dump_crl(crypto.FILETYPE_PEM, crl),
                          "-CAfile", str(tmp_path / "ca.pem"))
    assert "verify failure" in out


def test_sign_argument_errors(ca):
    crl = crypto.CRL()
    with pytest.raises(TypeError, match="issuer_cert"):
        crl.sign(None, ca.key, b"sha256")
    with pytest.raises(TypeError):
        crl.sign(ca.cert, None, b"sha256")
    with pytest.raises(ValueError):
        crl.sign(ca.cert, ca.key, b"no-such-digest")
    public_only = ca.cert.get_pubkey()
    with pytest.raises(ValueError):
        crl.sign(ca.cert, public_only, b"sha256")


def test_set_dates():
    crl = crypto.CRL()
    crl.set_lastUpdate(b"20240101000000Z")
    crl.set_nextUpdate(b"20250101000000Z")
    assert crl.get_lastUpdate() == b"20240101000000Z"
    assert crl.get_nextUpdate() == b"20250101000000Z"
    with pytest.raises(ValueError):
        crl.set_nextUpdate(b"2025")


def test_set_version():
    crl = crypto.CRL()
    crl.set_version(1)
    assert b"Version 2" in crypto.dump_crl(crypto.FILETYPE_TEXT, crl)
    with pytest.raises(ValueError, match="version"):
        crl.set_version(5)


def test_export_defaults_to_sha256_pem_and_100_days(ca, tmp_path):
    crl = crypto.CRL()
    crl.add_revoked(revoked())
    before = int(time.time())
    pem = crl.export(ca.cert, ca.key)
    assert pem.startswith(b"-----BEGIN X509 CRL-----")
    loaded = crypto.load_crl(crypto.FILETYPE_PEM, pem)
    last = datetime.datetime.strptime(
        loaded.get_lastUpdate().decode(), "%Y%m%d%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    nxt = datetime.datetime.strptime(
        loaded.get_nextUpdate().decode(), "%Y%m%d%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    assert before - 5 <= last <= time.time() + 5
    assert nxt - last == 100 * 86400
    crypto_crl = loaded.to_cryptography()
    assert isinstance(crypto_crl.signature_hash_algorithm, hashes.SHA256)
    assert crypto_crl.is_signature_valid(ca.cert.get_pubkey().to_cryptography_key())


def test_export_types_days_and_digest(ca, tmp_path):
    crl = crypto.CRL()
    der = crl.export(ca.cert, ca.key, crypto.FILETYPE_ASN1, 7, b"sha512")
    rc, out = openssl_crl(tmp_path, der, "-text", der=True)
    assert rc == 0, out
    assert "ecdsa-with-SHA512" in out
    text = crl.export(ca.cert, ca.key, type=crypto.FILETYPE_TEXT, days=1,
                      digest="sha256")
    assert b"Certificate Revocation List" in text
    with pytest.raises(ValueError):
        crl.export(ca.cert, ca.key, 99)
    with pytest.raises(ValueError):
        crl.export(ca.cert, ca.key, days=-1)
    with pytest.raises(ValueError):
        crl.export(ca.cert, ca.key, digest=b"md17")
    with pytest.raises(TypeError, match="cert must be an X509"):
        crl.export(ca.key, ca.key)


def test_rsa_and_ed25519_issuers(tmp_path):
    for key_type in ("rsa", "ed25519"):
        issuer = pki.make_ca(key_type=key_type)
        crl = crypto.CRL()
        crl.add_revoked(revoked())
        pem = crl.export(issuer.cert, issuer.key)
        (tmp_path / "ca.pem").write_bytes(issuer.pem())
        rc, out = openssl_crl(tmp_path, pem, "-CAfile", str(tmp_path / "ca.pem"))
        assert rc == 0 and "verify OK" in out, out


# ---- load_crl / dump_crl ----------------------------------------------------------

def test_load_dump_round_trip(ca):
    crl = crypto.CRL()
    crl.add_revoked(revoked(reason=b"CACompromise"))
    pem = crl.export(ca.cert, ca.key)
    for kind in (crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1):
        data = crypto.dump_crl(kind, crypto.load_crl(crypto.FILETYPE_PEM, pem))
        again = crypto.load_crl(kind, data)
        assert crypto.dump_crl(crypto.FILETYPE_PEM, again) == pem
        assert again.get_revoked()[0].get_reason() == b"CA Compromise"
    text = crypto.dump_crl(crypto.FILETYPE_TEXT, crl)
    assert b"Serial Number: 010B" in text


def test_load_crl_errors():
    with pytest.raises(crypto.Error):
        crypto.load_crl(crypto.FILETYPE_PEM, b"not a crl")
    with pytest.raises(crypto.Error):
        crypto.load_crl(crypto.FILETYPE_ASN1, b"\x30\x03\x02\x01")
    with pytest.raises(ValueError):
        crypto.load_crl(crypto.FILETYPE_TEXT, b"")
    with pytest.raises(TypeError):
        crypto.load_crl(crypto.FILETYPE_PEM, 5)


def test_dump_crl_errors():
    with pytest.raises(TypeError, match="crl must be a CRL"):
        crypto.dump_crl(crypto.FILETYPE_PEM, b"crl")
    with pytest.raises(ValueError):
        crypto.dump_crl(7, crypto.CRL())


def test_load_crl_made_by_openssl_ca(tmp_path):
    """A CRL from `openssl ca -gencrl`, with a revoked certificate."""
    issuer = pki.make_ca("OpenSSL CA", "ec")
    victim = pki.make_leaf(issuer, key_type="ec")
    (tmp_path / "ca.pem").write_bytes(issuer.pem())
    (tmp_path / "ca.key").write_bytes(issuer.key_pem())
    (tmp_path / "victim.pem").write_bytes(victim.pem())
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "crlnumber").write_text("01\n")
    (tmp_path / "ca.cnf").write_text(f"""
[ca]
default_ca = this
[this]
database = {tmp_path}/index.txt
crlnumber = {tmp_path}/crlnumber
certificate = {tmp_path}/ca.pem
private_key = {tmp_path}/ca.key
default_md = sha256
default_crl_days = 30
""")
    base = ["openssl", "ca", "-config", str(tmp_path / "ca.cnf"), "-batch"]
    subprocess.run(base + ["-revoke", str(tmp_path / "victim.pem"),
                           "-crl_reason", "superseded"],
                   check=True, capture_output=True, timeout=30)
    subprocess.run(base + ["-gencrl", "-out", str(tmp_path / "crl.pem")],
                   check=True, capture_output=True, timeout=30)
    crl = crypto.load_crl(crypto.FILETYPE_PEM, (tmp_path / "crl.pem").read_bytes())
    [entry] = crl.get_revoked()
    assert int(entry.get_serial(), 16) == victim.cert.get_serial_number()
    assert entry.get_reason() == b"Superseded"
    assert crl.get_issuer() == issuer.cert.get_subject()

    store = crypto.X509Store()
    store.add_cert(issuer.cert)
    store.add_crl(crl)
    store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, victim.cert).verify_certificate()
    assert info.value.errors[0] == 23


# ---- cryptography ------------------------------------------------------------------

def test_to_and_from_cryptography(ca):
    crl = crypto.CRL()
    crl.add_revoked(revoked(b"2a", reason=b"certificateHold"))
    crl.export(ca.cert, ca.key)
    theirs = crl.to_cryptography()
    assert isinstance(theirs, x509.CertificateRevocationList)
    [entry] = list(theirs)
    assert entry.serial_number == 42
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason \
        == x509.ReasonFlags.certificate_hold
    back = crypto.CRL.from_cryptography(theirs)
    assert isinstance(back, crypto.CRL)
    assert crypto.dump_crl(crypto.FILETYPE_ASN1, back) == theirs.public_bytes(
        Encoding.DER)


def test_from_cryptography_built_crl(ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca.cert.to_cryptography().subject)
               .last_update(now).next_update(now + datetime.timedelta(days=1))
               .add_revoked_certificate(
                   x509.RevokedCertificateBuilder().serial_number(0x1234)
                   .revocation_date(now).build()))
    theirs = builder.sign(ca.key.to_cryptography_key(), hashes.SHA256())
    ours = crypto.CRL.from_cryptography(theirs)
    assert [r.get_serial() for r in ours.get_revoked()] == [b"1234"]
    assert ours.get_issuer() == ca.cert.get_subject()


def test_from_cryptography_rejects_other_types(ca):
    with pytest.raises(TypeError, match="crypto_crl"):
        crypto.CRL.from_cryptography(ca.cert.to_cryptography())


def test_truncated_and_corrupted_crls_raise_error(ca):
    crl = crypto.CRL()
    crl.add_revoked(revoked(reason=b"superseded"))
    der = crypto.dump_crl(crypto.FILETYPE_ASN1,
                          crypto.load_crl(crypto.FILETYPE_PEM,
                                          crl.export(ca.cert, ca.key)))
    for end in range(len(der)):
        with pytest.raises(crypto.Error):
            crypto.load_crl(crypto.FILETYPE_ASN1, der[:end])
    # Flipped bytes: an Error, or a CRL whose every getter returns a value
    # or raises Error (a malformed date, say) with a message.
    for index in range(0, len(der), 3):
        data = bytearray(der)
        data[index] ^= 0x5A
        try:
            loaded = crypto.load_crl(crypto.FILETYPE_ASN1, bytes(data))
        except crypto.Error:
            continue
        getters = [loaded.get_issuer, loaded.get_lastUpdate,
                   loaded.get_nextUpdate,
                   lambda: crypto.dump_crl(crypto.FILETYPE_TEXT, loaded)]
        for entry in loaded.get_revoked() or ():
            getters += [entry.get_serial, entry.get_reason, entry.get_rev_date]
        for getter in getters:
            try:
                getter()
            except crypto.Error as exc:
                assert exc.args[0], "an Error that says nothing"


def test_overlong_serial_is_refused():
    with pytest.raises(ValueError, match="hex_str"):
        crypto.Revoked().set_serial(b"f" * 5000)

"""Seed corpora for the fuzz targets, made by the package itself.

    python fuzz/seeds.py OUTDIR      # OUTDIR/<target>/<n> for every target

Every seed is something the package produced: certificates, requests and keys
of each key type in PEM and DER, encrypted keys, extension and name recipes.
Nothing is checked in, so the seeds never expire.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (os.path.join(ROOT, "test"), os.environ.get("OSSL_FUZZ_LIB") or ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

from OpenSSL import crypto  # noqa: E402

import pki  # noqa: E402

PEM, DER = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1
PASSPHRASE = b"fuzz-passphrase"

# Extension recipes: (name, value) pairs the X509Extension target starts from.
EXTENSIONS = [
    ("basicConstraints", "CA:TRUE, pathlen:3"),
    ("basicConstraints", "CA:FALSE"),
    ("keyUsage", "digitalSignature, keyEncipherment, keyCertSign, cRLSign"),
    ("extendedKeyUsage", "serverAuth, clientAuth, codeSigning, 1.2.3.4"),
    ("subjectAltName", "DNS:example.com, IP:127.0.0.1, IP:::1, email:a@b.c, "
                       "URI:https://x.example/, RID:1.2.3"),
    ("subjectAltName", "otherName:1.2.3.4;UTF8:some other identifier"),
    ("subjectAltName", "dirName:dir_sect"),
    ("issuerAltName", "issuer:copy"),
    ("subjectKeyIdentifier", "hash"),
    ("authorityKeyIdentifier", "keyid:always, issuer"),
    ("nsComment", "a comment"),
    ("nameConstraints", "permitted;DNS:example.com, excluded;IP:10.0.0.0/255.0.0.0"),
    ("policyConstraints", "requireExplicitPolicy:3"),
    ("certificatePolicies", "1.2.3.4, 2.5.29.32.0"),
    ("crlDistributionPoints", "URI:http://crl.example/ca.crl"),
    ("authorityInfoAccess", "OCSP;URI:http://ocsp.example/, caIssuers;URI:http://x/"),
    ("inhibitAnyPolicy", "2"),
    ("tlsfeature", "status_request"),
    ("1.2.3.4", "DER:01:02:03:04"),
    ("1.2.3.5", "ASN1:UTF8String:hello"),
    ("noCheck", "ignored"),
]

# Name recipes: attribute, value pairs for the X509Name target.
NAME_ATTRIBUTES = ["CN", "C", "ST", "L", "O", "OU", "emailAddress", "serialNumber",
                   "title", "givenName", "surname", "initials", "dnQualifier",
                   "pseudonym", "generationQualifier", "domainComponent", "UID",
                   "commonName", "countryName", "organizationName"]


def _keys():
    return {kind: pki.make_key(kind)
            for kind in ("rsa1024", "ec", "p384", "ed25519", "ed448", "dsa")}


def _recipe(parts):
    """Length-prefixed fields, as the structured targets read them back."""
    out = bytearray()
    for part in parts:
        if isinstance(part, str):
            part = part.encode("utf-8")
        out += len(part).to_bytes(2, "big") + part
    return bytes(out)


def make_seeds():
    """{target: [bytes, ...]} for every crypto target."""
    keys = _keys()
    chain = pki.make_chain("ec", san=["localhost", "127.0.0.1", "xn--bcher-kva.example"])
    certs = [chain.ca.cert, chain.intermediate.cert, chain.leaf.cert]
    for kind, key in keys.items():
        certs.append(pki.make_cert(f"self-signed {kind}", key, san=["a.example"]))
    reqs = []
    for kind, key in keys.items():
        req = crypto.X509Req()
        req.get_subject().CN = f"request {kind}"
        req.get_subject().O = "Fuzz"
        req.set_pubkey(key)
        req.add_extensions([
            crypto.X509Extension(b"subjectAltName", False, b"DNS:r.example, IP:10.1.2.3"),
            crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE"),
        ])
        req.sign(key, "sha256")  # Ed25519/Ed448 ignore the name
        reqs.append(req)
    seeds = {
        "load_certificate_pem": [crypto.dump_certificate(PEM, c) for c in certs],
        "load_certificate_der": [crypto.dump_certificate(DER, c) for c in certs],
        "load_certificate_request_pem": [crypto.dump_certificate_request(PEM, r)
                                         for r in reqs],
        "load_certificate_request_der": [crypto.dump_certificate_request(DER, r)
                                         for r in reqs],
        "load_privatekey_pem": [crypto.dump_privatekey(PEM, k) for k in keys.values()],
        "load_privatekey_der": [crypto.dump_privatekey(DER, k) for k in keys.values()],
        "load_privatekey_passphrase": [
            crypto.dump_privatekey(PEM, k, cipher, PASSPHRASE)
            for k in keys.values() for cipher in ("aes-128-cbc", "des-ede3-cbc")],
        "load_publickey_pem": [crypto.dump_publickey(PEM, k) for k in keys.values()],
        "load_publickey_der": [crypto.dump_publickey(DER, k) for k in keys.values()],
        "x509extension": [_recipe([bytes([flags]), name, value])
                          for flags in (0, 1, 2, 3) for name, value in EXTENSIONS],
        "x509name": [_recipe([a, v]) for a, v in (
            ("CN", "example.com"), ("C", "DE"), ("O", "Ümlaut GmbH"),
            ("emailAddress", "a@b.example"), ("OU", "x" * 64))]
            + [_recipe(["CN", "a", "O", "b", "OU", "c", "L", "d", "ST", "e"])],
    }
    return seeds


def write_seeds(outdir, seeds=None):
    seeds = all_seeds() if seeds is None else seeds
    for target, items in seeds.items():
        folder = os.path.join(outdir, target)
        os.makedirs(folder, exist_ok=True)
        for n, item in enumerate(items):
            with open(os.path.join(folder, f"seed-{n:03d}"), "wb") as f:
                f.write(item)
    return seeds



# -- seeds for the types that are present -------------------------------------

def _der(tag, body):
    size = len(body)
    if size < 0x80:
        head = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + head + body


def _oid(dotted):
    nums = [int(x) for x in dotted.split(".")]
    out = bytearray([nums[0] * 40 + nums[1]])
    for num in nums[2:]:
        chunk = [num & 0x7f]
        num >>= 7
        while num:
            chunk.append(0x80 | (num & 0x7f))
            num >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, bytes(out))


def pkcs7_certs_der(cert_ders):
    """A degenerate PKCS#7 SignedData holding `cert_ders` (what a .p7b
    bundle is), encoded here from the package's own certificates."""
    signed = _der(0x30, _der(0x02, b"\x01") + _der(0x31, b"")
                  + _der(0x30, _oid("1.2.840.113549.1.7.1"))
                  + _der(0xa0, b"".join(cert_ders)) + _der(0x31, b""))
    return _der(0x30, _oid("1.2.840.113549.1.7.2") + _der(0xa0, signed))


def _more_seeds(seeds):
    chain = pki.make_chain("ec", san=["more.example"])
    ca_cert, ca_key = chain.ca.cert, chain.ca.key
    cert_ders = [crypto.dump_certificate(DER, c)
                 for c in (chain.leaf.cert, chain.intermediate.cert, chain.ca.cert)]
    if hasattr(crypto, "CRL"):
        crls = []
        for count in (0, 1, 3):
            crl = crypto.CRL()
            for n in range(count):
                revoked = crypto.Revoked()
                revoked.set_serial(b"%x" % (0x1000 + n))
                revoked.set_rev_date(b"20250101000000Z")
                if n:
                    revoked.set_reason(b"keyCompromise")
                crl.add_revoked(revoked)
            crls.append(crl.export(ca_cert, ca_key, DER, 30, b"sha256"))
        seeds["load_crl_der"] = crls
        seeds["load_crl_pem"] = [crypto.dump_crl(PEM, crypto.load_crl(DER, c))
                                 for c in crls]
    if hasattr(crypto, "PKCS12"):
        items = []
        for with_ca in (False, True):
            p12 = crypto.PKCS12()
            p12.set_certificate(chain.leaf.cert)
            p12.set_privatekey(chain.leaf.key)
            if with_ca:
                p12.set_ca_certificates([chain.intermediate.cert, chain.ca.cert])
                p12.set_friendlyname(b"fuzz")
            items.append(p12.export(PASSPHRASE, iter=1, maciter=1))
        seeds["load_pkcs12"] = items
    if hasattr(crypto, "load_pkcs7_data"):
        bundles = [pkcs7_certs_der(cert_ders[:n]) for n in (1, 2, 3)]
        seeds["load_pkcs7_data_der"] = bundles
        seeds["load_pkcs7_data_pem"] = [
            crypto.dump_pkcs7_data(PEM, crypto.load_pkcs7_data(DER, b)) for b in bundles]
    if hasattr(crypto, "NetscapeSPKI"):
        items = []
        for key in (chain.leaf.key, pki.make_key("rsa1024"), pki.make_key("ed25519")):
            spki = crypto.NetscapeSPKI()
            spki.set_pubkey(key)
            spki.sign(key, "sha256")
            items.append(spki.b64_encode())
        seeds["netscape_spki"] = items
    if hasattr(crypto, "X509StoreContext"):
        seeds["verify_certificate_der"] = [_recipe(cert_ders[:n]) for n in (1, 2, 3)]
    return seeds


def all_seeds():
    seeds = _more_seeds(make_seeds())
    from OpenSSL import SSL
    if hasattr(SSL, "Context") and hasattr(SSL, "Connection"):
        sys.path.insert(0, HERE)
        import ssl_targets
        seeds.update(ssl_targets.seeds())
    return seeds


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    made = write_seeds(sys.argv[1])
    print(f"seeds: {sum(map(len, made.values()))} inputs for {len(made)} targets "
          f"in {sys.argv[1]}")

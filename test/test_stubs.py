"""The type stubs (OpenSSL/*.pyi) cover everything the built modules offer."""
import ast
import importlib
import os
import tempfile
import unittest

from apinames import MODULES, ROOT, documented_names, runtime_names, stub_names


class StubCoverageTests(unittest.TestCase):
    def test_every_built_name_is_stubbed(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                missing = runtime_names(modname) - stub_names(modname)
                self.assertEqual(sorted(missing), [],
                                 f"{modname} has names its stub does not declare: "
                                 f"add them to {MODULES[modname][0]} and "
                                 f"{MODULES[modname][1]}")

    def test_every_stubbed_name_is_in_the_api_reference(self):
        # A stubbed name that is not built yet must at least be part of the
        # documented API, so a typo in a stub cannot hide as "pending".
        for modname in MODULES:
            with self.subTest(module=modname):
                extra = stub_names(modname) - documented_names(modname)
                self.assertEqual(sorted(extra), [],
                                 f"{modname} stub declares names the reference lacks")

    def test_stub_aliases_are_the_same_objects_at_runtime(self):
        # "X509Type = X509" in a stub promises that both names are one type.
        for modname, (pyi, _) in MODULES.items():
            module = importlib.import_module(modname)
            with open(os.path.join(ROOT, pyi), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                    continue
                alias, target = node.targets[0].id, node.value.id
                if hasattr(module, alias) and hasattr(module, target):
                    with self.subTest(name=f"{modname}.{alias}"):
                        self.assertIs(getattr(module, alias), getattr(module, target))


class PackagingTests(unittest.TestCase):
    def test_stubs_and_marker_are_package_data(self):
        # Type checkers only use the stubs of an installed package if the
        # wheel carries both the .pyi files and the py.typed marker.
        for name in ("crypto.pyi", "SSL.pyi", "rand.pyi", "py.typed"):
            self.assertTrue(os.path.isfile(os.path.join(ROOT, "OpenSSL", name)), name)
        with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
            pyproject = f.read()
        self.assertIn('"*.pyi"', pyproject)
        self.assertIn('"py.typed"', pyproject)


# ---- return types ---------------------------------------------------------
#
# stubtest compares parameters, not what a method returns.  These tests call
# the query methods of real objects (a finished TLS handshake over memory
# BIOs, a certificate chain, a store, a CRL, a PKCS#12 bundle, an SPKAC) and
# check each result against the stub's return annotation.

_QUERY_PREFIXES = ("get_", "type_is_", "want_", "has_")
_QUERIES = {
    "pending", "bits", "type", "der", "hash", "subject_name_hash", "master_key",
    "client_random", "server_random", "session_reused", "total_renegotiations",
    "renegotiate_pending", "all_reasons", "b64_encode", "to_cryptography",
    "to_cryptography_key", "get_components", "export",
}


def _stub_returns(pyi):
    """{(class, method): return annotation node} of zero-argument queries."""
    with open(os.path.join(ROOT, pyi), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.returns is None:
                continue
            name = item.name
            if not (name.startswith(_QUERY_PREFIXES) or name in _QUERIES):
                continue
            args = item.args
            positional = [a for a in args.posonlyargs + args.args if a.arg != "self"]
            if len(positional) > len(args.defaults):
                continue  # needs an argument
            required = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
            if required == ["as_cryptography"]:
                # The overload for as_cryptography=True.
                found[(node.name, name, True)] = item.returns
            elif not required:
                found[(node.name, name, False)] = item.returns
    return found


def _conforms(value, annotation, crypto, SSL):
    """Whether value fits a stub annotation (the subset the stubs use)."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return (_conforms(value, annotation.left, crypto, SSL)
                or _conforms(value, annotation.right, crypto, SSL))
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return value is None
    if isinstance(annotation, ast.Subscript):
        container = {"list": list, "tuple": tuple, "set": set}[annotation.value.id]
        if not isinstance(value, container):
            return False
        element = annotation.slice
        if isinstance(element, ast.Tuple):  # tuple[X, ...]
            element = element.elts[0]
        return all(_conforms(v, element, crypto, SSL) for v in value)
    if isinstance(annotation, ast.Attribute):  # x509.Certificate, ...
        import cryptography.x509
        return isinstance(value, getattr(cryptography.x509, annotation.attr))
    name = annotation.id
    if name in ("Any", "_Key"):
        return True
    if name == "_EllipticCurve":
        return type(value) is type(crypto.get_elliptic_curve("prime256v1"))
    builtin = {"bytes": bytes, "int": int, "str": str, "bool": bool, "float": (int, float)}
    kind = builtin.get(name) or getattr(crypto, name, None) or getattr(SSL, name)
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind)


def _memory_handshake(SSL, chain, ca_path):
    server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    server_ctx.use_certificate(chain.leaf.cert)
    server_ctx.use_privatekey(chain.leaf.key)
    server_ctx.add_extra_chain_cert(chain.intermediate.cert)
    server_ctx.set_alpn_select_callback(lambda conn, offered: offered[0])
    client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    client_ctx.load_verify_locations(ca_path)
    client_ctx.set_verify(SSL.VERIFY_PEER)
    client_ctx.set_alpn_protos([b"h2"])
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    client = SSL.Connection(client_ctx, None)
    client.set_connect_state()
    client.set_tlsext_host_name(b"localhost")
    for _ in range(20):
        for a, b in ((client, server), (server, client)):
            try:
                a.do_handshake()
            except SSL.WantReadError:
                pass
            try:
                while True:
                    b.bio_write(a.bio_read(65536))
            except SSL.WantReadError:
                pass
    assert client.get_peer_certificate() is not None
    return client_ctx, server_ctx, client, server


class ReturnTypeTests(unittest.TestCase):
    # Queries that only make sense elsewhere: DTLS only.
    NOT_HERE = {("Connection", "get_cleartext_mtu")}

    def check(self, obj, class_name, returns, crypto, SSL):
        checked = 0
        for (cls, method, as_cryptography), annotation in sorted(returns.items()):
            if cls != class_name or not hasattr(obj, method):
                continue  # another class, or not built yet
            if (cls, method) in self.NOT_HERE:
                continue
            if as_cryptography:
                value = getattr(obj, method)(as_cryptography=True)
            else:
                value = getattr(obj, method)()
            checked += 1
            with self.subTest(method=f"{class_name}.{method}", as_cryptography=as_cryptography):
                self.assertTrue(_conforms(value, annotation, crypto, SSL),
                                f"{class_name}.{method}() returned {value!r}, "
                                f"the stub says {ast.unparse(annotation)}")
        return checked

    def test_crypto_queries_return_what_the_stub_says(self):
        from OpenSSL import SSL, crypto

        from pki import make_chain

        returns = _stub_returns("OpenSSL/crypto.pyi")
        chain = make_chain("ec")
        objects = [(chain.leaf.cert, "X509"), (chain.leaf.key, "PKey"),
                   (chain.leaf.cert.get_subject(), "X509Name")]
        req = crypto.X509Req()
        req.set_pubkey(chain.leaf.key)
        req.get_subject().CN = "request"
        req.sign(chain.leaf.key, "sha256")
        objects.append((req, "X509Req"))
        objects.append((crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE"),
                        "X509Extension"))
        if hasattr(crypto, "X509StoreContext"):
            store = crypto.X509Store()
            store.add_cert(chain.ca.cert)
            objects.append((crypto.X509StoreContext(
                store, chain.leaf.cert, [chain.intermediate.cert]), "X509StoreContext"))
        if hasattr(crypto, "CRL"):
            revoked = crypto.Revoked()
            revoked.set_serial(b"1234")
            revoked.set_rev_date(b"20250101000000Z")
            revoked.set_reason(b"keyCompromise")
            crl = crypto.CRL()
            crl.set_lastUpdate(b"20250101000000Z")
            crl.set_nextUpdate(b"20350101000000Z")
            crl.add_revoked(revoked)
            crl.sign(chain.ca.cert, chain.ca.key, b"sha256")
            objects += [(crl, "CRL"), (revoked, "Revoked")]
        if hasattr(crypto, "PKCS12"):
            bundle = crypto.PKCS12()
            bundle.set_certificate(chain.leaf.cert)
            bundle.set_privatekey(chain.leaf.key)
            bundle.set_ca_certificates([chain.ca.cert])
            bundle.set_friendlyname(b"leaf")
            objects.append((bundle, "PKCS12"))
        if hasattr(crypto, "NetscapeSPKI"):
            spki = crypto.NetscapeSPKI()
            spki.set_pubkey(chain.leaf.key)
            spki.sign(chain.leaf.key, "sha256")
            objects.append((spki, "NetscapeSPKI"))
        checked = sum(self.check(obj, name, returns, crypto, SSL) for obj, name in objects)
        self.assertGreater(checked, 20)
        curves = crypto.get_elliptic_curves()
        self.assertTrue(all(isinstance(c.name, str) for c in curves))

    def test_ssl_queries_after_a_handshake_return_what_the_stub_says(self):
        from OpenSSL import SSL, crypto

        from pki import make_chain

        if not hasattr(SSL, "Connection"):
            self.assertIn("Connection", stub_names("OpenSSL.SSL"))
            return
        returns = _stub_returns("OpenSSL/SSL.pyi")
        chain = make_chain("ec", san=["localhost"])
        with tempfile.TemporaryDirectory() as tmp:
            ca_path = chain.write_pem(tmp)["ca"]
            client_ctx, server_ctx, client, server = _memory_handshake(SSL, chain, ca_path)
        checked = 0
        for obj, name in ((client_ctx, "Context"), (server_ctx, "Context"),
                          (client, "Connection"), (server, "Connection")):
            checked += self.check(obj, name, returns, crypto, SSL)
        self.assertGreater(checked, 40)

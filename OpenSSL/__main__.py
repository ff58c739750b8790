"""``python -m OpenSSL``: the jobs people write OpenSSL scripts for.

Subcommands: certgen, verify, connect, serve, info.  Bad arguments and
unreadable files end with exit status 2 and a one-line message.
"""

import argparse
import datetime
import ipaddress
import os
import socket
import sys
import threading


class CommandError(Exception):
    """A problem with what the user asked for: one line, exit status 2."""


# ---- certgen ---------------------------------------------------------------


def _new_key(kind, bits, curve):
    from OpenSSL import crypto

    key = crypto.PKey()
    if kind == "rsa":
        key.generate_key(crypto.TYPE_RSA, bits)
    elif kind == "ec":
        key.generate_key(crypto.TYPE_EC, curve)
    else:
        key.generate_key(crypto.TYPE_ED25519, 0)
    return key


def _san_value(entry):
    """'example.com' -> DNS:..., '10.0.0.1' -> IP:..., 'a@b' -> email:...;
    an entry with an explicit 'TYPE:' prefix is taken as it is."""
    if ":" in entry and entry.split(":", 1)[0] in ("DNS", "IP", "email", "URI"):
        return entry
    try:
        ipaddress.ip_address(entry)
        return "IP:" + entry
    except ValueError:
        pass
    if "@" in entry:
        return "email:" + entry
    return "DNS:" + entry


def make_certificate(subject_cn, key, issuer=None, issuer_key=None, *, ca=False,
                     pathlen=None, sans=(), days=365, serial=None,
                     purposes=("serverAuth", "clientAuth")):
    """Build and sign one certificate with the package's own API.

    Without *issuer* the certificate is self-signed.  Returns the X509.
    """
    from OpenSSL import crypto

    cert = crypto.X509()
    cert.set_version(2)
    cert.set_serial_number(serial if serial is not None
                           else int.from_bytes(os.urandom(16), "big") >> 1)
    cert.get_subject().CN = subject_cn
    cert.gmtime_adj_notBefore(-300)
    cert.gmtime_adj_notAfter(days * 24 * 3600)
    cert.set_pubkey(key)
    signer = issuer if issuer is not None else cert
    cert.set_issuer(signer.get_subject())

    exts = []
    if ca:
        value = "CA:TRUE" if pathlen is None else f"CA:TRUE, pathlen:{pathlen}"
        exts.append(crypto.X509Extension(b"basicConstraints", True, value.encode()))
        exts.append(crypto.X509Extension(b"keyUsage", True,
                                         b"keyCertSign, cRLSign, digitalSignature"))
    else:
        exts.append(crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE"))
        exts.append(crypto.X509Extension(b"keyUsage", True,
                                         b"digitalSignature, keyEncipherment"))
        if purposes:
            exts.append(crypto.X509Extension(b"extendedKeyUsage", False,
                                             ", ".join(purposes).encode()))
    if sans:
        exts.append(crypto.X509Extension(
            b"subjectAltName", False,
            ", ".join(_san_value(s) for s in sans).encode()))
    exts.append(crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash",
                                     subject=cert))
    cert.add_extensions(exts)
    if issuer is not None:
        cert.add_extensions([crypto.X509Extension(
            b"authorityKeyIdentifier", False, b"keyid:always", issuer=issuer)])
    cert.sign(issuer_key if issuer_key is not None else key, "sha256")
    return cert


def _write(path, data, private=False):
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def cmd_certgen(args):
    from OpenSSL import crypto

    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {args.out}: {exc.strerror}")
    pem = crypto.FILETYPE_PEM

    def save(stem, cert, key):
        _write(os.path.join(args.out, stem + ".pem"),
               crypto.dump_certificate(pem, cert))
        _write(os.path.join(args.out, stem + ".key"),
               crypto.dump_privatekey(pem, key), private=True)

    def show(stem, cert):
        subject = cert.get_subject().CN
        issuer = cert.get_issuer().CN
        print(f"{stem + '.pem':<18} subject CN={subject}  issuer CN={issuer}  "
              f"serial={cert.get_serial_number():x}  "
              f"until {cert.get_notAfter().decode()}")

    ca_key = _new_key(args.key_type, args.bits, args.curve)
    ca = make_certificate(args.ca_name, ca_key, ca=True, days=args.days * 2)
    save("ca", ca, ca_key)
    show("ca", ca)

    issuer, issuer_key = ca, ca_key
    chain = []
    for i in range(args.intermediates):
        key = _new_key(args.key_type, args.bits, args.curve)
        cert = make_certificate(f"{args.ca_name} Intermediate {i + 1}", key,
                                issuer, issuer_key, ca=True, days=args.days * 2)
        stem = f"intermediate{i + 1}"
        save(stem, cert, key)
        show(stem, cert)
        chain.insert(0, cert)
        issuer, issuer_key = cert, key

    for name in args.leaf:
        key = _new_key(args.key_type, args.bits, args.curve)
        sans = args.san or [name]
        cert = make_certificate(name, key, issuer, issuer_key, sans=sans,
                                days=args.days)
        stem = name.replace("*", "wildcard").replace("/", "_")
        save(stem, cert, key)
        _write(os.path.join(args.out, stem + "-chain.pem"),
               b"".join(crypto.dump_certificate(pem, c) for c in [cert] + chain))
        show(stem, cert)
        ext_text = [str(cert.get_extension(i))
                    for i in range(cert.get_extension_count())
                    if cert.get_extension(i).get_short_name() == b"subjectAltName"]
        if ext_text:
            print(f"{'':<18} subjectAltName: {ext_text[0]}")
        if args.pkcs12:
            p12 = crypto.PKCS12()
            p12.set_certificate(cert)
            p12.set_privatekey(key)
            p12.set_ca_certificates(chain + [ca])
            p12.set_friendlyname(name.encode())
            passphrase = args.passphrase.encode() if args.passphrase else None
            path = os.path.join(args.out, stem + ".p12")
            _write(path, p12.export(passphrase), private=True)
            print(f"{stem + '.p12':<18} PKCS#12 bundle of key, certificate and chain")
    return 0


# ---- verify ----------------------------------------------------------------


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}")


def _load_pem_certs(path):
    """Every certificate in a PEM file (at least one)."""
    from OpenSSL import crypto

    data = _read(path)
    marker = b"-----BEGIN CERTIFICATE-----"
    blocks = [marker + part for part in data.split(marker)[1:]]
    if not blocks:
        try:
            return [crypto.load_certificate(crypto.FILETYPE_ASN1, data)]
        except crypto.Error:
            raise CommandError(f"{path}: no certificate found")
    try:
        return [crypto.load_certificate(crypto.FILETYPE_PEM, b) for b in blocks]
    except crypto.Error as exc:
        raise CommandError(f"{path}: bad certificate: {_reason(exc)}")


def _reason(exc):
    """The most useful line of an OpenSSL error queue."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], list) and args[0]:
        entry = args[0][-1]
        if isinstance(entry, tuple) and len(entry) == 3:
            return entry[2] or entry[0]
    return str(exc)


def _describe(cert):
    subject = ", ".join(f"{k.decode()}={v.decode(errors='replace')}"
                        for k, v in cert.get_subject().get_components())
    return subject or "(empty subject)"


_PURPOSES = {
    "sslserver": "SSL_SERVER", "sslclient": "SSL_CLIENT",
    "smimesign": "SMIME_SIGN", "smimeencrypt": "SMIME_ENCRYPT",
    "crlsign": "CRL_SIGN", "any": "ANY", "ocsphelper": "OCSP_HELPER",
    "timestampsign": "TIMESTAMP_SIGN",
}


def _parse_time(text):
    try:
        if text.isdigit():
            return datetime.datetime.fromtimestamp(int(text), datetime.timezone.utc)
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"bad --at-time {text!r}: use ISO 8601 or seconds since 1970")
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when


def cmd_verify(args):
    from OpenSSL import crypto

    certs = _load_pem_certs(args.certificate)
    leaf, untrusted = certs[0], certs[1:]
    for path in args.untrusted or ():
        untrusted += _load_pem_certs(path)
    store = crypto.X509Store()
    if not args.cafile:
        store.set_default_paths()
    for path in args.cafile or ():
        for cert in _load_pem_certs(path):
            store.add_cert(cert)
    if args.host:
        store.set_host(args.host)
    if args.ip:
        try:
            store.set_ip(args.ip)
        except ValueError:
            raise CommandError(f"bad --ip {args.ip!r}")
    if args.email:
        store.set_email(args.email)
    if args.purpose:
        store.set_purpose(getattr(crypto.X509StorePurpose, _PURPOSES[args.purpose]))
    if args.at_time:
        store.set_time(_parse_time(args.at_time))
    if args.partial_chain:
        store.set_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)

    context = crypto.X509StoreContext(store, leaf, untrusted or None)
    try:
        chain = context.get_verified_chain()
    except crypto.X509StoreContextError as exc:
        print(f"{args.certificate}: FAILED")
        print(f"reason: {exc}")
        failing = getattr(exc, "certificate", None)
        if failing is not None:
            print(f"at: {_describe(failing)}")
        return 1
    print(f"{args.certificate}: OK")
    for depth, cert in enumerate(chain):
        print(f"  {depth}: {_describe(cert)}")
    return 0


# ---- connect ---------------------------------------------------------------


def _host_port(text, default_host=None):
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = default_host, text
    if host is None or not port.isdigit():
        raise CommandError(f"bad address {text!r}: use HOST:PORT")
    return host.strip("[]"), int(port)


def cmd_connect(args):
    from OpenSSL import SSL, crypto

    host, port = _host_port(args.address)
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    verdict = {}

    def remember(conn, cert, errnum, depth, ok):
        if not ok and "error" not in verdict:
            verdict["error"] = (errnum, depth)
        return True  # capture everything; the verdict is reported below

    if args.cafile:
        try:
            ctx.load_verify_locations(args.cafile)
        except SSL.Error as exc:
            raise CommandError(f"cannot load --cafile {args.cafile}: {_reason(exc)}")
    else:
        ctx.set_default_verify_paths()
    ctx.set_verify(SSL.VERIFY_PEER, remember)
    if args.alpn:
        ctx.set_alpn_protos([p.encode() for p in args.alpn.split(",")])
    try:
        sock = socket.create_connection((host, port), timeout=args.timeout)
    except OSError as exc:
        raise CommandError(f"cannot connect to {host}:{port}: {exc.strerror or exc}")
    # The TLS I/O runs on the descriptor: keep it blocking.
    sock.settimeout(None)
    conn = SSL.Connection(ctx, sock)
    servername = args.servername or host
    try:
        ipaddress.ip_address(servername)
    except ValueError:
        conn.set_tlsext_host_name(servername.encode("idna"))
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except SSL.Error as exc:
        raise CommandError(f"handshake with {host}:{port} failed: {_reason(exc)}")

    print(f"protocol: {conn.get_protocol_version_name()}")
    print(f"cipher:   {conn.get_cipher_name()} ({conn.get_cipher_bits()} bits)")
    alpn = conn.get_alpn_proto_negotiated() if args.alpn else b""
    print(f"alpn:     {alpn.decode() if alpn else '(none)'}")
    print("peer chain:")
    for depth, cert in enumerate(conn.get_peer_cert_chain() or []):
        print(f"  {depth}: {_describe(cert)}")
        print(f"     issuer: {', '.join(k.decode() + '=' + v.decode(errors='replace') for k, v in cert.get_issuer().get_components())}")
    status = 0
    if "error" in verdict:
        errnum, depth = verdict["error"]
        reason = crypto.X509_verify_cert_error_string(errnum) \
            if hasattr(crypto, "X509_verify_cert_error_string") else str(errnum)
        print(f"verification: FAILED at depth {depth}: {reason}")
        status = 0 if args.insecure else 1
    else:
        host_ok = _check_host(conn.get_peer_certificate(), servername)
        if host_ok:
            print("verification: OK")
        else:
            print(f"verification: FAILED: certificate does not match {servername}")
            status = 0 if args.insecure else 1
    try:
        conn.shutdown()
    except SSL.Error:
        pass
    conn.close()
    return status


def _check_host(cert, name):
    """Does *cert* name *name* (host or IP)?  Uses OpenSSL's own matching."""
    from OpenSSL import crypto

    store = crypto.X509Store()
    try:
        ipaddress.ip_address(name)
        store.set_ip(name)
    except ValueError:
        store.set_host(name)
    store.set_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)
    store.add_cert(cert)
    try:
        crypto.X509StoreContext(store, cert).verify_certificate()
    except crypto.X509StoreContextError:
        return False
    return True


# ---- serve -----------------------------------------------------------------


def cmd_serve(args):
    from OpenSSL import SSL, crypto

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    if args.cert:
        try:
            ctx.use_certificate_chain_file(args.cert)
            ctx.use_privatekey_file(args.key or args.cert)
            ctx.check_privatekey()
        except SSL.Error as exc:
            raise CommandError(f"cannot use {args.cert}: {_reason(exc)}")
    else:
        key = _new_key("ec", 0, "prime256v1")
        cert = make_certificate("localhost", key, sans=["localhost", "127.0.0.1", "::1"])
        ctx.use_privatekey(key)
        ctx.use_certificate(cert)
        print("certificate made on the fly for localhost, sha256 "
              + cert.digest("sha256").decode())
    if args.client_auth:
        if not args.cafile:
            raise CommandError("--client-auth needs --cafile")
        ctx.load_verify_locations(args.cafile)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    if args.alpn:
        ours = [p.encode() for p in args.alpn.split(",")]

        def select(conn, offered):
            # the server's preference order; no overlap refuses the handshake
            for proto in ours:
                if proto in offered:
                    return proto
            return SSL.NO_OVERLAPPING_PROTOCOLS

        ctx.set_alpn_select_callback(select)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((args.host, args.port))
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    listener.listen(16)
    print(f"listening on {args.host}:{listener.getsockname()[1]}", flush=True)

    def handle(sock, addr):
        conn = SSL.Connection(ctx, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
            peer = conn.get_peer_certificate()
            who = _describe(peer) if peer is not None else "no client certificate"
            alpn = conn.get_alpn_proto_negotiated()
            alpn = f" alpn={alpn.decode()}" if alpn else ""
            print(f"{addr[0]}:{addr[1]} {conn.get_protocol_version_name()} "
                  f"{conn.get_cipher_name()}{alpn} {who}", flush=True)
            while True:
                data = conn.recv(16384)
                conn.sendall(data)
        except (SSL.ZeroReturnError, SSL.SysCallError):
            pass
        except SSL.Error as exc:
            print(f"{addr[0]}:{addr[1]} error: {_reason(exc)}", flush=True)
        finally:
            try:
                conn.shutdown()
            except SSL.Error:
                pass
            sock.close()

    served = 0
    try:
        while args.count == 0 or served < args.count:
            sock, addr = listener.accept()
            served += 1
            worker = threading.Thread(target=handle, args=(sock, addr), daemon=True)
            worker.start()
            if args.count and served >= args.count:
                worker.join()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    return 0


# ---- info ------------------------------------------------------------------


def info_lines():
    import platform

    import OpenSSL
    from OpenSSL import SSL

    lines = [
        f"OpenSSL (package): {OpenSSL.__version__} at {os.path.dirname(OpenSSL.__file__)}",
        f"OpenSSL (linked):  {SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode()}",
        f"  number:          {SSL.OPENSSL_VERSION_NUMBER:#x}",
        f"  built with:      {SSL.OpenSSL_version(SSL.OPENSSL_CFLAGS).decode()}",
        f"  platform:        {SSL.OpenSSL_version(SSL.OPENSSL_PLATFORM).decode()}",
        f"  directory:       {SSL.OpenSSL_version(SSL.OPENSSL_DIR).decode()}",
    ]
    try:
        import cryptography
        lines.append(f"cryptography:      {cryptography.__version__}")
    except ImportError:
        lines.append("cryptography:      not installed (optional)")
    lines.append(f"Python:            {sys.version.splitlines()[0]}")
    lines.append(f"Platform:          {platform.platform()}")
    return lines


def cmd_info(args):
    print("\n".join(info_lines()))
    return 0


# ---- main ------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    parser = _Parser(prog="python -m OpenSSL",
                     description="Certificates and TLS with OpenSSL.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("certgen", help="make a CA, intermediates and leaf certificates",
                       description="Make a CA, optional intermediates and leaf "
                                   "certificates with subjectAltNames.")
    p.add_argument("--out", "-o", default="certs", help="output directory (default: certs)")
    p.add_argument("--key-type", choices=("rsa", "ec", "ed25519"), default="ec")
    p.add_argument("--bits", type=int, default=2048, help="RSA key size (default 2048)")
    p.add_argument("--curve", default="prime256v1", help="EC curve (default prime256v1)")
    p.add_argument("--days", type=int, default=365, help="leaf validity in days")
    p.add_argument("--ca-name", default="Example Root CA", help="CA common name")
    p.add_argument("--intermediates", type=int, default=1, help="how many intermediates (default 1)")
    p.add_argument("--leaf", action="append", default=None,
                   help="leaf common name (repeatable; default localhost)")
    p.add_argument("--san", action="append",
                   help="subjectAltName entry: a host name, IP, e-mail or TYPE:value (repeatable)")
    p.add_argument("--pkcs12", action="store_true", help="also write LEAF.p12")
    p.add_argument("--passphrase", help="passphrase for the PKCS#12 bundle")
    p.set_defaults(func=cmd_certgen)

    p = sub.add_parser("verify", help="verify a certificate chain",
                       description="Verify a certificate (and the chain after it in "
                                   "the same file) against CA files.")
    p.add_argument("certificate", help="PEM file: leaf first, then any intermediates")
    p.add_argument("--cafile", action="append", help="trusted CA PEM file (repeatable)")
    p.add_argument("--untrusted", action="append", help="more intermediates (repeatable)")
    p.add_argument("--host", help="check the certificate names this host")
    p.add_argument("--ip", help="check the certificate names this IP address")
    p.add_argument("--email", help="check the certificate names this e-mail address")
    p.add_argument("--purpose", choices=sorted(_PURPOSES))
    p.add_argument("--at-time", help="verify as of this time (ISO 8601 or epoch seconds)")
    p.add_argument("--partial-chain", action="store_true",
                   help="accept a chain ending in any trusted certificate")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("connect", help="connect to a TLS server and show what it sends",
                       description="Connect to HOST:PORT, show protocol, cipher, ALPN, "
                                   "the peer's chain and the verification result.")
    p.add_argument("address", metavar="HOST:PORT")
    p.add_argument("--servername", help="SNI name and name to verify (default: HOST)")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to offer")
    p.add_argument("--cafile", help="trusted CA PEM file (default: system store)")
    p.add_argument("--insecure", action="store_true",
                   help="report a failed verification but exit 0")
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser("serve", help="a TLS echo server on loopback for testing",
                       description="A TLS echo server; makes a certificate on the fly "
                                   "unless --cert is given.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4433)
    p.add_argument("--cert", help="PEM certificate chain file")
    p.add_argument("--key", help="PEM private key file (default: in --cert)")
    p.add_argument("--client-auth", action="store_true", help="require a client certificate")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to accept, in order of preference")
    p.add_argument("--cafile", help="CA file for client certificates")
    p.add_argument("--count", type=int, default=0,
                   help="exit after this many connections (default: run until ^C)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("info", help="package, OpenSSL and Python versions",
                       description="Print the package, OpenSSL and Python versions "
                                   "and build flags.")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) == "certgen":
        if args.leaf is None:
            args.leaf = ["localhost"]
        if args.bits < 1024 or args.intermediates < 0 or args.days <= 0:
            parser.exit(2, "python -m OpenSSL certgen: error: --bits must be at least "
                           "1024, --intermediates and --days positive\n")
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"python -m OpenSSL {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an OpenSSL failure: one line, not a traceback
        from OpenSSL import SSL, crypto

        if isinstance(exc, (crypto.Error, SSL.Error, ValueError, TypeError, OSError)):
            print(f"python -m OpenSSL {args.command}: error: {_reason(exc)}",
                  file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())

"""Demo: make the keys of a small PKI (grown into full certificates as
OpenSSL.crypto's X509 lands)."""
import os
import sys

from OpenSSL import crypto


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, kind, size in (("ca", crypto.TYPE_RSA, 2048),
                             ("intermediate", crypto.TYPE_EC, "prime256v1"),
                             ("leaf", crypto.TYPE_EC, "prime256v1")):
        key = crypto.PKey()
        key.generate_key(kind, size)
        path = os.path.join(outdir, name + ".key")
        with open(path, "wb") as f:
            f.write(crypto.dump_privatekey(crypto.FILETYPE_PEM, key))
        print(f"{name}: {key.bits()}-bit key -> {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-out")

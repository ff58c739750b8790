"""Compare the built package with the public API lists of pyOpenSSL.

    python tools/api_check.py [--lists DIR]

Reads api-26.4.txt (current pyOpenSSL) and api-0.13.txt (the last C
version) and prints every module-level name, class, method and class
attribute of OpenSSL.crypto, OpenSSL.SSL and OpenSSL.rand that the built
package lacks.  Exit status 1 when something is missing.  test/test_api.py
runs the same check.
"""
import argparse
import importlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LISTS = os.path.join(HERE, "..", "..", "shared", "api")

# Names of the lists that OpenSSL 3 cannot provide, with the reason; the
# package leaves them out on purpose.
NOT_APPLICABLE = {
    ("OpenSSL.SSL", "SSLv2_METHOD"): "SSLv2 was removed from OpenSSL in 1.1.0",
    ("OpenSSL.SSL", "SSLv3_METHOD"): "OpenSSL 3 builds without SSLv3 methods",
    ("OpenSSL.rand", "screen"): "RAND_screen was Windows-only and is gone from OpenSSL 3",
    ("OpenSSL.SSL", "F"): "a typing TypeVar of pyOpenSSL's source, not API",
    ("OpenSSL.crypto", "PassphraseCallableT"): "a typing alias, not API",
}

MODULE_RE = re.compile(r"^module (OpenSSL(?:\.\w+)?)\s")
CLASS_RE = re.compile(r"^class (\w+)\(")
MEMBER_RE = re.compile(r"^    (?:classmethod |staticmethod |property |async )?(\w+)(?:\(| = )")
TOPLEVEL_RE = re.compile(r"^  (?:def )?([A-Za-z]\w*)(?:\(| = )")


def names_2604(text):
    """{module: {name or 'Class.member'}} from the 26.4 list."""
    out = {}
    module = cls = None
    for line in text.splitlines():
        m = MODULE_RE.match(line)
        if m:
            module, cls = m.group(1), None
            out.setdefault(module, set())
            continue
        if module is None:
            continue
        if line.startswith("-- "):
            cls = None
            continue
        m = CLASS_RE.match(line)
        if m:
            cls = m.group(1)
            out[module].add(cls)
            continue
        if cls:
            m = MEMBER_RE.match(line)
            if m and not m.group(1).startswith("_"):
                out[module].add(f"{cls}.{m.group(1)}")
            continue
        m = TOPLEVEL_RE.match(line)
        if m and not line.startswith("  [") and not m.group(1).startswith("_"):
            out[module].add(m.group(1))
    return out


CLASS_013_RE = re.compile(r"^-- class (\w+)")
SECTION_013_RE = re.compile(r"^module (OpenSSL\.\w+)\s")
CONST_LINE_RE = re.compile(r"^  (?:[a-z ]+:\s+)?([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*),?\s*(?:\(|$)")
CONT_LINE_RE = re.compile(r"^ {14}([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*),?\s*$")
FUNC_013_RE = re.compile(r"^  ([A-Za-z]\w*)\(")
CALL_RE = re.compile(r"(?:^|/\s*)([A-Za-z_]\w*)\(")
SKIP_013 = {"repr", "str", "attribute", "rich"}


def names_013(text):
    out = {}
    module = cls = None
    for line in text.splitlines():
        m = SECTION_013_RE.match(line)
        if m:
            module, cls = m.group(1), None
            out.setdefault(module, set())
            continue
        if module is None or line.startswith("="):
            continue
        m = CLASS_013_RE.match(line)
        if m:
            cls = m.group(1)
            out[module].add(cls)
            continue
        if line.startswith("-- "):
            cls = None
            continue
        if line.startswith("Threads and the GIL"):
            module = None
            continue
        if cls:
            if not line.startswith("    ") or line.strip().startswith("#"):
                continue
            body = line.split("#", 1)[0]
            for part in body.split(" / "):
                m = re.match(r"\s*([A-Za-z_]\w*)\(", part)
                if m and m.group(1) not in SKIP_013:
                    out[module].add(f"{cls}.{m.group(1)}")
            continue
        body = line.split("#", 1)[0]
        m = CONST_LINE_RE.match(body) or CONT_LINE_RE.match(body)
        if m and not FUNC_013_RE.match(body):
            for name in m.group(1).split(","):
                if name.strip():
                    out[module].add(name.strip())
            continue
        m = FUNC_013_RE.match(body)
        if m and not m.group(1).startswith("_"):
            out[module].add(m.group(1))
        # "  ZeroReturnError(Error), WantReadError(Error), ..." exception lines
        for exc in re.findall(r"(\w+Error)\(Error\)", body):
            out[module].add(exc)
    # Each 0.13 type was also exported as <Type>Type.
    for alias in ("X509", "X509Name", "X509Req", "X509Store", "X509Extension",
                  "PKey", "PKCS7", "PKCS12", "NetscapeSPKI"):
        out.setdefault("OpenSSL.crypto", set()).add(alias + "Type")
    for alias in ("Context", "Connection"):
        out.setdefault("OpenSSL.SSL", set()).add(alias + "Type")
    return out


def missing(lists_dir):
    wanted = {}
    for fname, parse in (("api-26.4.txt", names_2604), ("api-0.13.txt", names_013)):
        with open(os.path.join(lists_dir, fname), encoding="utf-8") as f:
            for module, names in parse(f.read()).items():
                wanted.setdefault(module, set()).update(names)
    result = []
    for module in ("OpenSSL.crypto", "OpenSSL.SSL", "OpenSSL.rand"):
        mod = importlib.import_module(module)
        for name in sorted(wanted.get(module, ())):
            if (module, name.split(".")[0]) in NOT_APPLICABLE or (module, name) in NOT_APPLICABLE:
                continue
            obj = mod
            for part in name.split("."):
                obj = getattr(obj, part, _MISSING)
                if obj is _MISSING:
                    result.append(f"{module}.{name}")
                    break
    return result, sum(len(v) for k, v in wanted.items()
                       if k in ("OpenSSL.crypto", "OpenSSL.SSL", "OpenSSL.rand"))


_MISSING = object()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", default=DEFAULT_LISTS)
    args = parser.parse_args(argv)
    gone, total = missing(args.lists)
    for name in gone:
        print("missing:", name)
    print(f"{total - len(gone)} of {total} names present")
    return 1 if gone else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(HERE, ".."))
    sys.exit(main())

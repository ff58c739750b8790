#!/usr/bin/env bash
# Run the downstream tests (test/downstream/): the real Twisted, urllib3,
# service_identity and certbot from PyPI, unchanged, on loopback.
#
#   tools/downstream.sh [pytest args]          against this package (built and
#                                              installed into .venv-downstream)
#   DOWNSTREAM_AGAINST=pyopenssl tools/downstream.sh
#                                              against pyOpenSSL itself, in
#                                              .venv-downstream-pyopenssl: the
#                                              reference that proves the tests
#
# DOWNSTREAM_VENV overrides the venv's path; PYTHON the interpreter that makes it.
# pyOpenSSL is never installed into the venv of our package: acme and certbot
# declare a dependency on it, so they are installed with --no-deps and their
# other dependencies are listed in test/downstream/requirements-nodeps.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

AGAINST=${DOWNSTREAM_AGAINST:-ours}
PYTHON=${PYTHON:-python3}
case "$AGAINST" in
    ours) VENV=${DOWNSTREAM_VENV:-.venv-downstream} ;;
    pyopenssl) VENV=${DOWNSTREAM_VENV:-.venv-downstream-pyopenssl} ;;
    *) echo "DOWNSTREAM_AGAINST must be 'ours' or 'pyopenssl', not '$AGAINST'" >&2; exit 2 ;;
esac
VENV=$(cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")
PY="$VENV/bin/python"
REQ="$ROOT/test/downstream"

if [ ! -f "$VENV/.ready" ] || [ "$REQ/requirements.txt" -nt "$VENV/.ready" ] \
        || [ "$REQ/requirements-nodeps.txt" -nt "$VENV/.ready" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip "setuptools>=77" wheel
    "$PY" -m pip install -q -r "$REQ/requirements.txt"
    "$PY" -m pip install -q --no-deps -r "$REQ/requirements-nodeps.txt"
    touch "$VENV/.ready"
fi

if [ "$AGAINST" = ours ]; then
    "$PY" -m pip uninstall -q -y pyOpenSSL >/dev/null 2>&1 || true
    # Built with warnings as errors, like `make build`, from a copy of the
    # checkout: pip builds in the source tree, and the checkout's build/ may
    # hold objects of another build (`make asan`) that must not be reused.
    SRC=$(mktemp -d)
    trap 'rm -rf "$SRC"' EXIT
    tar -C "$ROOT" --exclude=./.git --exclude='./.venv*' --exclude=./build \
        --exclude='*.so' --exclude='*.o' --exclude=__pycache__ \
        --exclude=./demo-out -cf - . | tar -C "$SRC" -xf -
    OSSL_WERROR=1 "$PY" -m pip install -q --no-deps --no-build-isolation \
        --force-reinstall "$SRC"
else
    "$PY" -m pip uninstall -q -y OpenSSL >/dev/null 2>&1 || true
    "$PY" -m pip install -q -r "$REQ/requirements-pyopenssl.txt"
fi

# Run pytest's console script, not `python -m pytest`: the latter puts the
# working directory (this checkout, with its own OpenSSL/) first on sys.path.
# OSSL_TEST_INSTALLED=1 keeps test/conftest.py from adding the checkout too.
export DOWNSTREAM_AGAINST="$AGAINST" OSSL_TEST_INSTALLED=1
"$VENV/bin/pytest" -p no:cacheprovider -q test/downstream "$@"

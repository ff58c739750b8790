#!/usr/bin/env bash
# The demo behind `make demo`: the installed package makes a small PKI,
# verifies the leaf's chain and serves it over TLS to its own client.
#   tools/demo.sh PYTHON OUTDIR
set -euo pipefail
PY=$1
OUT=$2
cd /tmp   # the installed package, not the checkout

echo "== python -m OpenSSL certgen: a root CA, an intermediate and a leaf"
"$PY" -m OpenSSL certgen --out "$OUT" --leaf localhost --san localhost \
    --san 127.0.0.1 --pkcs12 --passphrase demo

echo
echo "== python -m OpenSSL verify: the leaf's chain against the root"
"$PY" -m OpenSSL verify "$OUT/localhost-chain.pem" --cafile "$OUT/ca.pem" \
    --host localhost --purpose sslserver

echo
echo "== python -m OpenSSL serve / connect: a TLS 1.3 handshake on loopback"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$(mktemp)
"$PY" -m OpenSSL serve --port "$PORT" --cert "$OUT/localhost-chain.pem" \
    --key "$OUT/localhost.key" --count 1 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do
    grep -q listening "$LOG" && break
    sleep 0.1
done
"$PY" -m OpenSSL connect "127.0.0.1:$PORT" --servername localhost \
    --cafile "$OUT/ca.pem"
wait $SERVER

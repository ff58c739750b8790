#!/usr/bin/env bash
# The benchmark's fixed keys and certificates, made once with the openssl tool:
#   ec-key.pem  ec-cert.pem    ECDSA P-256 server (W1-ecdsa, W2, W3, W8, W9; W6 signs with the key)
#   rsa-key.pem rsa-cert.pem   RSA-2048 server (W1-rsa)
#   leaf.pem                   a CA-issued RSA-2048 leaf with six extensions (W4, W4b, W5)
set -euo pipefail
dir=$1
[ -f "$dir/leaf.pem" ] && exit 0
mkdir -p "$dir"
cd "$dir"
days=3650
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout ec-key.pem -out ec-cert.pem -subj /CN=bench.example.com -days $days 2>/dev/null
openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 \
    -keyout rsa-key.pem -out rsa-cert.pem -subj /CN=bench.example.com -days $days 2>/dev/null
openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -keyout ca-key.pem -out ca-cert.pem \
    -subj "/C=US/O=Bench Authority/CN=Bench Issuing CA" -days $days 2>/dev/null
cat > leaf.cnf <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:bench.example.com, DNS:www.bench.example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout leaf-key.pem \
    -subj "/C=US/O=Bench Org/CN=bench.example.com" 2>/dev/null |
    openssl x509 -req -CA ca-cert.pem -CAkey ca-key.pem -sha256 -days 825 \
        -set_serial 0x3a1f5c7e9b2d4f60718293a4b5c6d7e8 -extfile leaf.cnf -out leaf.pem.tmp 2>/dev/null
mv leaf.pem.tmp leaf.pem

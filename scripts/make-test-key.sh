#!/usr/bin/env bash
# Creates a throw-away payload signing key pair and certificate, for tests and
# for trying livepatch-sign. Never use these keys to sign anything you ship.
#
#   scripts/make-test-key.sh [--bits N] OUTDIR
#
# Writes into OUTDIR:
#   signing_key.pem   RSA private key (default 2048 bits), PKCS#8 PEM, mode 0600
#   signing_cert.pem  self-signed X.509 certificate for it, with a
#                     subjectKeyIdentifier (for `livepatch-sign --key-id ski`)
#   signing_cert.der  the same certificate in DER (what sign-file reads)
#   verify_key.pem    the public key (SubjectPublicKeyInfo PEM): what the
#                     in-tree hypervisor embeds to check .note.Xen.signature,
#                     as Xen's CONFIG_PAYLOAD_VERIFY_KEY does
#
# The certificate follows the shape of Linux's and livepatch-build-tools'
# x509.genkey: CA:FALSE, digitalSignature, SKI and AKI, SHA-256.
set -euo pipefail

bits=2048
if [[ ${1:-} == --bits ]]; then
  bits=${2:?--bits needs a number}
  shift 2
fi
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  [[ $# -eq 1 ]] && exit 0 || exit 1
fi
out=$1
mkdir -p "$out"

config=$(mktemp)
trap 'rm -f "$config"' EXIT
cat >"$config" <<'CONF'
[ req ]
distinguished_name = dn
prompt = no
string_mask = utf8only
x509_extensions = extensions

[ dn ]
O = xen-livepatch-tools
CN = Throw-away live-patch test signing key

[ extensions ]
basicConstraints = critical,CA:FALSE
keyUsage = digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CONF

key=$out/signing_key.pem
# The key is created under umask 077, so it is never readable by others,
# not even for a moment.
(umask 077 && openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$key")
chmod 600 "$key"
openssl req -new -x509 -utf8 -sha256 -days 36500 -batch -config "$config" \
  -key "$key" -out "$out/signing_cert.pem"
openssl x509 -in "$out/signing_cert.pem" -outform DER -out "$out/signing_cert.der"
openssl pkey -in "$key" -pubout -out "$out/verify_key.pem"
chmod 644 "$out/signing_cert.pem" "$out/signing_cert.der" "$out/verify_key.pem"
echo "$out: signing_key.pem signing_cert.pem signing_cert.der verify_key.pem (RSA-$bits)"

#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# policy-sign.sh KEYGATE: the documented openssl command line (keygate(8),
# keygate-policy(5)) and `keygate policy sign` make the same signature, byte
# for byte; `keygate policy check|show --anchor` call it valid for its
# signer, and invalid for another anchor, a changed policy, or garbage.
set -u
keygate=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v openssl >/dev/null || fail "openssl is not installed (scripts/install-deps.sh installs it)"

cd "$dir" || exit 1
for who in signer other; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.pem" \
		-subj "/CN=keygate $who" -days 2 2>/dev/null || fail "openssl req ($who)"
done
mkdir policy
cat >policy/policy.yaml <<'YAML'
keygate: 1
policy: {name: signed-cli, version: 3, mode: enforce}
rules:
  - {name: tmp, operations: [exec], paths: [/tmp/], require: deny}
YAML

# The documented command lines.
"$keygate" policy compile policy --signed-part -o policy.kgp >/dev/null || fail "compile --signed-part"
openssl cms -sign -binary -noattr -md sha256 -outform DER \
	-signer signer.pem -inkey signer.key -in policy.kgp -out openssl.sig || fail "openssl cms -sign"
"$keygate" policy sign policy --key signer.key --cert signer.pem -o policy/policy.sig >/dev/null ||
	fail "keygate policy sign"
cmp -s openssl.sig policy/policy.sig || fail "keygate policy sign differs from openssl cms -sign"
echo "ok: keygate policy sign = openssl cms -sign -binary -noattr -md sha256 -outform DER"

# The signed part does not depend on where the policy was compiled from.
mkdir elsewhere && cp policy/policy.yaml elsewhere/policy.yaml
"$keygate" policy compile elsewhere --signed-part -o elsewhere.kgp >/dev/null || fail "compile elsewhere"
cmp -s policy.kgp elsewhere.kgp || fail "the signed part depends on the policy's directory"
"$keygate" policy compile policy -o full.kgp >/dev/null || fail "compile"
cmp -s policy.kgp full.kgp && fail "the full blob should carry a trailer after the signed part"

out=$("$keygate" policy check policy --anchor signer.pem) || fail "check with the signer's anchor: $out"
grep -q "signature policy/policy.sig: valid, signer CN=keygate signer, anchor signer.pem" <<<"$out" ||
	fail "check does not report the valid signature: $out"
json=$("$keygate" -j policy show policy --anchor signer.pem) || fail "show -j"
python3 -c 'import json,sys; s=json.loads(sys.argv[1])["signature"]; assert s["valid"] is True and s["signer"]=="CN=keygate signer" and s["anchor"]=="signer.pem", s' "$json" ||
	fail "show -j signature: $json"
echo "ok: check and show report signer, valid, anchor"

out=$("$keygate" policy check policy --anchor other.pem) && fail "another anchor accepted: $out"
grep -q "invalid.*not a certificate of other.pem" <<<"$out" || fail "other anchor: $out"
sed -i 's/version: 3/version: 4/' policy/policy.yaml
out=$("$keygate" policy check policy --anchor signer.pem) && fail "a changed policy accepted: $out"
grep -q "invalid.*does not cover this policy" <<<"$out" || fail "changed policy: $out"
head -c 100 /dev/urandom >policy/policy.sig
out=$("$keygate" -j policy check policy --anchor signer.pem) && fail "garbage accepted: $out"
python3 -c 'import json,sys; s=json.loads(sys.argv[1])["signature"]; assert s["valid"] is False and "PKCS#7" in s["error"], s' "$out" ||
	fail "garbage signature: $out"
rm policy/policy.sig
out=$("$keygate" policy check policy) || fail "unsigned policy check: $out"
grep -q "^signature none (unsigned" <<<"$out" || fail "unsigned policy: $out"
echo "ok: other anchor, changed policy, garbage signature are invalid (exit 1); unsigned says so"

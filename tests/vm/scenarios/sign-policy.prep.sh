#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# sign-policy (host side): policies signed with the documented openssl
# command line (keygate(8), POLICY SIGNING), one directory each:
#   v2        deny exec under bin/ (rule strict-v2), signed by polsign
#   v3        the same as rule strict-v3, version 3, signed by polsign
#   unsigned  allow exec there, version 9, no signature (the attack)
#   other     the same, signed by another key
#   tampered  v2 with one byte of the YAML changed, v2's signature
#   older     allow, version 1, signed by polsign
#   samever   allow, version 2 (as v2, another digest), signed by polsign
# and lib/libkg-inject.so, code root injects into keygate's executable.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

keygate=$KG_BUILD/cli/keygate
[ -x "$keygate" ] || kg_prep_die "keygate not built at $keygate"
kg_prep_key polsign
kg_prep_key other
kg_prep_copy "$(kg_prep_helper kg-true)" bin/prog
kg_prep_copy "$(kg_prep_helper libkg-inject.so)" lib/libkg-inject.so

# policy NAME VERSION REQUIRE RULE
policy() {
	mkdir -p "$KG_STAGE/$1"
	cat >"$KG_STAGE/$1/policy.yaml" <<YAML
keygate: 1
policy: {name: sign-policy, version: $2, mode: enforce, default: allow}
rules:
  - name: $4
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/]
    require: $3
YAML
}

# sign NAME KEY: the documented command lines, nothing keygate-specific
# but the compile.
sign() {
	"$keygate" policy compile "$KG_STAGE/$1" --signed-part -o "$KG_PREP_KEYS/$1.kgp" >/dev/null ||
		kg_prep_die "keygate policy compile --signed-part $1 failed"
	openssl cms -sign -binary -noattr -md sha256 -outform DER \
		-signer "$KG_STAGE/keys/$2.pem" -inkey "$KG_PREP_KEYS/$2.key" \
		-in "$KG_PREP_KEYS/$1.kgp" -out "$KG_STAGE/$1/policy.sig" ||
		kg_prep_die "openssl cms -sign $1 with $2 failed"
}

policy v2 2 deny strict-v2 && sign v2 polsign
policy v3 3 deny strict-v3 && sign v3 polsign
policy unsigned 9 allow open-door
policy other 9 allow open-door && sign other other
policy tampered 2 deny strict-v2 && cp "$KG_STAGE/v2/policy.sig" "$KG_STAGE/tampered/"
sed -i 's/name: strict-v2/name: strict-w2/' "$KG_STAGE/tampered/policy.yaml"
policy older 1 allow open-door && sign older polsign
policy samever 2 allow open-door && sign samever polsign

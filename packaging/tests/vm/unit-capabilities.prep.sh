#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# unit-capabilities (host side): the capability bounding set of the
# configured keygate.service as a setpriv argument and as the CapBnd mask the
# kernel should report; setpriv and its library for the guest; a signed, an
# unsigned verity and a non-verity copy of one program and an enforce policy.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

unit=$KG_BUILD/packaging/keygate.service
[ -f "$unit" ] || kg_prep_die "$unit not configured"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || kg_prep_die "$unit has no CapabilityBoundingSet="
bset=-all
for cap in $caps; do
	name=${cap#CAP_}
	bset="$bset,+$(echo "$name" | tr 'A-Z' 'a-z')"
done
echo "$bset" >"$KG_STAGE/bounding-set"
setpriv --bounding-set "$bset" -- sh -c 'sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status' \
	>"$KG_STAGE/bounding-mask" || kg_prep_die "setpriv --bounding-set $bset failed on the host"

mkdir -p "$KG_STAGE/tools"
cp /usr/bin/setpriv "$KG_STAGE/tools/"
for lib in $(ldd /usr/bin/setpriv | sed -n 's/.*=> \(\/[^ ]*libcap-ng[^ ]*\) .*/\1/p'); do
	cp -L "$lib" "$KG_STAGE/tools/"
done
cp "$KG_SRC/tests/vm/scenarios/enforce-lib.sh" "$KG_STAGE/"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_variant "$true_bin" bin/unsigned x
kg_prep_sign bin/signed org
kg_prep_verity bin/unsigned

{
	kg_prep_policy_head unit-capabilities enforce
	kg_prep_signed_rule bin exec "$KG_GUEST_DATA/bin/" "log: all"
} >"$KG_STAGE/enforce.yaml"

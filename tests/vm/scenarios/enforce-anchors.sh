# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-anchors: a certificate file, an existing user keyring (by serial
# and by description) and the kernel's builtin keyring as trust anchors.
# Each directory holds a program signed by "org" and one signed by "other".
#
# The builtin keyring has no positive case: its only key is the kernel
# build's ephemeral module-signing key, whose private half no longer
# exists, so nothing can carry an fs-verity signature it trusts.
. /kg/scenarios/enforce-lib.sh
kge_setup

kg-keyring newring kg-anchors-ring >"$KG_OUT/ring.out" || kg_fail "keyring: $(cat "$KG_OUT/ring.out")"
ring=$(sed -n 's/^serial=//p' "$KG_OUT/ring.out")
kg-keyring addcert "$ring" "$KG_DATA/keys/org.der" >"$KG_OUT/key.out" ||
	kg_fail "adding org.der to keyring $ring: $(cat "$KG_OUT/key.out")"
kg_log "keyring kg-anchors-ring is $ring"
sed "s/@RING@/$ring/" "$KG_DATA/policy.yaml.in" >"$KG_OUT/policy.yaml"
kge_start "$KG_OUT/policy.yaml"

for dir in cert ring ring-name; do
	case $dir in
	cert) rule=by-cert anchor=org-cert ;;
	ring) rule=by-ring anchor=org-ring ;;
	ring-name) rule=by-ring-name anchor=org-ring-name ;;
	esac
	kge_expect ok kg-exec "$KG_DATA/$dir/org"
	kg_expect_event op=exec verdict=allow reason=verified rule=$rule anchor=$anchor path="$KG_DATA/$dir/org"
	kge_expect errno:EPERM kg-exec "$KG_DATA/$dir/other"
	kg_expect_event op=exec verdict=deny reason=unknown-signer rule=$rule path="$KG_DATA/$dir/other"
done

# Neither test key is in the builtin keyring.
for f in org other; do
	kge_expect errno:EPERM kg-exec "$KG_DATA/builtin/$f"
	kg_expect_event op=exec verdict=deny reason=unknown-signer rule=by-builtin path="$KG_DATA/builtin/$f"
done

# Fail closed: with its keyring revoked, the anchor verifies nothing, and
# the reason says the keyring is unusable (not that the signature is bad).
keyctl revoke "$ring" || kg_fail "keyctl revoke $ring failed"
kge_expect errno:EPERM kg-exec "$KG_DATA/ring/late"
kg_expect_event op=exec verdict=deny rule=by-ring path="$KG_DATA/ring/late"
kg_expect_event op=exec verdict=deny reason=keyring-gone rule=by-ring path="$KG_DATA/ring/late"

kg_stop_agent
kg_pass

# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-overlay: a signed program in an fs-verity lower layer, seen
# through an overlayfs mount (every container runtime does this). The
# programs see the overlay's inode, which has no fs-verity, and cannot
# reach the real file behind it on these kernels: a `signed` rule refuses
# every overlay file with reason overlay, the lower file itself still
# passes, and a copy-up (the attack: modify the file in the container) is
# refused the same way.
# kg-timeout: 300
. /kg/scenarios/enforce-lib.sh
kge_setup
lower=$KG_DATA/lower
merged=$KG_DATA/merged
/usr/sbin/modprobe overlay 2>/dev/null
mkdir -p /tmp/kg-overlay/upper /tmp/kg-overlay/work
mount -t overlay overlay -o "lowerdir=$lower,upperdir=/tmp/kg-overlay/upper,workdir=/tmp/kg-overlay/work" \
	"$merged" || kg_fail "cannot mount overlayfs on $merged"

# Control, no agent: the program runs through the overlay.
kge_expect ok kg-exec "$merged/bin/app"

kge_start "$KG_DATA/policy.yaml"
kge_expect ok kg-exec "$lower/bin/app"
kg_expect_event op=exec verdict=allow reason=verified rule=layers anchor=org path="$lower/bin/app"
kge_expect errno:EPERM kg-exec "$merged/bin/app"
kg_expect_event op=exec verdict=deny reason=overlay rule=layers path="$merged/bin/app"

# Copy-up: appending in the container gives an upper file without fs-verity.
printf 'x' >>"$merged/bin/app" || kg_fail "cannot modify $merged/bin/app (copy-up)"
[ -f /tmp/kg-overlay/upper/bin/app ] || kg_fail "no copy-up in the upper layer"
before=$(kg_count_events op=exec verdict=deny reason=overlay path="$merged/bin/app")
kge_expect errno:EPERM kg-exec "$merged/bin/app"
kg_wait_count() {
	_i=0
	while [ "$(kg_count_events "$@")" -le "$before" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 50 ] && kg_fail "no new decision with $* after the copy-up"
		sleep 0.2
	done
	kg_log "new event after the copy-up: $*"
}
kg_wait_count op=exec verdict=deny reason=overlay rule=layers path="$merged/bin/app"
kg_stop_agent
umount "$merged"
kg_pass

# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-rulecache: a file's scope follows where the file is, at once.
# Each file is first used (twice) where no rule covers it, then moved into
# the covered directory by mv, ln or a renamed parent directory; its next
# use must be decided by the covered rule. A hard link is decided by the
# directory of the link used. A chroot does not move a file out of its
# scope: /busybox inside a jail under the covered directory is covered.
. /kg/scenarios/enforce-lib.sh
kge_setup
kge_start "$KG_DATA/policy.yaml"
out=$KG_DATA/outside
cov=$KG_DATA/covered

# A decision from a cached resolution: allowed, event with the path.
kge_expect ok kg-exec "$cov/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=protected path="$cov/signed"
kge_expect ok kg-exec "$cov/signed"
kg_expect_event op=exec verdict=allow reason=cache-hit rule=protected path="$cov/signed"

# Renamed into the covered directory.
kge_expect ok kg-exec "$out/renamed"
kge_expect ok kg-exec "$out/renamed"
mv "$out/renamed" "$cov/renamed" || kg_fail "mv renamed"
kge_expect errno:EPERM kg-exec "$cov/renamed"
kg_expect_event op=exec verdict=deny reason=not-verity rule=protected path="$cov/renamed"
kge_expect errno:EPERM kg-exec "$cov/renamed"
# ... and back out: allowed again.
mv "$cov/renamed" "$out/renamed-back" || kg_fail "mv renamed back"
kge_expect ok kg-exec "$out/renamed-back"

# open_read of a file renamed into the directory covered for reading.
kg_expect_ok cat "$out/read-me"
kg_expect_ok cat "$out/read-me"
mv "$out/read-me" "$cov/secret/read-me" || kg_fail "mv read-me"
kg_expect_errno EPERM cat "$cov/secret/read-me"
kg_expect_event op=open_read verdict=deny reason=not-verity rule=secret path="$cov/secret/read-me"

# A hard link into the covered directory; the old name stays uncovered.
kge_expect ok kg-exec "$out/linked"
kge_expect ok kg-exec "$out/linked"
ln "$out/linked" "$cov/linked" || kg_fail "ln linked"
kge_expect errno:EPERM kg-exec "$cov/linked"
kg_expect_event op=exec verdict=deny reason=not-verity rule=protected path="$cov/linked"
kge_expect ok kg-exec "$out/linked"
kge_expect errno:EPERM kg-exec "$cov/linked"

# The parent directory renamed into the covered tree.
kge_expect ok kg-exec "$out/dir/child"
kge_expect ok kg-exec "$out/dir/child"
mv "$out/dir" "$cov/dir" || kg_fail "mv dir"
kge_expect errno:EPERM kg-exec "$cov/dir/child"
kg_expect_event op=exec verdict=deny reason=not-verity rule=protected path="$cov/dir/child"

# chroot: inside the jail the program is /busybox, a path no rule names,
# but the file is under the covered directory: denied there too.
jail=$cov/jail
kge_expect errno:EPERM kg-userns 0 chroot "$jail" /busybox true
kg_expect_event op=exec verdict=deny reason=not-verity rule=protected path=/busybox
kg_log "exec of /busybox inside the chroot denied (scope bound to the file)"
kge_expect errno:EPERM kg-exec "$jail/busybox"
kg_expect_event op=exec verdict=deny reason=not-verity rule=protected path="$jail/busybox"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass

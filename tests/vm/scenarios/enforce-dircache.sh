# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 300
# enforce-dircache: a scope walk's result kept for a file (lsm/scope.bpf.h)
# never outlives a move of a directory above it or of the file. An
# unprivileged user (uid 1000) moves a directory holding an unsigned
# program into a `signed` scope, by rename and by RENAME_EXCHANGE, after the
# program ran from outside (its result kept): each time EPERM and a deny
# event of the rule. Renaming other files (here and on tmpfs) makes no kept
# result stale: decisions keep using it (keygate status counts kept and
# used results). A file moved into the scope is decided by its new
# directory, a hard link by the directory it was opened through. Control
# first: without keygate the moved program runs.
. /kg/scenarios/enforce-lib.sh
kge_setup
D=$KG_DATA
U=1000
out=$D/outside/u
drop=$D/covered/drop

# Control: the attack works without keygate.
kg_expect_ok kg-as $U mv "$out/a" "$drop/a"
kge_expect ok kg-exec "$drop/a/b/prog"
kg_expect_ok kg-as $U mv "$drop/a" "$out/a"

kge_start "$D/policy.yaml"
# kept_used: "KEPT USED" from keygate status.
kept_used() {
	keygate -j status | sed -n 's/.*"scope_results_kept":\([0-9]*\),"scope_results_used":\([0-9]*\).*/\1 \2/p'
}
[ -n "$(kept_used)" ] || { keygate -j status; kg_fail "keygate status has no scope_results_kept/used"; }
# exec_uses_kept WHEN FILE: FILE runs, deciding by its kept result (no
# walk kept anew, one more result used).
exec_uses_kept() {
	set -- "$1" "$2" $(kept_used)
	kge_expect ok kg-exec "$2"
	set -- "$@" $(kept_used)
	[ "$5" = "$3" ] && [ "$6" -gt "$4" ] ||
		kg_fail "$1, the exec kept $(($5 - $3)) and used $(($6 - $4)) results; expected 0 and at least 1"
	kg_log "$1: the kept result of $2 used"
}
kge_expect ok kg-exec "$D/covered/signed"

# Outside the scope: the first exec keeps the result, the second uses it.
kge_expect ok kg-exec "$out/a/b/prog"
exec_uses_kept "a second exec of the same file" "$out/a/b/prog"

# Renames of other files, in the same file system and on tmpfs, leave it in use.
mkdir -p /tmp/dc
: >/tmp/dc/f
i=0
while [ $i -lt 20 ]; do
	mv /tmp/dc/f /tmp/dc/g && mv /tmp/dc/g /tmp/dc/f || kg_fail "tmpfs rename"
	kg-as $U mv "$out/c/prog2" "$out/c/prog2.moved" && kg-as $U mv "$out/c/prog2.moved" "$out/c/prog2" ||
		kg_fail "rename of a file in outside/u/c"
	i=$((i + 1))
done
exec_uses_kept "after 40 file renames" "$out/a/b/prog"

# The attack: the directory moved into the scope.
kg_expect_ok kg-as $U mv "$out/a" "$drop/a"
kge_expect errno:EPERM kg-exec "$drop/a/b/prog"
kg_expect_event op=exec verdict=deny reason=not-verity rule=covered path="$drop/a/b/prog"
kge_expect errno:EPERM kg-exec "$drop/a/b/prog"
kg_expect_ok kg-as $U mv "$drop/a" "$out/a"
kge_expect ok kg-exec "$out/a/b/prog"

# The same by exchanging it with a directory inside the scope.
kge_expect ok kg-exec "$out/a/b/prog"
kge_expect ok kg-as $U kg-exchange "$out/a" "$drop/x"
kge_expect errno:EPERM kg-exec "$drop/x/b/prog"
kg_expect_event op=exec verdict=deny reason=not-verity rule=covered path="$drop/x/b/prog"
kge_expect ok kg-as $U kg-exchange "$out/a" "$drop/x"
kge_expect ok kg-exec "$out/a/b/prog"

# A file moved into the scope, and one hard-linked out of it.
kge_expect ok kg-exec "$out/c/prog2"
kg_expect_ok kg-as $U mv "$out/c/prog2" "$drop/prog2"
kge_expect errno:EPERM kg-exec "$drop/prog2"
kg_expect_event op=exec verdict=deny reason=not-verity rule=covered path="$drop/prog2"
kg_expect_ok kg-as $U ln "$drop/prog2" "$out/c/prog3"
kge_expect ok kg-exec "$out/c/prog3"
kge_expect errno:EPERM kg-exec "$drop/prog2"

set -- $(kept_used)
kg_log "keygate status: $1 results kept, $2 used"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass

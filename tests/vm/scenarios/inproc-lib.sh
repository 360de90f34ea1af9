# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# inproc-lib.sh - runs one program of the in-process BPF tier
# (tests/vm/inproc) as a scenario, sourced after /kg/lib.sh. The program
# loads keygate itself, so no agent runs; its "kg: PASS|FAIL area/case"
# lines are the cases. It fails, never skips, when it cannot run.

# kgi_run PROGRAM: runs /usr/local/bin/PROGRAM on $KG_DATA; the scenario
# passes when every case passed. Whatever the program left pinned (it is
# guarded for the program's executable, which `keygate stop` is not) is
# removed by `PROGRAM --stop`.
kgi_run() {
	_prog=/usr/local/bin/$1
	[ -x "$_prog" ] || kg_fail "$1 is not in the guest (tests/vm/guest-tools.txt)"
	"$_prog" "$KG_DATA"
	_rc=$?
	"$_prog" --stop || kg_fail "$1 --stop could not end what it left pinned"
	[ "$_rc" = 0 ] || kg_fail "$1 exited with status $_rc"
	kg_pass
}

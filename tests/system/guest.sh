#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# guest.sh: the system tier inside a systemd-booted Debian 12 guest, run by
# kg-system.service from the per-run disk (/kgsys). Walks the administrator's
# path with the package exactly as built: install, enable --now, reload
# (good and bad policy), logrotate, restart, kill -9, signed policy, reboot
# (anti-rollback), remove, purge.
# Reports on the second serial port, one line each, for run-system.sh:
#   KGSYS PASS|FAIL NAME DETAIL     a checked step
#   KGSYS FIGURE KEY=VALUE...       a measurement
#   KGSYS DONE                      the walk is over (then power off)
# State across the reboot: /var/lib/kgsys/phase.
set -u
out=/dev/ttyS1
state=/var/lib/kgsys
pol=/etc/keygate/policy.yaml
covered=/opt/kgsys/kg-true
loop=/usr/local/lib/kgsys/gaploop.sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER=

say() { echo "KGSYS $*" >"$out"; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; }
check() { # check NAME DETAIL CMD...: PASS when CMD succeeds
	name=$1 detail=$2
	shift 2
	if "$@" >/tmp/kgsys-check.out 2>&1; then
		pass "$name $detail"
	else
		fail "$name $detail: $(tr '\n' ' ' </tmp/kgsys-check.out | cut -c1-300)"
	fi
}
ms() { echo $(($(date +%s%N) / 1000000)); }
adoptions() { keygate -j status 2>/dev/null | sed -n 's/.*"adoptions": *\([0-9]*\).*/\1/p'; }
gap_zero() { # gap_zero NAME WHAT COUNT: no unsigned exec got through
	if [ "$3" = 0 ]; then
		pass "$1 $2: 0 unsigned execs ran"
	else
		fail "$1 $2: $3 unsigned execs ran (enforcement must persist)"
	fi
}

# The covered unsigned program must fail with EPERM (dash reports the
# execve error as "Operation not permitted", status 126).
denied() {
	err=$("$covered" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] && echo "$err" | grep -q 'Operation not permitted'
}
runs() { "$covered" >/dev/null 2>&1; }
wait_for() { # wait_for SECONDS CMD...
	t=$1
	shift
	while [ "$t" -gt 0 ]; do
		"$@" && return 0
		sleep 1
		t=$((t - 1))
	done
	"$@"
}

# JSON log, journal and Linux audit each hold a deny of PATH.
logged_json() {
	cat /var/log/keygate/audit.log* 2>/dev/null | grep '"type":"decision"' |
		grep '"verdict":"deny"' | grep -q "\"path\":\"$1\""
}
logged_journal() {
	journalctl -u keygate.service -o verbose --no-pager 2>/dev/null |
		grep -q "KEYGATE_PATH=$1"
}
logged_audit() {
	ausearch -m MAC_CHECK --input-logs 2>/dev/null | grep -q "path=\"$1\""
}

gap_start() { # gap_start NAME: the paced loop of unsigned execs
	rm -rf "/run/kgsys/$1"
	mkdir -p "/run/kgsys/$1"
	"$loop" "/run/kgsys/$1" &
	gap_pid=$!
	sleep 1
}
gap_stop() { # gap_stop NAME: prints RAN (unsigned execs that got through)
	sleep 1
	touch "/run/kgsys/$1/stop"
	[ -n "${gap_pid:-}" ] && wait "$gap_pid" 2>/dev/null
	gap_pid=
	cut -d' ' -f1 "/run/kgsys/$1/count" 2>/dev/null || echo unknown
}

phase1() {
	mkdir -p "$state" /opt/kgsys /usr/local/lib/kgsys
	cp /kgsys/kg-true "$covered"
	cp /kgsys/gaploop.sh "$loop"
	chmod 755 "$covered" "$loop"
	# The kernel's config, as the linux-image package installs it (the probe reads it).
	cp /kgsys/config-* /boot/ 2>/dev/null

	check control-unsigned-runs "without keygate the unsigned $covered runs" runs

	cp /kgsys/keygate_*.deb /tmp/
	check apt-install "apt install ./keygate_*.deb (offline)" \
		apt-get install -y -q -o APT::Sandbox::User=root /tmp/keygate_*.deb
	check installed-disabled "the unit is installed, not enabled, not running" \
		sh -c '[ "$(systemctl is-enabled keygate)" = disabled ] && ! systemctl is-active -q keygate'
	check policy-check "keygate policy check /etc/keygate" keygate policy check /etc/keygate
	check probe "keygate probe" keygate probe

	# The administrator's policy: /opt/kgsys/ must be signed (enforce).
	mkdir -p /usr/local/share/kgsys
	cp /kgsys/kgsys.pem /usr/local/share/kgsys/kgsys.pem
	cp /kgsys/policy-v1.yaml "$pol"

	# A start that cannot enforce (an anchor keyring that does not exist)
	# is reported: JSON log, Linux audit, journal; the unit is not active.
	cp /kgsys/policy-broken.yaml "$pol"
	systemctl start --no-block keygate
	check failed-start-json "agent_start_failed in the JSON log" \
		wait_for 60 grep -q '"type":"agent_start_failed"' /var/log/keygate/audit.log
	check failed-start-audit "USER_MAC_STATUS op=agent_start_failed res=failed (ausearch)" \
		wait_for 15 sh -c 'ausearch -m USER_MAC_STATUS --input-logs 2>/dev/null | grep agent_start_failed | grep -q res=failed'
	check failed-start-journal "the agent's reason is in the journal" \
		sh -c 'journalctl -u keygate -o cat --no-pager | grep -q kgsys-no-such-keyring'
	check failed-start-inactive "the unit is not active" sh -c '! systemctl is-active -q keygate'
	systemctl stop keygate
	systemctl reset-failed keygate
	cp /kgsys/policy-v1.yaml "$pol"

	t0=$(ms)
	check enable-now "systemctl enable --now keygate returns 0" systemctl enable --now keygate
	t1=$(ms)
	# Type=notify: when enable --now returns the programs already enforce.
	check enforcing-at-return "a covered unsigned exec is denied (EPERM) as soon as start returns" denied
	t2=$(ms)
	wait_for 30 denied
	t3=$(ms)
	say "FIGURE start_ms=$((t1 - t0)) first_deny_ms=$((t3 - t0))"
	check active "systemctl is-active keygate" systemctl is-active -q keygate
	check json-log "the deny is in /var/log/keygate/audit.log" wait_for 15 logged_json "$covered"
	check journal "the deny is in the journal (journalctl -u keygate)" wait_for 15 logged_journal "$covered"
	check ausearch "the deny is a MAC_CHECK audit record (ausearch -m MAC_CHECK)" wait_for 15 logged_audit "$covered"
	check journal-agent-messages "the agent's own messages are in the journal" \
		sh -c 'journalctl -u keygate -o cat --no-pager | grep -q "keygate: enforcing policy kgsys version 1"'

	cp /kgsys/policy-v2.yaml "$pol"
	check reload-good "systemctl reload with a good policy returns 0" systemctl reload keygate
	check reload-good-applied "version 2 is in force (journal) and still denies" \
		sh -c 'journalctl -u keygate -o cat --no-pager | grep -q "enforcing policy kgsys version 2"'
	check reload-good-denies "still denied after the reload" denied

	cp /kgsys/policy-bad.yaml "$pol"
	if systemctl reload keygate >/tmp/kgsys-reload.out 2>&1; then
		fail "reload-bad-fails systemctl reload of a bad policy returned 0"
	else
		pass "reload-bad-fails systemctl reload of a bad policy fails"
	fi
	check reload-bad-journal "the file:line:col error is in the journal" \
		sh -c 'journalctl -u keygate -o cat --no-pager | grep -q "/etc/keygate/policy.yaml:[0-9]*:[0-9]*: error: unknown operation"'
	check reload-bad-keeps-active "the agent stays active after the rejected reload" \
		systemctl is-active -q keygate
	check reload-bad-keeps-old "the old policy still denies" denied
	cp /kgsys/policy-v2.yaml "$pol"
	check reload-restore "reload back to the good policy" systemctl reload keygate

	# logrotate -f loses nothing: 20 denials before, 20 after.
	cp "$covered" /opt/kgsys/kg-rot
	i=0
	while [ $i -lt 20 ]; do /opt/kgsys/kg-rot 2>/dev/null; i=$((i + 1)); done
	sleep 2
	check logrotate "logrotate -f /etc/logrotate.d/keygate" logrotate -f /etc/logrotate.d/keygate
	while [ $i -lt 40 ]; do /opt/kgsys/kg-rot 2>/dev/null; i=$((i + 1)); done
	n=0
	for t in 1 2 3 4 5 6 7 8 9 10; do
		n=$(zcat -f /var/log/keygate/audit.log* 2>/dev/null | grep '"type":"decision"' |
			grep -c '"path":"/opt/kgsys/kg-rot"')
		[ "$n" -ge 40 ] && break
		sleep 1
	done
	if [ "$n" -eq 40 ] && [ -e /var/log/keygate/audit.log.1 ]; then
		pass "logrotate-nothing-lost 40 of 40 decisions across audit.log and audit.log.1"
	else
		fail "logrotate-nothing-lost $n of 40 decisions found ($(ls /var/log/keygate | tr '\n' ' '))"
	fi

	# Enforcement outlives the agent (pinned in /sys/fs/bpf/keygate): a
	# restart, kill -9 and a package reinstall let no unsigned exec through,
	# and each new agent adopts the pinned state.
	gap_start restart
	t0=$(ms)
	check restart "systemctl restart keygate" systemctl restart keygate
	t1=$(ms)
	g=$(gap_stop restart)
	gap_zero gap-restart "systemctl restart" "$g"
	check restart-denies "denied after the restart" denied
	check restart-adopts "the restarted agent adopted the pinned state (journal)" \
		sh -c 'journalctl -u keygate -o cat --no-pager | grep -q "adopted the pinned state"'
	say "FIGURE gap_restart=$g restart_ms=$((t1 - t0))"

	gap_start kill9
	old=$(systemctl show -p MainPID --value keygate)
	adopted=$(adoptions)
	t0=$(ms)
	kill -9 "$old"
	# Once the killed agent is gone (its descriptors closed) and before
	# systemd starts another one (RestartSec=5s), the pinned programs
	# still deny.
	i=0
	while [ -e "/proc/$old" ] && [ $i -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	persists=no
	if denied; then
		now=$(systemctl show -p MainPID --value keygate)
		[ "$now" = 0 ] || [ "$now" = "$old" ] && persists=yes
	fi
	if [ "$persists" = yes ]; then
		pass "kill9-persists denied while no agent runs (pinned state in force)"
	else
		fail "kill9-persists the covered program was not denied with no agent running (pid now $(systemctl show -p MainPID --value keygate))"
	fi
	check kill9-restarted "systemd restarts the agent after kill -9" \
		wait_for 60 sh -c 'p=$(systemctl show -p MainPID --value keygate); [ "$p" != 0 ] && [ "$p" != '"$old"' ] && systemctl is-active -q keygate'
	t1=$(ms)
	g=$(gap_stop kill9)
	gap_zero gap-kill9 "kill -9 of the agent" "$g"
	check kill9-denies "denied after the restart" denied
	check kill9-adopts "the restarted agent adopted the pinned state (keygate status)" \
		sh -c '[ "$1" -gt "$2" ]' - "$(adoptions)" "$adopted"
	say "FIGURE gap_kill9=$g kill9_to_agent_ms=$((t1 - t0)) persists=$persists"

	# A reinstall is an upgrade to the same version: prerm upgrade, new
	# files (a new inode for /usr/sbin/keygate), postinst restart.
	gap_start reinstall
	old=$(systemctl show -p MainPID --value keygate)
	t0=$(ms)
	check reinstall "apt install --reinstall ./keygate_*.deb" \
		apt-get install -y -q --reinstall -o APT::Sandbox::User=root /tmp/keygate_*.deb
	t1=$(ms)
	g=$(gap_stop reinstall)
	gap_zero gap-reinstall "apt install --reinstall" "$g"
	check reinstall-new-agent "a new agent runs after the reinstall" \
		sh -c 'p=$(systemctl show -p MainPID --value keygate); [ "$p" != 0 ] && [ "$p" != '"$old"' ] && systemctl is-active -q keygate'
	check reinstall-denies "denied after the reinstall" denied
	say "FIGURE gap_reinstall=$g reinstall_ms=$((t1 - t0))"

	# Signed policies: a policy-signing anchor, then signed version 5. The
	# restarted agent seals the anchor in the kernel.
	cp /kgsys/policy-signer.pem /etc/keygate/policy-signer.pem
	echo cert:/etc/keygate/policy-signer.pem >/etc/keygate/policy-anchor
	cp /kgsys/policy-signed-v5.yaml "$pol"
	cp /kgsys/policy-signed-v5.sig /etc/keygate/policy.sig
	check signed-restart "systemctl restart keygate with an anchor and signed version 5" \
		systemctl restart keygate
	check signed-status "keygate status: signed, version 5 in force" \
		sh -c 'keygate status | grep -q "policy signing: *signed.*version 5,"'
	check signed-denies "denied under the signed policy" denied
	check signed-floor "/var/lib/keygate/policy-floor holds version 5" \
		grep -q "^version 5 digest " /var/lib/keygate/policy-floor

	# The reboot: the loop starts early in boot, before keygate.service.
	cat >/etc/systemd/system/kgsys-bootloop.service <<EOF
[Unit]
Description=unsigned execs from early boot on (keygate system tier)
DefaultDependencies=no
After=local-fs.target
Before=keygate.service

[Service]
ExecStart=$loop /run/kgsys/boot

[Install]
WantedBy=sysinit.target
EOF
	systemctl enable -q kgsys-bootloop.service
	echo 2 >"$state/phase"
	sync
	say "REBOOT"
	systemctl reboot
	exit 0
}

phase2() {
	# Read before disable: daemon-reload forgets an inactive, disabled unit.
	loop0=$(systemctl show -p ActiveEnterTimestampMonotonic --value kgsys-bootloop)
	systemctl disable -q kgsys-bootloop.service
	check boot-active "keygate.service is active after the reboot" wait_for 300 systemctl is-active -q keygate
	wait_for 30 denied
	g=$(gap_stop boot)
	check boot-denies "denied after the reboot" denied
	enf=$(systemctl show -p ActiveEnterTimestampMonotonic --value keygate)
	check boot-before-sysinit "keygate.service was active before sysinit.target" \
		sh -c '[ "$(systemctl show -p ActiveEnterTimestampMonotonic --value sysinit.target)" -ge '"$enf"' ]'
	say "FIGURE gap_reboot=$g boot_to_enforcing_ms=$((enf / 1000)) boot_window_ms=$(((enf - loop0) / 1000))"

	# Anti-rollback across the reboot: the new kernel state was sealed
	# from the floor file; signed version 4 is refused, version 5 stays.
	check boot-signed "after the reboot signed version 5 is in force, sealed again" \
		sh -c 'keygate status | grep -q "policy signing: *signed.*version 5,"'
	cp /kgsys/policy-signed-v4.yaml "$pol"
	cp /kgsys/policy-signed-v4.sig /etc/keygate/policy.sig
	check boot-rollback-refused "systemctl reload with signed version 4 fails" \
		sh -c '! systemctl reload keygate'
	check boot-rollback-json "the policy_reload record says rollback, with the signer" \
		wait_for 15 sh -c 'grep "\"type\":\"policy_reload\"" /var/log/keygate/audit.log |
			grep "kgsys policy signer" | grep -q "rejected: rollback"'
	# Fields with spaces are hex-encoded (audit_encode_nv_string).
	hex=$(printf 'rejected: rollback' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
	check boot-rollback-audit "a USER_MAC_POLICY_LOAD record says rollback (ausearch)" \
		wait_for 15 sh -c 'ausearch -m USER_MAC_POLICY_LOAD --input-logs 2>/dev/null |
			grep res=failed | grep -q "result=$1"' - "$hex"
	check boot-rollback-denies "denied: version 5 stays in force" denied
	rm -f /etc/keygate/policy-anchor /etc/keygate/policy.sig /etc/keygate/policy-signer.pem

	check apt-remove "apt remove keygate" apt-get remove -y -q keygate
	# Programs stay listed until their RCU grace periods end: allow a moment.
	check remove-stopped "the agent is gone and its programs unloaded" \
		wait_for 30 sh -c '! pgrep -x keygate && ! bpftool prog show | grep -q "name keygate_"'
	check remove-runs "the unsigned program runs again" runs
	check remove-unpinned "nothing of keygate's is left pinned in /sys/fs/bpf" \
		sh -c '! ls /sys/fs/bpf | grep -q "^keygate"'
	check remove-keeps-conf "remove keeps /etc/keygate and /var/log/keygate" \
		test -f /etc/keygate/policy.yaml -a -d /var/log/keygate
	check apt-purge "apt purge keygate" apt-get purge -y -q keygate
	check purge-clean "purge removes /etc/keygate and /var/log/keygate" \
		sh -c '! dpkg -s keygate 2>/dev/null | grep -q "^Status: install" && [ ! -e /etc/keygate ] && [ ! -e /var/log/keygate ]'
	say "DONE"
	sync
	systemctl poweroff
}

mkdir -p "$state"
if [ "$(cat "$state/phase" 2>/dev/null)" = 2 ]; then
	phase2
else
	phase1
fi

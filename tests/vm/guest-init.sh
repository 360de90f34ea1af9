#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# guest-init.sh - /init of the VM tier's initramfs (busybox sh). Mounts the
# usual filesystems and the data disk, then runs every scenario listed in
# /kg/batch (lines "NAME TIMEOUT") one after another, each in its own shell
# with its own timeout, output captured to /tmp/kg/NAME.log. For each it
# prints on the serial console:
#   KG-RESULT NAME PASS | FAIL reason | SKIP feature
# preceded by its captured output between KG-LOG-BEGIN/END lines.
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmp /tmp
mkdir -p /dev/pts /dev/shm /tmp/kg /data /run /var/log/keygate /var/tmp /etc/keygate
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
hostname keygate-vm

echo "KG-BOOTED $(uname -r)"
# Modules come compressed; the kernel decompresses them (MODULE_DECOMPRESS).
# No udev here to load drivers by modalias: the disk needs virtio_pci (a
# module in 6.1's cloud kernel, built in from 6.12 on; 7.x's package has no
# modules.builtin, so modprobe fails for it there) and virtio_blk.
modprobe_errors=
for m in virtio_pci virtio_blk; do
	/usr/sbin/modprobe "$m" 2>/dev/null || modprobe_errors="$modprobe_errors modprobe-$m-failed"
done
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/vda ] && break
	sleep 0.5
done
if ! mount -t ext4 /dev/vda /data; then
	echo "KG-ERROR cannot mount the data disk /dev/vda on /data${modprobe_errors:+ (${modprobe_errors# })}"
fi

run_scenario() {
	name=$1 limit=$2
	log=/tmp/kg/$name.log
	result=/tmp/kg/$name.result
	: >"$result"
	echo "KG-START $name"
	(
		cd /tmp
		export KG_NAME="$name" KG_DATA="/data/$name" KG_RESULT_FILE="$result" KG_OUT="/tmp/kg/$name.d"
		mkdir -p "$KG_OUT"
		exec timeout -s TERM "$limit" sh -c '. /kg/lib.sh; . "/kg/scenarios/$KG_NAME.sh"'
	) >"$log" 2>&1 </dev/null
	status=$?
	# Anything the scenario left running (an agent after a timeout) must not
	# disturb the next one.
	if [ -s "/tmp/kg/$name.d/agent.pid" ]; then
		kill -KILL "$(cat "/tmp/kg/$name.d/agent.pid")" 2>/dev/null
	fi
	line=$(head -n1 "$result")
	if [ -z "$line" ]; then
		if [ "$status" = 143 ] || [ "$status" = 137 ]; then
			line="FAIL timeout after ${limit}s"
		elif [ "$status" = 0 ]; then
			line="PASS"
		else
			line="FAIL exit status $status without a result"
		fi
	fi
	echo "KG-LOG-BEGIN $name"
	cat "$log"
	echo "KG-LOG-END $name"
	echo "KG-RESULT $name $line"
}

while read -r name limit; do
	[ -n "$name" ] && run_scenario "$name" "$limit"
done </kg/batch

echo "KG-DONE"
sync
umount /data 2>/dev/null
poweroff -f

#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# run-vm.sh - keygate's VM test tier. Boots a Debian kernel in qemu (TCG)
# once and runs a batch of scenario scripts inside; see tests/vm/README.md.
#
#   tests/vm/run-vm.sh [--build DIR] [--kernel 6.12|6.1|unstable] [--strict]
#                      [--no-build] [--icount] [--timeout SECONDS] [-v]
#                      [SCENARIO.sh ...]
#
# --icount runs the guest on an instruction-counting clock (qemu -icount
# shift=0: one nanosecond of guest time per instruction executed), so guest
# timings measure work done, not the host's load; the benchmarks use it.
# A prep hook that leaves uefi-db.der in its stage boots the batch under
# OVMF (Debian's package, fetched with apt-get download and extracted,
# Secure Boot off) with that certificate in the UEFI db, which the kernel
# loads into its .platform keyring (what IPE takes policy signatures from).
# Without scenarios it runs every tests/vm/scenarios/*.sh and
# packaging/tests/vm/*.sh (except NAME.prep.sh
# host hooks and *-lib.sh shared code). Prints one line
# per scenario and "vm: N passed, N failed"; exits 1 if any failed or none ran.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vmdir=$src/tests/vm
build=$src/build
kernel=${KEYGATE_VM_KERNEL:-6.12}
cache=${KEYGATE_VM_CACHE:-/var/cache/keygate/vm}
strict=0
do_build=1
icount=0
timeout=180 # per scenario, unless it sets its own
verbose=0
scenarios=()
RUNNER=run-vm TIER=vm RUNNER_USAGE=4,17
. "$src/tests/runner-lib.sh"

own_option() {
	runner_shift=1
	case $1 in
	--kernel) kernel=$2; runner_shift=2 ;;
	--strict) strict=1 ;;
	--no-build) do_build=0 ;;
	--icount) icount=1 ;;
	-*) runner_shift=0 ;;
	*) scenarios+=("$1") ;;
	esac
}
runner_parse "$@"

die() { runner_die "$@"; }

runner_build_dir
[ -f "$build/build.ninja" ] || die "$build is not a meson build directory"
if [ ${#scenarios[@]} -eq 0 ]; then
	# NAME.prep.sh are host hooks and *-lib.sh shared code, not scenarios.
	# packaging/tests/vm: the systemd unit's capability set, same batch.
	for f in "$vmdir"/scenarios/*.sh "$src"/packaging/tests/vm/*.sh; do
		case $f in *.prep.sh | *-lib.sh) ;; *) scenarios+=("$f") ;; esac
	done
	[ ${#scenarios[@]} -gt 0 ] || die "no scenarios in $vmdir/scenarios"
fi
runner_require_tools qemu-system-x86_64 mkfs.ext4 cpio gzip apt-get dpkg-deb busybox
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] ||
	die "VM cache $cache is not writable (run as root or set KEYGATE_VM_CACHE)"

if [ "$do_build" = 1 ]; then
	ninja -C "$build" >/dev/null || die "ninja -C $build failed"
fi
keygate=$build/cli/keygate
[ -x "$keygate" ] || die "$keygate not built"

# Per kernel, so batches on two kernels can run side by side.
work=$build/tests/vm/work-$kernel
rm -rf "$work"
mkdir -p "$work/root" "$work/stage"

# --- kernel -----------------------------------------------------------------
kernel_env=$("$vmdir/fetch-kernel.sh" "$cache" "$kernel") || die "could not fetch the $kernel kernel"
eval "$kernel_env"
[ -f "$KG_VMLINUZ" ] || die "kernel image $KG_VMLINUZ missing"

# The module tree is big and changes only with the kernel: its own
# compressed cpio, cached, concatenated with the small per-run one (the
# kernel unpacks concatenated archives in order).
modules_cpio=$cache/initramfs/modules-v2-$KG_KERNEL_KEY.cpio.gz
if [ ! -f "$modules_cpio" ]; then
	pack=$cache/initramfs/pack.$$
	rm -rf "$pack"
	mkdir -p "$pack/lib/modules"
	cp -a "$KG_MODULES_DIR" "$pack/lib/modules/" || die "cannot copy $KG_MODULES_DIR"
	(cd "$pack" && find lib ! -name vmlinuz | cpio -o -H newc --quiet | gzip -1) >"$modules_cpio.tmp" ||
		die "cannot pack the module tree"
	rm -rf "$pack"
	mv "$modules_cpio.tmp" "$modules_cpio"
fi

# --- initramfs: busybox, keygate, tools and their libraries ------------------
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,data,root,etc,kg/scenarios,lib/modules}

copy_libs() {
	ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | sort -u | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# install_bin SOURCE DEST: copies an executable and every library it needs.
install_bin() {
	[ -x "$1" ] || die "guest tool $1 is missing (not built or not installed)"
	mkdir -p "$root$(dirname "$2")"
	cp -L "$1" "$root$2"
	copy_libs "$1"
}

cp "$(command -v busybox)" "$root/bin/busybox"
install_bin "$keygate" /usr/sbin/keygate
install_bin "$(command -v bpftool || echo /usr/sbin/bpftool)" /usr/sbin/bpftool
install_bin /usr/bin/keyctl /usr/bin/keyctl
install_bin /usr/bin/fsverity /usr/bin/fsverity
install_bin /usr/bin/setfattr /usr/bin/setfattr
install_bin /usr/bin/getfattr /usr/bin/getfattr
install_bin /usr/bin/xz /usr/bin/xz
install_bin /bin/kmod /usr/bin/kmod
for t in insmod modprobe rmmod lsmod modinfo depmod; do
	ln -sf ../bin/kmod "$root/usr/sbin/$t"
done
# Helper binaries other parts of the project build for scenarios.
while read -r line; do
	line=${line%%#*}
	line=$(echo "$line" | tr -d '[:space:]')
	[ -n "$line" ] || continue
	case $line in /*) path=$line ;; *) path=$build/$line ;; esac
	install_bin "$path" "/usr/local/bin/$(basename "$path")"
done <"$vmdir/guest-tools.txt"
# Busybox applets last, and only where no real tool of that name exists.
for applet in $(busybox --list); do
	[ "$applet" = busybox ] && continue
	found=0
	for d in usr/local/bin usr/sbin usr/bin sbin bin; do
		[ -e "$root/$d/$applet" ] && found=1 && break
	done
	[ "$found" = 1 ] || ln -s busybox "$root/bin/$applet"
done
cp "$vmdir/guest-init.sh" "$root/init"
chmod 755 "$root/init"
cp "$vmdir/lib.sh" "$root/kg/lib.sh"

# --- scenarios and their host-side preparation -------------------------------
declare -A result reason
names=()
: >"$root/kg/batch"
for script in "${scenarios[@]}"; do
	[ -f "$script" ] || die "scenario $script not found"
	case $script in *.prep.sh | *-lib.sh) continue ;; esac
	name=$(basename "$script" .sh)
	names+=("$name")
	cp "$script" "$root/kg/scenarios/$name.sh"
	# Shared scenario code next to it, sourced as /kg/scenarios/X-lib.sh.
	for lib in "$(dirname "$script")"/*-lib.sh; do
		[ -f "$lib" ] && cp "$lib" "$root/kg/scenarios/"
	done
	limit=$(sed -n 's/^# kg-timeout: *\([0-9]\+\).*/\1/p' "$script" | head -n1)
	limit=${limit:-$timeout}
	prep=$(dirname "$script")/$name.prep.sh
	mkdir -p "$work/stage/$name"
	if [ -f "$prep" ]; then
		if ! KG_STAGE=$work/stage/$name KG_BUILD=$build KG_SRC=$src \
			KG_KERNEL_VERSION=$KG_KERNEL_VERSION KG_MODULES_DIR=$KG_MODULES_DIR KG_VMLINUZ=$KG_VMLINUZ \
			KG_KBUILD=$KG_KBUILD bash "$prep" >"$work/prep-$name.log" 2>&1; then
			result[$name]=FAIL
			reason[$name]="host prep hook $prep failed"
			continue
		fi
	fi
	echo "$name $limit" >>"$root/kg/batch"
	total_limit=$((${total_limit:-0} + limit))
done

# --- firmware: OVMF when a prep hook asked for a UEFI db ----------------------
uefi_db=$(find "$work/stage" -mindepth 2 -maxdepth 2 -name uefi-db.der | head -n1)
firmware=()
if [ -n "$uefi_db" ]; then
	ovmf=$cache/ovmf/root/usr/share/OVMF
	mkdir -p "$cache/ovmf"
	# Under a lock: two batches may boot OVMF at once.
	(
		flock 9
		[ ! -f "$ovmf/OVMF_CODE_4M.fd" ] || exit 0
		rm -rf "$cache/ovmf/debs" "$cache/ovmf/root"
		mkdir -p "$cache/ovmf/debs"
		(cd "$cache/ovmf/debs" && apt-get download ovmf >/dev/null) || die "apt-get download ovmf failed"
		dpkg-deb -x "$cache"/ovmf/debs/ovmf_*.deb "$cache/ovmf/root" || die "cannot extract the ovmf package"
	) 9>"$cache/ovmf/.lock" || exit 1
	command -v python3 >/dev/null || die "python3 is required to write the UEFI variable store"
	python3 "$vmdir/uefi-db-vars.py" "$ovmf/OVMF_VARS_4M.fd" "$work/ovmf-vars.fd" "$uefi_db" ||
		die "cannot write $uefi_db into a UEFI variable store"
	firmware=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,unit=1,file=$work/ovmf-vars.fd")
fi

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/tools.cpio.gz"
cat "$modules_cpio" "$work/tools.cpio.gz" >"$work/initrd.gz"

stage_kb=$(du -sk "$work/stage" | cut -f1)
image_mb=$((stage_kb * 2 / 1024 + 128))
mkfs.ext4 -q -F -b 4096 -O verity,ea_inode -L kgdata -d "$work/stage" "$work/data.img" "${image_mb}M" >/dev/null ||
	die "mkfs.ext4 of the data image failed"

# --- boot ----------------------------------------------------------------------
console=$work/console.log
overall=$((${total_limit:-0} + 120))
echo "vm: booting $KG_KERNEL_VERSION (qemu TCG$([ "$icount" = 0 ] || echo ', instruction clock')$([ -z "$uefi_db" ] || echo ', OVMF with a UEFI db')) for ${#names[@]} scenario(s); console in $console"
# thread=single: with multi-threaded TCG the guest kernel was seen, about once in
# ten batches, to oops on int3 while patching its own text (BPF trampoline
# attach/detach racing an exec on the other vCPU); one emulation thread makes
# cross-modifying code coherent. Measured: 8 enforcement scenarios 2m34s vs 2m10s.
# --icount: one vCPU, as two would share the instruction clock (and qemu
# 7.2 was seen to oops the guest running two under -icount).
cpus=2
[ "$icount" = 0 ] || cpus=1
qemu=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 2048 -smp "$cpus" -nographic -no-reboot -nic none
	-kernel "$KG_VMLINUZ" -initrd "$work/initrd.gz"
	-append "console=ttyS0 panic=-1 quiet loglevel=4"
	-drive "file=$work/data.img,if=virtio,format=raw")
qemu+=("${firmware[@]}")
[ "$icount" = 0 ] || qemu+=(-icount shift=0,sleep=off)
start=$(date +%s)
set +e
if [ "$verbose" = 1 ]; then
	timeout -s KILL "$overall" "${qemu[@]}" </dev/null 2>&1 | tee "$console"
else
	timeout -s KILL "$overall" "${qemu[@]}" </dev/null >"$console" 2>&1
fi
set -e
elapsed=$(($(date +%s) - start))
tr -d '\r' <"$console" >"$console.txt"

# --- results -------------------------------------------------------------------
guest_ok=1
if ! grep -q 'KG-BOOTED' "$console.txt"; then
	echo "vm: the guest never reached /init; console output:"
	tail -n 60 "$console.txt"
	guest_ok=0
elif ! grep -q '^KG-DONE' "$console.txt"; then
	echo "vm: the guest did not finish the batch within ${overall}s (or crashed); console tail:"
	tail -n 60 "$console.txt"
	guest_ok=0
else
	echo "vm: guest $(sed -n 's/.*KG-BOOTED //p' "$console.txt" | head -n1) ran the batch in ${elapsed}s"
fi
grep -q '^KG-ERROR' "$console.txt" && grep '^KG-ERROR' "$console.txt"

passed=0 failed=0 skipped=0
for name in "${names[@]}"; do
	if [ -z "${result[$name]:-}" ]; then
		line=$(grep -m1 "^KG-RESULT $name " "$console.txt" | cut -d' ' -f3- || true)
		result[$name]=${line%% *}
		reason[$name]=$( [ "$line" = "${line#* }" ] || echo "${line#* }")
		if [ -z "$line" ]; then
			result[$name]=FAIL
			reason[$name]="no result line (guest $([ $guest_ok = 1 ] && echo "finished" || echo "did not finish"))"
		fi
	fi
	log=$(sed -n "/^KG-LOG-BEGIN $name\$/,/^KG-LOG-END $name\$/p" "$console.txt" | sed '1d;$d')
	status=${result[$name]}
	# Scenarios print "KG-JSON <document>" for output the host must parse.
	if [ "$status" = PASS ] && ! echo "$log" | sed -n 's/^KG-JSON //p' |
		python3 -c 'import json, sys
for line in sys.stdin:
    json.loads(line)'; then
		status=FAIL
		reason[$name]="a KG-JSON line is not valid JSON"
	fi
	if [ "$status" = SKIP ] && [ "$strict" = 1 ]; then
		status=FAIL
		reason[$name]="skipped in --strict mode: ${reason[$name]}"
	fi
	case $status in
	PASS)
		passed=$((passed + 1))
		echo "vm: PASS $name"
		# -v already streamed the whole console.
		[ "$verbose" = 1 ] || echo "$log" | grep '^kg: ' | sed 's/^/    /' || true
		;;
	SKIP)
		skipped=$((skipped + 1))
		echo "vm: SKIP $name: ${reason[$name]}"
		;;
	*)
		failed=$((failed + 1))
		echo "vm: FAIL $name: ${reason[$name]}"
		if [ -f "$work/prep-$name.log" ] && [ "${reason[$name]}" != "${reason[$name]#host prep}" ]; then
			echo "    --- host prep output ---"
			sed 's/^/    /' "$work/prep-$name.log"
		fi
		if [ -n "$log" ]; then
			echo "    --- guest output of $name ---"
			echo "$log" | sed 's/^/    /'
		fi
		;;
	esac
done

if [ "$failed" -gt 0 ] && [ "$guest_ok" = 1 ]; then
	kmsg=$(sed '/^KG-LOG-BEGIN/,/^KG-LOG-END/d' "$console.txt" | grep -E '^\[ *[0-9.]+\]' |
		grep -E 'BUG|WARNING|Oops|panic|bpf|keygate|audit' | tail -n 20 || true)
	[ -z "$kmsg" ] || { echo "vm: kernel messages:"; echo "$kmsg" | sed 's/^/    /'; }
fi
echo "vm: $passed passed, $failed failed${skipped:+, $skipped skipped}"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# side-by-side-guest (host side): files for bench/side-by-side.sh, the
# fixture of bench/bench-fixture.sh and:
#   covered/  also covered by fapolicyd's trust=1 rule; every file signed
#             and listed in fapolicyd's trust database with its sha256,
#             among them bin/ (busybox and applet links), src/ (files the
#             workloads read), macro.sh, build.sh and cc.sh (the macro
#             workloads)
#   fapolicyd/  Debian's fapolicyd with its libraries and configuration,
#             copied into the guest's root by the guest script
#   ipe/      IPE policies signed with key org: bench.p7s (execution only
#             from the initramfs or of files with an fs-verity builtin
#             signature) and allow.p7s (everything allowed)
#   uefi-db.der  key org's certificate: run-vm.sh boots OVMF with it in the
#             UEFI db, which the kernel loads into its .platform keyring,
#             where IPE takes policy signatures from
# KG_BENCH_FAPOLICYD_ROOT: the extracted fapolicyd package (side-by-side.sh).
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/bench/bench-fixture.sh"

: "${KG_BENCH_FAPOLICYD_ROOT:?run this through bench/side-by-side.sh}"
FIRST_FILES=20
UNITS=40
HEADERS=8
APPLETS="sh cat grep wc head md5sum xargs"
bench_fixture_files $FIRST_FILES

# Workloads: a static busybox and files shaped like sources and headers.
kg_prep_copy "$(command -v busybox)" covered/bin/busybox
! ldd "$KG_STAGE/covered/bin/busybox" >/dev/null 2>&1 ||
	kg_prep_die "the host's busybox must be statically linked (busybox-static)"
for a in $APPLETS; do
	ln -s busybox "$KG_STAGE/covered/bin/$a"
done
mkdir -p "$KG_STAGE/covered/src"
for i in $(seq 0 $((HEADERS - 1))); do
	for l in $(seq 1 60); do echo "#define H${i}_SYMBOL_$l (($l << 2) | $i)"; done >"$KG_STAGE/covered/src/hdr-$i.h"
done
for i in $(seq 0 $((UNITS - 1))); do
	{
		for h in $(seq 0 $((HEADERS - 1))); do echo "#include \"hdr-$h.h\""; done
		for l in $(seq 1 80); do echo "int unit${i}_f$l(int x) { return x * $l + $i; }"; done
	} >"$KG_STAGE/covered/src/unit-$i.c"
	echo "$KG_GUEST_DATA/covered/src/unit-$i.c"
done >"$KG_STAGE/covered/units.list"

B=$KG_GUEST_DATA/covered/bin
S=$KG_GUEST_DATA/covered/src
# macro.sh: 4 short commands per iteration (KG_BENCH_MACRO_ITER, from
# bench.conf), each an exec that opens a covered file.
cat >"$KG_STAGE/covered/macro.sh" <<SH
#!$B/sh
i=0
while [ \$i -lt \$KG_BENCH_MACRO_ITER ]; do
	u=$S/unit-\$((i % $UNITS)).c
	$B/cat \$u >/dev/null
	$B/grep -c include \$u >/dev/null
	$B/wc -l $S/hdr-\$((i % $HEADERS)).h >/dev/null
	$B/head -n 3 \$u >/dev/null
	i=\$((i + 1))
done
SH
# build.sh: 4 parallel "compilers" (cc.sh: sh + cat + md5sum) over the
# first KG_BENCH_UNITS units, each reading its unit and every header and
# writing an object.
cat >"$KG_STAGE/covered/build.sh" <<SH
#!$B/sh
mkdir -p /tmp/sbs-obj
$B/head -n \$KG_BENCH_UNITS $KG_GUEST_DATA/covered/units.list |
	$B/xargs -P 4 -n 1 $B/sh $KG_GUEST_DATA/covered/cc.sh
SH
cat >"$KG_STAGE/covered/cc.sh" <<SH
$B/cat $S/hdr-*.h "\$1" | $B/md5sum >/tmp/sbs-obj/\${1##*/}.o
SH
chmod 755 "$KG_STAGE/covered/macro.sh" "$KG_STAGE/covered/build.sh"

bench_fixture_sign

cat >"$KG_STAGE/bench.conf" <<CONF
REPS=${KG_BENCH_REPS:-3}
OPEN_N=${KG_BENCH_OPEN_N:-20000}
EXEC_N=${KG_BENCH_EXEC_N:-10}
EXEC_BATCHES=${KG_BENCH_EXEC_BATCHES:-3}
MACRO_BATCHES=${KG_BENCH_MACRO_BATCHES:-2}
export KG_BENCH_MACRO_ITER=${KG_BENCH_MACRO_ITER:-15}
export KG_BENCH_UNITS=${KG_BENCH_UNITS:-12}
FIRST_FILES=$FIRST_FILES
CONF

bench_fixture_policies side-by-side

# IPE, built into Debian's kernel: a policy stays loaded once active, so
# allow.p7s is active in every configuration but IPE's (the same version:
# IPE refuses to activate an older one).
cp "$KG_STAGE/keys/org.der" "$KG_STAGE/uefi-db.der"
mkdir -p "$KG_STAGE/ipe"
printf '%s\n' 'policy_name=kgbench policy_version=0.0.1' 'DEFAULT action=ALLOW' \
	'DEFAULT op=EXECUTE action=DENY' 'op=EXECUTE boot_verified=TRUE action=ALLOW' \
	'op=EXECUTE fsverity_signature=TRUE action=ALLOW' >"$KG_STAGE/ipe/bench.pol"
printf '%s\n' 'policy_name=kgallow policy_version=0.0.1' 'DEFAULT action=ALLOW' >"$KG_STAGE/ipe/allow.pol"
for p in bench allow; do
	openssl smime -sign -in "$KG_STAGE/ipe/$p.pol" -signer "$KG_STAGE/keys/org.pem" \
		-inkey "$KG_PREP_KEYS/org.key" -noattr -nodetach -nosmimecap -binary -outform der \
		-out "$KG_STAGE/ipe/$p.p7s" || kg_prep_die "openssl smime -sign of the IPE policy $p failed"
done

# fapolicyd: the package's daemon and its libraries (ldd against the
# extracted tree, which has liblmdb and libmagic), a configuration with the
# file trust backend and sha256 integrity, rules that mirror keygate's
# policy (covered/: trusted files only, for any access; elsewhere allow),
# and a trust database of every covered file with its size and sha256.
fa=$KG_STAGE/fapolicyd
fr=$KG_BENCH_FAPOLICYD_ROOT
mkdir -p "$fa/usr/sbin" "$fa/lib" "$fa/etc/fapolicyd/trust.d" "$fa/usr/share/fapolicyd" "$fa/usr/share/misc"
cp "$fr/usr/sbin/fapolicyd" "$fa/usr/sbin/"
cp "$fr/usr/share/fapolicyd/fapolicyd-magic.mgc" "$fa/usr/share/fapolicyd/"
cp "$fr/usr/lib/file/magic.mgc" "$fa/usr/share/misc/"
LD_LIBRARY_PATH=$fr/usr/lib/x86_64-linux-gnu ldd "$fr/usr/sbin/fapolicyd" |
	awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
	cp -L "$lib" "$fa/lib/"
done
[ -e "$fa/lib/liblmdb.so.0" ] || kg_prep_die "fapolicyd's libraries did not resolve: $(ls "$fa/lib")"
sed -e 's/^trust = .*/trust = file/' -e 's/^integrity = .*/integrity = sha256/' \
	-e 's/^do_stat_report = .*/do_stat_report = 0/' \
	"$fr/etc/fapolicyd/fapolicyd.conf" >"$fa/etc/fapolicyd/fapolicyd.conf"
grep -q '^integrity = sha256' "$fa/etc/fapolicyd/fapolicyd.conf" || kg_prep_die "fapolicyd.conf has no integrity line"
cat >"$fa/etc/fapolicyd/compiled.rules" <<RULES
allow perm=any all : dir=$KG_GUEST_DATA/covered/ trust=1
deny perm=any all : dir=$KG_GUEST_DATA/covered/
allow perm=any all : all
RULES
(cd "$KG_STAGE" && find covered -type f ! -name '*.sig') | sort | while read -r f; do
	echo "$KG_GUEST_DATA/$f $(stat -c %s "$KG_STAGE/$f") $(sha256sum "$KG_STAGE/$f" | cut -d' ' -f1)"
done >"$fa/etc/fapolicyd/fapolicyd.trust"

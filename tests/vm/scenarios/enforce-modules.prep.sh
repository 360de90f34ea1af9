#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-modules (host side): two small dependency-free modules of the
# guest kernel (ts_kmp as .ko, crc-itu-t as .ko.xz), each staged once signed
# with the organisation's key through fs-verity and once unsigned.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
ts_kmp=$(kg_prep_module ts_kmp)
crcitut=$(kg_prep_module crc-itu-t)
mkdir -p "$KG_STAGE/mod/signed" "$KG_STAGE/mod/unsigned"
# plain and xz-compressed, whichever form the kernel's tree has
as_plain() { case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac; }
as_xz() { case $1 in *.xz) cat "$1" ;; *) xz -c --check=crc32 "$1" ;; esac; }
for d in signed unsigned; do
	as_plain "$ts_kmp" >"$KG_STAGE/mod/$d/ts_kmp.ko"
	as_xz "$crcitut" >"$KG_STAGE/mod/$d/crc-itu-t.ko.xz"
done
# The distribution's ts_kmp ends in its kernel module signature; a copy
# without it (marker, struct module_signature, then the PKCS#7 blob, whose
# length is the big-endian u32 before the marker) for module_buffer records.
mkdir -p "$KG_STAGE/mod/nosig"
python3 - "$KG_STAGE/mod/signed/ts_kmp.ko" "$KG_STAGE/mod/nosig/ts_kmp.ko" <<'PY' ||
import struct, sys
data = open(sys.argv[1], "rb").read()
marker = b"~Module signature appended~\n"
if not data.endswith(marker):
    sys.exit("ts_kmp.ko carries no module signature")
sig_len = struct.unpack(">I", data[-len(marker) - 4:-len(marker)])[0]
open(sys.argv[2], "wb").write(data[:len(data) - len(marker) - 12 - sig_len])
PY
	kg_prep_die "cannot strip the module signature of ts_kmp.ko"
kg_prep_sign mod/signed/ts_kmp.ko org
kg_prep_sign mod/signed/crc-itu-t.ko.xz org
kg_prep_verity mod/unsigned/ts_kmp.ko mod/unsigned/crc-itu-t.ko.xz

cat >"$KG_STAGE/policy.yaml" <<YAML
$(kg_prep_policy_head enforce-modules enforce)
  - name: modules
    operations: [module_file]
    require: signed
    anchors: [org]
    log: all
  - name: no-module-buffers
    operations: [module_buffer]
    require: deny
YAML
cat >"$KG_STAGE/buffers-allowed.yaml" <<YAML
keygate: 1
policy: {name: enforce-modules-buffers, version: 1, mode: enforce, default: allow}
rules:
  - name: module-buffers
    operations: [module_buffer]
    require: allow
    log: all
YAML
# Module trees for modprobe -d, each with its own copy of crc-itu-t.ko.xz
# (depmod skips symlinks), signed and not.
for d in signed unsigned; do
	tree=tree-$d/lib/modules/$KG_KERNEL_VERSION
	mkdir -p "$KG_STAGE/$tree/extra"
	cp "$KG_STAGE/mod/$d/crc-itu-t.ko.xz" "$KG_STAGE/$tree/extra/"
	/sbin/depmod -b "$KG_STAGE/tree-$d" "$KG_KERNEL_VERSION" || kg_prep_die "depmod of tree-$d failed"
done
kg_prep_sign "tree-signed/lib/modules/$KG_KERNEL_VERSION/extra/crc-itu-t.ko.xz" org
kg_prep_verity "tree-unsigned/lib/modules/$KG_KERNEL_VERSION/extra/crc-itu-t.ko.xz"

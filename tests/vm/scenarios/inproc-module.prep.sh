#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-module (host side): two small dependency-free modules of the guest
# kernel (ts_kmp as .ko, crc-itu-t as .ko.xz), signed with org's key through
# fs-verity, with fs-verity but unsigned, and (ts_kmp) plain.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
ts_kmp=$(kg_prep_module ts_kmp)
crcitut=$(kg_prep_module crc-itu-t)
as_plain() { case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac; }
as_xz() { case $1 in *.xz) cat "$1" ;; *) xz -c --check=crc32 "$1" ;; esac; }
for d in signed unsigned plain; do
	mkdir -p "$KG_STAGE/mod/$d"
	as_plain "$ts_kmp" >"$KG_STAGE/mod/$d/ts_kmp.ko"
	as_xz "$crcitut" >"$KG_STAGE/mod/$d/crc-itu-t.ko.xz"
done
kg_prep_sign mod/signed/ts_kmp.ko org
kg_prep_sign mod/signed/crc-itu-t.ko.xz org
kg_prep_verity mod/unsigned/ts_kmp.ko mod/unsigned/crc-itu-t.ko.xz

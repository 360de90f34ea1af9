#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-mmap (host side): signed and unsigned shared libraries and programs.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
lib=$(kg_prep_helper libkg-dltest.so)
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$lib" lib/libsigned.so
kg_prep_variant "$lib" lib/libunsigned.so x
kg_prep_copy "$true_bin" bin/unsigned
kg_prep_variant "$true_bin" bin/signed xx
kg_prep_sign lib/libsigned.so org
kg_prep_verity lib/libunsigned.so
kg_prep_sign bin/signed org

{
	kg_prep_policy_head enforce-mmap enforce
	kg_prep_signed_rule code "mmap_exec, mprotect_exec" "$KG_GUEST_DATA/lib/, $KG_GUEST_DATA/bin/" "log: all"
} >"$KG_STAGE/policy.yaml"

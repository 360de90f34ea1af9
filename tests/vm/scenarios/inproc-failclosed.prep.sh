#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-failclosed (host side): signed programs for the keyring, cache and
# mprotect cases, an overlay lower layer, the roots of the deep and long
# trees.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/tests/vm/fixtures/inproc-prep.sh"

kgi_prep_programs bin signed signed-cached signed-long unsigned flood race
kgi_prep_programs ring ring-a ring-b ring-c ring-d ring-e ring-f
kgi_prep_programs lower signed-app
mkdir -p "$KG_STAGE/deep" "$KG_STAGE/long"

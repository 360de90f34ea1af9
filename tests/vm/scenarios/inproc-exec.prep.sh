#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-exec (host side): one program per signature state.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/tests/vm/fixtures/inproc-prep.sh"

kgi_prep_programs bin signed not-verity no-signature other-key copied-sig malformed revoked \
	oversize-sig banned signed-exec-only
kgi_prep_programs outside unsigned exec-only

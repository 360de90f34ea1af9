#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-open (host side): one file per signature state to open.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/tests/vm/fixtures/inproc-prep.sh"

kgi_prep_programs etc signed not-verity no-signature other-key copied-sig malformed

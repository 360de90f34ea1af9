#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-mmap (host side): one file per signature state to map executable.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/tests/vm/fixtures/inproc-prep.sh"

kgi_prep_programs lib signed signed-late not-verity no-signature other-key malformed
kgi_prep_programs outside unsigned

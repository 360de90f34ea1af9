# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-mmap: mmap(PROT_EXEC) and mprotect adding PROT_EXEC under a
# `require: signed` rule, in-process (tests/vm/inproc/test_mmap.c).
# kg-timeout: 300
. /kg/scenarios/inproc-lib.sh
kgi_run kg-inproc-mmap

# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-open: open for reading under a `require: signed` rule, in-process
# (tests/vm/inproc/test_open.c).
# kg-timeout: 300
. /kg/scenarios/inproc-lib.sh
kgi_run kg-inproc-open

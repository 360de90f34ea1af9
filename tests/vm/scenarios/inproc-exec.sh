# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-exec: exec under a `require: signed` rule, in-process
# (tests/vm/inproc/test_exec.c): errno, counters and event per signature state.
# kg-timeout: 300
. /kg/scenarios/inproc-lib.sh
kgi_run kg-inproc-exec

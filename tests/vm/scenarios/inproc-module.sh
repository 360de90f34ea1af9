# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-module: finit_module (plain and compressed) and init_module under
# `require: signed` rules, in-process (tests/vm/inproc/test_module.c).
# kg-timeout: 300
. /kg/scenarios/inproc-lib.sh
kgi_run kg-inproc-module

#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-bench-guest (host side): files for bench/enforce-bench.sh, the
# fixture of bench/bench-fixture.sh with 20 first-use files of each kind.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"
. "$KG_SRC/bench/bench-fixture.sh"

bench_fixture_files 20
bench_fixture_sign
cat >"$KG_STAGE/bench.conf" <<CONF
REPS=${KG_BENCH_REPS:-7}
OPEN_N=${KG_BENCH_OPEN_N:-50000}
EXEC_N=${KG_BENCH_EXEC_N:-200}
CONF
bench_fixture_policies enforce-bench

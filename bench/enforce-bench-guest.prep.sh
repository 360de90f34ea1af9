#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-bench-guest (host side): files for bench/enforce-bench.sh.
#   other/   not covered by the policy: u-exec, u-open
#   covered/ covered by `require: signed` rules for exec and open_read, all
#            signed: c-exec, c-open (cache hits) and vexec-*/vopen-* (20
#            distinct files each, for first verifications)
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

FIRST_FILES=20
kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
head -c 4096 /dev/urandom >"$KG_STAGE/data.bin"

kg_prep_copy "$true_bin" other/u-exec
kg_prep_copy "$KG_STAGE/data.bin" other/u-open
kg_prep_copy "$true_bin" covered/c-exec
kg_prep_copy "$KG_STAGE/data.bin" covered/c-open
kg_prep_sign covered/c-exec org
kg_prep_sign covered/c-open org
for i in $(seq 1 $FIRST_FILES); do
	for kind in exec open; do
		src=$true_bin
		[ $kind = open ] && src=$KG_STAGE/data.bin
		# Distinct contents: distinct digests, one verification each.
		kg_prep_variant "$src" "covered/v$kind-$i" "$(printf '%*s' "$i" '')"
		kg_prep_sign "covered/v$kind-$i" org
	done
done
rm "$KG_STAGE/data.bin"
cat >"$KG_STAGE/bench.conf" <<CONF
REPS=${KG_BENCH_REPS:-7}
OPEN_N=${KG_BENCH_OPEN_N:-50000}
EXEC_N=${KG_BENCH_EXEC_N:-200}
CONF

{
	kg_prep_policy_head enforce-bench enforce
	kg_prep_signed_rule bench-covered "exec, open_read" "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/policy.yaml"
# Rules for exec only: open_read is not covered at all (the hook's fast exit).
{
	kg_prep_policy_head enforce-bench-exec-only enforce
	kg_prep_signed_rule bench-exec-only exec "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/policy-exec-only.yaml"

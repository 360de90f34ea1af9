# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# bench-fixture.sh - the files and policies both benchmarks measure, for
# their prep hooks (sourced after tests/vm/fixtures/enforce-prep.sh):
#   other/    not covered by the policy: u-exec, u-open
#   covered/  covered by `require: signed` rules: c-exec, c-open (cache
#             hits) and vexec-1..N, vopen-1..N (distinct contents, so one
#             first verification each), signed with key org

# bench_fixture_files N: other/ and covered/ with N first-use files of each kind.
bench_fixture_files() {
	local true_bin i
	kg_prep_key org
	true_bin=$(kg_prep_helper kg-true)
	head -c 4096 /dev/urandom >"$KG_STAGE/data.bin"
	kg_prep_copy "$true_bin" other/u-exec
	kg_prep_copy "$KG_STAGE/data.bin" other/u-open
	kg_prep_copy "$true_bin" covered/c-exec
	kg_prep_copy "$KG_STAGE/data.bin" covered/c-open
	for i in $(seq 1 "$1"); do
		kg_prep_variant "$true_bin" "covered/vexec-$i" "$(printf '%*s' "$i" '')"
		kg_prep_variant "$KG_STAGE/data.bin" "covered/vopen-$i" "$(printf '%*s' "$i" '')"
	done
	rm "$KG_STAGE/data.bin"
}

# bench_fixture_sign: signs every file under covered/ (what the caller
# added there too).
bench_fixture_sign() {
	(cd "$KG_STAGE" && find covered -type f ! -name '*.sig') | while read -r f; do
		kg_prep_sign "$f" org
	done
}

# bench_fixture_policies NAME: policy.yaml (rules for exec and open_read on
# covered/) and policy-exec-only.yaml (exec only: open_read is not covered
# at all, the hook's fast exit).
bench_fixture_policies() {
	{
		kg_prep_policy_head "$1" enforce
		kg_prep_signed_rule bench-covered "exec, open_read" "$KG_GUEST_DATA/covered/"
	} >"$KG_STAGE/policy.yaml"
	{
		kg_prep_policy_head "$1-exec-only" enforce
		kg_prep_signed_rule bench-exec-only exec "$KG_GUEST_DATA/covered/"
	} >"$KG_STAGE/policy-exec-only.yaml"
}

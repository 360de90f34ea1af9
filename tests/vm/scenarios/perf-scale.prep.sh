#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# perf-scale (host side): a policy of 50,000 rules and 62,500 scopes (a
# directory per rule, an exact file every fourth rule) under /tmp/scale in
# the guest, where the scenario creates them, plus a rule requiring org's
# signature for exec under bin/; and the same bin/ rule alone (small.yaml).
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

N=${KG_SCALE_RULES:-50000}
kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" bin/signed
kg_prep_copy "$(kg_prep_helper kg-true)" bin/unsigned
kg_prep_copy "$(kg_prep_helper kg-true)" payload
kg_prep_sign bin/signed org

# head NAME: the policy up to and with the bin/ rule.
head() {
	kg_prep_policy_head "perf-scale-$1" enforce
	kg_prep_signed_rule bin exec "$KG_GUEST_DATA/bin/"
}
head small >"$KG_STAGE/small.yaml"
{
	head large
	# rule i: /tmp/scale/t<i%50>/a<i>/, exec and open_read; every tenth
	# denies, every tenth + 5 allows, the others need org's signature.
	awk -v n="$N" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "  - name: r%d\n    operations: [exec, open_read]\n", i
			printf "    paths: [/tmp/scale/t%d/a%d/]\n", i % 50, i
			if (i % 4 == 0)
				printf "    files: [/tmp/scale/t%d/f%d.conf]\n", i % 50, i
			if (i % 10 == 0)
				printf "    require: deny\n"
			else if (i % 10 == 5)
				printf "    require: allow\n"
			else
				printf "    require: signed\n    anchors: [org]\n"
		}
	}'
} >"$KG_STAGE/large.yaml"
echo "$N" >"$KG_STAGE/rules.count"

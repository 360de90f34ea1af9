// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * fuzz_policy.c - libFuzzer target: any bytes through parse + compile +
 * blob writer, and through the X.509 DER reader. Must never crash, leak or
 * hang; every policy that compiles must satisfy what the kernel side relies
 * on (check_invariants) and compile to the same digest twice. Certificate paths in the input are read relative to the current
 * directory (run-fuzz.sh runs it where the examples' certificates resolve).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                           \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* What the kernel side relies on, for every policy that compiles. */
static void check_invariants(const struct kg_compiled_policy *p)
{
	CHECK(p->n_rules >= 1 && p->n_rules <= KG_MAX_RULES);
	CHECK(p->n_anchors <= KG_MAX_ANCHORS);
	CHECK(p->n_revoked <= KG_MAX_REVOKED);
	CHECK(p->n_paths >= 1 && p->n_paths <= KG_MAX_PATHS);
	CHECK(p->paths[0].key.len == 0);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct kg_rule *r = &p->rules[i];

		CHECK(r->id == i);
		CHECK(r->ops && !(r->ops >> KG_OP_COUNT));
		CHECK(r->requirement >= KG_REQ_SIGNED && r->requirement <= KG_REQ_DENY);
		CHECK(r->on_failure == KG_FAIL_DENY || r->on_failure == KG_FAIL_AUDIT);
		CHECK((r->requirement == KG_REQ_SIGNED) == (r->anchors != 0));
		CHECK(p->n_anchors == 64 || !(r->anchors >> p->n_anchors));
	}
	for (size_t i = 0; i < p->n_paths; i++) {
		const struct kg_path_entry *e = &p->paths[i];

		CHECK(e->key.slot == 0 && e->key.len <= KG_PATH_MAX);
		CHECK(strnlen(e->key.path, KG_PATH_KEY_BYTES) == e->key.len);
		CHECK(i == 0 || strcmp(p->paths[i - 1].key.path, e->key.path) < 0);
		for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
			uint32_t id = e->value.rule[op];

			CHECK(id == KG_RULE_NONE || (id < p->n_rules && (p->rules[id].ops & (1u << op))));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	char *subject = NULL, why[256];

	if (kg_policy_load_buffer("<fuzz>", (const char *)data, size, &policy, &diags) == 0) {
		FILE *sink = fopen("/dev/null", "w");

		if (sink) {
			if (kg_policy_write_blob(policy, sink))
				abort(); /* writing a valid policy cannot fail */
			fclose(sink);
		}
		kg_policy_is_audit_only(policy);
		check_invariants(policy);
		/* Same input, same digest. */
		{
			struct kg_diagnostics again_diags = { 0 };
			struct kg_compiled_policy *again = NULL;

			CHECK(kg_policy_load_buffer("<fuzz>", (const char *)data, size, &again,
						    &again_diags) == 0);
			CHECK(memcmp(again->digest, policy->digest, sizeof(policy->digest)) == 0);
			kg_policy_free(again);
			kg_diagnostics_free(&again_diags);
		}
	}
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);

	if (kg_cert_parse_der(data, size, &subject, why, sizeof(why)) == 0)
		free(subject);
	return 0;
}

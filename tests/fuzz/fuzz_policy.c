// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * fuzz_policy.c - libFuzzer target: any bytes through parse + compile +
 * blob writer, and through the X.509 DER reader. Must never crash, leak or
 * hang. Certificate paths in the input are read relative to the current
 * directory (run-fuzz.sh runs it where the examples' certificates resolve).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	}
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);

	if (kg_cert_parse_der(data, size, &subject, why, sizeof(why)) == 0)
		free(subject);
	return 0;
}

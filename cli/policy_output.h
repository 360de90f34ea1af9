/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/* policy_output.h - keygate policy's output (policy_output.c). */
#ifndef KEYGATE_POLICY_OUTPUT_H
#define KEYGATE_POLICY_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "keygate_policy.h"

/* "errors": [{file, line, col, severity, message}...] */
void policy_json_diagnostics(struct json_writer *w, const struct kg_diagnostics *d);
/* LEN bytes as lowercase hex. */
void policy_print_digest(FILE *out, const uint8_t *digest, size_t len);
/* "source": {file, line, col} */
void policy_json_source(struct json_writer *w, const struct kg_source_ref *src);
/* What a rule's failure does: "deny" or "audit". */
const char *policy_failure_name(uint32_t on_failure);
/* keygate policy show, with and without -j. */
void policy_show_json(const struct kg_compiled_policy *p, const struct kg_diagnostics *diags);
void policy_show_text(const struct kg_compiled_policy *p);

#endif /* KEYGATE_POLICY_OUTPUT_H */

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/* policy_output.h - keygate policy's output (policy_output.c). */
#ifndef KEYGATE_POLICY_OUTPUT_H
#define KEYGATE_POLICY_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "keygate_policy.h"
#include "keygate_signature.h"

/* "errors": [{file, line, col, severity, message}...] */
void policy_json_diagnostics(struct json_writer *w, const struct kg_diagnostics *d);
/* LEN bytes as lowercase hex. */
void policy_print_digest(FILE *out, const uint8_t *digest, size_t len);
/* "source": {file, line, col} */
void policy_json_source(struct json_writer *w, const struct kg_source_ref *src);
/* What a rule's failure does: "deny" or "audit". */
const char *policy_failure_name(uint32_t on_failure);
/* What `policy show|check` found about a policy's signature. */
struct policy_signature {
	const char *path;   /* the signature file; NULL: none given or found */
	const char *anchor; /* certificate file verified against; NULL: not checked */
	int read_error;     /* -errno reading path */
	struct kg_signature_info info;
};

/* Finds and checks the signature of POLICY: SIG_PATH, else the default
 * file beside the policy (kg_policy_signature_path) when it exists. */
void policy_signature_check(const struct kg_compiled_policy *policy, const char *const *paths,
			    size_t n_paths, const char *sig_path, const char *anchor,
			    struct policy_signature *out);
/* "signature": {file, signer, valid, anchor, error} or null without a file. */
void policy_signature_json(struct json_writer *w, const struct policy_signature *sig);
/* "signature ..." lines of the text output. */
void policy_signature_text(FILE *out, const struct policy_signature *sig);
/* 1 when sig was checked and is invalid or unreadable. */
bool policy_signature_failed(const struct policy_signature *sig);

/* keygate policy show, with and without -j. */
void policy_show_json(const struct kg_compiled_policy *p, const struct kg_diagnostics *diags,
		      const struct policy_signature *sig);
void policy_show_text(const struct kg_compiled_policy *p);

#endif /* KEYGATE_POLICY_OUTPUT_H */

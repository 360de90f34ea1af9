// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * policy_output.c - how `keygate policy` prints a compiled policy (show, as
 * text and as JSON) and the pieces the other verbs share: diagnostics in
 * JSON, digests, rule sources.
 */
#include <stdio.h>

#include "cli.h"
#include "policy_output.h"

void policy_json_diagnostics(struct json_writer *w, const struct kg_diagnostics *d)
{
	json_key(w, "errors");
	json_array_begin(w);
	for (size_t i = 0; i < d->count; i++) {
		const struct kg_diag *item = &d->items[i];

		json_object_begin(w);
		json_kv_string(w, "file", item->file);
		json_kv_uint(w, "line", item->line);
		json_kv_uint(w, "col", item->col);
		json_kv_string(w, "severity", item->severity == KG_SEV_ERROR ? "error" : "warning");
		json_kv_string(w, "message", item->message);
		json_object_end(w);
	}
	json_array_end(w);
	json_kv_uint(w, "error_count", d->errors);
	json_kv_uint(w, "warning_count", d->warnings);
}

void policy_print_digest(FILE *out, const uint8_t *digest, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", digest[i]);
}

/* Loads the operands (or the default policy); diagnostics go to stderr
 * unless JSON output carries them. */
static const char *rule_label(const struct kg_compiled_policy *p, uint32_t id)
{
	return id < p->n_rules ? p->rule_info[id].name : "-";
}

void policy_json_source(struct json_writer *w, const struct kg_source_ref *src)
{
	json_key(w, "source");
	json_object_begin(w);
	json_kv_string(w, "file", src->file);
	json_kv_uint(w, "line", src->line);
	json_kv_uint(w, "col", src->col);
	json_object_end(w);
}

static void json_ops(struct json_writer *w, const char *key, uint32_t ops)
{
	json_key(w, key);
	json_array_begin(w);
	for (uint32_t op = 0; op < KG_OP_COUNT; op++)
		if (ops & (1u << op))
			json_string(w, kg_op_name(op));
	json_array_end(w);
}

const char *policy_failure_name(uint32_t on_failure)
{
	return on_failure == KG_FAIL_AUDIT ? "audit" : "deny";
}

void policy_show_json(const struct kg_compiled_policy *p, const struct kg_diagnostics *diags,
		      const struct policy_signature *sig)
{
	struct json_writer w;

	json_init(&w, stdout, cli.pretty);
	json_object_begin(&w);
	json_kv_string(&w, "name", p->name);
	json_kv_uint(&w, "version", p->version);
	json_kv_string(&w, "mode", kg_mode_name(p->mode));
	json_kv_string(&w, "signature_xattr", p->sig_xattr);
	json_kv_hex(&w, "digest", p->digest, sizeof(p->digest));
	json_kv_bool(&w, "audit_only", kg_policy_is_audit_only(p));
	json_key(&w, "sources");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_sources; i++)
		json_string(&w, p->sources[i]);
	json_array_end(&w);
	json_key(&w, "defaults");
	json_object_begin(&w);
	for (uint32_t op = 0; op < KG_OP_COUNT; op++)
		json_kv_string(&w, kg_op_name(op), kg_default_action_name(p->config.default_action[op]));
	json_object_end(&w);
	json_ops(&w, "ops_covered", p->config.ops_covered);

	json_key(&w, "anchors");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_anchors; i++) {
		const struct kg_anchor_info *a = &p->anchor_info[i];

		json_object_begin(&w);
		json_kv_uint(&w, "id", i);
		json_kv_string(&w, "name", a->name);
		json_kv_string(&w, "kind", kg_anchor_kind_name(a->kind));
		if (a->kind == KG_ANCHOR_SYSTEM)
			json_kv_string(&w, "system", kg_system_keyring_name(p->anchors[i].id));
		if (a->kind == KG_ANCHOR_KEYRING && !a->keyring_description)
			json_kv_uint(&w, "keyring_serial", p->anchors[i].id);
		if (a->keyring_description)
			json_kv_string(&w, "keyring_description", a->keyring_description);
		if (a->kind == KG_ANCHOR_CERTS) {
			json_key(&w, "certificates");
			json_array_begin(&w);
			for (size_t k = 0; k < a->n_certs; k++) {
				json_object_begin(&w);
				json_kv_string(&w, "path", a->certs[k].path);
				json_kv_hex(&w, "sha256", a->certs[k].sha256, 32);
				json_kv_string(&w, "subject", a->certs[k].subject);
				json_kv_uint(&w, "der_bytes", a->certs[k].der_len);
				json_object_end(&w);
			}
			json_array_end(&w);
		}
		policy_json_source(&w, &a->src);
		json_object_end(&w);
	}
	json_array_end(&w);

	json_key(&w, "rules");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct kg_rule *r = &p->rules[i];
		const struct kg_rule_info *info = &p->rule_info[i];

		json_object_begin(&w);
		json_kv_uint(&w, "id", r->id);
		json_kv_string(&w, "name", info->name);
		json_ops(&w, "operations", r->ops);
		json_kv_string(&w, "requirement", kg_requirement_name(r->requirement));
		json_key(&w, "anchors");
		json_array_begin(&w);
		for (size_t a = 0; a < p->n_anchors && a < 64; a++)
			if (r->anchors & (1ull << a))
				json_string(&w, p->anchor_info[a].name);
		json_array_end(&w);
		json_kv_string(&w, "on_failure", policy_failure_name(r->on_failure));
		json_kv_string(&w, "log", r->flags & KG_RULE_LOG_ALLOWED ? "all" : "failures");
		json_key(&w, "scopes");
		json_array_begin(&w);
		for (size_t k = 0; k < info->n_paths; k++)
			json_string(&w, info->paths[k]);
		json_array_end(&w);
		policy_json_source(&w, &info->src);
		json_object_end(&w);
	}
	json_array_end(&w);

	json_key(&w, "path_table");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_paths; i++) {
		const struct kg_path_entry *e = &p->paths[i];

		json_object_begin(&w);
		json_kv_string(&w, "path", e->key.path);
		json_key(&w, "rules");
		json_object_begin(&w);
		for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
			json_key(&w, kg_op_name(op));
			if (e->value.rule[op] == KG_RULE_NONE)
				json_null(&w);
			else
				json_uint(&w, e->value.rule[op]);
		}
		json_object_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);

	/* Loads from memory have no path: the strictest rule of any scope. */
	json_key(&w, "buffer_rules");
	json_object_begin(&w);
	for (uint32_t op = KG_OP_MODULE_BUFFER; op < KG_OP_COUNT; op++) {
		json_key(&w, kg_op_name(op));
		if (p->config.buffer_rule[op] == KG_RULE_NONE)
			json_null(&w);
		else
			json_uint(&w, p->config.buffer_rule[op]);
	}
	json_object_end(&w);

	json_key(&w, "revocations");
	json_object_begin(&w);
	json_key(&w, "digests");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_revoked; i++) {
		char text[8 + 2 * KG_DIGEST_MAX + 1];
		size_t size = p->revoked[i].digest_size < KG_DIGEST_MAX ? p->revoked[i].digest_size
									: KG_DIGEST_MAX;
		int n = snprintf(text, sizeof(text), "%s:",
				 p->revoked[i].digest_algo == 1 ? "sha256" : "sha512");

		kg_hex_encode(text + n, p->revoked[i].digest, size);
		json_string(&w, text);
	}
	json_array_end(&w);
	json_key(&w, "certificates");
	json_array_begin(&w);
	for (size_t i = 0; i < p->n_revoked_certs; i++)
		json_hex(&w, p->revoked_certs[i], 32);
	json_array_end(&w);
	json_object_end(&w);
	json_kv_uint(&w, "warning_count", diags->warnings);
	json_key(&w, "signature");
	policy_signature_json(&w, sig);
	json_object_end(&w);
}

static void print_ops(FILE *out, uint32_t ops)
{
	bool first = true;

	for (uint32_t op = 0; op < KG_OP_COUNT; op++)
		if (ops & (1u << op)) {
			fprintf(out, "%s%s", first ? "" : ", ", kg_op_name(op));
			first = false;
		}
	if (first)
		fprintf(out, "none");
}

void policy_show_text(const struct kg_compiled_policy *p)
{
	bool uniform = true;

	printf("policy    %s, version %llu\n", p->name, (unsigned long long)p->version);
	printf("mode      %s%s\n", kg_mode_name(p->mode),
	       kg_policy_is_audit_only(p) ? " (audit only: can never deny)" : "");
	printf("digest    sha256:");
	policy_print_digest(stdout, p->digest, sizeof(p->digest));
	printf("\nxattr     %s\n", p->sig_xattr);
	printf("sources  ");
	for (size_t i = 0; i < p->n_sources; i++)
		printf(" %s", p->sources[i]);
	printf("\ndefault  ");
	for (uint32_t op = 1; op < KG_OP_COUNT; op++)
		if (p->config.default_action[op] != p->config.default_action[0])
			uniform = false;
	if (uniform)
		printf(" %s for every operation", kg_default_action_name(p->config.default_action[0]));
	else
		for (uint32_t op = 0; op < KG_OP_COUNT; op++)
			printf(" %s=%s", kg_op_name(op), kg_default_action_name(p->config.default_action[op]));
	printf("\n\nanchors (%zu):\n", p->n_anchors);
	for (size_t i = 0; i < p->n_anchors; i++) {
		const struct kg_anchor_info *a = &p->anchor_info[i];

		printf("  [%zu] %s: ", i, a->name);
		if (a->kind == KG_ANCHOR_SYSTEM)
			printf("system keyring %s", kg_system_keyring_name(p->anchors[i].id));
		else if (a->kind == KG_ANCHOR_KEYRING && a->keyring_description)
			printf("keyring \"%s\"", a->keyring_description);
		else if (a->kind == KG_ANCHOR_KEYRING)
			printf("keyring %llu", (unsigned long long)p->anchors[i].id);
		else
			printf("%zu certificate%s", a->n_certs, a->n_certs == 1 ? "" : "s");
		printf("  (%s:%u)\n", a->src.file, a->src.line);
		for (size_t k = 0; k < a->n_certs; k++) {
			printf("        %s  sha256:", a->certs[k].subject ? a->certs[k].subject : "?");
			policy_print_digest(stdout, a->certs[k].sha256, 32);
			printf("  %s\n", a->certs[k].path);
		}
	}
	printf("\nrules (%zu, most specific scope first, then this order):\n", p->n_rules);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct kg_rule *r = &p->rules[i];
		const struct kg_rule_info *info = &p->rule_info[i];

		printf("  [%zu] %s  (%s:%u)\n        operations: ", i, info->name, info->src.file,
		       info->src.line);
		print_ops(stdout, r->ops);
		printf("\n        scopes:     ");
		if (!info->n_paths)
			printf("everything");
		for (size_t k = 0; k < info->n_paths; k++)
			printf("%s%s", k ? " " : "", info->paths[k]);
		printf("\n        require:    %s", kg_requirement_name(r->requirement));
		if (r->requirement == KG_REQ_SIGNED) {
			const char *sep = " by ";

			for (size_t a = 0; a < p->n_anchors && a < 64; a++)
				if (r->anchors & (1ull << a)) {
					printf("%s%s", sep, p->anchor_info[a].name);
					sep = ", ";
				}
		}
		if (r->requirement != KG_REQ_ALLOW)
			printf("; on failure %s", policy_failure_name(r->on_failure));
		printf("; log %s\n", r->flags & KG_RULE_LOG_ALLOWED ? "all" : "failures");
	}
	printf("\npath table (%zu entries, longest match decides):\n", p->n_paths);
	for (size_t i = 0; i < p->n_paths; i++) {
		const struct kg_path_entry *e = &p->paths[i];

		printf("  %-24s", e->key.len ? e->key.path : "(everything)");
		for (uint32_t op = 0; op < KG_OP_COUNT; op++)
			if (e->value.rule[op] != KG_RULE_NONE)
				printf(" %s=%s", kg_op_name(op), rule_label(p, e->value.rule[op]));
		printf("\n");
	}
	printf("\nloads from memory (no path: the strictest rule of any scope):\n ");
	for (uint32_t op = KG_OP_MODULE_BUFFER; op < KG_OP_COUNT; op++) {
		if (p->config.buffer_rule[op] != KG_RULE_NONE)
			printf(" %s=%s", kg_op_name(op), rule_label(p, p->config.buffer_rule[op]));
		else
			printf(" %s=default %s", kg_op_name(op),
			       kg_default_action_name(p->config.default_action[op]));
	}
	printf("\n");
	if (p->n_revoked || p->n_revoked_certs) {
		printf("\nrevocations:\n");
		for (size_t i = 0; i < p->n_revoked; i++) {
			printf("  digest %s:", p->revoked[i].digest_algo == 1 ? "sha256" : "sha512");
			policy_print_digest(stdout, p->revoked[i].digest, p->revoked[i].digest_size);
			printf("\n");
		}
		for (size_t i = 0; i < p->n_revoked_certs; i++) {
			printf("  certificate sha256:");
			policy_print_digest(stdout, p->revoked_certs[i], 32);
			printf("\n");
		}
	}
}

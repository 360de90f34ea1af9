// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* cmd_policy.c - `keygate policy {check | compile | show | help}`. No root, no BPF. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keygate_policy.h"

static void policy_usage(FILE *out)
{
	fprintf(out,
		"Usage: keygate [-j] policy check {FILE|DIR... | --default}\n"
		"       keygate [-j] policy compile {FILE|DIR... | --default} -o OUT\n"
		"       keygate [-j] policy show [FILE|DIR... | --default]\n"
		"       keygate [-j] policy explain {FILE|DIR... | --default} --path PATH\n"
		"       keygate policy help\n"
		"\n"
		"A DIR contributes DIR/policy.yaml, then DIR/policy.d/*.yaml in name order.\n"
		"check:   validate; exit 0 when valid (warnings allowed), 1 when not.\n"
		"compile: write the compiled policy (map images, digest) to OUT.\n"
		"show:    print the compiled policy; --default shows the built-in one.\n"
		"explain: which rule decides each operation on the file PATH, and how.\n"
		"See keygate-policy(5) for the language.\n");
}

/* Options every policy command accepts; returns the index of the first
 * operand, or -1 after reporting a usage error. */
static int parse_options(int argc, char **argv, const char **output, int *use_default,
			 int *help, const char **path)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "path", required_argument, NULL, 'P' },
		{ "default", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0; /* 0: glibc re-reads the option string (main used "+") */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:jph", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!output) {
				cli_error("policy %s: -o is only valid with compile", argv[0]);
				return -1;
			}
			*output = optarg;
			break;
		case 'D':
			*use_default = 1;
			break;
		case 'P':
			if (!path) {
				cli_error("policy %s: --path is only valid with explain", argv[0]);
				return -1;
			}
			*path = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'p':
			cli.json = cli.pretty = true;
			break;
		case 'h':
			*help = 1;
			break;
		default:
			cli_error("policy %s: unknown option '%s'; try 'keygate policy help'", argv[0],
				  argv[optind - 1]);
			return -1;
		}
	}
	return optind;
}

static void json_diagnostics(struct json_writer *w, const struct kg_diagnostics *d)
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

static void print_digest(FILE *out, const uint8_t *digest, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", digest[i]);
}

/* Loads the operands (or the default policy); diagnostics go to stderr
 * unless JSON output carries them. */
static int load(int argc, char **argv, int first, int use_default,
		struct kg_compiled_policy **policy, struct kg_diagnostics *diags)
{
	if (use_default)
		return kg_policy_load_default(policy, diags);
	return kg_policy_load((const char *const *)argv + first, (size_t)(argc - first), policy,
			      diags);
}

/* Reports a failed load: JSON like check's, or diagnostics on stderr. */
static int report_failure(const char *command, const struct kg_diagnostics *diags, int err)
{
	if (err != -EINVAL) {
		cli_error("policy %s: %s", command, strerror(-err));
		return KG_EXIT_FAILURE;
	}
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_bool(&w, "valid", false);
		json_diagnostics(&w, diags);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(diags, stderr);
		fprintf(stderr, "keygate: policy %s: policy is invalid (%zu error%s)\n", command,
			diags->errors, diags->errors == 1 ? "" : "s");
	}
	return KG_EXIT_FAILURE;
}

static int do_check(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	int help = 0, use_default = 0, first, err, ret = KG_EXIT_OK;

	first = parse_options(argc, argv, NULL, &use_default, &help, NULL);
	if (first < 0)
		return KG_EXIT_USAGE;
	if (help) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	if ((first >= argc) == !use_default) {
		cli_error("policy check: give FILE|DIR... or --default");
		return KG_EXIT_USAGE;
	}
	err = load(argc, argv, first, use_default, &policy, &diags);
	if (err) {
		ret = report_failure("check", &diags, err);
		goto out;
	}
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_bool(&w, "valid", true);
		json_diagnostics(&w, &diags);
		json_kv_string(&w, "name", policy->name);
		json_kv_uint(&w, "version", policy->version);
		json_kv_hex(&w, "digest", policy->digest, sizeof(policy->digest));
		json_kv_uint(&w, "rules", policy->n_rules);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(&diags, stderr);
		printf("policy '%s' version %llu is valid: %zu rule%s, %zu anchor%s, %zu warning%s\n",
		       policy->name, (unsigned long long)policy->version, policy->n_rules,
		       policy->n_rules == 1 ? "" : "s", policy->n_anchors,
		       policy->n_anchors == 1 ? "" : "s", diags.warnings,
		       diags.warnings == 1 ? "" : "s");
		printf("digest sha256:");
		print_digest(stdout, policy->digest, sizeof(policy->digest));
		printf("\n");
	}
out:
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

static int do_compile(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	const char *output = NULL;
	char *tmp = NULL;
	FILE *f = NULL;
	int help = 0, use_default = 0, first, err, ret = KG_EXIT_FAILURE;
	long bytes;

	first = parse_options(argc, argv, &output, &use_default, &help, NULL);
	if (first < 0)
		return KG_EXIT_USAGE;
	if (help) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	if ((first >= argc) == !use_default || !output) {
		cli_error("policy compile: usage: keygate policy compile {FILE|DIR... | --default} -o OUT");
		return KG_EXIT_USAGE;
	}
	err = load(argc, argv, first, use_default, &policy, &diags);
	if (err) {
		ret = report_failure("compile", &diags, err);
		goto out;
	}
	if (!cli.json)
		kg_diagnostics_print(&diags, stderr);
	/* Write beside OUT and rename, so OUT is never half written. */
	if (asprintf(&tmp, "%s.tmp.%ld", output, (long)getpid()) < 0) {
		tmp = NULL;
		cli_error("policy compile: %s", strerror(ENOMEM));
		goto out;
	}
	f = fopen(tmp, "wb");
	if (!f) {
		cli_error("policy compile: cannot write '%s': %s", output, strerror(errno));
		goto out;
	}
	err = kg_policy_write_blob(policy, f);
	bytes = ftell(f);
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, output) < 0)
		err = -errno;
	if (err) {
		cli_error("policy compile: cannot write '%s': %s", output, strerror(-err));
		unlink(tmp);
		goto out;
	}
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_bool(&w, "valid", true);
		json_diagnostics(&w, &diags);
		json_kv_string(&w, "output", output);
		json_kv_int(&w, "bytes", bytes);
		json_kv_hex(&w, "digest", policy->digest, sizeof(policy->digest));
		json_object_end(&w);
	} else {
		printf("wrote %s (%ld bytes), policy '%s' version %llu, digest sha256:", output, bytes,
		       policy->name, (unsigned long long)policy->version);
		print_digest(stdout, policy->digest, sizeof(policy->digest));
		printf("\n");
	}
	ret = KG_EXIT_OK;
out:
	free(tmp);
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

static const char *rule_label(const struct kg_compiled_policy *p, uint32_t id)
{
	return id < p->n_rules ? p->rule_info[id].name : "-";
}

static void json_source(struct json_writer *w, const struct kg_source_ref *src)
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

static const char *failure_name(uint32_t on_failure)
{
	return on_failure == KG_FAIL_AUDIT ? "audit" : "deny";
}

static void show_json(const struct kg_compiled_policy *p, const struct kg_diagnostics *diags)
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
		json_source(&w, &a->src);
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
		json_kv_string(&w, "on_failure", failure_name(r->on_failure));
		json_kv_string(&w, "log", r->flags & KG_RULE_LOG_ALLOWED ? "all" : "failures");
		json_key(&w, "scopes");
		json_array_begin(&w);
		for (size_t k = 0; k < info->n_paths; k++)
			json_string(&w, info->paths[k]);
		json_array_end(&w);
		json_source(&w, &info->src);
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

static void show_text(const struct kg_compiled_policy *p)
{
	bool uniform = true;

	printf("policy    %s, version %llu\n", p->name, (unsigned long long)p->version);
	printf("mode      %s%s\n", kg_mode_name(p->mode),
	       kg_policy_is_audit_only(p) ? " (audit only: can never deny)" : "");
	printf("digest    sha256:");
	print_digest(stdout, p->digest, sizeof(p->digest));
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
			print_digest(stdout, a->certs[k].sha256, 32);
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
			printf("; on failure %s", failure_name(r->on_failure));
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
			print_digest(stdout, p->revoked[i].digest, p->revoked[i].digest_size);
			printf("\n");
		}
		for (size_t i = 0; i < p->n_revoked_certs; i++) {
			printf("  certificate sha256:");
			print_digest(stdout, p->revoked_certs[i], 32);
			printf("\n");
		}
	}
}

static int do_show(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	int help = 0, use_default = 0, first, err, ret = KG_EXIT_OK;

	first = parse_options(argc, argv, NULL, &use_default, &help, NULL);
	if (first < 0)
		return KG_EXIT_USAGE;
	if (help) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	if (use_default && first < argc) {
		cli_error("policy show: give FILE|DIR or --default, not both");
		return KG_EXIT_USAGE;
	}
	/* With no operand, show what the agent would use: the default. */
	if (first >= argc)
		use_default = 1;
	err = load(argc, argv, first, use_default, &policy, &diags);
	if (err) {
		ret = report_failure("show", &diags, err);
		goto out;
	}
	if (cli.json) {
		show_json(policy, &diags);
	} else {
		kg_diagnostics_print(&diags, stderr);
		show_text(policy);
	}
out:
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

/* One operation's outcome in words: what the rule requires, or the default. */
static void describe_outcome(const struct kg_compiled_policy *p, uint32_t op, uint32_t id,
			     char *buf, size_t len)
{
	const struct kg_rule *r;
	size_t used;

	if (id == KG_RULE_NONE) {
		snprintf(buf, len, "no rule: default %s", kg_default_action_name(p->config.default_action[op]));
		return;
	}
	r = &p->rules[id];
	used = (size_t)snprintf(buf, len, "%s", kg_requirement_name(r->requirement));
	if (r->requirement == KG_REQ_SIGNED) {
		const char *sep = " by ";

		for (size_t a = 0; a < p->n_anchors && a < 64 && used < len; a++)
			if (r->anchors & (1ull << a)) {
				used += (size_t)snprintf(buf + used, len - used, "%s%s", sep,
							 p->anchor_info[a].name);
				sep = ", ";
			}
	}
	if (r->requirement != KG_REQ_ALLOW && used < len)
		snprintf(buf + used, len - used, "; on failure %s", failure_name(r->on_failure));
}

static int do_explain(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	const struct kg_path_entry *entry;
	const char *path = NULL;
	int help = 0, use_default = 0, first, err, ret = KG_EXIT_OK;
	char outcome[512];

	first = parse_options(argc, argv, NULL, &use_default, &help, &path);
	if (first < 0)
		return KG_EXIT_USAGE;
	if (help) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	if ((first >= argc) == !use_default || !path) {
		cli_error("policy explain: usage: keygate policy explain {FILE|DIR... | --default} --path PATH");
		return KG_EXIT_USAGE;
	}
	if (path[0] != '/') {
		cli_error("policy explain: '%s' is not an absolute path", path);
		return KG_EXIT_USAGE;
	}
	err = load(argc, argv, first, use_default, &policy, &diags);
	if (err) {
		ret = report_failure("explain", &diags, err);
		goto out;
	}
	entry = kg_policy_lookup(policy, path);
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_string(&w, "path", path);
		json_kv_string(&w, "scope", entry->key.path);
		json_key(&w, "operations");
		json_object_begin(&w);
		for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
			uint32_t id = entry->value.rule[op];

			json_key(&w, kg_op_name(op));
			json_object_begin(&w);
			if (id == KG_RULE_NONE) {
				json_key(&w, "rule");
				json_null(&w);
			} else {
				json_kv_uint(&w, "rule", id);
				json_kv_string(&w, "rule_name", policy->rule_info[id].name);
				json_source(&w, &policy->rule_info[id].src);
			}
			describe_outcome(policy, op, id, outcome, sizeof(outcome));
			json_kv_string(&w, "outcome", outcome);
			json_object_end(&w);
		}
		json_object_end(&w);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(&diags, stderr);
		printf("%s: decided at scope %s\n", path,
		       entry->key.len ? entry->key.path : "(everything)");
		for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
			uint32_t id = entry->value.rule[op];

			describe_outcome(policy, op, id, outcome, sizeof(outcome));
			if (id == KG_RULE_NONE)
				printf("  %-14s %s\n", kg_op_name(op), outcome);
			else
				printf("  %-14s rule %s (%s:%u): %s\n", kg_op_name(op),
				       policy->rule_info[id].name, policy->rule_info[id].src.file,
				       policy->rule_info[id].src.line, outcome);
		}
	}
out:
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	policy_usage(stdout);
	return KG_EXIT_OK;
}

int cmd_policy(int argc, char **argv)
{
	static const struct cli_command commands[] = {
		{ "check", do_check, "validate policy files" },
		{ "compile", do_compile, "compile policy into map images" },
		{ "show", do_show, "print the compiled policy" },
		{ "explain", do_explain, "which rule decides for a path" },
		{ "help", do_help, "this help" },
		{ NULL, NULL, NULL },
	};

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	return cli_dispatch(commands, "policy", argc - 1, argv + 1);
}

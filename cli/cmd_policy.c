// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* cmd_policy.c - `keygate policy {check | compile | sign | show | explain | reload | help}`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keygate_policy.h"
#include "keygate_signature.h"
#include "policy_output.h"

static void policy_usage(FILE *out)
{
	fprintf(out,
		"Usage: keygate [-j] policy check {FILE|DIR... | --default} [--signature SIG] [--anchor CERT]\n"
		"       keygate [-j] policy compile {FILE|DIR... | --default} [--signed-part] -o OUT\n"
		"       keygate [-j] policy sign {FILE|DIR... | --default} --key KEY --cert CERT -o SIG\n"
		"       keygate [-j] policy show [FILE|DIR... | --default] [--signature SIG] [--anchor CERT]\n"
		"       keygate [-j] policy explain {FILE|DIR... | --default} --path PATH\n"
		"       keygate [-j] policy reload --pid PID [--timeout SECONDS]\n"
		"       keygate policy help\n"
		"\n"
		"A DIR contributes DIR/policy.yaml, then DIR/policy.d/*.yaml in name order.\n"
		"check:   validate; exit 0 when valid (warnings allowed), 1 when not.\n"
		"compile: write the compiled policy (map images, digest) to OUT; with\n"
		"         --signed-part only the bytes a policy signature covers.\n"
		"sign:    write a detached PKCS#7 signature of the signed part to SIG (as\n"
		"         openssl cms -sign -binary -noattr -md sha256 -outform DER does).\n"
		"show:    print the compiled policy; --default shows the built-in one.\n"
		"check and show report the signature (SIG, else DIR/policy.sig or FILE.sig),\n"
		"verified against the certificates in CERT when --anchor is given.\n"
		"explain: which rule decides each operation on the file PATH, and how.\n"
		"reload:  make the agent PID reload its policy; exit 0 once the new policy\n"
		"         is in force, 1 when the agent rejected it (the old one stays).\n"
		"See keygate-policy(5) for the language.\n");
}

/* What a verb takes besides its FILE|DIR... operands. */
struct policy_verb {
	const char *name;
	const char *synopsis;   /* printed with a usage error */
	bool takes_output;      /* compile, sign: -o OUT, required */
	bool takes_path;        /* explain: --path PATH, required, absolute */
	bool default_when_none; /* show: no operand means --default */
	bool takes_signature;   /* check, show: --signature SIG, --anchor CERT */
	bool takes_key;         /* sign: --key KEY and --cert CERT, required */
	bool takes_signed_part; /* compile: --signed-part */
};

/* What a verb was given. */
struct policy_args {
	const char *output, *path;
	const char *signature, *anchor, *key, *cert;
	bool use_default, signed_part;
	int first; /* index of the first operand */
};

/* Options every policy verb accepts. Returns true when the verb should
 * run; false with *status set after --help or a usage error. */
static bool parse_options(const struct policy_verb *verb, int argc, char **argv,
			  struct policy_args *a, int *status)
{
	enum { OPT_PATH = 256, OPT_DEFAULT, OPT_SIGNATURE, OPT_ANCHOR, OPT_SIGNED_PART, OPT_KEY,
	       OPT_CERT };
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "default", no_argument, NULL, OPT_DEFAULT },
		{ "signature", required_argument, NULL, OPT_SIGNATURE },
		{ "anchor", required_argument, NULL, OPT_ANCHOR },
		{ "signed-part", no_argument, NULL, OPT_SIGNED_PART },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "cert", required_argument, NULL, OPT_CERT },
		CLI_OUTPUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0; /* 0: glibc re-reads the option string (main used "+") */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:jph", options, NULL)) != -1) {
		if (cli_output_option(opt))
			continue;
		switch (opt) {
		case OPT_SIGNATURE:
		case OPT_ANCHOR:
			if (!verb->takes_signature) {
				cli_error("policy %s: %s is only valid with check and show", verb->name,
					  argv[optind - 1]);
				*status = KG_EXIT_USAGE;
				return false;
			}
			*(opt == OPT_SIGNATURE ? &a->signature : &a->anchor) = optarg;
			break;
		case OPT_KEY:
		case OPT_CERT:
			if (!verb->takes_key) {
				cli_error("policy %s: %s is only valid with sign", verb->name,
					  argv[optind - 1]);
				*status = KG_EXIT_USAGE;
				return false;
			}
			*(opt == OPT_KEY ? &a->key : &a->cert) = optarg;
			break;
		case OPT_SIGNED_PART:
			if (!verb->takes_signed_part) {
				cli_error("policy %s: --signed-part is only valid with compile", verb->name);
				*status = KG_EXIT_USAGE;
				return false;
			}
			a->signed_part = true;
			break;
		case 'o':
			if (!verb->takes_output) {
				cli_error("policy %s: -o is only valid with compile and sign", verb->name);
				*status = KG_EXIT_USAGE;
				return false;
			}
			a->output = optarg;
			break;
		case OPT_DEFAULT:
			a->use_default = true;
			break;
		case OPT_PATH:
			if (!verb->takes_path) {
				cli_error("policy %s: --path is only valid with explain", verb->name);
				*status = KG_EXIT_USAGE;
				return false;
			}
			a->path = optarg;
			break;
		case 'h':
			policy_usage(stdout);
			*status = KG_EXIT_OK;
			return false;
		default:
			cli_error("policy %s: unknown option '%s'; try 'keygate policy help'", verb->name,
				  argv[optind - 1]);
			*status = KG_EXIT_USAGE;
			return false;
		}
	}
	a->first = optind;
	return true;
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
		policy_json_diagnostics(&w, diags);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(diags, stderr);
		fprintf(stderr, "keygate: policy %s: policy is invalid (%zu error%s)\n", command,
			diags->errors, diags->errors == 1 ? "" : "s");
	}
	return KG_EXIT_FAILURE;
}

/* The part every verb shares: options, operands, then the policy loaded.
 * Returns true with *policy set; false with *status set (help, a usage
 * error, or a failed load, each already reported). */
static bool policy_open(const struct policy_verb *verb, int argc, char **argv,
			struct policy_args *a, struct kg_compiled_policy **policy,
			struct kg_diagnostics *diags, int *status)
{
	bool files, usable;
	int err;

	if (!parse_options(verb, argc, argv, a, status))
		return false;
	files = a->first < argc;
	if (verb->default_when_none && !files && !a->use_default)
		a->use_default = true;
	usable = files != a->use_default && (!verb->takes_output || a->output) &&
		 (!verb->takes_path || a->path) && (!verb->takes_key || (a->key && a->cert));
	if (!usable) {
		cli_error("policy %s: usage: keygate policy %s %s", verb->name, verb->name,
			  verb->synopsis);
		*status = KG_EXIT_USAGE;
		return false;
	}
	if (verb->takes_path && a->path[0] != '/') {
		cli_error("policy %s: '%s' is not an absolute path", verb->name, a->path);
		*status = KG_EXIT_USAGE;
		return false;
	}
	if (a->use_default)
		err = kg_policy_load_default(policy, diags);
	else
		err = kg_policy_load((const char *const *)argv + a->first, (size_t)(argc - a->first),
				     policy, diags);
	if (err) {
		*status = report_failure(verb->name, diags, err);
		return false;
	}
	return true;
}

/* The JSON object of a verb that loaded a valid policy, opened. */
static void json_valid_begin(struct json_writer *w, const struct kg_diagnostics *diags)
{
	json_init(w, stdout, cli.pretty);
	json_object_begin(w);
	json_kv_bool(w, "valid", true);
	policy_json_diagnostics(w, diags);
}

static int do_check(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	static const struct policy_verb verb = {
		.name = "check", .synopsis = "{FILE|DIR... | --default} [--signature SIG] [--anchor CERT]",
		.takes_signature = true
	};
	struct policy_args args = { 0 };
	struct policy_signature sig;
	int ret = KG_EXIT_OK;

	if (!policy_open(&verb, argc, argv, &args, &policy, &diags, &ret))
		goto out;
	policy_signature_check(policy, (const char *const *)argv + args.first,
			       (size_t)(argc - args.first), args.signature, args.anchor, &sig);
	if (policy_signature_failed(&sig))
		ret = KG_EXIT_FAILURE;
	if (cli.json) {
		struct json_writer w;

		json_valid_begin(&w, &diags);
		json_kv_string(&w, "name", policy->name);
		json_kv_uint(&w, "version", policy->version);
		json_kv_hex(&w, "digest", policy->digest, sizeof(policy->digest));
		json_kv_uint(&w, "rules", policy->n_rules);
		json_key(&w, "signature");
		policy_signature_json(&w, &sig);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(&diags, stderr);
		printf("policy '%s' version %llu is valid: %zu rule%s, %zu anchor%s, %zu warning%s\n",
		       policy->name, (unsigned long long)policy->version, policy->n_rules,
		       policy->n_rules == 1 ? "" : "s", policy->n_anchors,
		       policy->n_anchors == 1 ? "" : "s", diags.warnings,
		       diags.warnings == 1 ? "" : "s");
		printf("digest sha256:");
		policy_print_digest(stdout, policy->digest, sizeof(policy->digest));
		printf("\n");
		policy_signature_text(stdout, &sig);
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
	char *tmp = NULL;
	FILE *f = NULL;
	static const struct policy_verb verb = {
		.name = "compile", .synopsis = "{FILE|DIR... | --default} [--signed-part] -o OUT",
		.takes_output = true, .takes_signed_part = true
	};
	struct policy_args args = { 0 };
	int err, ret = KG_EXIT_FAILURE;
	long bytes;

	if (!policy_open(&verb, argc, argv, &args, &policy, &diags, &ret))
		goto out;
	if (!cli.json)
		kg_diagnostics_print(&diags, stderr);
	/* Write beside OUT and rename, so OUT is never half written. */
	if (asprintf(&tmp, "%s.tmp.%ld", args.output, (long)getpid()) < 0) {
		tmp = NULL;
		cli_error("policy compile: %s", strerror(ENOMEM));
		goto out;
	}
	f = fopen(tmp, "wb");
	if (!f) {
		cli_error("policy compile: cannot write '%s': %s", args.output, strerror(errno));
		goto out;
	}
	if (args.signed_part) {
		uint8_t *part = NULL;
		size_t len = 0;

		err = kg_policy_signed_part(policy, &part, &len);
		if (!err && (fwrite(part, 1, len, f) != len || fflush(f)))
			err = -EIO;
		free(part);
	} else {
		err = kg_policy_write_blob(policy, f);
	}
	bytes = ftell(f);
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, args.output) < 0)
		err = -errno;
	if (err) {
		cli_error("policy compile: cannot write '%s': %s", args.output, strerror(-err));
		unlink(tmp);
		goto out;
	}
	if (cli.json) {
		struct json_writer w;

		json_valid_begin(&w, &diags);
		json_kv_string(&w, "output", args.output);
		json_kv_int(&w, "bytes", bytes);
		json_kv_hex(&w, "digest", policy->digest, sizeof(policy->digest));
		json_object_end(&w);
	} else {
		printf("wrote %s (%ld bytes), policy '%s' version %llu, digest sha256:", args.output, bytes,
		       policy->name, (unsigned long long)policy->version);
		policy_print_digest(stdout, policy->digest, sizeof(policy->digest));
		printf("\n");
	}
	ret = KG_EXIT_OK;
out:
	free(tmp);
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

/* Writes LEN bytes to PATH through a temporary file renamed over it. */
static int write_atomically(const char *path, const uint8_t *data, size_t len)
{
	char *tmp = NULL;
	FILE *f;
	int err = 0;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	f = fopen(tmp, "wb");
	if (!f) {
		err = -errno;
		goto out;
	}
	if (fwrite(data, 1, len, f) != len || fflush(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
out:
	free(tmp);
	return err;
}

static int do_sign(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	static const struct policy_verb verb = {
		.name = "sign", .synopsis = "{FILE|DIR... | --default} --key KEY --cert CERT -o SIG",
		.takes_output = true, .takes_key = true
	};
	struct policy_args args = { 0 };
	uint8_t *part = NULL, *sig = NULL;
	size_t len = 0, sig_len = 0;
	char why[256];
	int err, ret = KG_EXIT_FAILURE;

	if (!policy_open(&verb, argc, argv, &args, &policy, &diags, &ret))
		goto out;
	if (!cli.json)
		kg_diagnostics_print(&diags, stderr);
	err = kg_policy_signed_part(policy, &part, &len);
	if (err) {
		cli_error("policy sign: %s", strerror(-err));
		goto out;
	}
	err = kg_signature_sign(part, len, args.key, args.cert, &sig, &sig_len, why, sizeof(why));
	if (err) {
		cli_error("policy sign: %s", why);
		goto out;
	}
	if (sig_len > KG_SIG_MAX) {
		cli_error("policy sign: the signature has %zu bytes; the kernel side takes at most %d "
			  "(drop the chain from the certificate file)", sig_len, KG_SIG_MAX);
		goto out;
	}
	err = write_atomically(args.output, sig, sig_len);
	if (err) {
		cli_error("policy sign: cannot write '%s': %s", args.output, strerror(-err));
		goto out;
	}
	if (cli.json) {
		struct json_writer w;

		json_valid_begin(&w, &diags);
		json_kv_string(&w, "output", args.output);
		json_kv_uint(&w, "bytes", sig_len);
		json_kv_string(&w, "name", policy->name);
		json_kv_uint(&w, "version", policy->version);
		json_kv_hex(&w, "digest", policy->digest, sizeof(policy->digest));
		json_object_end(&w);
	} else {
		printf("wrote %s (%zu bytes): signature of policy '%s' version %llu, digest sha256:",
		       args.output, sig_len, policy->name, (unsigned long long)policy->version);
		policy_print_digest(stdout, policy->digest, sizeof(policy->digest));
		printf("\n");
	}
	ret = KG_EXIT_OK;
out:
	free(part);
	free(sig);
	kg_policy_free(policy);
	kg_diagnostics_free(&diags);
	return ret;
}

static int do_show(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	/* With no operand, show what the agent would use: the default. */
	static const struct policy_verb verb = {
		.name = "show", .synopsis = "[FILE|DIR... | --default] [--signature SIG] [--anchor CERT]",
		.default_when_none = true, .takes_signature = true
	};
	struct policy_args args = { 0 };
	struct policy_signature sig;
	int ret = KG_EXIT_OK;

	if (!policy_open(&verb, argc, argv, &args, &policy, &diags, &ret))
		goto out;
	policy_signature_check(policy, (const char *const *)argv + args.first,
			       (size_t)(argc - args.first), args.signature, args.anchor, &sig);
	if (cli.json) {
		policy_show_json(policy, &diags, &sig);
	} else {
		kg_diagnostics_print(&diags, stderr);
		policy_show_text(policy);
		printf("\n");
		policy_signature_text(stdout, &sig);
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
		snprintf(buf + used, len - used, "; on failure %s", policy_failure_name(r->on_failure));
}

static int do_explain(int argc, char **argv)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	const struct kg_path_entry *entry;
	static const struct policy_verb verb = {
		.name = "explain", .synopsis = "{FILE|DIR... | --default} --path PATH",
		.takes_path = true
	};
	struct policy_args args = { 0 };
	int ret = KG_EXIT_OK;
	char outcome[512];

	if (!policy_open(&verb, argc, argv, &args, &policy, &diags, &ret))
		goto out;
	entry = kg_policy_lookup(policy, args.path);
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_string(&w, "path", args.path);
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
				policy_json_source(&w, &policy->rule_info[id].src);
			}
			describe_outcome(policy, op, id, outcome, sizeof(outcome));
			json_kv_string(&w, "outcome", outcome);
			json_object_end(&w);
		}
		json_object_end(&w);
		json_object_end(&w);
	} else {
		kg_diagnostics_print(&diags, stderr);
		printf("%s: decided at scope %s\n", args.path,
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
		{ "sign", do_sign, "sign the compiled policy (detached PKCS#7)" },
		{ "show", do_show, "print the compiled policy" },
		{ "explain", do_explain, "which rule decides for a path" },
		{ "reload", cmd_policy_reload, "make the running agent reload, wait for the outcome" },
		{ "help", do_help, "this help" },
		{ NULL, NULL, NULL },
	};

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		policy_usage(stdout);
		return KG_EXIT_OK;
	}
	return cli_dispatch(commands, "policy", argc - 1, argv + 1);
}

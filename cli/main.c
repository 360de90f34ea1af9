// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* main.c - `keygate [OPTIONS] OBJECT COMMAND`: option parsing and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

struct cli_options cli;

static const struct cli_command objects[] = {
	{ "policy", cmd_policy, "check, compile and show policy" },
	{ "probe", cmd_probe, "report what the running kernel supports" },
	{ "run", cmd_run, "enforce a policy (the agent)" },
	{ "status", cmd_status, "show what is in force, with or without an agent" },
	{ "stop", cmd_stop, "end enforcement (unpin and detach)" },
	{ "log", cmd_log, "read and summarise the audit log" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: keygate [OPTIONS] OBJECT {COMMAND | help}\n"
		"\n"
		"Signature-based execution and load control with BPF LSM.\n"
		"\n"
		"Objects:\n");
	for (const struct cli_command *c = objects; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -j, --json      JSON output (always valid JSON, errors included)\n"
		"  -p, --pretty    indented JSON (implies -j)\n"
		"  -d, --debug     show libbpf and verifier messages\n"
		"  -V, --version   print the version\n"
		"  -h, --help      this help\n"
		"\n"
		"Exit status: 0 success, 1 failure (e.g. invalid policy), 2 usage error,\n"
		"3 the kernel cannot enforce. See keygate(8).\n");
}

void cli_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli.json) {
		struct json_writer w;

		json_init(&w, cli.errors_to_stderr ? stderr : stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_string(&w, "error", msg);
		json_object_end(&w);
	} else {
		fprintf(stderr, "keygate: %s\n", msg);
	}
}

/* Library errors are the command's errors; warnings and notices are lines
 * on stderr; debug output is libbpf's own text. */
static void log_to_cli(enum kg_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == KG_LOG_ERROR)
		cli_error("%s", msg);
	else if (level == KG_LOG_DEBUG)
		fprintf(stderr, "%s\n", msg);
	else
		fprintf(stderr, "keygate: %s\n", msg);
}

static void cli_log_init(void)
{
	kg_log_set_sink(log_to_cli, NULL, cli.debug ? KG_LOG_DEBUG : KG_LOG_INFO);
}

bool cli_output_option(int opt)
{
	if (opt == 'j')
		cli.json = true;
	else if (opt == 'p')
		cli.json = cli.pretty = true;
	else
		return false;
	return true;
}

int cli_dispatch(const struct cli_command *cmds, const char *noun, int argc, char **argv)
{
	const struct cli_command *match = NULL;
	size_t len;

	if (argc < 1) {
		cli_error("%s: missing command; try 'keygate %s help'", noun, noun);
		return KG_EXIT_USAGE;
	}
	len = strlen(argv[0]);
	for (const struct cli_command *c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[0]) == 0) {
			match = c;
			break;
		}
		if (strncmp(c->name, argv[0], len) == 0) {
			if (match) {
				cli_error("%s: '%s' is ambiguous", noun, argv[0]);
				return KG_EXIT_USAGE;
			}
			match = c;
		}
	}
	if (!match) {
		cli_error("%s: unknown command '%s'; try 'keygate %s help'", noun, argv[0], noun);
		return KG_EXIT_USAGE;
	}
	return match->run(argc, argv);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_OUTPUT_OPTIONS,
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	/* '+': stop at the object name; commands parse their own options. */
	while ((opt = getopt_long(argc, argv, "+jpdVh", options, NULL)) != -1) {
		if (cli_output_option(opt))
			continue;
		switch (opt) {
		case 'd':
			cli.debug = true;
			break;
		case 'V':
			printf("keygate %s\n", KEYGATE_VERSION);
			return KG_EXIT_OK;
		case 'h':
			usage(stdout);
			return KG_EXIT_OK;
		default:
			usage(stderr);
			return KG_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	cli_log_init();
	if (argc < 1 || strcmp(argv[0], "help") == 0) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? KG_EXIT_USAGE : KG_EXIT_OK;
	}
	/* Commands see argv[0] = their own name, like bpftool. */
	return cli_dispatch(objects, "keygate", argc, argv);
}

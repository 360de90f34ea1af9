/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/* cli.h - shared pieces of the keygate command line (bpftool-like). */
#ifndef KEYGATE_CLI_H
#define KEYGATE_CLI_H

#include <signal.h>
#include <stdbool.h>

#include "json_writer.h"

struct cli_options {
	bool json;   /* -j: JSON on stdout, errors as {"error": ...} */
	bool pretty; /* -p: indented JSON (implies -j) */
	bool debug;  /* -d: libbpf and verifier output on stderr */
	/* Set by commands whose stdout is a stream of records (run): their
	 * JSON errors go to stderr so stdout stays one JSON value a line. */
	bool errors_to_stderr;
};

extern struct cli_options cli;

/* -j and -p: valid before the object and after a command's name. */
#define CLI_OUTPUT_OPTIONS \
	{ "json", no_argument, NULL, 'j' }, { "pretty", no_argument, NULL, 'p' }
/* Applies opt when it is -j or -p; false for any other option. */
bool cli_output_option(int opt);

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Runs the command whose name starts with argv[0] (unique prefix). */
int cli_dispatch(const struct cli_command *cmds, const char *noun, int argc, char **argv);

/* Reports an error once: stderr for humans, a JSON object with -j (on
 * stdout, or stderr when cli.errors_to_stderr). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit statuses shared by every command (documented in keygate(8)). */
enum {
	KG_EXIT_OK = 0,
	KG_EXIT_FAILURE = 1,      /* e.g. policy invalid, command failed */
	KG_EXIT_USAGE = 2,        /* bad command line */
	KG_EXIT_CANNOT_ENFORCE = 3, /* kernel lacks what enforcement needs */
};

/*
 * `keygate policy reload` asks the agent with sigqueue(SIGHUP) carrying
 * KG_RELOAD_REQUEST; the agent answers with KG_RELOAD_REPLY_SIGNAL carrying
 * 0 (the new policy is in force) or the -errno that made it reject it.
 */
#define KG_RELOAD_REQUEST 0x6b67726c /* "kgrl" */
#define KG_RELOAD_REPLY_SIGNAL SIGUSR2

int cmd_policy(int argc, char **argv);
int cmd_policy_reload(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);

#endif

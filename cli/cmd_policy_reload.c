// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_policy_reload.c - `keygate [-j] policy reload --pid PID [--timeout S]`:
 * asks the running agent to reload its policy and waits for the outcome,
 * so that `systemctl reload keygate` (its ExecReload=) fails when the agent
 * rejects the new policy. The request is SIGHUP sent with sigqueue(3)
 * carrying KG_RELOAD_REQUEST; the agent answers with KG_RELOAD_REPLY_SIGNAL
 * carrying 0 or -errno (cli.h). A plain SIGHUP still reloads, unanswered.
 *
 * Exit status: 0 the new policy is in force; 1 the agent rejected it (the
 * old one stays in force; the agent's log says why), it did not answer in
 * time, or it could not be signalled; 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define RELOAD_TIMEOUT_DEFAULT_S 120

static int parse_number(const char *arg, const char *what, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *out <= 0 || *out > max) {
		cli_error("policy reload: %s '%s' must be a number from 1 to %ld", what, arg, max);
		return -1;
	}
	return 0;
}

static void print_result(long pid, int outcome)
{
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, cli.pretty);
		json_object_begin(&w);
		json_kv_int(&w, "pid", pid);
		json_kv_bool(&w, "applied", outcome == 0);
		if (outcome)
			json_kv_string(&w, "error", strerror(-outcome));
		json_object_end(&w);
		return;
	}
	if (outcome == 0)
		printf("keygate: the agent (pid %ld) enforces the reloaded policy\n", pid);
}

int cmd_policy_reload(int argc, char **argv)
{
	enum { OPT_PID = 256, OPT_TIMEOUT };
	static const struct option options[] = {
		{ "pid", required_argument, NULL, OPT_PID },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		CLI_OUTPUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	union sigval request = { .sival_int = KG_RELOAD_REQUEST };
	long pid = 0, timeout = RELOAD_TIMEOUT_DEFAULT_S;
	struct timespec deadline, now, left;
	sigset_t reply;
	siginfo_t si;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jph", options, NULL)) != -1) {
		if (cli_output_option(opt))
			continue;
		switch (opt) {
		case OPT_PID:
			if (parse_number(optarg, "--pid", 4194304, &pid))
				return KG_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (parse_number(optarg, "--timeout", 86400, &timeout))
				return KG_EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: keygate [-j] policy reload --pid PID [--timeout SECONDS]\n");
			return KG_EXIT_OK;
		default:
			cli_error("policy reload: unknown option '%s'; try 'keygate policy help'",
				  argv[optind - 1]);
			return KG_EXIT_USAGE;
		}
	}
	if (!pid || optind < argc) {
		cli_error("policy reload: needs --pid PID of the agent and no other argument");
		return KG_EXIT_USAGE;
	}

	/* Blocked before the request: the answer cannot come before we wait. */
	sigemptyset(&reply);
	sigaddset(&reply, KG_RELOAD_REPLY_SIGNAL);
	sigprocmask(SIG_BLOCK, &reply, NULL);
	if (sigqueue((pid_t)pid, SIGHUP, request)) {
		cli_error("policy reload: cannot signal the agent (pid %ld): %s", pid,
			  strerror(errno));
		return KG_EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			cli_error("policy reload: the agent (pid %ld) did not answer within %ld s",
				  pid, timeout);
			return KG_EXIT_FAILURE;
		}
		if (sigtimedwait(&reply, &si, &left) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			cli_error("policy reload: waiting for the agent failed: %s", strerror(errno));
			return KG_EXIT_FAILURE;
		}
		if (si.si_pid == (pid_t)pid && si.si_code == SI_QUEUE)
			break;
	}
	if (si.si_value.sival_int) {
		int outcome = si.si_value.sival_int;

		if (cli.json)
			print_result(pid, outcome);
		else
			cli_error("policy reload: the agent (pid %ld) rejected the policy (%s); the "
				  "old policy stays in force; its messages say why "
				  "(journalctl -u keygate)", pid, strerror(-outcome));
		return KG_EXIT_FAILURE;
	}
	print_result(pid, 0);
	return KG_EXIT_OK;
}

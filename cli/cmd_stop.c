// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_stop.c - `keygate stop`: ends enforcement deliberately. A running
 * agent gets SIGTERM (and up to 10 s to exit), then every pinned link and
 * map under KG_PIN_DIR is unpinned, which detaches keygate's programs once
 * the kernel releases the links (waited for, up to 10 s).
 * -j: {"stopped":bool,"agent_pid":N|null,"policy":NAME|null,"generation":N}.
 * Exit status: 0 stopped, or nothing was pinned; 1 failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pin.h"

#define AGENT_EXIT_TIMEOUT_MS 10000

static void print_json(bool stopped, const struct kg_agent_state *was, bool agent_stopped)
{
	struct json_writer w;

	json_init(&w, stdout, cli.pretty);
	json_object_begin(&w);
	json_kv_bool(&w, "stopped", stopped);
	json_key(&w, "agent_pid");
	if (agent_stopped)
		json_uint(&w, was->tgid);
	else
		json_null(&w);
	json_key(&w, "policy");
	if (stopped && was->policy_name[0])
		json_string(&w, was->policy_name);
	else
		json_null(&w);
	json_kv_uint(&w, "generation", stopped ? was->generation : 0);
	json_object_end(&w);
	fputc('\n', stdout);
}

int cmd_stop(int argc, char **argv)
{
	struct kg_agent_state was;
	bool agent_stopped;
	int err;

	(void)argv;
	if (argc > 1) {
		cli_error("stop: takes no arguments");
		return KG_EXIT_USAGE;
	}
	err = kg_pin_stop(&was, &agent_stopped, AGENT_EXIT_TIMEOUT_MS);
	if (err == -ENOENT) {
		if (cli.json)
			print_json(false, &was, false);
		else
			printf("keygate: nothing pinned at %s; not enforcing\n", KG_PIN_DIR);
		return KG_EXIT_OK;
	}
	if (err == -ETIMEDOUT) {
		cli_error("stop: the agent (pid %u) did not exit, or keygate's links were not "
			  "released, within %d s; `keygate status` says what is left", was.tgid,
			  AGENT_EXIT_TIMEOUT_MS / 1000);
		return KG_EXIT_FAILURE;
	}
	if (err) {
		cli_error("stop: removing %s failed: %s; enforcement may be partly in force "
			  "(`keygate status`)", KG_PIN_DIR, strerror(-err));
		return KG_EXIT_FAILURE;
	}
	if (cli.json) {
		print_json(true, &was, agent_stopped);
	} else {
		printf("keygate: enforcement stopped (policy %s, generation %u)",
		       was.policy_name[0] ? was.policy_name : "unknown", was.generation);
		if (agent_stopped)
			printf("; agent pid %u stopped", was.tgid);
		printf("\n");
	}
	return KG_EXIT_OK;
}

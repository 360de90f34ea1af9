// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_probe.c - `keygate probe`: one line per check (ok/FAIL + how it was
 * determined; a kernel feature keygate uses where present is ok/no), or -j
 * {"checks":[{"name","ok","required","feature","detail"}],
 * "all_ok":bool,"can_enforce":bool}.
 *
 * Exit status: 0 every check but the features passed; 3 (KG_EXIT_CANNOT_ENFORCE) some check
 * failed ("can_enforce" says whether enforcement is possible at all, i.e.
 * every required check passed); 1 probing itself failed; 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "probe.h"

static void print_human(const struct kg_probe_report *r)
{
	const struct kg_probe_check *blocker = kg_probe_first_blocker(r);

	for (int i = 0; i < r->count; i++) {
		const struct kg_probe_check *c = &r->checks[i];

		printf("%-4s %-32s %s\n", c->ok ? "ok" : c->feature ? "no" : "FAIL", c->name,
		       c->detail);
	}
	if (blocker)
		printf("keygate cannot enforce on this kernel: %s: %s\n", blocker->name,
		       blocker->detail);
	else if (!r->all_ok)
		printf("keygate can enforce; rules needing a failed check will be refused\n");
	else
		printf("keygate can enforce: every check passed\n");
}

static void print_json(const struct kg_probe_report *r)
{
	struct json_writer w;

	json_init(&w, stdout, cli.pretty);
	json_object_begin(&w);
	json_key(&w, "checks");
	json_array_begin(&w);
	for (int i = 0; i < r->count; i++) {
		json_object_begin(&w);
		json_kv_string(&w, "name", r->checks[i].name);
		json_kv_bool(&w, "ok", r->checks[i].ok);
		json_kv_bool(&w, "required", r->checks[i].required);
		json_kv_bool(&w, "feature", r->checks[i].feature);
		json_kv_string(&w, "detail", r->checks[i].detail);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_kv_bool(&w, "all_ok", r->all_ok);
	json_kv_bool(&w, "can_enforce", r->can_enforce);
	json_object_end(&w);
	fputc('\n', stdout);
}

int cmd_probe(int argc, char **argv)
{
	struct kg_probe_report report;
	int err;

	(void)argv;
	if (argc > 1) {
		cli_error("probe: takes no arguments");
		return KG_EXIT_USAGE;
	}
	err = kg_probe_run(&report, cli.debug);
	if (err) {
		cli_error("probe: probing the kernel failed: %s", strerror(-err));
		return KG_EXIT_FAILURE;
	}
	if (cli.json)
		print_json(&report);
	else
		print_human(&report);
	return report.all_ok ? KG_EXIT_OK : KG_EXIT_CANNOT_ENFORCE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_no_bpf.c - `keygate run`, `probe`, `status` and `stop` in a build without BPF
 * support (meson -Dbpf=disabled, or clang, bpftool, libbpf or libelf
 * missing): they say so and exit 3, as when the kernel cannot enforce.
 */
#include "cli.h"

static int built_without_bpf(const char *command)
{
	cli_error("%s: this keygate was built without BPF support (meson -Dbpf); "
		  "it can check, compile and show policies and read logs, not enforce", command);
	return KG_EXIT_CANNOT_ENFORCE;
}

int cmd_run(int argc, char **argv)
{
	(void)argc, (void)argv;
	cli.errors_to_stderr = true;
	return built_without_bpf("run");
}

int cmd_probe(int argc, char **argv)
{
	(void)argc, (void)argv;
	return built_without_bpf("probe");
}

int cmd_status(int argc, char **argv)
{
	(void)argc, (void)argv;
	return built_without_bpf("status");
}

int cmd_stop(int argc, char **argv)
{
	(void)argc, (void)argv;
	return built_without_bpf("stop");
}

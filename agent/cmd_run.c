// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
// Placeholder until the owning issue lands; replaced by its implementation.
#include "cli.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("run: not implemented yet");
	return KG_EXIT_FAILURE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
// Placeholder until the owning issue lands; replaced by its implementation.
#include "cli.h"

int cmd_policy(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("policy: not implemented yet");
	return KG_EXIT_FAILURE;
}

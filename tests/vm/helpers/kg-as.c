// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-as.c - runs a command as an unprivileged user (the guest has no su
 * or setpriv that changes uid):
 *   kg-as UID CMD [ARG...]    uid and gid UID, no supplementary groups
 */
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "kg_helper.h"

int main(int argc, char **argv)
{
	char *end;
	unsigned long uid;

	if (argc < 3) {
		fprintf(stderr, "usage: kg-as UID CMD [ARG...]\n");
		return KG_HELPER_USAGE;
	}
	uid = strtoul(argv[1], &end, 10);
	if (*end || uid == 0 || uid > 65535) {
		fprintf(stderr, "kg-as: UID must be 1..65535\n");
		return KG_HELPER_USAGE;
	}
	if (setgroups(0, NULL) || setgid((gid_t)uid) || setuid((uid_t)uid))
		return kg_setup_error(argv[1], "setuid", errno);
	execvp(argv[2], argv + 2);
	return kg_setup_error(argv[2], "exec", errno);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-exchange.c - swaps two paths in one step, renameat2(RENAME_EXCHANGE)
 * (busybox mv cannot):
 *   kg-exchange A B
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kg_helper.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kg-exchange A B\n");
		return KG_HELPER_USAGE;
	}
	if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE))
		return kg_result(errno);
	return kg_result(0);
}

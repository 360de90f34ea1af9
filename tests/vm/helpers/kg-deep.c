// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-deep.c - files deeper than a shell can reach (its cd builds the whole
 * path, which fails past PATH_MAX):
 *   kg-deep make DIR N NAME SRC     N nested directories NAME under DIR,
 *                                   SRC copied to the bottom under its own
 *                                   name (0755)
 *   kg-deep exec DIR N NAME PROG [ARG...]
 *                                   execve("./PROG") from the bottom, argv[0]
 *                                   PROG; result as kg-exec reports it
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kg_helper.h"

/* The bottom directory, created on the way when `create`. */
static int descend(const char *dir, long n, const char *name, int create)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (long i = 0; fd >= 0 && i < n; i++) {
		int next;

		if (create && mkdirat(fd, name, 0755) && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static int copy_to(int dirfd, const char *src)
{
	char buf[65536], name[4096];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t got;

	if (in < 0)
		return errno;
	snprintf(name, sizeof(name), "%s", src);
	out = openat(dirfd, basename(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return errno;
	}
	while ((got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)got) != got)
			break;
	close(in);
	return close(out) ? errno : 0;
}

/* execve("./PROG") in the current (bottom) directory. */
static int run_here(char **argv)
{
	char path[4096];

	snprintf(path, sizeof(path), "./%s", argv[0]);
	return kg_exec_result(path, argv);
}

int main(int argc, char **argv)
{
	int create, fd, err;
	long n;

	if (argc != 6 && (argc < 6 || strcmp(argv[1], "exec"))) {
		fprintf(stderr, "usage: kg-deep make DIR N NAME SRC | exec DIR N NAME PROG [ARG...]\n");
		return KG_HELPER_USAGE;
	}
	if (strcmp(argv[1], "make") && strcmp(argv[1], "exec")) {
		fprintf(stderr, "kg-deep: unknown action %s\n", argv[1]);
		return KG_HELPER_USAGE;
	}
	create = !strcmp(argv[1], "make");
	n = strtol(argv[3], NULL, 10);
	fd = descend(argv[2], n, argv[4], create);
	if (fd < 0)
		return kg_setup_error(argv[2], create ? "mkdir" : "descend", errno);
	if (create) {
		err = copy_to(fd, argv[5]);
		return err ? kg_setup_error(argv[5], "copy", err) : kg_result(0);
	}
	if (fchdir(fd))
		return kg_setup_error(argv[2], "fchdir", errno);
	return run_here(argv + 5);
}

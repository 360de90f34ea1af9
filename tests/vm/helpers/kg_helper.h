/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * kg_helper.h - shared conventions of the VM scenario helpers. Every helper
 * prints one line "result=ok" or "result=errno:NAME" for the operation
 * under test, so guest scripts compare one word, and exits 0 (ok),
 * 1 (the operation failed) or 2 (usage or setup error).
 */
#ifndef KG_HELPER_H
#define KG_HELPER_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

enum {
	KG_HELPER_OK = 0,
	KG_HELPER_OP_FAILED = 1,
	KG_HELPER_USAGE = 2,
};

static inline int kg_result(int err)
{
	if (err == 0) {
		printf("result=ok\n");
		return KG_HELPER_OK;
	}
	printf("result=errno:%s\n", strerrorname_np(err) ? strerrorname_np(err) : "unknown");
	return KG_HELPER_OP_FAILED;
}

/* Setup failures are not results: they go to stderr and exit 2. */
static inline int kg_setup_error(const char *object, const char *operation, int err)
{
	fprintf(stderr, "%s: %s: %s\n", object, operation, strerror(err));
	return KG_HELPER_USAGE;
}

/* execve(path, argv) in a child; prints result=ok, result=errno:NAME (the
 * errno execve returned) or result=exit:N, and returns the exit code to use
 * (kg_helper.c, as kg_read_file). */
int kg_exec_result(const char *path, char **argv);

/* Up to size bytes of the file at path: their count, or -errno. */
ssize_t kg_read_file(const char *path, void *buf, size_t size);

static inline uint64_t kg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-loop.c - timed loops for the benchmark and the reload scenario:
 *   kg-loop open N FILE...   N rounds of open(O_RDONLY)+close over the files
 *   kg-loop exec N FILE...   N rounds of fork+execve+wait over the files
 *   kg-loop exec-until STOPFILE FILE [PAUSE_MS]   exec FILE until STOPFILE
 *       exists, pausing PAUSE_MS between execs (leaves CPU to an agent
 *       starting meanwhile under single-threaded TCG)
 * Prints "ops=N failed=M ns_per_op=T"; a failed exec is a child that did
 * not exit 0 (keygate's EPERM surfaces as exit 126 from the child).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kg_helper.h"

#define EXEC_FAILED_STATUS 126

extern char **environ;

static int run_once(const char *path)
{
	char *args[] = { (char *)path, NULL };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(path, args, environ);
		_exit(EXEC_FAILED_STATUS);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

static int open_once(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void report(unsigned long ops, unsigned long failed, uint64_t elapsed_ns)
{
	printf("ops=%lu failed=%lu ns_per_op=%llu\n", ops, failed,
	       ops ? (unsigned long long)(elapsed_ns / ops) : 0ull);
}

static int loop(int (*op)(const char *), unsigned long rounds, char **files, int n_files)
{
	unsigned long ops = 0, failed = 0;
	uint64_t start = kg_now_ns();

	for (unsigned long r = 0; r < rounds; r++)
		for (int i = 0; i < n_files; i++, ops++)
			if (op(files[i]) != 0)
				failed++;
	report(ops, failed, kg_now_ns() - start);
	return failed ? KG_HELPER_OP_FAILED : KG_HELPER_OK;
}

static int exec_until(const char *stop_file, const char *path, unsigned long pause_ms)
{
	struct timespec pause = { pause_ms / 1000, (pause_ms % 1000) * 1000000 };
	unsigned long ops = 0, failed = 0;
	uint64_t start = kg_now_ns();

	while (access(stop_file, F_OK) != 0) {
		if (run_once(path) != 0)
			failed++;
		ops++;
		if (pause_ms)
			nanosleep(&pause, NULL);
	}
	report(ops, failed, kg_now_ns() - start);
	return failed ? KG_HELPER_OP_FAILED : KG_HELPER_OK;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "open") == 0)
		return loop(open_once, strtoul(argv[2], NULL, 10), argv + 3, argc - 3);
	if (argc >= 4 && strcmp(argv[1], "exec") == 0)
		return loop(run_once, strtoul(argv[2], NULL, 10), argv + 3, argc - 3);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "exec-until") == 0)
		return exec_until(argv[2], argv[3], argc == 5 ? strtoul(argv[4], NULL, 10) : 0);
	fprintf(stderr, "usage: kg-loop {open N FILE... | exec N FILE... | "
		"exec-until STOPFILE FILE [PAUSE_MS]}\n");
	return KG_HELPER_USAGE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-loop.c - timed loops for the benchmark and the reload scenario:
 *   kg-loop open N FILE...   N rounds of open(O_RDONLY)+close over the files
 *   kg-loop exec N FILE...   N rounds of fork+execve+wait over the files
 *   kg-loop exec-until STOPFILE FILE [PAUSE_MS]   exec FILE until STOPFILE
 *       exists, pausing PAUSE_MS between execs (leaves CPU to an agent
 *       starting meanwhile under single-threaded TCG)
 *   kg-loop open-watch STOPFILE MARKER PROBE FILE   open FILE until STOPFILE
 *       exists, each time first asking whether the new policy is in force:
 *       execve(PROBE) of a file no binary format accepts fails with EPERM
 *       once a policy denying it is in force, with ENOEXEC before (no fork:
 *       it fails either way). Prints "ops=N new=K opened_new=V
 *       opened_marker=W denied=D flips=F": V opens succeeded although the
 *       new policy was already in force, W after MARKER existed, F changes
 *       of the open's outcome.
 * Prints "ops=N failed=M ns_per_op=T"; a failed exec is a child that did
 * not exit 0 (keygate's EPERM surfaces as exit 126 from the child).
 */
#include <fcntl.h>
#include <stdbool.h>
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

static int open_watch(const char *stop_file, const char *marker, const char *probe,
		      const char *path)
{
	unsigned long ops = 0, seen_new = 0, opened_new = 0, opened_marker = 0, denied = 0,
		      flips = 0;
	char *args[] = { (char *)probe, NULL };
	int last = -1;

	while (access(stop_file, F_OK) != 0) {
		bool after_marker = access(marker, F_OK) == 0;
		bool is_new, opened;
		int err;

		execve(probe, args, environ);
		err = errno;
		if (err != EPERM && err != ENOEXEC) {
			fprintf(stderr, "kg-loop: execve %s: %s (expected EPERM or ENOEXEC)\n", probe,
				strerror(err));
			return KG_HELPER_USAGE;
		}
		is_new = err == EPERM;
		opened = open_once(path) == 0;
		ops++;
		seen_new += is_new;
		opened_new += is_new && opened;
		opened_marker += after_marker && opened;
		denied += !opened;
		if (last >= 0 && last != opened)
			flips++;
		last = opened;
	}
	printf("ops=%lu new=%lu opened_new=%lu opened_marker=%lu denied=%lu flips=%lu\n", ops,
	       seen_new, opened_new, opened_marker, denied, flips);
	return KG_HELPER_OK;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "open") == 0)
		return loop(open_once, strtoul(argv[2], NULL, 10), argv + 3, argc - 3);
	if (argc >= 4 && strcmp(argv[1], "exec") == 0)
		return loop(run_once, strtoul(argv[2], NULL, 10), argv + 3, argc - 3);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "exec-until") == 0)
		return exec_until(argv[2], argv[3], argc == 5 ? strtoul(argv[4], NULL, 10) : 0);
	if (argc == 6 && strcmp(argv[1], "open-watch") == 0)
		return open_watch(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: kg-loop {open N FILE... | exec N FILE... | "
		"exec-until STOPFILE FILE [PAUSE_MS] | open-watch STOPFILE MARKER PROBE FILE}\n");
	return KG_HELPER_USAGE;
}

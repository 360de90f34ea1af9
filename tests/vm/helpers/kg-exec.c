// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-exec.c - kg-exec FILE [ARG...]: execve(FILE) in a child and report the
 * errno execve saw ("result=errno:EPERM"), or result=ok when the program
 * ran and exited 0 (result=exit:N otherwise). Shells only print strerror
 * text; this gives scenarios the errno itself.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kg_helper.h"

extern char **environ;

int main(int argc, char **argv)
{
	int pipefd[2], child_errno = 0, status;
	ssize_t got;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: kg-exec FILE [ARG...]\n");
		return KG_HELPER_USAGE;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return kg_setup_error("pipe", "create", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return kg_setup_error(argv[1], "fork", errno);
	if (pid == 0) {
		close(pipefd[0]);
		execve(argv[1], argv + 1, environ);
		child_errno = errno;
		/* If this write fails the parent sees exit 127 instead. */
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	/* The pipe closes on a successful execve: nothing to read. */
	got = read(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return kg_setup_error(argv[1], "waitpid", errno);
	if (got == (ssize_t)sizeof(child_errno))
		return kg_result(child_errno);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return kg_result(0);
	printf("result=exit:%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return KG_HELPER_OP_FAILED;
}

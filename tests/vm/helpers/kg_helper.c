// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg_helper.c - the functions kg_helper.h declares, shared by the helpers
 * that run a program (kg-exec, kg-deep, kg-userns) or read a small file
 * (kg-verity, kg-keyring).
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kg_helper.h"

extern char **environ;

/* The child sends its errno through a close-on-exec pipe, so an empty read
 * means the program started; its exit status then tells ok from exit:N. */
int kg_exec_result(const char *path, char **argv)
{
	int pipefd[2], child_errno = 0, status;
	ssize_t got;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return kg_setup_error("pipe", "create", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return kg_setup_error(path, "fork", errno);
	if (pid == 0) {
		close(pipefd[0]);
		execve(path, argv, environ);
		child_errno = errno;
		/* If this write fails the parent sees exit 127 instead. */
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	got = read(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return kg_setup_error(path, "waitpid", errno);
	if (got == (ssize_t)sizeof(child_errno))
		return kg_result(child_errno);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return kg_result(0);
	printf("result=exit:%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return KG_HELPER_OP_FAILED;
}

ssize_t kg_read_file(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, size);
	if (len < 0)
		len = -errno;
	close(fd);
	return len;
}

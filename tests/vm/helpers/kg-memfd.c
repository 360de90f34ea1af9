// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-memfd.c - executable memory files:
 *   kg-memfd exec SRC   copies SRC into memfd "kg-memfd" and fexecve()s it
 *   kg-memfd mmap SRC   same copy, then mmap(PROT_READ|PROT_EXEC) of the memfd
 * Prints memfd_path=<readlink of /proc/self/fd/N> so scenarios can match
 * the path keygate reports.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kg_helper.h"

#define MEMFD_NAME "kg-memfd"

extern char **environ;

static int copy_to_memfd(const char *src, int *out_fd)
{
	struct stat st;
	char link[64], target[256];
	ssize_t len;
	int in, fd;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return kg_setup_error(src, "open", errno);
	fd = memfd_create(MEMFD_NAME, MFD_CLOEXEC);
	if (fd < 0 || fstat(in, &st) != 0 ||
	    sendfile(fd, in, NULL, (size_t)st.st_size) != st.st_size) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		close(in);
		return kg_setup_error(src, "copy into memfd", err);
	}
	close(in);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	if (len > 0) {
		target[len] = '\0';
		printf("memfd_path=%s\n", target);
	}
	fflush(stdout);
	*out_fd = fd;
	return KG_HELPER_OK;
}

static int exec_memfd(const char *src)
{
	char *args[] = { (char *)MEMFD_NAME, NULL };
	int fd, err;

	err = copy_to_memfd(src, &fd);
	if (err)
		return err;
	fexecve(fd, args, environ);
	err = errno;
	close(fd);
	return kg_result(err);
}

static int map_memfd(const char *src)
{
	void *addr;
	int fd, err;

	err = copy_to_memfd(src, &fd);
	if (err)
		return err;
	addr = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	err = addr == MAP_FAILED ? errno : 0;
	if (!err)
		munmap(addr, 4096);
	close(fd);
	return kg_result(err);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exec") == 0)
		return exec_memfd(argv[2]);
	if (argc == 3 && strcmp(argv[1], "mmap") == 0)
		return map_memfd(argv[2]);
	fprintf(stderr, "usage: kg-memfd {exec | mmap} SRC\n");
	return KG_HELPER_USAGE;
}

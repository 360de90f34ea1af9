// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-mapexec.c - executable mappings of a file, one per mode:
 *   kg-mapexec mmap FILE      mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE)
 *   kg-mapexec mprotect FILE  mmap(PROT_READ) then mprotect(PROT_READ|PROT_EXEC)
 *   kg-mapexec premapped FILE GO
 *                             mmap(PROT_READ), prints "mapped", waits (up
 *                             to 300 s) until the file GO exists, then
 *                             mprotect(PROT_READ|PROT_EXEC): a mapping made
 *                             before the policy took effect
 *   kg-mapexec dlopen FILE    dlopen(RTLD_NOW); on failure prints dlerror=...
 *                             and result=dlopen-failed: glibc reports a
 *                             refused segment mapping without its errno
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kg_helper.h"

static void wait_for(const char *go)
{
	printf("mapped\n");
	fflush(stdout);
	for (int i = 0; i < 3000 && access(go, F_OK) != 0; i++)
		usleep(100000);
}

static int map_file(const char *path, int then_mprotect, const char *go)
{
	long page = sysconf(_SC_PAGESIZE);
	int prot = then_mprotect ? PROT_READ : PROT_READ | PROT_EXEC;
	void *addr;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(path, "open", errno);
	addr = mmap(NULL, (size_t)page, prot, MAP_PRIVATE, fd, 0);
	if (addr == MAP_FAILED) {
		err = errno;
		close(fd);
		/* With PROT_READ only the mapping itself is not under test. */
		return then_mprotect ? kg_setup_error(path, "mmap", err) : kg_result(err);
	}
	if (go)
		wait_for(go);
	if (then_mprotect && mprotect(addr, (size_t)page, PROT_READ | PROT_EXEC) != 0)
		err = errno;
	munmap(addr, (size_t)page);
	close(fd);
	return kg_result(err);
}

static int open_library(const char *path)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		const char *msg = dlerror();

		printf("dlerror=%s\nresult=dlopen-failed\n", msg ? msg : "");
		return KG_HELPER_OP_FAILED;
	}
	dlclose(handle);
	return kg_result(0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "mmap") == 0)
		return map_file(argv[2], 0, NULL);
	if (argc == 3 && strcmp(argv[1], "mprotect") == 0)
		return map_file(argv[2], 1, NULL);
	if (argc == 4 && strcmp(argv[1], "premapped") == 0)
		return map_file(argv[2], 1, argv[3]);
	if (argc == 3 && strcmp(argv[1], "dlopen") == 0)
		return open_library(argv[2]);
	fprintf(stderr, "usage: kg-mapexec {mmap | mprotect | dlopen} FILE | premapped FILE GO\n");
	return KG_HELPER_USAGE;
}

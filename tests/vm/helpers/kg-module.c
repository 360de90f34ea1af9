// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-module.c - module loads by the two kernel paths keygate decides:
 *   kg-module finit FILE [plain|compressed [PARAMS]]
 *                                      finit_module(fd), optionally with
 *                                      MODULE_INIT_COMPRESSED_FILE (.ko.xz)
 *   kg-module init FILE                init_module(buffer) of an uncompressed .ko
 *   kg-module remove NAME              delete_module(NAME, O_NONBLOCK)
 * The kernel's own answer is what the scenario asserts, so no fallback
 * from one path to the other (unlike insmod).
 */
#include <fcntl.h>
#include <linux/module.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kg_helper.h"

static int load_from_file(const char *path, int flags, const char *params)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(path, "open", errno);
	if (syscall(SYS_finit_module, fd, params, flags) != 0)
		err = errno;
	close(fd);
	return kg_result(err);
}

static int load_from_buffer(const char *path)
{
	struct stat st;
	char *image = NULL;
	ssize_t got = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(path, "open", errno);
	if (fstat(fd, &st) != 0) {
		err = kg_setup_error(path, "fstat", errno);
		goto out;
	}
	image = malloc((size_t)st.st_size);
	if (!image) {
		err = kg_setup_error(path, "malloc", ENOMEM);
		goto out;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, image + got, (size_t)(st.st_size - got));

		if (n <= 0) {
			err = kg_setup_error(path, "read", n < 0 ? errno : EIO);
			goto out;
		}
		got += n;
	}
	err = kg_result(syscall(SYS_init_module, image, (unsigned long)got, "") != 0 ? errno : 0);
out:
	free(image);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 5 && strcmp(argv[1], "finit") == 0) {
		const char *mode = argc >= 4 ? argv[3] : "plain";
		const char *params = argc == 5 ? argv[4] : "";

		if (strcmp(mode, "plain") == 0)
			return load_from_file(argv[2], 0, params);
		if (strcmp(mode, "compressed") == 0)
			return load_from_file(argv[2], MODULE_INIT_COMPRESSED_FILE, params);
	}
	if (argc == 3 && strcmp(argv[1], "init") == 0)
		return load_from_buffer(argv[2]);
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return kg_result(syscall(SYS_delete_module, argv[2], O_NONBLOCK) != 0 ? errno : 0);
	fprintf(stderr, "usage: kg-module {finit FILE [plain|compressed [PARAMS]] | init FILE | remove NAME}\n");
	return KG_HELPER_USAGE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-verity.c - fs-verity and signature xattr chores inside the guest, so
 * scenarios need neither fsverity(1) nor attr(1):
 *   kg-verity enable FILE [SIGFILE]    FS_IOC_ENABLE_VERITY, SHA-256, 4 KiB; with
 *                                      SIGFILE's bytes as the builtin signature
 *                                      (checked against the .fs-verity keyring)
 *   kg-verity digest FILE              prints sha256:<hex> (FS_IOC_MEASURE_VERITY)
 *   kg-verity setsig FILE SIGFILE [XATTR]  copies SIGFILE's bytes into XATTR
 *   kg-verity rmsig FILE [XATTR]
 */
#include <fcntl.h>
#include <linux/fsverity.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "kg_helper.h"

#define DEFAULT_XATTR "user.keygate.sig"
#define SIG_MAX 16384

static int enable_verity(const char *path, const char *sig_path)
{
	static char sig[SIG_MAX];
	struct fsverity_enable_arg arg = {
		.version = 1,
		.hash_algorithm = FS_VERITY_HASH_ALG_SHA256,
		.block_size = 4096,
	};
	int fd, err = 0;

	if (sig_path) {
		ssize_t len = kg_read_file(sig_path, sig, sizeof(sig));

		if (len < 0)
			return kg_setup_error(sig_path, "read", (int)-len);
		arg.sig_ptr = (__u64)(uintptr_t)sig;
		arg.sig_size = (__u32)len;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(path, "open", errno);
	if (ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) != 0)
		err = errno;
	close(fd);
	return kg_result(err);
}

static int print_digest(const char *path)
{
	/* Room for the largest digest after the header (a union, not a
	 * struct: the header ends in a flexible array). */
	union {
		struct fsverity_digest d;
		__u8 raw[sizeof(struct fsverity_digest) + 64];
	} buf = { .d.digest_size = 64 };
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(path, "open", errno);
	if (ioctl(fd, FS_IOC_MEASURE_VERITY, &buf) != 0)
		err = errno;
	close(fd);
	if (err)
		return kg_result(err);
	printf("%s:", buf.d.digest_algorithm == FS_VERITY_HASH_ALG_SHA256 ? "sha256" : "sha512");
	for (unsigned i = 0; i < buf.d.digest_size; i++)
		printf("%02x", buf.d.digest[i]);
	printf("\n");
	return KG_HELPER_OK;
}

static int set_signature(const char *path, const char *sig_path, const char *xattr)
{
	static char sig[SIG_MAX];
	ssize_t len = kg_read_file(sig_path, sig, sizeof(sig));

	if (len < 0)
		return kg_setup_error(sig_path, "read", (int)-len);
	if (setxattr(path, xattr, sig, (size_t)len, 0) != 0)
		return kg_result(errno);
	return kg_result(0);
}

static int remove_signature(const char *path, const char *xattr)
{
	return kg_result(removexattr(path, xattr) != 0 ? errno : 0);
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "enable") == 0)
		return enable_verity(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 3 && strcmp(argv[1], "digest") == 0)
		return print_digest(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "setsig") == 0)
		return set_signature(argv[2], argv[3], argc == 5 ? argv[4] : DEFAULT_XATTR);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "rmsig") == 0)
		return remove_signature(argv[2], argc == 4 ? argv[3] : DEFAULT_XATTR);
	fprintf(stderr, "usage: kg-verity {enable FILE [SIGFILE] | digest FILE | setsig FILE SIGFILE [XATTR] | "
			"rmsig FILE [XATTR]}\n");
	return KG_HELPER_USAGE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-kexec.c - the two ways a kexec image reaches the kernel:
 *   kg-kexec file KERNEL INITRAMFS   kexec_file_load(kernel fd, initramfs fd);
 *                                    a loaded image is unloaded again
 *   kg-kexec buffer                  kexec_load with no segments (the unload
 *                                    form): the kernel asks the LSMs
 *                                    (kernel_load_data, LOADING_KEXEC_IMAGE)
 *                                    before it looks at the segments
 * The kernel's answer is the result.
 */
#include <fcntl.h>
#include <linux/kexec.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kg_helper.h"

static int load_file(const char *kernel, const char *initramfs)
{
	static const char cmdline[] = "console=ttyS0";
	int kernel_fd, initramfs_fd = -1, err = 0;

	kernel_fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kernel_fd < 0)
		return kg_setup_error(kernel, "open", errno);
	initramfs_fd = open(initramfs, O_RDONLY | O_CLOEXEC);
	if (initramfs_fd < 0) {
		err = kg_setup_error(initramfs, "open", errno);
		goto out;
	}
	if (syscall(SYS_kexec_file_load, kernel_fd, initramfs_fd, sizeof(cmdline), cmdline, 0UL) != 0) {
		err = kg_result(errno);
		goto out;
	}
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD) != 0) {
		err = kg_setup_error(kernel, "kexec_file_load(KEXEC_FILE_UNLOAD)", errno);
		goto out;
	}
	err = kg_result(0);
out:
	if (initramfs_fd >= 0)
		close(initramfs_fd);
	close(kernel_fd);
	return err;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "file") == 0)
		return load_file(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "buffer") == 0)
		return kg_result(syscall(SYS_kexec_load, 0UL, 0UL, NULL,
					 (unsigned long)KEXEC_ARCH_DEFAULT) != 0 ? errno : 0);
	fprintf(stderr, "usage: kg-kexec {file KERNEL INITRAMFS | buffer}\n");
	return KG_HELPER_USAGE;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-tamper.c - what a root attacker does to a BPF enforcer's objects,
 * each with raw bpf(2)/ptrace(2) calls so the errno is the kernel's:
 *   kg-tamper map-write PATH     open a pinned map, write zeroes at key 0
 *   kg-tamper map-write-id ID    the same through the map's id
 *   kg-tamper link-open PATH     open a pinned link, BPF_LINK_DETACH through it
 *   kg-tamper link-detach ID     BPF_LINK_DETACH through the link's id
 *   kg-tamper ptrace PID         PTRACE_SEIZE (then detach)
 * Prints result=ok or result=errno:NAME for the first step that failed.
 */
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kg_helper.h"

static int map_write(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	unsigned char key[512] = { 0 };
	void *value;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return errno;
	if (info.key_size > sizeof(key))
		return E2BIG;
	value = calloc(1, info.value_size ? info.value_size : 1);
	if (!value)
		return ENOMEM;
	if (bpf_map_update_elem(fd, key, value, BPF_ANY))
		err = errno;
	free(value);
	return err;
}

static int with_fd(int fd, int (*op)(int))
{
	int err;

	if (fd < 0)
		return errno;
	err = op ? op(fd) : 0;
	close(fd);
	return err;
}

static int link_detach(int fd)
{
	return bpf_link_detach(fd) ? errno : 0;
}

static int seize(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL))
		return errno;
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc == 3 ? argv[1] : "";
	unsigned long n = argc == 3 ? strtoul(argv[2], NULL, 10) : 0;

	if (strcmp(cmd, "map-write") == 0)
		return kg_result(with_fd(bpf_obj_get(argv[2]), map_write));
	if (strcmp(cmd, "map-write-id") == 0)
		return kg_result(with_fd(bpf_map_get_fd_by_id(n), map_write));
	if (strcmp(cmd, "link-open") == 0)
		return kg_result(with_fd(bpf_obj_get(argv[2]), link_detach));
	if (strcmp(cmd, "link-detach") == 0)
		return kg_result(with_fd(bpf_link_get_fd_by_id(n), link_detach));
	if (strcmp(cmd, "ptrace") == 0)
		return kg_result(seize((pid_t)n));
	fprintf(stderr, "usage: kg-tamper {map-write PATH | map-write-id ID | link-open PATH | "
		"link-detach ID | ptrace PID}\n");
	return KG_HELPER_USAGE;
}

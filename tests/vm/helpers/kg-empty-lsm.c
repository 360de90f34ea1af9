// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-empty-lsm.c - the least any BPF LSM program costs: attaches a program
 * that only returns 0 to each hook named, sleepable with -s (as keygate's
 * programs on file_open, bprm_check_security and mmap_file are), prints
 * "attached N" and holds the links until SIGTERM or SIGINT. The benchmark
 * measures a workload under it to show the floor a decision cannot go
 * below on this kernel.
 *
 *   kg-empty-lsm [-s] HOOK...     (HOOK: file_open, mmap_file, ...)
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "kg_helper.h"

#define KG_MAX_HOOKS 16

/* The link's fd, or -1 after saying why on stderr. */
static int load_empty(const char *hook, bool sleepable)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, load, .expected_attach_type = BPF_LSM_MAC);
	int btf_id, prog_fd, link_fd;

	btf_id = libbpf_find_vmlinux_btf_id(hook, BPF_LSM_MAC);
	if (btf_id < 0) {
		kg_setup_error(hook, "no such LSM hook in the kernel's BTF", -btf_id);
		return -1;
	}
	load.attach_btf_id = btf_id;
	load.prog_flags = sleepable ? BPF_F_SLEEPABLE : 0;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "kg_empty", "GPL", prog, 2, &load);
	if (prog_fd < 0) {
		kg_setup_error(hook, "BPF_PROG_LOAD", errno);
		return -1;
	}
	link_fd = bpf_link_create(prog_fd, 0, BPF_LSM_MAC, NULL);
	if (link_fd < 0)
		kg_setup_error(hook, "BPF_LINK_CREATE", errno);
	return link_fd;
}

int main(int argc, char **argv)
{
	bool sleepable = false;
	sigset_t stop;
	int i, n = 0, sig;

	if (argc > 1 && !strcmp(argv[1], "-s")) {
		sleepable = true;
		argv++;
		argc--;
	}
	if (argc < 2 || argc - 1 > KG_MAX_HOOKS) {
		fprintf(stderr, "usage: kg-empty-lsm [-s] HOOK... (at most %d)\n", KG_MAX_HOOKS);
		return KG_HELPER_USAGE;
	}
	/* Blocked before the links exist, so a signal cannot end the
	 * process between "attached" and sigwait. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	for (i = 1; i < argc; i++) {
		if (load_empty(argv[i], sleepable) < 0)
			return KG_HELPER_USAGE;
		n++;
	}
	printf("attached %d\n", n);
	fflush(stdout);
	sigwait(&stop, &sig);
	return KG_HELPER_OK;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-sysbpf.c - a bpf(2) command the kernel issues on a program's behalf,
 * as a light skeleton's loader does: a sleepable syscall program calls
 * bpf_sys_bpf(BPF_MAP_CREATE) for a one-entry array. Since
 * 6.15 the bpf LSM hook sees such a command with kernel=true, one argument
 * more than before. Prints result=ok (the map was created) or
 * result=errno:NAME (the command's error).
 */
#include <stddef.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "kg_helper.h"

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

/* A map_create attribute on the stack: map_type, key_size, value_size,
 * max_entries (the later members are zero). */
#define ATTR_BYTES 16

int main(void)
{
	struct bpf_insn prog[] = {
		insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -16, BPF_MAP_TYPE_ARRAY),
		insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -12, 4),
		insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, 4),
		insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 1),
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -ATTR_BYTES),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, BPF_MAP_CREATE),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, ATTR_BYTES),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sys_bpf),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, load, .prog_flags = BPF_F_SLEEPABLE, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 1);
	LIBBPF_OPTS(bpf_test_run_opts, run);
	int prog_fd, ret;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "kg_sysbpf", "GPL", prog,
				sizeof(prog) / sizeof(prog[0]), &load);
	if (prog_fd < 0) {
		fputs(log, stderr);
		return kg_setup_error("syscall program", "BPF_PROG_LOAD", errno);
	}
	if (bpf_prog_test_run_opts(prog_fd, &run))
		return kg_setup_error("syscall program", "BPF_PROG_TEST_RUN", errno);
	close(prog_fd);
	ret = (int)run.retval;
	if (ret >= 0)
		close(ret);
	return kg_result(ret < 0 ? -ret : 0);
}

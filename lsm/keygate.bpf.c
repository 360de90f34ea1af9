// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
// Placeholder; the enforcement issue replaces it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "keygate_abi.h"

char LICENSE[] SEC("license") = "GPL";

SEC("lsm.s/bprm_check_security")
int BPF_PROG(keygate_bprm_check_security, struct linux_binprm *bprm, int ret)
{
	return ret;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * probe.bpf.c - small programs `keygate probe` and the VM tier use to ask the
 * running kernel what it supports. Nothing here enforces anything.
 *
 * probe_file_open: a sleepable LSM program that allows everything; loading
 *   and attaching it is the trial that tells whether BPF LSM works at all.
 * probe_keyring_lookup: a SEC("syscall") program run with BPF_PROG_TEST_RUN;
 *   it looks up the keyring whose serial the caller passes, records the
 *   result in bss for userspace, and releases the key.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym __weak;
extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym __weak;
extern void bpf_key_put(struct bpf_key *key) __ksym __weak;

__u64 file_open_calls;

SEC("lsm.s/file_open")
int BPF_PROG(probe_file_open, struct file *file, int ret)
{
	__sync_fetch_and_add(&file_open_calls, 1);
	return ret;
}

struct keyring_lookup_args {
	__u32 serial;
	__u32 system_id; /* used when serial is 0 */
};

/* Results of the last run, for userspace. */
__s32 lookup_found = -1; /* 1 found, 0 not found */
__u64 keys_put;

SEC("syscall")
int probe_keyring_lookup(struct keyring_lookup_args *args)
{
	struct bpf_key *key;

	if (args->serial)
		key = bpf_lookup_user_key(args->serial, 0);
	else
		key = bpf_lookup_system_key(args->system_id);
	if (!key) {
		lookup_found = 0;
		return 0;
	}
	lookup_found = 1;
	bpf_key_put(key);
	keys_put++;
	return 0;
}

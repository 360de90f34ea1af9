// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * probe.bpf.c - small programs `keygate probe` and the VM tier use to ask the
 * running kernel what it supports. Nothing here enforces anything.
 *
 * probe_file_open: a sleepable LSM program that allows everything; loading
 *   and attaching it is the trial that tells whether BPF LSM works at all.
 * probe_keyring_lookup: a SEC("syscall") program run with BPF_PROG_TEST_RUN;
 *   it looks up the keyring whose serial the caller passes, records the
 *   result in global data for userspace, and releases the key.
 * probe_keyring_lookup_on_open: the same lookup from a sleepable LSM hook,
 *   for kernels that refuse key kfuncs in syscall programs.
 * probe_xattr_on_open: reads a security.bpf. xattr of a file the probe
 *   opens, to tell whether bpf_get_file_xattr accepts such names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym __weak;
extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym __weak;
extern void bpf_key_put(struct bpf_key *key) __ksym __weak;
extern int bpf_get_file_xattr(struct file *file, const char *name__str,
			      struct bpf_dynptr *value_p) __ksym __weak;

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

static __always_inline void lookup_keyring(const struct keyring_lookup_args *args)
{
	struct bpf_key *key;

	if (args->serial)
		key = bpf_lookup_user_key(args->serial, 0);
	else
		key = bpf_lookup_system_key(args->system_id);
	if (!key) {
		lookup_found = 0;
		return;
	}
	lookup_found = 1;
	bpf_key_put(key);
	keys_put++;
}

SEC("syscall")
int probe_keyring_lookup(struct keyring_lookup_args *args)
{
	lookup_keyring(args);
	return 0;
}

/*
 * Kernels before 6.13 or so allow the key kfuncs only in tracing and LSM
 * programs, not in syscall ones: there the same lookup runs from a
 * sleepable file_open hook, once, in the process that asked (lookup_tgid)
 * with the request it left in lookup_request.
 */
__u32 lookup_tgid;
struct keyring_lookup_args lookup_request;

SEC("lsm.s/file_open")
int BPF_PROG(probe_keyring_lookup_on_open, struct file *file, int ret)
{
	if (lookup_tgid == 0 || (bpf_get_current_pid_tgid() >> 32) != lookup_tgid ||
	    lookup_found != -1)
		return ret;
	lookup_keyring(&lookup_request);
	return ret;
}

/*
 * bpf_get_file_xattr on the file the probe opens (in xattr_tgid), with a
 * security.bpf. name: the value's length where the kernel reads such
 * names, -EPERM where it reads only user.* ones.
 */
const volatile char xattr_name[] = "security.bpf.keygate_probe"; /* read-only data */
__u32 xattr_tgid;
__s64 xattr_result = 1; /* 1: not run */
char xattr_value[16];

SEC("lsm.s/file_open")
int BPF_PROG(probe_xattr_on_open, struct file *file, int ret)
{
	struct bpf_dynptr value;

	if (xattr_tgid == 0 || (bpf_get_current_pid_tgid() >> 32) != xattr_tgid ||
	    xattr_result != 1)
		return ret;
	bpf_dynptr_from_mem(xattr_value, sizeof(xattr_value), 0, &value);
	xattr_result = bpf_get_file_xattr(file, (const char *)xattr_name, &value);
	return ret;
}

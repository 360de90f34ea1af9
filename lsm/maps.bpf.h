/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * maps.bpf.h - every map and global of keygate.bpf.c, and the per-task
 * scratch the sleepable programs work in.
 *
 * Memory: the per-task scratch (path and signature buffers) is allocated
 * only when a decision verifies a signature or needs the path (an event
 * or an mprotect record); the path is for humans only (best effort).
 */
#ifndef KEYGATE_MAPS_BPF_H
#define KEYGATE_MAPS_BPF_H

/* Per-task working memory of the sleepable programs. Task storage rather
 * than a per-CPU array: a sleepable program can be preempted mid-hook and
 * another task on the same CPU would overwrite a per-CPU buffer. Only
 * created for a decision that verifies or needs the path. */
struct kg_scratch {
	char path[KG_D_PATH_BYTES];
	struct kg_revoked_key revoked;
	__u8 formatted_digest[FSVERITY_HEADER_LEN + KG_DIGEST_MAX];
};

/* The signature read from the xattr; only verify_file needs it. */
struct kg_sig_scratch {
	__u8 sig[KG_SIG_MAX];
};

/*
 * Since the kernel allocates local storage elements with kmalloc_nolock()
 * (7.x; 6.12 still used bpf_mem_alloc/kzalloc), an element larger than
 * KMALLOC_MAX_CACHE_SIZE (8 KiB with 4 KiB pages) can be created as a map
 * but never allocated: every bpf_*_storage_get(..., F_CREATE) returns NULL.
 * An element is the value plus a 128-byte header; keep every local storage
 * value well below.
 */
#define KG_LOCAL_STORAGE_VALUE_MAX (8192 - 128 - 128) /* header, and room to grow */
_Static_assert(sizeof(struct kg_scratch) <= KG_LOCAL_STORAGE_VALUE_MAX, "kg_scratch too large");
_Static_assert(sizeof(struct kg_sig_scratch) <= KG_LOCAL_STORAGE_VALUE_MAX,
	       "kg_sig_scratch too large");

/* What keygate_mmap_file found for a later mprotect of the inode. */
struct kg_mprotect_record {
	__u32 generation;
	__u32 rule;   /* rule deciding mprotect_exec at the mapped path */
	__u32 reason; /* outcome of the verification when the rule is `signed` */
	__s32 error;
	__u32 anchor; /* the anchor that verified the file */
	__u32 stamp;  /* that anchor's stamp when it verified */
	__s64 path_len; /* bpf_d_path's result; the mprotect hook has no path */
	char path[KG_EVENT_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS);
	__type(key, __u32);
	__type(value, struct kg_policy_config);
} kg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_RULES);
	__type(key, __u32);
	__type(value, struct kg_rule);
} kg_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_ANCHORS);
	__type(key, __u32);
	__type(value, struct kg_anchor);
} kg_anchors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_DIRS);
	__type(key, struct kg_scope_dir_key);
	__type(value, struct kg_path_value);
} kg_scope_dirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_FILES);
	__type(key, struct kg_scope_file_key);
	__type(value, struct kg_scope_file_value);
} kg_scope_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_DEVS);
	__type(key, struct kg_scope_dev_key);
	__type(value, __u32); /* KG_DEV_HAS_* */
} kg_scope_devs SEC(".maps");

/* Per (slot, anchor): bumped by the agent when the anchor's keyring
 * changes; a cached verdict holds only while it is unchanged. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_ANCHORS);
	__type(key, __u32);
	__type(value, __u32);
} kg_stamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KG_SLOTS * KG_MAX_REVOKED);
	__type(key, struct kg_revoked_key);
	__type(value, __u32);
} kg_revoked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KG_RINGBUF_BYTES);
} kg_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_inode_verdict);
} kg_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_mprotect_record);
} kg_mprotect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_scope_result);
} kg_scope_kept SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_scratch);
} kg_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_sig_scratch);
} kg_sig_scratch SEC(".maps");

/* Decision counters, one copy per CPU: counting never shares a cache line
 * between CPUs. The agent sums the copies (lib/counters.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kg_counters);
} kg_counters SEC(".maps");

/* 0: no policy. Written by the agent with one aligned 32-bit store. */
__u32 active_generation;
/* 1 once the programs counting dir_moves run and every move that began
 * before them has ended: the agent sets it (kg_loader_open). Next to
 * active_generation, so .bss has no tail padding the skeleton would add. */
__u32 keep_scopes;
/* Moves of directories on device-backed file systems so far (scope.bpf.h). */
__u64 dir_moves;
/* bpf_get_file_xattr wants its name as a constant string in read-only
 * data, so the name is fixed when the object is loaded. */
const volatile char sig_xattr[KG_XATTR_NAME_MAX] = KG_DEFAULT_SIG_XATTR;

/* This CPU's counters. A sleepable program may be preempted by another
 * on the same CPU, so the adds stay atomic (on a CPU-local line). */
static __always_inline struct kg_counters *cpu_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kg_counters, &zero);
}

#define KG_COUNT(field)                                         \
	do {                                                    \
		struct kg_counters *c_ = cpu_counters();        \
		if (c_)                                         \
			__sync_fetch_and_add(&c_->field, 1);    \
	} while (0)

#endif /* KEYGATE_MAPS_BPF_H */

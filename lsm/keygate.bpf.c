// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * keygate.bpf.c - keygate's enforcement: BPF LSM programs that decide, per
 * the policy in the maps, whether a file may be executed, mapped
 * executable, opened or loaded into the kernel.
 *
 * Programs and the operations they decide:
 *   keygate_bprm_check_security (sleepable)  exec of bprm->file
 *   keygate_mmap_file (sleepable)            mmap_exec for PROT_EXEC file
 *       mappings; for other file mappings, when the policy covers
 *       mprotect_exec, it decides that in advance (rule, verification,
 *       path) into the inode's mprotect record and never denies
 *   keygate_file_mprotect (not sleepable)    mprotect_exec: adding PROT_EXEC
 *       to a file mapping. No path and no crypto here: it decides from the
 *       inode's mprotect record (or the verdict cache) of the current
 *       policy generation. A mapping made before that policy took effect
 *       has no record and is treated as unverifiable: deny (audit in an
 *       audit-mode policy) with reason internal_error, error -ENODATA.
 *       Hard links: the record holds the rule of the path mapped last.
 *   keygate_file_open (sleepable)            open_read (not exec opens)
 *   keygate_kernel_read_file (sleepable)     module_file (compressed modules
 *       too), firmware, kexec (kernel image and initramfs)
 *   keygate_kernel_load_data (not sleepable) firmware / kexec images
 *       handed over in a buffer: no file, so the strictest rule of any
 *       scope applies and a `signed` rule fails (no_file)
 *   keygate_kernel_post_load_data (not sleepable) module_buffer, the same
 *       way, once the image is copied in: the record names the module
 *   Both: an id this build does not know fails closed (unknown_read)
 *       when the policy covers modules, firmware or kexec
 *   keygate_inode_[post_]setxattr / keygate_inode_[post_]removexattr (not
 *       sleepable) never deny; drop the inode's cached verdicts
 *   keygate_inode_rename, _inode_link, _inode_unlink, _sb_mount,
 *       _move_mount, _sb_umount, _sb_pivotroot, _path_chroot (not sleepable)
 *       never deny; bump namespace_epoch (see the resolution cache below)
 *
 * Resolution cache: the scope found for a file (bpf_d_path and the walk of
 * path_rules) is kept in the inode's storage and reused only while nothing
 * could have given the file another path: same policy generation, same
 * namespace_epoch, same sequence counts of the kernel's rename_lock (every
 * d_move) and mount_lock (every mount attach, detach and free), same
 * struct path of the file, same root of the resolving task (bpf_d_path is
 * relative to it), and only for a regular file with one link (so a dentry
 * pointer, even reused, names the one path the inode has).
 *
 * Fail closed: under a rule whose failure action is deny, every error on a
 * covered operation denies with -EPERM and a reason: a keyring that cannot
 * be looked up (keyring_gone, the other anchors are still tried), an xattr
 * read error, a path that cannot be resolved, no scratch memory, a rule
 * index outside the map (internal_error, errno in the event). A full ring
 * buffer never changes a decision: the event is counted in
 * counters.events_dropped. A full verdict cache only costs a re-verify;
 * failed verifications are not cached. A verdict is valid for one policy
 * generation and only for rules trusting the anchor that verified it.
 * With no policy loaded (active_generation 0) everything is allowed.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "keygate_abi.h"
#include "persist.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_ERRNO 4095
#define KG_D_PATH_BYTES 4096 /* PATH_MAX: what bpf_d_path may produce */
#define FSVERITY_MAGIC_LEN 8
/* "FSVerity", le16 algorithm, le16 digest size: what `fsverity sign` signs */
#define FSVERITY_HEADER_LEN (FSVERITY_MAGIC_LEN + 4)
#define KG_RINGBUF_BYTES (1 << 20)

struct mnt_idmap;

extern int bpf_get_fsverity_digest(struct file *file, struct bpf_dynptr *digest_p) __ksym;
extern int bpf_get_file_xattr(struct file *file, const char *name__str,
			      struct bpf_dynptr *value_p) __ksym;
extern int bpf_verify_pkcs7_signature(struct bpf_dynptr *data_p, struct bpf_dynptr *sig_p,
				      struct bpf_key *trusted_keyring) __ksym;
extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym;
extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym;
extern void bpf_key_put(struct bpf_key *key) __ksym;

/* Per-task working memory of the sleepable programs. Task storage rather
 * than a per-CPU array: a sleepable program can be preempted mid-hook and
 * another task on the same CPU would overwrite a per-CPU buffer. */
struct kg_scratch {
	char path[KG_D_PATH_BYTES];
	struct kg_path_key key;
	struct kg_path_value found; /* the most specific scope so far */
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

/* Which scope prefix lengths exist in a slot: bit n set when path_rules
 * holds a key of length n, so the walk skips lookups that cannot hit.
 * Filled by the agent (agent/loader.c) from the compiled path entries. */
struct kg_path_lengths {
	__u64 bits[4];
};

/* What keygate_mmap_file found for a later mprotect of the inode. */
struct kg_mprotect_record {
	__u32 generation;
	__u32 rule;   /* rule deciding mprotect_exec at the mapped path */
	__u32 reason; /* outcome of the verification when the rule is `signed` */
	__s32 error;
	__u32 anchor; /* the anchor that verified the file */
	__u32 reserved;
	__s64 path_len; /* bpf_d_path's result; the mprotect hook has no path */
	char path[KG_EVENT_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS);
	__type(key, __u32);
	__type(value, struct kg_policy_config);
} policy_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_RULES);
	__type(key, __u32);
	__type(value, struct kg_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_ANCHORS);
	__type(key, __u32);
	__type(value, struct kg_anchor);
} anchors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_SLOTS * KG_MAX_PATHS);
	__type(key, struct kg_path_key);
	__type(value, struct kg_path_value);
} path_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS);
	__type(key, __u32);
	__type(value, struct kg_path_lengths);
} path_lengths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_SLOTS * KG_MAX_REVOKED);
	__type(key, struct kg_revoked_key);
	__type(value, __u32);
} revoked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KG_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_inode_verdict);
} verdict_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_mprotect_record);
} mprotect_records SEC(".maps");

/* When and from where a path was resolved; a cached resolution holds for
 * a later operation only if all of it is unchanged. */
struct kg_resolution_snapshot {
	__u64 epoch;
	__u32 generation;
	__u32 rename_seq;
	__u32 mount_seq;
	__u32 valid; /* both sequence counts read, and even */
	__u64 file_mnt;
	__u64 file_dentry;
	__u64 root_mnt;
	__u64 root_dentry;
};

/* The rule resolution of an inode's file (see "Resolution cache"). The
 * lock keeps two tasks resolving the inode from different roots from
 * leaving one's scope under the other's snapshot. */
struct kg_path_resolution {
	struct bpf_spin_lock lock;
	__u32 reserved_lock;
	struct kg_resolution_snapshot at;
	__u32 found; /* 0: no scope covers the path */
	__u32 reserved;
	struct kg_path_value value;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_path_resolution);
} path_resolutions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_sig_scratch);
} sig_scratch SEC(".maps");

/* 0: no policy. Written by the agent with one aligned 32-bit store. */
__u32 active_generation;
struct kg_counters counters;
/* Bumped before every operation that can give an inode another path. */
__u64 namespace_epoch;

/* bpf_get_file_xattr wants its name as a constant string in read-only
 * data, so the name is fixed when the object is loaded. */
const volatile char sig_xattr[KG_XATTR_NAME_MAX] = KG_DEFAULT_SIG_XATTR;

/* One decision in progress; copied into the event. */
struct kg_decision {
	__u32 generation;
	__u32 slot;
	__u32 op;
	__u32 rule;
	__u32 anchor;
	__u32 reason;
	__u32 verdict;
	__s32 error;
	long path_len; /* bpf_d_path's result: bytes with the NUL, or -errno */
	__u32 have_digest;
	__u32 log;
	__u32 kernel_id; /* kg_event.kernel_id */
	__u32 flags;     /* kg_event.flags */
	const char *module; /* NULL or KG_MODULE_NAME_LEN bytes of map memory */
};

/* An earlier BPF LSM program's verdict, passed on unchanged (and kept in
 * the range the verifier accepts for an LSM return value). */
static __always_inline int earlier_verdict(int ret)
{
	return ret < -MAX_ERRNO || ret > 0 ? -EPERM : ret;
}

static __always_inline void decision_init(struct kg_decision *d, __u32 generation, __u32 op)
{
	d->generation = generation;
	d->slot = generation & 1;
	d->op = op;
	d->rule = KG_RULE_NONE;
	d->anchor = KG_ANCHOR_NONE;
	d->reason = KG_REASON_NO_RULE;
	d->verdict = KG_VERDICT_ALLOW;
	d->error = 0;
	d->path_len = 0;
	d->have_digest = 0;
	d->log = 0;
	d->kernel_id = 0;
	d->flags = 0;
	d->module = NULL;
}

/* The requirement is not met: deny, or log and allow in audit. */
static __always_inline void fail(struct kg_decision *d, __u32 on_failure, __u32 reason, __s32 error)
{
	d->reason = reason;
	d->error = error;
	d->verdict = on_failure == KG_FAIL_AUDIT ? KG_VERDICT_AUDIT : KG_VERDICT_DENY;
	d->log = 1;
}

/* A failure before any rule is known follows the policy's mode. */
static __always_inline void fail_by_mode(struct kg_decision *d, const struct kg_policy_config *cfg,
					 __s32 error)
{
	fail(d, cfg->mode == KG_MODE_AUDIT ? KG_FAIL_AUDIT : KG_FAIL_DENY,
	     KG_REASON_INTERNAL_ERROR, error);
}

static __always_inline void apply_default(struct kg_decision *d, const struct kg_policy_config *cfg)
{
	__u32 action = cfg->default_action[d->op & (KG_OP_COUNT - 1)];

	d->reason = KG_REASON_NO_RULE;
	if (action == KG_DEFAULT_DENY) {
		d->verdict = KG_VERDICT_DENY;
		d->log = 1;
	} else if (action == KG_DEFAULT_AUDIT) {
		d->verdict = KG_VERDICT_AUDIT;
		d->log = 1;
	}
}

/* path: NULL or at least KG_EVENT_PATH_MAX readable bytes (map memory),
 * d->path_len of them meaningful with the NUL. */
static __always_inline void emit_event(const struct kg_decision *d, const struct kg_scratch *s,
				       const char *path, const struct inode *inode)
{
	struct kg_event *ev;
	__u64 id;
	long len;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&counters.events_dropped, 1);
		return;
	}
	ev->time_boot_ns = bpf_ktime_get_boot_ns();
	/* Direct BTF loads, not BPF_CORE_READ: its stack temporaries may
	 * land on a dead dynptr's slot, which the verifier refuses. */
	ev->dev = inode ? inode->i_sb->s_dev : 0;
	ev->ino = inode ? inode->i_ino : 0;
	ev->generation = d->generation;
	ev->op = d->op;
	ev->verdict = d->verdict;
	ev->reason = d->reason;
	ev->rule = d->rule;
	ev->anchor = d->anchor;
	ev->error = d->error;
	id = bpf_get_current_pid_tgid();
	ev->pid = (__u32)id;
	ev->tgid = id >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (s && d->have_digest) {
		ev->digest_algo = *(const __u16 *)&s->formatted_digest[FSVERITY_MAGIC_LEN];
		ev->digest_size = *(const __u16 *)&s->formatted_digest[FSVERITY_MAGIC_LEN + 2];
		__builtin_memcpy(ev->digest, &s->formatted_digest[FSVERITY_HEADER_LEN], KG_DIGEST_MAX);
	} else {
		ev->digest_algo = 0;
		ev->digest_size = 0;
		__builtin_memset(ev->digest, 0, KG_DIGEST_MAX);
	}
	len = d->path_len - 1;
	if (path && len > 0) {
		if (len > KG_EVENT_PATH_MAX - 1)
			len = KG_EVENT_PATH_MAX - 1;
		__builtin_memcpy(ev->path, path, KG_EVENT_PATH_MAX);
		ev->path[len & (KG_EVENT_PATH_MAX - 1)] = 0;
		ev->path_len = len;
	} else {
		ev->path[0] = 0;
		ev->path_len = 0;
	}
	ev->kernel_id = d->kernel_id;
	ev->flags = d->flags;
	if (d->module)
		__builtin_memcpy(ev->module, d->module, KG_MODULE_NAME_LEN);
	else
		__builtin_memset(ev->module, 0, KG_MODULE_NAME_LEN);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline int finish(const struct kg_decision *d, const struct kg_scratch *s,
				  const char *path, const struct inode *inode)
{
	if (d->verdict <= KG_VERDICT_AUDIT)
		__sync_fetch_and_add(&counters.decisions[d->verdict], 1);
	if (d->log)
		emit_event(d, s, path, inode);
	return d->verdict == KG_VERDICT_DENY ? -EPERM : 0;
}

struct walk_ctx {
	struct kg_scratch *s;
	const struct kg_path_lengths *lengths;
	__u32 found;
};

#define PATH_WORDS (KG_PATH_KEY_BYTES / 8)

/* Looks the key's first len bytes up as a scope (key bytes past len are
 * zero); the lengths bitmap skips lookups that cannot hit. */
static __always_inline void lookup_scope(struct walk_ctx *w, __u64 len)
{
	const struct kg_path_value *value;
	__u64 bits_index = len >> 6;

	barrier_var(bits_index); /* keeps clang from dropping the bound check */
	if (bits_index >= 4 || len > KG_PATH_MAX ||
	    !(w->lengths->bits[bits_index] & (1ULL << (len & 63))))
		return;
	w->s->key.len = len;
	value = bpf_map_lookup_elem(&path_rules, &w->s->key);
	if (value) {
		w->s->found = *value;
		w->found = 1;
	}
}

/* The low n bytes of a little-endian word (n in 1..8). */
static __always_inline __u64 low_bytes(__u64 word, __u32 n)
{
	return n >= 8 ? word : word & ((1ULL << (8 * n)) - 1);
}

/*
 * Eight bytes of the path per call (bpf_loop: the verifier checks the
 * body once, not once per byte). The key receives the word; at a '/' it
 * holds the prefix up to that '/' (later bytes still zero) for a lookup.
 */
static long walk_path_word(__u32 index, void *ctx)
{
	struct walk_ctx *w = ctx;
	__u64 i = index, word, *key_word;
	__u32 j;
	char c;

	barrier_var(i); /* one zero-extended copy: the bound checked is the one used */
	if (i >= PATH_WORDS)
		return 1;
	word = *(__u64 *)&w->s->path[i * 8];
	key_word = (__u64 *)&w->s->key.path[i * 8];
#pragma unroll
	for (j = 0; j < 8; j++) {
		c = word >> (8 * j);
		if (c == 0) {
			if (i * 8 + j == 0)
				return 1;
			*key_word = low_bytes(word, j);
			lookup_scope(w, i * 8 + j); /* the whole path: an exact file */
			return 1;
		}
		if (c == '/') {
			*key_word = low_bytes(word, j + 1);
			lookup_scope(w, i * 8 + j + 1); /* a directory prefix */
		}
	}
	*key_word = word;
	return 0;
}

/*
 * The scope deciding every operation for the path in s->path, into
 * s->found (returns 0 when none covers it): the len-0 scope, then every
 * directory prefix (ending in '/'), then the whole path; the last scope
 * found wins, the compiler having resolved inheritance already.
 */
static __always_inline __u32 resolve_scope(struct kg_scratch *s, __u32 slot)
{
	const struct kg_path_value *value;
	struct walk_ctx w = { .s = s, .found = 0 };

	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.slot = slot;
	value = bpf_map_lookup_elem(&path_rules, &s->key);
	if (value) {
		s->found = *value;
		w.found = 1;
	}
	w.lengths = bpf_map_lookup_elem(&path_lengths, &slot);
	if (!w.lengths)
		return w.found;
	bpf_loop(PATH_WORDS, walk_path_word, &w, 0);
	return w.found;
}

static __always_inline void take_snapshot(struct kg_resolution_snapshot *snap,
					  const struct file *file, __u32 generation)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fs_struct *fs = task->fs;

	/* The epoch and the sequence counts first: a change after these
	 * reads makes whatever is resolved next already stale. */
	snap->epoch = *(volatile __u64 *)&namespace_epoch;
	barrier(); /* x86 keeps loads in order; the compiler must too */
	snap->generation = generation;
	snap->valid = 0;
	/* rename_lock and mount_lock are typeless kernel variables: libbpf
	 * resolves them through /proc/kallsyms, which the packaged unit hides
	 * (ProtectKernelTunables=). Without their sequence counts no snapshot
	 * is valid and the resolution cache stays off. */
	snap->rename_seq = 1;
	snap->mount_seq = 1;
	snap->file_mnt = (__u64)file->f_path.mnt;
	snap->file_dentry = (__u64)file->f_path.dentry;
	snap->root_mnt = fs ? (__u64)fs->root.mnt : 0;
	snap->root_dentry = fs ? (__u64)fs->root.dentry : 0;
	if (!fs)
		snap->valid = 0;
}

/* A regular file with one link: its only dentry names its only path. */
static __always_inline bool resolution_cacheable(const struct inode *inode)
{
	return (inode->i_mode & S_IFMT) == S_IFREG && inode->i_nlink == 1;
}

/* The rule for `op` from the inode's cached resolution, or false. */
static __always_inline bool cached_rule(struct inode *inode,
					const struct kg_resolution_snapshot *now, __u32 op,
					__u32 *rule)
{
	struct kg_path_resolution *r;
	bool hit;

	if (!now->valid || !resolution_cacheable(inode))
		return false;
	r = bpf_inode_storage_get(&path_resolutions, inode, 0, 0);
	if (!r)
		return false;
	bpf_spin_lock(&r->lock);
	hit = r->at.epoch == now->epoch && r->at.generation == now->generation &&
	      r->at.rename_seq == now->rename_seq && r->at.mount_seq == now->mount_seq &&
	      r->at.file_mnt == now->file_mnt && r->at.file_dentry == now->file_dentry &&
	      r->at.root_mnt == now->root_mnt && r->at.root_dentry == now->root_dentry;
	if (hit)
		*rule = r->found ? r->value.rule[op & (KG_OP_COUNT - 1)] : KG_RULE_NONE;
	bpf_spin_unlock(&r->lock);
	return hit;
}

static __always_inline void cache_resolution(struct inode *inode,
					     const struct kg_resolution_snapshot *at,
					     const struct kg_scratch *s, __u32 found)
{
	struct kg_path_resolution *r;

	if (!at->valid || !resolution_cacheable(inode))
		return;
	r = bpf_inode_storage_get(&path_resolutions, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!r)
		return; /* only costs a resolution next time */
	bpf_spin_lock(&r->lock);
	r->found = found;
	r->value = s->found;
	r->at = *at;
	bpf_spin_unlock(&r->lock);
}

/* Not in the minimal vmlinux.h: a revoked or expired keyring still looks
 * up, and the verification then fails with these. */
#define EKEYEXPIRED 127
#define EKEYREVOKED 128

static __always_inline __u32 pkcs7_failure_reason(long err)
{
	if (err == -EKEYREVOKED || err == -EKEYEXPIRED)
		return KG_REASON_KEYRING_GONE;
	if (err == -EKEYREJECTED)
		return KG_REASON_BAD_SIGNATURE;
	if (err == -ENOKEY)
		return KG_REASON_UNKNOWN_SIGNER;
	return KG_REASON_MALFORMED_SIGNATURE;
}

/* Outcome when several anchors fail: the most telling reason wins. */
static __always_inline __u32 reason_rank(__u32 reason)
{
	switch (reason) {
	case KG_REASON_BAD_SIGNATURE:
		return 4;
	case KG_REASON_MALFORMED_SIGNATURE:
		return 3;
	case KG_REASON_UNKNOWN_SIGNER:
		return 2;
	default:
		return 1;
	}
}

static __always_inline void cache_verified(struct inode *inode, __u32 generation, __u32 anchor)
{
	struct kg_inode_verdict *v;

	v = bpf_inode_storage_get(&verdict_cache, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	v->generation = generation;
	v->verified = 1;
	v->anchor = anchor;
}

struct anchor_ctx {
	struct bpf_dynptr *data;
	struct bpf_dynptr *sig;
	__u64 mask;
	__u32 slot;
	__u32 anchor;      /* the anchor that verified, or KG_ANCHOR_NONE */
	__u32 fail_reason; /* the most telling failure so far */
	__s32 fail_error;
};

/* Tries anchor i of the rule: look its keyring up, verify, put the key. */
static long try_anchor(__u32 i, void *ctx)
{
	struct anchor_ctx *a = ctx;
	const struct kg_anchor *anchor;
	struct bpf_key *key;
	__u32 index, reason;
	long err;

	if (i >= KG_MAX_ANCHORS)
		return 1;
	if (!(a->mask & (1ULL << i)))
		return 0;
	index = (a->slot & 1) * KG_MAX_ANCHORS + i;
	anchor = bpf_map_lookup_elem(&anchors, &index);
	if (!anchor || !anchor->kind)
		return 0;
	if (anchor->kind == KG_ANCHOR_SYSTEM)
		key = bpf_lookup_system_key(anchor->id);
	else
		key = bpf_lookup_user_key((__u32)anchor->id, 0);
	if (!key)
		return 0; /* keyring_gone, unless another anchor says more */
	err = bpf_verify_pkcs7_signature(a->data, a->sig, key);
	bpf_key_put(key);
	__sync_fetch_and_add(&counters.verifications, 1);
	if (!err) {
		a->anchor = i;
		return 1;
	}
	reason = pkcs7_failure_reason(err);
	if (reason_rank(reason) >= reason_rank(a->fail_reason)) {
		a->fail_reason = reason;
		a->fail_error = err;
	}
	return 0;
}

/*
 * Requirement `signed`: the fs-verity digest of the file, formatted as
 * `fsverity sign` signs it, must carry a PKCS#7 signature in the policy's
 * xattr by a key in one of the rule's anchors, and must not be revoked.
 */
static __always_inline void verify_file(struct kg_decision *d, struct file *file,
					struct inode *inode, const struct kg_rule *rule,
					struct kg_scratch *s, bool in_advance)
{
	struct bpf_dynptr digest_out, data, sig_out, sig;
	const struct kg_inode_verdict *cached;
	struct kg_sig_scratch *sig_buf;
	struct anchor_ctx attempt;
	__u64 digest_size, sig_len;
	__u64 mask = rule->anchors;
	long err;

	cached = bpf_inode_storage_get(&verdict_cache, inode, 0, 0);
	if (cached && cached->generation == d->generation && cached->verified &&
	    cached->anchor < KG_MAX_ANCHORS && (mask & (1ULL << cached->anchor))) {
		d->reason = KG_REASON_CACHE_HIT;
		d->anchor = cached->anchor;
		__sync_fetch_and_add(&counters.cache_hits, 1);
		return;
	}

	__builtin_memcpy(s->formatted_digest, "FSVerity", FSVERITY_MAGIC_LEN);
	bpf_dynptr_from_mem(&s->formatted_digest[FSVERITY_MAGIC_LEN], 4 + KG_DIGEST_MAX, 0,
			    &digest_out);
	/* Writes native u16 algorithm and size: little-endian on every
	 * architecture keygate builds for, as the signed format wants. */
	err = bpf_get_fsverity_digest(file, &digest_out);
	if (err == -ENODATA) {
		fail(d, rule->on_failure, KG_REASON_NOT_VERITY, 0);
		return;
	}
	if (err < 0) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, err);
		return;
	}
	digest_size = *(__u16 *)&s->formatted_digest[FSVERITY_MAGIC_LEN + 2];
	barrier_var(digest_size); /* the bound checked is the one passed on */
	if (digest_size > KG_DIGEST_MAX) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, -ERANGE);
		return;
	}
	d->have_digest = 1;

	s->revoked.slot = d->slot;
	s->revoked.digest_algo = *(__u16 *)&s->formatted_digest[FSVERITY_MAGIC_LEN];
	s->revoked.digest_size = digest_size;
	__builtin_memcpy(s->revoked.digest, &s->formatted_digest[FSVERITY_HEADER_LEN],
			 KG_DIGEST_MAX);
	if (bpf_map_lookup_elem(&revoked, &s->revoked)) {
		fail(d, rule->on_failure, KG_REASON_REVOKED, 0);
		return;
	}

	sig_buf = bpf_task_storage_get(&sig_scratch, bpf_get_current_task_btf(), 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!sig_buf) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, -ENOMEM);
		return;
	}
	bpf_dynptr_from_mem(sig_buf->sig, KG_SIG_MAX, 0, &sig_out);
	err = bpf_get_file_xattr(file, (const char *)sig_xattr, &sig_out);
	if (err == -ENODATA) {
		fail(d, rule->on_failure, KG_REASON_NO_SIGNATURE, 0);
		return;
	}
	if (err == -ERANGE || err == 0) { /* larger than KG_SIG_MAX, or empty */
		fail(d, rule->on_failure, KG_REASON_MALFORMED_SIGNATURE, err ? err : -EBADMSG);
		return;
	}
	if (err < 0) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, err);
		return;
	}
	sig_len = (__u32)err;
	barrier_var(sig_len);
	if (sig_len > KG_SIG_MAX) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, -ERANGE);
		return;
	}
	bpf_dynptr_from_mem(sig_buf->sig, sig_len, 0, &sig);
	bpf_dynptr_from_mem(s->formatted_digest, FSVERITY_HEADER_LEN + digest_size, 0, &data);

	attempt.data = &data;
	attempt.sig = &sig;
	attempt.slot = d->slot;
	attempt.mask = mask;
	attempt.anchor = KG_ANCHOR_NONE;
	attempt.fail_reason = KG_REASON_KEYRING_GONE;
	attempt.fail_error = -ENOKEY;
	bpf_loop(KG_MAX_ANCHORS, try_anchor, &attempt, 0);
	if (attempt.anchor < KG_MAX_ANCHORS) {
		d->reason = KG_REASON_VERIFIED;
		d->anchor = attempt.anchor;
		/* In advance, the mprotect record keeps the result: the first
		 * real decision then reports the verification itself. */
		if (!in_advance)
			cache_verified(inode, d->generation, attempt.anchor);
		return;
	}
	fail(d, rule->on_failure, attempt.fail_reason, attempt.fail_error);
}

/* An overlayfs file's inode is the overlay's, never fs-verity, and the
 * programs cannot reach the real (lower or upper) file behind it: say so
 * rather than not_verity. */
static __always_inline bool on_overlay(const struct inode *inode)
{
	return inode->i_sb->s_magic == OVERLAYFS_SUPER_MAGIC;
}

/* Applies the rule found for the file; the decision starts as allow. */
static __always_inline void apply_rule(struct kg_decision *d, const struct kg_policy_config *cfg,
				       struct file *file, struct inode *inode,
				       struct kg_scratch *s, bool in_advance)
{
	const struct kg_rule *rule;
	__u32 index;

	if (d->rule == KG_RULE_NONE) {
		apply_default(d, cfg);
		return;
	}
	if (d->rule >= KG_MAX_RULES) {
		fail_by_mode(d, cfg, -ERANGE);
		return;
	}
	index = d->slot * KG_MAX_RULES + d->rule;
	rule = bpf_map_lookup_elem(&rules, &index);
	if (!rule) {
		fail_by_mode(d, cfg, -ENOENT);
		return;
	}
	switch (rule->requirement) {
	case KG_REQ_ALLOW:
		d->reason = KG_REASON_ALLOWED_BY_RULE;
		break;
	case KG_REQ_SIGNED:
		if (!file)
			fail(d, rule->on_failure, KG_REASON_NO_FILE, 0);
		else if (on_overlay(inode))
			fail(d, rule->on_failure, KG_REASON_OVERLAY, 0);
		else
			verify_file(d, file, inode, rule, s, in_advance);
		break;
	default: /* KG_REQ_DENY, and fail closed on anything unknown */
		fail(d, rule->on_failure, KG_REASON_DENIED_BY_RULE, 0);
		break;
	}
	if (d->verdict == KG_VERDICT_ALLOW && (rule->flags & KG_RULE_LOG_ALLOWED))
		d->log = 1;
}

static __always_inline struct kg_scratch *task_scratch(void)
{
	return bpf_task_storage_get(&scratch, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/*
 * A file mapped without PROT_EXEC may gain it later through mprotect,
 * whose hook cannot sleep (no path, no crypto): keygate_mmap_file decides
 * mprotect_exec for the mapping in advance and records the outcome.
 */
static __always_inline void record_for_mprotect(struct inode *inode, const struct kg_decision *d,
						const struct kg_scratch *s)
{
	struct kg_mprotect_record *record;

	record = bpf_inode_storage_get(&mprotect_records, inode, 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!record)
		return; /* mprotect then finds no record: unverifiable */
	record->rule = d->rule;
	record->reason = d->reason;
	record->error = d->error;
	record->anchor = d->anchor;
	record->path_len = s ? d->path_len : 0;
	if (s)
		__builtin_memcpy(record->path, s->path, KG_EVENT_PATH_MAX);
	record->generation = d->generation;
}

/*
 * The whole decision for an operation on a file, in a sleepable hook.
 * With `in_advance` (mprotect_exec decided at mmap time) nothing is
 * denied, counted or logged: the outcome is recorded for the inode.
 * Every hook calls this once, so the verifier checks one copy per program.
 */
static __always_inline int decide_file(struct file *file, __u32 op, bool in_advance)
{
	struct inode *inode = file->f_inode;
	const struct kg_policy_config *cfg;
	struct kg_resolution_snapshot snap;
	struct kg_decision d;
	struct kg_scratch *s;
	__u32 generation = active_generation;
	__u32 covered, action, found;

	if (!generation)
		return 0;
	decision_init(&d, generation, op);
	cfg = bpf_map_lookup_elem(&policy_config, &d.slot);
	if (!cfg)
		return 0;
	covered = cfg->ops_covered & (1u << (op & (KG_OP_COUNT - 1)));
	action = cfg->default_action[op & (KG_OP_COUNT - 1)];
	if (in_advance && !covered)
		return 0; /* keygate_file_mprotect applies the default itself */
	if (!covered && action != KG_DEFAULT_DENY && action != KG_DEFAULT_AUDIT)
		return 0;

	s = task_scratch();
	if (!s) {
		if (covered)
			fail_by_mode(&d, cfg, -ENOMEM);
		else
			apply_default(&d, cfg);
	} else {
		if (covered)
			take_snapshot(&snap, file, generation);
		if (covered && cached_rule(inode, &snap, op, &d.rule)) {
			apply_rule(&d, cfg, file, inode, s, in_advance);
			/* The path only for the event or the mprotect record. */
			if (d.log || in_advance)
				d.path_len = bpf_d_path(&file->f_path, s->path, sizeof(s->path));
		} else {
			d.path_len = bpf_d_path(&file->f_path, s->path, sizeof(s->path));
			if (covered && d.path_len <= 0) {
				fail_by_mode(&d, cfg, d.path_len ? d.path_len : -ENOENT);
			} else {
				if (covered) {
					found = resolve_scope(s, d.slot);
					d.rule = found ? s->found.rule[op & (KG_OP_COUNT - 1)]
						       : KG_RULE_NONE;
					cache_resolution(inode, &snap, s, found);
				}
				apply_rule(&d, cfg, file, inode, s, in_advance);
			}
		}
	}
	if (in_advance) {
		record_for_mprotect(inode, &d, s);
		return 0;
	}
	return finish(&d, s, s ? s->path : NULL, inode);
}

SEC("lsm.s/bprm_check_security")
int BPF_PROG(keygate_bprm_check_security, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return earlier_verdict(ret);
	return decide_file(bprm->file, KG_OP_EXEC, false);
}

SEC("lsm.s/mmap_file")
int BPF_PROG(keygate_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	bool exec = prot & PROT_EXEC;

	if (ret)
		return earlier_verdict(ret);
	if (!file)
		return 0;
	return decide_file(file, exec ? KG_OP_MMAP_EXEC : KG_OP_MPROTECT_EXEC, !exec);
}

SEC("lsm/file_mprotect")
int BPF_PROG(keygate_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	const struct kg_mprotect_record *record;
	const struct kg_inode_verdict *cached;
	const char *record_path = NULL;
	const struct kg_policy_config *cfg;
	const struct kg_rule *rule;
	struct kg_decision d;
	struct inode *inode;
	struct file *file;
	__u32 generation, index;

	if (ret)
		return earlier_verdict(ret);
	if (!(prot & PROT_EXEC) || (vma->vm_flags & VM_EXEC))
		return 0;
	file = vma->vm_file;
	if (!file)
		return 0;
	generation = active_generation;
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MPROTECT_EXEC);
	cfg = bpf_map_lookup_elem(&policy_config, &d.slot);
	if (!cfg)
		return 0;
	inode = file->f_inode;
	if (!(cfg->ops_covered & (1u << KG_OP_MPROTECT_EXEC))) {
		apply_default(&d, cfg);
		if (d.verdict == KG_VERDICT_ALLOW)
			return 0;
		return finish(&d, NULL, record_path, inode);
	}
	record = bpf_inode_storage_get(&mprotect_records, inode, 0, 0);
	if (!record || record->generation != generation) {
		fail_by_mode(&d, cfg, -ENODATA);
		return finish(&d, NULL, record_path, inode);
	}
	record_path = record->path;
	d.path_len = record->path_len;
	d.rule = record->rule;
	if (d.rule == KG_RULE_NONE) {
		if (record->reason == KG_REASON_INTERNAL_ERROR) /* no rule found at mmap */
			fail_by_mode(&d, cfg, record->error);
		else
			apply_default(&d, cfg);
		return finish(&d, NULL, record_path, inode);
	}
	index = d.slot * KG_MAX_RULES + (d.rule & (KG_MAX_RULES - 1));
	rule = bpf_map_lookup_elem(&rules, &index);
	if (!rule || d.rule >= KG_MAX_RULES) {
		fail_by_mode(&d, cfg, -ENOENT);
		return finish(&d, NULL, record_path, inode);
	}
	if (rule->requirement == KG_REQ_ALLOW) {
		d.reason = KG_REASON_ALLOWED_BY_RULE;
	} else if (rule->requirement == KG_REQ_SIGNED) {
		cached = bpf_inode_storage_get(&verdict_cache, inode, 0, 0);
		if ((record->reason == KG_REASON_VERIFIED || record->reason == KG_REASON_CACHE_HIT) &&
		    record->anchor < KG_MAX_ANCHORS && (rule->anchors & (1ULL << record->anchor))) {
			d.reason = record->reason; /* verified when the file was mapped */
			d.anchor = record->anchor;
		} else if (cached && cached->generation == generation && cached->verified &&
			   cached->anchor < KG_MAX_ANCHORS &&
			   (rule->anchors & (1ULL << cached->anchor))) {
			d.reason = KG_REASON_CACHE_HIT;
			d.anchor = cached->anchor;
			__sync_fetch_and_add(&counters.cache_hits, 1);
		} else {
			fail(&d, rule->on_failure, record->reason, record->error);
		}
	} else {
		fail(&d, rule->on_failure, KG_REASON_DENIED_BY_RULE, 0);
	}
	if (d.verdict == KG_VERDICT_ALLOW && (rule->flags & KG_RULE_LOG_ALLOWED))
		d.log = 1;
	return finish(&d, NULL, record_path, inode);
}

SEC("lsm.s/file_open")
int BPF_PROG(keygate_file_open, struct file *file, int ret)
{
	if (ret)
		return earlier_verdict(ret);
	/* Exec opens are decided by keygate_bprm_check_security. 7.2 hands
	 * them to this hook without FMODE_EXEC in f_mode; the open flags
	 * still say so. */
	if (!(file->f_mode & FMODE_READ) || (file->f_mode & FMODE_EXEC) ||
	    (file->f_flags & FMODE_EXEC_OPEN_FLAGS))
		return 0;
	return decide_file(file, KG_OP_OPEN_READ, false);
}

/* What a kernel read or load is, beyond the operations: */
#define KG_LOAD_NOT_DECIDED KG_OP_COUNT         /* IMA policy, certificates */
#define KG_LOAD_UNKNOWN (KG_OP_COUNT + 1)       /* an id this build does not know */
/* The operations a read or load of unknown purpose might be. */
#define KG_KERNEL_LOAD_OPS                                                             \
	((1u << KG_OP_MODULE_FILE) | (1u << KG_OP_MODULE_BUFFER) | (1u << KG_OP_FIRMWARE) | \
	 (1u << KG_OP_KEXEC))

static __always_inline __u32 read_file_op(enum kernel_read_file_id id)
{
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return KG_OP_MODULE_FILE;
	/* finit_module(MODULE_INIT_COMPRESSED_FILE) on kernels that tell it apart */
	if (bpf_core_enum_value_exists(enum kernel_read_file_id, READING_MODULE_COMPRESSED) &&
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE_COMPRESSED))
		return KG_OP_MODULE_FILE;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_FIRMWARE))
		return KG_OP_FIRMWARE;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) ||
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return KG_OP_KEXEC;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_POLICY) ||
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_X509_CERTIFICATE))
		return KG_LOAD_NOT_DECIDED;
	return KG_LOAD_UNKNOWN;
}

static __always_inline __u32 load_data_op(enum kernel_load_data_id id)
{
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return KG_OP_MODULE_BUFFER;
	if (bpf_core_enum_value_exists(enum kernel_load_data_id, LOADING_MODULE_COMPRESSED) &&
	    id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE_COMPRESSED))
		return KG_OP_MODULE_BUFFER;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_FIRMWARE))
		return KG_OP_FIRMWARE;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE) ||
	    id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_INITRAMFS))
		return KG_OP_KEXEC;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_POLICY) ||
	    id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_X509_CERTIFICATE))
		return KG_LOAD_NOT_DECIDED;
	return KG_LOAD_UNKNOWN;
}

/*
 * A kernel read or load keygate cannot name may be a module, firmware or
 * kexec image by another id (a newer kernel's): when the policy looks at
 * any of those, it fails closed by the policy's mode, reported under the
 * first such operation the policy covers, with the kernel's id.
 * Returns false when the policy covers none of them (allow).
 */
static __always_inline bool unknown_load(struct kg_decision *d, const struct kg_policy_config *cfg,
					 __u32 kernel_id)
{
	__u32 covered = cfg->ops_covered & KG_KERNEL_LOAD_OPS;

	if (!covered)
		return false;
	if (covered & (1u << KG_OP_MODULE_FILE))
		d->op = KG_OP_MODULE_FILE;
	else if (covered & (1u << KG_OP_MODULE_BUFFER))
		d->op = KG_OP_MODULE_BUFFER;
	else if (covered & (1u << KG_OP_FIRMWARE))
		d->op = KG_OP_FIRMWARE;
	else
		d->op = KG_OP_KEXEC;
	d->kernel_id = kernel_id;
	fail(d, cfg->mode == KG_MODE_AUDIT ? KG_FAIL_AUDIT : KG_FAIL_DENY, KG_REASON_UNKNOWN_READ, 0);
	return true;
}

SEC("lsm.s/kernel_read_file")
int BPF_PROG(keygate_kernel_read_file, struct file *file, enum kernel_read_file_id id,
	     bool contents, int ret)
{
	const struct kg_policy_config *cfg;
	struct kg_decision d;
	struct kg_scratch *s;
	__u32 generation, op;

	if (ret)
		return earlier_verdict(ret);
	if (!file)
		return 0;
	op = read_file_op(id);
	if (op < KG_OP_COUNT)
		return decide_file(file, op, false);
	if (op == KG_LOAD_NOT_DECIDED)
		return 0;
	generation = active_generation;
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MODULE_FILE);
	cfg = bpf_map_lookup_elem(&policy_config, &d.slot);
	if (!cfg || !unknown_load(&d, cfg, id))
		return 0;
	s = task_scratch();
	if (s)
		d.path_len = bpf_d_path(&file->f_path, s->path, sizeof(s->path));
	return finish(&d, NULL, s ? s->path : NULL, file->f_inode);
}

/* Buffers have no path: the compiler gives each operation the strictest
 * rule of any scope (kg_policy_config.buffer_rule), so a rule scoped to
 * paths still applies, and a `signed` rule fails with no_file. */
SEC("lsm/kernel_load_data")
int BPF_PROG(keygate_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	const struct kg_policy_config *cfg;
	struct kg_decision d;
	__u32 generation, op;

	if (ret)
		return earlier_verdict(ret);
	/* init_module is decided in keygate_kernel_post_load_data. */
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return 0;
	op = load_data_op(id);
	if (op == KG_LOAD_NOT_DECIDED)
		return 0;
	generation = active_generation;
	if (!generation)
		return 0;
	decision_init(&d, generation, op < KG_OP_COUNT ? op : KG_OP_MODULE_BUFFER);
	cfg = bpf_map_lookup_elem(&policy_config, &d.slot);
	if (!cfg)
		return 0;
	if (op >= KG_OP_COUNT) {
		if (!unknown_load(&d, cfg, id))
			return 0;
		return finish(&d, NULL, NULL, NULL);
	}
	if (cfg->ops_covered & (1u << op))
		d.rule = cfg->buffer_rule[op & (KG_OP_COUNT - 1)];
	apply_rule(&d, cfg, NULL, NULL, NULL, false);
	return finish(&d, NULL, NULL, NULL);
}

/* What a module_buffer record says about the module (task storage: the
 * hook is not sleepable, but may be preempted). */
struct kg_module_desc {
	char name[KG_MODULE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_module_desc);
} module_descs SEC(".maps");

#define ELF_SHDR_BYTES 64
#define KG_MAX_SECTIONS 1024
#define KG_MAX_MODULE_BYTES (1LL << 31)
#define THIS_MODULE_SECTION ".gnu.linkonce.this_module"
#define MODULE_SIG_MARKER "~Module signature appended~\n"
#define MODULE_SIG_MARKER_LEN 28

/* Elf64_Ehdr and the start of Elf64_Shdr, as far as they are read here. */
struct elf64_head {
	__u8 ident[16];
	__u16 type, machine;
	__u32 version;
	__u64 entry, phoff, shoff;
	__u32 flags;
	__u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_section {
	__u32 name, type;
	__u64 flags, addr, offset, size;
};

struct section_walk {
	const char *buf;
	__u64 size;
	__u64 shoff;
	__u64 names;      /* offset of the section name table */
	__u64 names_size;
	__u64 found;      /* offset of .gnu.linkonce.this_module, 0: none */
	__u64 found_size;
};

static long find_this_module(__u32 i, void *ctx)
{
	struct section_walk *w = ctx;
	char name[sizeof(THIS_MODULE_SECTION)];
	struct elf64_section sh;
	__u64 at = w->shoff + (__u64)i * ELF_SHDR_BYTES;

	if (at + sizeof(sh) > w->size || bpf_probe_read_kernel(&sh, sizeof(sh), w->buf + at))
		return 1;
	if ((__u64)sh.name + sizeof(name) > w->names_size ||
	    bpf_probe_read_kernel(name, sizeof(name), w->buf + w->names + sh.name))
		return 0;
	if (bpf_strncmp(name, sizeof(name), THIS_MODULE_SECTION))
		return 0;
	w->found = sh.offset;
	w->found_size = sh.size;
	return 1;
}

/*
 * Names the module in a buffer from its own struct module (the section
 * .gnu.linkonce.this_module, where the kernel itself takes the name from)
 * and notes an appended module signature. Only for the record: the kernel
 * checks the ELF itself later, and nothing here changes a decision.
 */
static __always_inline void describe_module(struct kg_decision *d, const char *buf, __s64 size)
{
	struct section_walk w = { .buf = buf, .size = size };
	char tail[MODULE_SIG_MARKER_LEN];
	struct elf64_section names;
	struct kg_module_desc *desc;
	struct elf64_head eh;
	__u64 name_at;

	if (size <= 0 || size > KG_MAX_MODULE_BYTES)
		return;
	if (size > MODULE_SIG_MARKER_LEN &&
	    !bpf_probe_read_kernel(tail, sizeof(tail), buf + size - MODULE_SIG_MARKER_LEN) &&
	    !bpf_strncmp(tail, sizeof(tail), MODULE_SIG_MARKER))
		d->flags |= KG_EVENT_MODULE_SIG;
	desc = bpf_task_storage_get(&module_descs, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!desc)
		return;
	__builtin_memset(desc->name, 0, sizeof(desc->name));
	if (sizeof(eh) > (__u64)size || bpf_probe_read_kernel(&eh, sizeof(eh), buf))
		return;
	if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F' ||
	    eh.ident[4] != 2 /* ELFCLASS64 */ || eh.shentsize != ELF_SHDR_BYTES ||
	    eh.shstrndx >= eh.shnum || eh.shoff >= (__u64)size)
		return;
	w.shoff = eh.shoff;
	name_at = eh.shoff + (__u64)eh.shstrndx * ELF_SHDR_BYTES;
	if (name_at + sizeof(names) > (__u64)size ||
	    bpf_probe_read_kernel(&names, sizeof(names), buf + name_at))
		return;
	if (names.offset >= (__u64)size || names.size > (__u64)size - names.offset)
		return;
	w.names = names.offset;
	w.names_size = names.size;
	bpf_loop(eh.shnum < KG_MAX_SECTIONS ? eh.shnum : KG_MAX_SECTIONS, find_this_module, &w, 0);
	name_at = bpf_core_field_offset(struct module, name);
	if (!w.found || w.found >= (__u64)size || w.found_size < name_at + KG_MODULE_NAME_LEN ||
	    w.found_size > (__u64)size - w.found)
		return;
	if (bpf_probe_read_kernel(desc->name, sizeof(desc->name), buf + w.found + name_at))
		return;
	desc->name[KG_MODULE_NAME_LEN - 1] = 0;
	d->module = desc->name;
}

/* init_module: decided once the image is copied in, so the record can
 * name the module; like every buffer, by kg_policy_config.buffer_rule. */
SEC("lsm/kernel_post_load_data")
int BPF_PROG(keygate_kernel_post_load_data, char *buf, loff_t size, enum kernel_load_data_id id,
	     char *description, int ret)
{
	const struct kg_policy_config *cfg;
	struct kg_decision d;
	__u32 generation;

	if (ret)
		return earlier_verdict(ret);
	if (id != bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return 0;
	generation = active_generation;
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MODULE_BUFFER);
	cfg = bpf_map_lookup_elem(&policy_config, &d.slot);
	if (!cfg)
		return 0;
	if (cfg->ops_covered & (1u << KG_OP_MODULE_BUFFER))
		d.rule = cfg->buffer_rule[KG_OP_MODULE_BUFFER];
	apply_rule(&d, cfg, NULL, NULL, NULL, false);
	if (d.log)
		describe_module(&d, buf, size);
	return finish(&d, NULL, NULL, NULL);
}

/*
 * A changed or removed signature must be verified again: drop the cached
 * verdicts on any xattr change (rare; re-verifying only costs time), both
 * before the change and after it, so a verification racing with the change
 * cannot leave a verdict about the old signature behind.
 */
static __always_inline void forget_inode(struct dentry *dentry)
{
	struct inode *inode = dentry->d_inode;

	if (!inode)
		return;
	bpf_inode_storage_delete(&verdict_cache, inode);
	bpf_inode_storage_delete(&mprotect_records, inode);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(keygate_inode_setxattr, struct mnt_idmap *idmap, struct dentry *dentry,
	     const char *name, const void *value, unsigned long size, int flags, int ret)
{
	if (ret)
		return earlier_verdict(ret);
	forget_inode(dentry);
	return 0;
}

SEC("lsm/inode_post_setxattr")
int BPF_PROG(keygate_inode_post_setxattr, struct dentry *dentry, const char *name,
	     const void *value, unsigned long size, int flags)
{
	forget_inode(dentry);
	return 0;
}

SEC("lsm/inode_removexattr")
int BPF_PROG(keygate_inode_removexattr, struct mnt_idmap *idmap, struct dentry *dentry,
	     const char *name, int ret)
{
	if (ret)
		return earlier_verdict(ret);
	forget_inode(dentry);
	return 0;
}

SEC("lsm/inode_post_removexattr")
int BPF_PROG(keygate_inode_post_removexattr, struct dentry *dentry, const char *name)
{
	forget_inode(dentry);
	return 0;
}

/* Every operation that can give an existing inode another path bumps the
 * epoch before it happens, so no resolution made earlier is reused. */
static __always_inline int path_may_change(int ret)
{
	__sync_fetch_and_add(&namespace_epoch, 1);
	return ret ? earlier_verdict(ret) : 0;
}

SEC("lsm/inode_rename")
int BPF_PROG(keygate_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	return path_may_change(ret);
}

SEC("lsm/inode_link")
int BPF_PROG(keygate_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	return path_may_change(ret);
}

SEC("lsm/inode_unlink")
int BPF_PROG(keygate_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	return path_may_change(ret);
}

SEC("lsm/sb_mount")
int BPF_PROG(keygate_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	return path_may_change(ret);
}

SEC("lsm/move_mount")
int BPF_PROG(keygate_move_mount, const struct path *from_path, const struct path *to_path,
	     int ret)
{
	return path_may_change(ret);
}

SEC("lsm/sb_umount")
int BPF_PROG(keygate_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	return path_may_change(ret);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(keygate_sb_pivotroot, const struct path *old_path, const struct path *new_path,
	     int ret)
{
	return path_may_change(ret);
}

/* A new root: a root pointer of a freed dentry reused cannot match. */
SEC("lsm/path_chroot")
int BPF_PROG(keygate_path_chroot, const struct path *path, int ret)
{
	return path_may_change(ret);
}

#include "guard.bpf.h"

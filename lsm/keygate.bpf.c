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
 *       has no record and is unverifiable: it gets the policy's
 *       fail_action for mprotect_exec, reason internal_error, -ENODATA.
 *       Hard links: the record holds the rule of the link mapped last.
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
 *
 * How a scope is matched: from the file, never from a path. The agent
 * binds each directory scope to the directory's (s_dev, i_ino), each
 * exact-file scope to (parent directory, name), and the root of every
 * mount inside a scope to that scope (keygate_abi.h, kg_scope_dir_key).
 * find_rule() walks from the file's dentry up through d_parent within its
 * superblock and takes the first directory that has an entry: the most
 * specific scope, with the compiler's inheritance already applied. The
 * caller's root, mount namespace and the mount the file was reached
 * through take no part, so bind mounts, chroot, pivot_root and user
 * namespaces cannot move a file into or out of a scope. A hard link is
 * decided by the directory of the link it was opened through. Files on a
 * superblock without any scope (scope_devs) skip the walk. A file nested
 * deeper than KG_SCOPE_DEPTH_MAX directories, or a corrupt rule index,
 * fails before its rule is known and gets the policy's fail_action for the
 * operation (keygate_abi.h). A rename racing with the walk may let it see
 * the directory's old or new parent, as it would a path lookup.
 *
 * Verdict cache: a file whose signature verified is remembered in its
 * inode storage for the policy generation and the anchor's stamp
 * (anchor_stamps, bumped by the agent when the anchor's keyring changes or
 * is revoked, see keygate(8)); an xattr change drops it. A hit counts only
 * when the caller could read the file by its mode bits (or holds
 * CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH in the initial user namespace),
 * because bpf_get_file_xattr checks read permission for `user.*` names: a
 * file the caller cannot read is checked in full and fails the same way
 * whether or not another user ran it first.
 *
 * Memory: the per-task scratch (path and signature buffers) is allocated
 * only when a decision verifies a signature or needs the path (an event
 * or an mprotect record); the path is for humans only (best effort).
 *
 * Fail closed: under a rule whose failure action is deny, every error on a
 * covered operation denies with -EPERM and a reason: a keyring that cannot
 * be looked up (keyring_gone, the other anchors are still tried), an xattr
 * read error, no scratch memory (internal_error, errno in the event). A
 * full ring buffer never changes a decision: the event is counted in
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
/* Not in the minimal vmlinux.h: a revoked or expired keyring still looks
 * up, and the verification then fails with these. */
#define EKEYEXPIRED 127
#define EKEYREVOKED 128

struct mnt_idmap;

extern int bpf_get_fsverity_digest(struct file *file, struct bpf_dynptr *digest_p) __ksym;
extern int bpf_get_file_xattr(struct file *file, const char *name__str,
			      struct bpf_dynptr *value_p) __ksym;
extern int bpf_verify_pkcs7_signature(struct bpf_dynptr *data_p, struct bpf_dynptr *sig_p,
				      struct bpf_key *trusted_keyring) __ksym;
extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym;
extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym;
extern void bpf_key_put(struct bpf_key *key) __ksym;

/* Turns an address kept as a number back into a read-only typed pointer
 * (loads through it are fault-safe). */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

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
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_DIRS);
	__type(key, struct kg_scope_dir_key);
	__type(value, struct kg_path_value);
} scope_dirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_FILES);
	__type(key, struct kg_scope_file_key);
	__type(value, struct kg_scope_file_value);
} scope_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_SLOTS * KG_MAX_SCOPE_DEVS);
	__type(key, struct kg_scope_dev_key);
	__type(value, __u32); /* KG_DEV_HAS_* */
} scope_devs SEC(".maps");

/* Per (slot, anchor): bumped by the agent when the anchor's keyring
 * changes; a cached verdict holds only while it is unchanged. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KG_SLOTS * KG_MAX_ANCHORS);
	__type(key, __u32);
	__type(value, __u32);
} anchor_stamps SEC(".maps");

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
	__u32 stamp; /* the verifying anchor's stamp */
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
	d->stamp = 0;
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

/* A failure before the rule is known: the outcome the compiler derived
 * for the operation (the strictest any covering rule or the default could
 * have had). */
static __always_inline void fail_unresolved(struct kg_decision *d,
					    const struct kg_policy_config *cfg, __s32 error)
{
	__u32 action = cfg->fail_action[d->op & (KG_OP_COUNT - 1)];

	d->reason = KG_REASON_INTERNAL_ERROR;
	d->error = error;
	d->verdict = action == KG_FAIL_ALLOW	? KG_VERDICT_ALLOW
		     : action == KG_FAIL_AUDIT ? KG_VERDICT_AUDIT
					       : KG_VERDICT_DENY;
	d->log = 1;
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

/* Where the walk for one file stands (bpf_loop context). */
struct scope_walk {
	__u64 dentry; /* the directory whose parent is looked at next */
	struct kg_scope_dir_key key;
	__u32 op;
	__u32 rule;  /* the scope's rule for op, once found */
	__u32 found; /* 1: a scope entry decided; 2: reached the root */
};

static long walk_up(__u32 index, void *ctx)
{
	struct scope_walk *w = ctx;
	const struct kg_path_value *value;
	struct dentry *dentry, *parent;

	dentry = bpf_rdonly_cast((void *)w->dentry, bpf_core_type_id_kernel(struct dentry));
	parent = dentry->d_parent;
	if (!parent || parent == dentry) {
		w->found = 2; /* the superblock's root: no scope on the way */
		return 1;
	}
	w->key.ino = parent->d_inode->i_ino;
	value = bpf_map_lookup_elem(&scope_dirs, &w->key);
	if (value) {
		w->rule = value->rule[w->op & (KG_OP_COUNT - 1)];
		w->found = 1;
		return 1;
	}
	w->dentry = (__u64)parent;
	return 0;
}

struct name_ctx {
	const unsigned char *name;
	__u32 len;
	__u64 hash;
	const char *expect; /* when set: compare instead of hashing */
	__u32 differs;
};

/* One 8-byte word of a name, zero-padded; hashes it or compares it. */
static long name_word(__u32 index, void *ctx)
{
	struct name_ctx *n = ctx;
	__u64 i = index, word = 0, size;

	barrier_var(i);
	if (i >= KG_FILE_NAME_BYTES / 8 || i * 8 >= n->len)
		return 1;
	size = n->len - i * 8;
	if (size > 8)
		size = 8;
	if (bpf_probe_read_kernel(&word, size, n->name + i * 8))
		n->differs = 1;
	if (!n->expect) {
		n->hash = (n->hash ^ word) * KG_NAME_HASH_PRIME;
		return 0;
	}
	if (word != *(const __u64 *)&n->expect[i * 8]) {
		n->differs = 1;
		return 1;
	}
	return 0;
}

/* The exact-file scope of the name the file was opened through, if any. */
static __always_inline bool file_scope(struct dentry *dentry, __u32 slot, __u64 dev, __u32 op,
				       __u32 *rule)
{
	const struct kg_scope_file_value *v;
	struct kg_scope_file_key key;
	struct name_ctx n = {};

	n.name = dentry->d_name.name;
	n.len = dentry->d_name.len;
	if (n.len == 0 || n.len > KG_FILE_NAME_MAX)
		return false;
	n.hash = KG_NAME_HASH_SEED;
	bpf_loop(KG_FILE_NAME_BYTES / 8, name_word, &n, 0);
	if (n.differs)
		return false;
	key.slot = slot;
	key.name_len = n.len;
	key.dev = dev;
	key.dir_ino = dentry->d_parent->d_inode->i_ino;
	key.name_hash = n.hash;
	v = bpf_map_lookup_elem(&scope_files, &key);
	if (!v)
		return false;
	n.expect = v->name;
	bpf_loop(KG_FILE_NAME_BYTES / 8, name_word, &n, 0);
	if (n.differs)
		return false;
	*rule = v->value.rule[op & (KG_OP_COUNT - 1)];
	return true;
}

/*
 * The rule deciding `op` for the file (KG_RULE_NONE: the default), from
 * its identity and its ancestors' (see "How a scope is matched"). Returns
 * 0, or -ELOOP when the file is nested deeper than KG_SCOPE_DEPTH_MAX.
 */
static __always_inline int find_rule(struct file *file, const struct kg_policy_config *cfg,
				     __u32 slot, __u32 op, __u32 *rule)
{
	struct dentry *dentry = file->f_path.dentry;
	struct kg_scope_dev_key dev_key;
	struct scope_walk w;
	const __u32 *flags;
	__u64 dev;

	*rule = cfg->everything.rule[op & (KG_OP_COUNT - 1)];
	dev = file->f_inode->i_sb->s_dev;
	dev_key.slot = slot;
	dev_key.reserved = 0;
	dev_key.dev = dev;
	flags = bpf_map_lookup_elem(&scope_devs, &dev_key);
	if (!flags)
		return 0; /* no scope on this file system */
	if ((*flags & KG_DEV_HAS_FILES) && file_scope(dentry, slot, dev, op, rule))
		return 0;
	if (!(*flags & KG_DEV_HAS_DIRS))
		return 0;
	w.dentry = (__u64)dentry;
	w.key.slot = slot;
	w.key.reserved = 0;
	w.key.dev = dev;
	w.op = op;
	w.found = 0;
	bpf_loop(KG_SCOPE_DEPTH_MAX, walk_up, &w, 0);
	if (w.found == 1)
		*rule = w.rule;
	return w.found ? 0 : -ELOOP;
}


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

/* The anchor's current stamp (0 when unknown: never matches a stamp the
 * agent wrote, which start at 1). */
static __always_inline __u32 anchor_stamp(__u32 slot, __u32 anchor)
{
	__u32 index = (slot & 1) * KG_MAX_ANCHORS + (anchor & (KG_MAX_ANCHORS - 1));
	const __u32 *stamp = bpf_map_lookup_elem(&anchor_stamps, &index);

	return stamp ? *(volatile const __u32 *)stamp : 0;
}

static __always_inline void cache_verified(struct inode *inode, __u32 generation, __u32 anchor,
					   __u32 stamp)
{
	struct kg_inode_verdict *v;

	v = bpf_inode_storage_get(&verdict_cache, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	v->generation = generation;
	v->verified = 1;
	v->anchor = anchor;
	v->stamp = stamp;
}

/* A cached verdict for these anchors that still holds. */
static __always_inline bool cache_valid(const struct kg_inode_verdict *cached, __u32 generation,
					__u64 mask)
{
	return cached && cached->generation == generation && cached->verified &&
	       cached->anchor < KG_MAX_ANCHORS && (mask & (1ULL << cached->anchor)) &&
	       cached->stamp && cached->stamp == anchor_stamp(generation & 1, cached->anchor);
}

/*
 * Whether the caller could read the file by its mode bits, as
 * bpf_get_file_xattr requires for a `user.*` name: owner, then group
 * (the primary one; a supplementary group only costs a full check), then
 * others; or the DAC capabilities of the initial user namespace.
 */
static __always_inline bool caller_may_read(const struct inode *inode)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;
	__u64 dac = (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH);
	umode_t mode = inode->i_mode;

	if ((cred->cap_effective.val & dac) && cred->user_ns->level == 0)
		return true;
	if (cred->fsuid.val == inode->i_uid.val)
		return mode & S_IRUSR;
	if (cred->fsgid.val == inode->i_gid.val)
		return mode & S_IRGRP;
	return mode & S_IROTH;
}

struct anchor_ctx {
	struct bpf_dynptr *data;
	struct bpf_dynptr *sig;
	__u64 mask;
	__u32 slot;
	__u32 anchor;      /* the anchor that verified, or KG_ANCHOR_NONE */
	__u32 stamp;       /* its stamp, read before the verification */
	__u32 fail_reason; /* the most telling failure so far */
	__s32 fail_error;
};

/* Tries anchor i of the rule: look its keyring up, verify, put the key. */
static long try_anchor(__u32 i, void *ctx)
{
	struct anchor_ctx *a = ctx;
	const struct kg_anchor *anchor;
	struct bpf_key *key;
	__u32 index, reason, stamp;
	long err;

	if (i >= KG_MAX_ANCHORS)
		return 1;
	if (!(a->mask & (1ULL << i)))
		return 0;
	index = (a->slot & 1) * KG_MAX_ANCHORS + i;
	anchor = bpf_map_lookup_elem(&anchors, &index);
	if (!anchor || !anchor->kind)
		return 0;
	stamp = anchor_stamp(a->slot, i);
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
		a->stamp = stamp;
		return 1;
	}
	reason = pkcs7_failure_reason(err);
	if (reason_rank(reason) >= reason_rank(a->fail_reason)) {
		a->fail_reason = reason;
		a->fail_error = err;
	}
	return 0;
}


static __always_inline struct kg_scratch *task_scratch(void)
{
	return bpf_task_storage_get(&scratch, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/*
 * Requirement `signed`: the fs-verity digest of the file, formatted as
 * `fsverity sign` signs it, must carry a PKCS#7 signature in the policy's
 * xattr by a key in one of the rule's anchors, and must not be revoked.
 * The scratch is created here, after the cache, when a full check runs.
 */
static __always_inline void verify_file(struct kg_decision *d, struct file *file,
					struct inode *inode, const struct kg_rule *rule,
					struct kg_scratch **sp, bool in_advance)
{
	struct bpf_dynptr digest_out, data, sig_out, sig;
	const struct kg_inode_verdict *cached;
	struct kg_sig_scratch *sig_buf;
	struct anchor_ctx attempt;
	__u64 digest_size, sig_len;
	__u64 mask = rule->anchors;
	struct kg_scratch *s;
	long err;

	cached = bpf_inode_storage_get(&verdict_cache, inode, 0, 0);
	if (cache_valid(cached, d->generation, mask) && caller_may_read(inode)) {
		d->reason = KG_REASON_CACHE_HIT;
		d->anchor = cached->anchor;
		d->stamp = cached->stamp;
		__sync_fetch_and_add(&counters.cache_hits, 1);
		return;
	}
	s = task_scratch();
	*sp = s;
	if (!s) {
		fail(d, rule->on_failure, KG_REASON_INTERNAL_ERROR, -ENOMEM);
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
	attempt.stamp = 0;
	attempt.fail_reason = KG_REASON_KEYRING_GONE;
	attempt.fail_error = -ENOKEY;
	bpf_loop(KG_MAX_ANCHORS, try_anchor, &attempt, 0);
	if (attempt.anchor < KG_MAX_ANCHORS) {
		d->reason = KG_REASON_VERIFIED;
		d->anchor = attempt.anchor;
		/* In advance, the mprotect record keeps the result: the first
		 * real decision then reports the verification itself. */
		if (!in_advance)
			cache_verified(inode, d->generation, attempt.anchor, attempt.stamp);
		d->stamp = attempt.stamp;
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
				       struct kg_scratch **sp, bool in_advance)
{
	const struct kg_rule *rule;
	__u32 index;

	if (d->rule == KG_RULE_NONE) {
		apply_default(d, cfg);
		return;
	}
	if (d->rule >= KG_MAX_RULES) {
		fail_unresolved(d, cfg, -ERANGE);
		return;
	}
	index = d->slot * KG_MAX_RULES + d->rule;
	rule = bpf_map_lookup_elem(&rules, &index);
	if (!rule) {
		fail_unresolved(d, cfg, -ENOENT);
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
			verify_file(d, file, inode, rule, sp, in_advance);
		break;
	default: /* KG_REQ_DENY, and fail closed on anything unknown */
		fail(d, rule->on_failure, KG_REASON_DENIED_BY_RULE, 0);
		break;
	}
	if (d->verdict == KG_VERDICT_ALLOW && (rule->flags & KG_RULE_LOG_ALLOWED))
		d->log = 1;
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
	record->stamp = d->stamp;
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
	struct kg_scratch *s = NULL;
	struct kg_decision d;
	__u32 generation = active_generation;
	__u32 covered, action;
	int err;

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

	if (covered) {
		err = find_rule(file, cfg, d.slot, op, &d.rule);
		if (err)
			fail_unresolved(&d, cfg, err);
		else
			apply_rule(&d, cfg, file, inode, &s, in_advance);
	} else {
		apply_default(&d, cfg);
	}
	/* The path only for humans: the event or the mprotect record. */
	if (d.log || in_advance) {
		if (!s)
			s = task_scratch();
		if (s)
			d.path_len = bpf_d_path(&file->f_path, s->path, sizeof(s->path));
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
		fail_unresolved(&d, cfg, -ENODATA);
		return finish(&d, NULL, record_path, inode);
	}
	record_path = record->path;
	d.path_len = record->path_len;
	d.rule = record->rule;
	if (d.rule == KG_RULE_NONE) {
		if (record->reason == KG_REASON_INTERNAL_ERROR) /* no rule found at mmap */
			fail_unresolved(&d, cfg, record->error);
		else
			apply_default(&d, cfg);
		return finish(&d, NULL, record_path, inode);
	}
	index = d.slot * KG_MAX_RULES + (d.rule & (KG_MAX_RULES - 1));
	rule = bpf_map_lookup_elem(&rules, &index);
	if (!rule || d.rule >= KG_MAX_RULES) {
		fail_unresolved(&d, cfg, -ENOENT);
		return finish(&d, NULL, record_path, inode);
	}
	if (rule->requirement == KG_REQ_ALLOW) {
		d.reason = KG_REASON_ALLOWED_BY_RULE;
	} else if (rule->requirement == KG_REQ_SIGNED) {
		cached = bpf_inode_storage_get(&verdict_cache, inode, 0, 0);
		if ((record->reason == KG_REASON_VERIFIED || record->reason == KG_REASON_CACHE_HIT) &&
		    record->anchor < KG_MAX_ANCHORS && (rule->anchors & (1ULL << record->anchor)) &&
		    record->stamp && record->stamp == anchor_stamp(d.slot, record->anchor)) {
			d.reason = record->reason; /* verified when the file was mapped */
			d.anchor = record->anchor;
		} else if (cache_valid(cached, generation, rule->anchors) && caller_may_read(inode)) {
			d.reason = KG_REASON_CACHE_HIT;
			d.anchor = cached->anchor;
			__sync_fetch_and_add(&counters.cache_hits, 1);
		} else if (record->reason == KG_REASON_VERIFIED || record->reason == KG_REASON_CACHE_HIT) {
			/* verified, but the anchor's keyring changed since */
			fail(&d, rule->on_failure, KG_REASON_KEYRING_GONE, -EKEYREVOKED);
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
	struct kg_scratch *s = NULL;
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
	apply_rule(&d, cfg, NULL, NULL, &s, false);
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
	struct kg_scratch *s = NULL;
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
	apply_rule(&d, cfg, NULL, NULL, &s, false);
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

#include "guard.bpf.h"

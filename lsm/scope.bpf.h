/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * scope.bpf.h - which rule covers a file: the scope walk from the file's
 * dentry up (included by keygate.bpf.c).
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
 * superblock without any scope (kg_config's dev_filter, then kg_scope_devs)
 * skip the walk. A file nested
 * deeper than KG_SCOPE_DEPTH_MAX directories, or a corrupt rule index,
 * fails before its rule is known and gets the policy's fail_action for the
 * operation (keygate_abi.h). A rename racing with the walk may let it see
 * the directory's old or new parent, as it would a path lookup.
 *
 * The walk's result is kept for the file (kg_scope_kept) on file systems
 * backed by a device, where a directory changes place only by a rename in
 * this kernel (not by a server's, as on NFS or FUSE): the file's next
 * decision needs no walk. Any move of a directory on such a file system
 * (d_move, d_exchange, traced after they return) makes every kept result
 * stale; a file moved to another directory, or with more than one link,
 * does not use its own; renames of other files change nothing. Until a
 * directory move returns, a decision may still use the result from
 * before, as a walk racing with the move would see the old parent.
 */
#ifndef KEYGATE_SCOPE_BPF_H
#define KEYGATE_SCOPE_BPF_H

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
	value = bpf_map_lookup_elem(&kg_scope_dirs, &w->key);
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
	v = bpf_map_lookup_elem(&kg_scope_files, &key);
	if (!v)
		return false;
	n.expect = v->name;
	bpf_loop(KG_FILE_NAME_BYTES / 8, name_word, &n, 0);
	if (n.differs)
		return false;
	*rule = v->value.rule[op & (KG_OP_COUNT - 1)];
	return true;
}

#define KG_FS_REQUIRES_DEV 1 /* file_system_type.fs_flags */
#define KG_S_IFMT 0170000
#define KG_S_IFDIR 0040000

static __always_inline bool device_backed(const struct super_block *sb)
{
	return sb->s_type->fs_flags & KG_FS_REQUIRES_DEV;
}

static __always_inline void count_dir_move(const struct dentry *dentry)
{
	const struct inode *inode = dentry ? dentry->d_inode : NULL;

	if (inode && (inode->i_mode & KG_S_IFMT) == KG_S_IFDIR && device_backed(inode->i_sb))
		__sync_fetch_and_add(&dir_moves, 1);
}

SEC("fexit/d_move")
int BPF_PROG(keygate_dir_moved, struct dentry *dentry, struct dentry *target)
{
	count_dir_move(dentry);
	return 0;
}

SEC("fexit/d_exchange")
int BPF_PROG(keygate_dir_exchanged, struct dentry *dentry1, struct dentry *dentry2)
{
	count_dir_move(dentry1);
	count_dir_move(dentry2);
	return 0;
}

/* Whether the superblock dev may hold a scope (kg_config's dev_filter):
 * false is certain, true needs kg_scope_devs. */
static __always_inline bool may_hold_scope(const struct kg_policy_config *cfg, __u64 dev)
{
	__u32 bit = kg_dev_filter_bit(dev);

	return cfg->dev_filter[(bit / 64) & (KG_DEV_FILTER_BITS / 64 - 1)] & (1ULL << (bit & 63));
}

/* Where a file's kept scope result must have been decided from. */
struct scope_origin {
	__u64 parent;
	__u64 parent_ino;
	__u32 parent_gen;
};

/* The file's kept result, when it still holds. */
static __always_inline const struct kg_scope_result *
scope_kept(struct inode *inode, const struct scope_origin *o, __u32 generation)
{
	const struct kg_scope_result *r;

	r = bpf_inode_storage_get(&kg_scope_kept, inode, 0, 0);
	if (!r || r->generation != generation || r->epoch != READ_ONCE(dir_moves) ||
	    r->parent != o->parent || r->parent_ino != o->parent_ino ||
	    r->parent_gen != o->parent_gen || inode->i_nlink != 1)
		return NULL;
	return r;
}

/* Keeps a walk's result for the file, unless a directory moved (or the
 * slot was refilled) while it walked: epoch is dir_moves read before the
 * walk. The atomic read orders the walk's loads before it. */
static __always_inline void scope_keep(struct inode *inode, const struct scope_origin *o,
				       const struct kg_policy_config *cfg, __u32 generation,
				       __u64 epoch, __u32 dev_flags,
				       const struct kg_path_value *value)
{
	struct kg_scope_result r = {};

	if (__sync_fetch_and_add(&dir_moves, 0) != epoch || slot_rewritten(cfg, generation) ||
	    inode->i_nlink != 1)
		return;
	r.epoch = epoch;
	r.parent = o->parent;
	r.parent_ino = o->parent_ino;
	r.parent_gen = o->parent_gen;
	r.generation = generation;
	r.dev_flags = dev_flags;
	if (value) {
		r.found = 1;
		__builtin_memcpy(r.rule, value->rule, sizeof(r.rule));
	}
	bpf_inode_storage_delete(&kg_scope_kept, inode);
	if (bpf_inode_storage_get(&kg_scope_kept, inode, &r, BPF_LOCAL_STORAGE_GET_F_CREATE))
		KG_COUNT(scope_kept);
}

/*
 * The rule deciding `op` for the file (KG_RULE_NONE: the default), from
 * its identity and its ancestors' (see "How a scope is matched"); dev is
 * the file's superblock, scoped may_hold_scope() for it. Returns 0, or -ELOOP
 * when the file is nested deeper than KG_SCOPE_DEPTH_MAX.
 */
static __always_inline int find_rule(struct file *file, const struct kg_policy_config *cfg,
				     __u32 generation, __u32 op, __u64 dev, bool scoped, __u32 *rule)
{
	struct dentry *dentry = file->f_path.dentry;
	struct inode *inode = file->f_inode;
	const struct kg_scope_result *kept;
	const struct kg_path_value *value;
	struct kg_scope_dev_key dev_key;
	struct scope_origin origin;
	__u32 slot = generation & 1;
	struct dentry *parent;
	struct scope_walk w;
	const __u32 *flags;
	bool keep = false;
	__u64 epoch = 0;

	*rule = cfg->everything.rule[op & (KG_OP_COUNT - 1)];
	if (!scoped)
		return 0; /* no scope on this file system, without a hash lookup */
	parent = dentry->d_parent;
	/* A file system's root has no directory to be decided from. Only a
	 * file on a device-backed file system ever has a kept result
	 * (scope_keep), and its superblock never changes: a hit needs no
	 * device_backed(). */
	if (READ_ONCE(keep_scopes) && parent != dentry) {
		const struct inode *dir = parent->d_inode;

		origin.parent = (__u64)parent;
		origin.parent_ino = dir->i_ino;
		origin.parent_gen = dir->i_generation;
		kept = scope_kept(inode, &origin, generation);
		if (kept) {
			KG_COUNT(scope_hits);
			if ((kept->dev_flags & KG_DEV_HAS_FILES) &&
			    file_scope(dentry, slot, dev, op, rule))
				return 0;
			if (kept->found)
				*rule = kept->rule[op & (KG_OP_COUNT - 1)];
			return 0;
		}
		if (device_backed(inode->i_sb)) {
			epoch = READ_ONCE(dir_moves);
			keep = true;
		}
	}
	dev_key.slot = slot;
	dev_key.reserved = 0;
	dev_key.dev = dev;
	flags = bpf_map_lookup_elem(&kg_scope_devs, &dev_key);
	if (!flags) { /* no scope on this file system */
		if (keep)
			scope_keep(inode, &origin, cfg, generation, epoch, 0, NULL);
		return 0;
	}
	if ((*flags & KG_DEV_HAS_FILES) && file_scope(dentry, slot, dev, op, rule))
		return 0;
	if (!(*flags & KG_DEV_HAS_DIRS)) {
		if (keep)
			scope_keep(inode, &origin, cfg, generation, epoch, *flags, NULL);
		return 0;
	}
	w.dentry = (__u64)dentry;
	w.key.slot = slot;
	w.key.reserved = 0;
	w.key.dev = dev;
	w.op = op;
	w.found = 0;
	bpf_loop(KG_SCOPE_DEPTH_MAX, walk_up, &w, 0);
	if (!w.found)
		return -ELOOP;
	if (w.found == 1)
		*rule = w.rule;
	if (keep) {
		value = w.found == 1 ? bpf_map_lookup_elem(&kg_scope_dirs, &w.key) : NULL;
		if (w.found == 2 || value)
			scope_keep(inode, &origin, cfg, generation, epoch, *flags, value);
	}
	return 0;
}

#endif /* KEYGATE_SCOPE_BPF_H */

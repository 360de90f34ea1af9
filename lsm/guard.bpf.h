/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * guard.bpf.h - keygate's self-protection (included at the end of
 * keygate.bpf.c; the contract is struct kg_guard in keygate_abi.h).
 *
 * Programs and what they refuse, with -EPERM and a KG_OP_GUARD_* event,
 * to a task that does not run keygate's executable once the guard is armed:
 *   keygate_guard_bpf_map (not sleepable)   any fd of one of keygate's maps
 *       (by id, by pin, at load of another program): no update, delete,
 *       freeze, mmap or read by another tool
 *   keygate_guard_bpf or _bpf_kernel (not sleepable, one loaded: the
 *       hook's prototype differs between kernels)  BPF_LINK_DETACH and
 *       BPF_LINK_UPDATE of a keygate link; also arms the guard
 *   keygate_guard_inode_unlink, _inode_rmdir, _inode_rename (not
 *       sleepable)  unpinning, removing or renaming under KG_PIN_DIR
 *   keygate_guard_ptrace_access_check (not sleepable)  ptrace of the
 *       agent by any task outside it (keygate binaries included)
 * Opening a pinned link is not refused: it gives a descriptor that
 * BPF_LINK_GET_FD_BY_ID gives too (bpftool link show needs it), and an LSM
 * link has no detach or update the kernel would run for it besides what
 * keygate_guard_bpf refuses. A program on inode_permission would run on
 * every path component of every lookup on the machine.
 * Unarmed (no agent asked yet) everything is allowed. A failed map lookup
 * allows: the guard map is an array, it cannot be missing.
 */
#ifndef KEYGATE_GUARD_BPF_H
#define KEYGATE_GUARD_BPF_H

#define KG_BPF_FS_MAGIC 0xcafe4a11
#define KG_BPF_LINK_UPDATE 29
#define KG_BPF_LINK_DETACH 34

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kg_guard);
} kg_guard SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_GUARDED_MAX);
	__type(key, struct kg_guarded_inode);
	__type(value, __u32); /* enum kg_guarded_kind */
} kg_guard_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_GUARDED_MAX);
	__type(key, __u32); /* link id */
	__type(value, __u32);
} kg_guard_links SEC(".maps");

static __always_inline struct kg_guard *guard_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kg_guard, &zero);
}

static __always_inline struct inode *exe_inode(struct task_struct *task)
{
	struct mm_struct *mm = task->mm;
	struct file *exe;

	if (!mm)
		return NULL;
	exe = mm->exe_file;
	return exe ? exe->f_inode : NULL;
}

/* The current task may touch keygate's objects. */
static __always_inline bool guard_trusts_current(const struct kg_guard *g)
{
	struct inode *inode;
	__u64 dev, ino;

	if (!g || !g->armed)
		return true;
	inode = exe_inode(bpf_get_current_task_btf());
	if (!inode)
		return false; /* kernel threads never touch keygate's objects */
	dev = inode->i_sb->s_dev;
	ino = inode->i_ino;
	return (dev == g->exe_dev && ino == g->exe_ino) ||
	       (g->next_ino && dev == g->next_dev && ino == g->next_ino);
}

static __always_inline int guard_deny(__u32 op, struct inode *inode)
{
	struct kg_decision d;

	decision_init(&d, policy_generation(), op);
	d.verdict = KG_VERDICT_DENY;
	d.reason = KG_REASON_SELF_PROTECTION;
	d.error = -EPERM;
	d.log = 1;
	return finish(&d, NULL, NULL, inode);
}

/* Every map of keygate's object, .bss and .rodata included, by id (filled
 * by the agent before it arms the guard). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KG_GUARDED_MAX);
	__type(key, __u32); /* map id */
	__type(value, __u32);
} kg_guard_maps SEC(".maps");

static __always_inline bool is_keygate_map(const struct bpf_map *map)
{
	__u32 id = map->id;

	return bpf_map_lookup_elem(&kg_guard_maps, &id) != NULL;
}

/* A pinned object or directory of keygate's: its kind, or 0. */
static __always_inline __u32 guarded_kind(struct inode *inode)
{
	struct kg_guarded_inode key;
	__u32 *kind;

	if (!inode || inode->i_sb->s_magic != KG_BPF_FS_MAGIC)
		return 0;
	key.dev = inode->i_sb->s_dev;
	key.ino = inode->i_ino;
	kind = bpf_map_lookup_elem(&kg_guard_inodes, &key);
	return kind ? *kind : 0;
}

SEC("lsm/bpf_map")
int BPF_PROG(keygate_guard_bpf_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	if (ret)
		return earlier_verdict(ret);
	if (!is_keygate_map(map) || guard_trusts_current(guard_state()))
		return 0;
	return guard_deny(KG_OP_GUARD_MAP, NULL);
}

/* Records the requesting agent: only its own bpf() calls get here. */
static __always_inline void guard_arm(struct kg_guard *g, struct task_struct *task)
{
	struct inode *inode = exe_inode(task);

	if (!inode)
		return;
	g->agent_tgid = task->tgid;
	g->agent_start_ns = task->group_leader->start_time;
	g->exe_dev = inode->i_sb->s_dev;
	g->exe_ino = inode->i_ino;
	g->next_dev = 0;
	g->next_ino = 0;
	g->request_tgid = 0;
	g->armed = 1;
}

/* The id of the BPF link behind the current task's descriptor fd, or 0. */
static __always_inline __u32 link_id_of_fd(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct bpf_link *link = NULL;
	struct file *file = NULL;
	struct file **fds;

	if (fd >= fdt->max_fds)
		return 0;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	link = BPF_CORE_READ(file, private_data);
	return link ? BPF_CORE_READ(link, id) : 0;
}

static __always_inline int guard_bpf(int cmd, union bpf_attr *attr, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kg_guard *g = guard_state();
	__u32 link_fd = 0, id;

	if (ret)
		return earlier_verdict(ret);
	if (!g)
		return 0;
	if (g->request_tgid && g->request_tgid == (__u32)task->tgid &&
	    guard_trusts_current(g))
		guard_arm(g, task);
	if (cmd != KG_BPF_LINK_DETACH && cmd != KG_BPF_LINK_UPDATE)
		return 0;
	/* link_detach.link_fd and link_update.link_fd both come first */
	if (bpf_probe_read_kernel(&link_fd, sizeof(link_fd), attr))
		return 0;
	id = link_id_of_fd(link_fd);
	if (!id || !bpf_map_lookup_elem(&kg_guard_links, &id) || guard_trusts_current(g))
		return 0;
	return guard_deny(KG_OP_GUARD_LINK, NULL);
}

/* security_bpf() gained a `bool kernel` argument (7.x kernels), so its LSM
 * return value moved one slot; the loader keeps the one variant whose
 * prototype matches the running kernel's BTF (kg_loader_open). */
SEC("lsm/bpf")
int BPF_PROG(keygate_guard_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	return guard_bpf(cmd, attr, ret);
}

SEC("lsm/bpf")
int BPF_PROG(keygate_guard_bpf_kernel, int cmd, union bpf_attr *attr, unsigned int size,
	     bool kernel, int ret)
{
	return guard_bpf(cmd, attr, ret);
}

static __always_inline int guard_pin_change(struct inode *dir, struct dentry *dentry, int ret)
{
	struct inode *target = dentry ? dentry->d_inode : NULL;

	if (ret)
		return earlier_verdict(ret);
	if (!guarded_kind(dir) && !guarded_kind(target))
		return 0;
	if (guard_trusts_current(guard_state()))
		return 0;
	return guard_deny(KG_OP_GUARD_PIN, target ? target : dir);
}

SEC("lsm/inode_unlink")
int BPF_PROG(keygate_guard_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	return guard_pin_change(dir, dentry, ret);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(keygate_guard_inode_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	return guard_pin_change(dir, dentry, ret);
}

SEC("lsm/inode_rename")
int BPF_PROG(keygate_guard_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	ret = guard_pin_change(old_dir, old_dentry, ret);
	return ret ? ret : guard_pin_change(new_dir, new_dentry, 0);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(keygate_guard_ptrace_access_check, struct task_struct *child, unsigned int mode,
	     int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct kg_guard *g = guard_state();

	if (ret)
		return earlier_verdict(ret);
	if (!g || !g->armed || (__u32)child->tgid != g->agent_tgid ||
	    child->group_leader->start_time != g->agent_start_ns || (__u32)task->tgid == g->agent_tgid)
		return 0;
	return guard_deny(KG_OP_GUARD_PTRACE, NULL);
}

#endif /* KEYGATE_GUARD_BPF_H */

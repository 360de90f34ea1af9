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
 * Layout: one object, one skeleton. This file holds the programs; the
 * inline helpers they share live in headers by job:
 *   kfuncs.bpf.h    kernel functions and constants vmlinux.h lacks
 *   maps.bpf.h      every map and global, the per-task scratch
 *   decision.bpf.h  a decision in progress, failure handling, events
 *   scope.bpf.h     which rule covers a file (the scope walk)
 *   verify.bpf.h    fs-verity digest + PKCS#7 verification, verdict cache
 *   module.bpf.h    naming the module of a module_buffer record
 *   persist.bpf.h, guard.bpf.h  pinned state record, self-protection
 *   policy_verify.bpf.h  signed policies: the kernel verifies, then the
 *                   generation decisions use changes
 *
 * Fail closed: under a rule whose failure action is deny, every error on a
 * covered operation denies with -EPERM and a reason: a keyring that cannot
 * be looked up (keyring_gone, the other anchors are still tried), an xattr
 * read error, no scratch memory (internal_error, errno in the event). A
 * full ring buffer never changes a decision: the event is counted in
 * kg_counters' events_dropped. A full verdict cache only costs a re-verify;
 * failed verifications are not cached. A verdict is valid for one policy
 * generation and only for rules trusting the anchor that verified it.
 * With no policy loaded (generation 0) everything is allowed. Decisions
 * take the generation from policy_generation() (policy_verify.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "keygate_abi.h"
#include "kfuncs.bpf.h"
#include "maps.bpf.h"
#include "persist.bpf.h"
#include "decision.bpf.h"
#include "policy_verify.bpf.h"
#include "scope.bpf.h"
#include "verify.bpf.h"
#include "module.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
	rule = bpf_map_lookup_elem(&kg_rules, &index);
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

	record = bpf_inode_storage_get(&kg_mprotect, inode, 0,
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
	__u32 generation = policy_generation();
	__u32 covered, action, slot;
	bool scoped = false;
	__u64 dev = 0;
	int err;

	if (!generation)
		return 0;
	slot = generation & 1;
	cfg = bpf_map_lookup_elem(&kg_config, &slot);
	if (!cfg)
		return 0;
	if (slot_rewritten(cfg, generation)) {
		/* Read just before a flip, and the agent already refills that
		 * slot: the generation in force now is the one to decide by. */
		generation = policy_generation();
		slot = generation & 1;
		cfg = bpf_map_lookup_elem(&kg_config, &slot);
		if (!generation || !cfg)
			return 0;
	}
	covered = cfg->ops_covered & (1u << (op & (KG_OP_COUNT - 1)));
	action = cfg->default_action[op & (KG_OP_COUNT - 1)];
	if (in_advance && !covered)
		return 0; /* keygate_file_mprotect applies the default itself */
	if (!covered && action != KG_DEFAULT_DENY && action != KG_DEFAULT_AUDIT)
		return 0;
	if (covered) {
		dev = inode->i_sb->s_dev;
		scoped = may_hold_scope(cfg, dev);
	}
	/* A file system without scopes where no rule covers every file, and
	 * a default that allows silently: allow, counted, nothing else to do
	 * (find_rule and apply_default would end the same way). */
	if (covered && !scoped && !in_advance && action == KG_DEFAULT_ALLOW &&
	    cfg->everything.rule[op & (KG_OP_COUNT - 1)] == KG_RULE_NONE &&
	    !slot_rewritten(cfg, generation)) {
		count_decision(KG_VERDICT_ALLOW);
		return 0;
	}
	decision_init(&d, generation, op);

	if (covered) {
		err = find_rule(file, cfg, generation, op, dev, scoped, &d.rule);
		if (err)
			fail_unresolved(&d, cfg, err);
		else
			apply_rule(&d, cfg, file, inode, &s, in_advance);
	} else {
		apply_default(&d, cfg);
	}
	if (slot_rewritten(cfg, generation))
		fail(&d, KG_FAIL_DENY, KG_REASON_INTERNAL_ERROR, -KG_ESTALE);
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
	generation = policy_generation();
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MPROTECT_EXEC);
	cfg = bpf_map_lookup_elem(&kg_config, &d.slot);
	if (!cfg)
		return 0;
	inode = file->f_inode;
	if (!(cfg->ops_covered & (1u << KG_OP_MPROTECT_EXEC))) {
		apply_default(&d, cfg);
		if (d.verdict == KG_VERDICT_ALLOW)
			return 0;
		return finish(&d, NULL, record_path, inode);
	}
	record = bpf_inode_storage_get(&kg_mprotect, inode, 0, 0);
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
	rule = bpf_map_lookup_elem(&kg_rules, &index);
	if (!rule || d.rule >= KG_MAX_RULES) {
		fail_unresolved(&d, cfg, -ENOENT);
		return finish(&d, NULL, record_path, inode);
	}
	if (rule->requirement == KG_REQ_ALLOW) {
		d.reason = KG_REASON_ALLOWED_BY_RULE;
	} else if (rule->requirement == KG_REQ_SIGNED) {
		cached = bpf_inode_storage_get(&kg_verdicts, inode, 0, 0);
		if ((record->reason == KG_REASON_VERIFIED || record->reason == KG_REASON_CACHE_HIT) &&
		    record->anchor < KG_MAX_ANCHORS && (rule->anchors & (1ULL << record->anchor)) &&
		    record->stamp && record->stamp == anchor_stamp(d.slot, record->anchor)) {
			d.reason = record->reason; /* verified when the file was mapped */
			d.anchor = record->anchor;
		} else if (cache_valid(cached, generation, rule->anchors) && caller_may_read(inode)) {
			d.reason = KG_REASON_CACHE_HIT;
			d.anchor = cached->anchor;
			KG_COUNT(cache_hits);
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
	fmode_t mode;

	if (ret)
		return earlier_verdict(ret);
	/* Exec opens are decided by keygate_bprm_check_security. 7.2 hands
	 * them to this hook without FMODE_EXEC in f_mode; the open flags
	 * still say so. */
	mode = file->f_mode;
	if (!(mode & FMODE_READ) || (mode & FMODE_EXEC) || (file->f_flags & FMODE_EXEC_OPEN_FLAGS))
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
	generation = policy_generation();
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MODULE_FILE);
	cfg = bpf_map_lookup_elem(&kg_config, &d.slot);
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
	generation = policy_generation();
	if (!generation)
		return 0;
	decision_init(&d, generation, op < KG_OP_COUNT ? op : KG_OP_MODULE_BUFFER);
	cfg = bpf_map_lookup_elem(&kg_config, &d.slot);
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
	generation = policy_generation();
	if (!generation)
		return 0;
	decision_init(&d, generation, KG_OP_MODULE_BUFFER);
	cfg = bpf_map_lookup_elem(&kg_config, &d.slot);
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
	bpf_inode_storage_delete(&kg_verdicts, inode);
	bpf_inode_storage_delete(&kg_mprotect, inode);
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

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * decision.bpf.h - one decision in progress: its outcome, the failure and
 * default handling, the event it emits (included by keygate.bpf.c).
 */
#ifndef KEYGATE_DECISION_BPF_H
#define KEYGATE_DECISION_BPF_H

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

/*
 * The agent marks a slot rewritten (generation 0) before it refills it, and
 * writes the new generation last. A decision still reading the slot then
 * (one that began before the last flip and outlived the next reload's
 * start) may have mixed two policies' rules and scopes: it fails closed
 * (-EPERM, internal_error, -ESTALE).
 */
static __always_inline bool slot_rewritten(const struct kg_policy_config *cfg, __u32 generation)
{
	return *(const volatile __u32 *)&cfg->generation != generation;
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

	ev = bpf_ringbuf_reserve(&kg_events, sizeof(*ev), 0);
	if (!ev) {
		KG_COUNT(events_dropped);
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

static __always_inline void count_decision(__u32 verdict)
{
	struct kg_counters *c = cpu_counters();

	/* bounds checked after the lookup, where the verifier still sees them */
	if (c && verdict <= KG_VERDICT_AUDIT)
		__sync_fetch_and_add(&c->decisions[verdict], 1);
}

static __always_inline int finish(const struct kg_decision *d, const struct kg_scratch *s,
				  const char *path, const struct inode *inode)
{
	count_decision(d->verdict);
	if (d->log)
		emit_event(d, s, path, inode);
	return d->verdict == KG_VERDICT_DENY ? -EPERM : 0;
}

#endif /* KEYGATE_DECISION_BPF_H */

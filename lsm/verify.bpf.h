/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * verify.bpf.h - a file's fs-verity digest checked against its PKCS#7
 * signature and the policy's anchors, and the verdict cache
 * (included by keygate.bpf.c).
 *
 * Verdict cache: a file whose signature verified is remembered in its
 * inode storage for the policy generation and the anchor's stamp
 * (kg_stamps, bumped by the agent when the anchor's keyring changes or
 * is revoked, see keygate(8)); an xattr change drops it. A hit counts only
 * when the caller could read the file by its mode bits (or holds
 * CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH in the initial user namespace),
 * because bpf_get_file_xattr checks read permission for `user.*` names: a
 * file the caller cannot read is checked in full and fails the same way
 * whether or not another user ran it first.
 */
#ifndef KEYGATE_VERIFY_BPF_H
#define KEYGATE_VERIFY_BPF_H

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
	const __u32 *stamp = bpf_map_lookup_elem(&kg_stamps, &index);

	return stamp ? *(volatile const __u32 *)stamp : 0;
}

static __always_inline void cache_verified(struct inode *inode, __u32 generation, __u32 anchor,
					   __u32 stamp)
{
	struct kg_inode_verdict *v;

	v = bpf_inode_storage_get(&kg_verdicts, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
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
	anchor = bpf_map_lookup_elem(&kg_anchors, &index);
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
	KG_COUNT(verifications);
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
	return bpf_task_storage_get(&kg_scratch, bpf_get_current_task_btf(), 0,
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

	cached = bpf_inode_storage_get(&kg_verdicts, inode, 0, 0);
	if (cache_valid(cached, d->generation, mask) && caller_may_read(inode)) {
		d->reason = KG_REASON_CACHE_HIT;
		d->anchor = cached->anchor;
		d->stamp = cached->stamp;
		KG_COUNT(cache_hits);
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
	if (bpf_map_lookup_elem(&kg_revoked, &s->revoked)) {
		fail(d, rule->on_failure, KG_REASON_REVOKED, 0);
		return;
	}

	sig_buf = bpf_task_storage_get(&kg_sig_scratch, bpf_get_current_task_btf(), 0,
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

#endif /* KEYGATE_VERIFY_BPF_H */

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * policy_verify.bpf.h - signed policies (the contract: struct
 * kg_policy_stage and struct kg_policy_gate in keygate_abi.h).
 *
 * keygate_policy_gate_bpf / _bpf_kernel (sleepable; one loaded, as for the
 * guard: the bpf hook's prototype differs between kernels) answer a
 * request the agent staged in kg_policy_stage, during the agent's next
 * bpf() call: SEAL names the policy-signing keyring and the floor version
 * once; LOAD verifies the staged signed part against that keyring and, if
 * it verifies and its version is not lower than the one in force (equal
 * only with the same digest), makes the staged generation the one
 * decisions use. kg_policy_gate is read-only for userspace: the only way
 * to change it is a request these programs accept. policy_generation()
 * is what every decision reads instead of active_generation.
 */
#ifndef KEYGATE_POLICY_VERIFY_BPF_H
#define KEYGATE_POLICY_VERIFY_BPF_H

#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#endif
#define KG_BPF_F_RDONLY (1U << 3) /* read-only for the bpf() syscall side */
#define KG_POLICY_MAGIC 0x5943494c4f50474bULL /* "KGPOLICY", little-endian */
#define KG_POLICY_FORMAT 1
#define KG_POLICY_NAME_LIMIT 4096 /* longer names do not parse */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kg_policy_stage);
} kg_policy_stage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, KG_BPF_F_RDONLY);
	__type(key, __u32);
	__type(value, struct kg_policy_gate);
} kg_policy_gate SEC(".maps");

static __always_inline struct kg_policy_gate *policy_gate(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kg_policy_gate, &zero);
}

/* The generation decisions use: the kernel-accepted one once sealed. */
static __always_inline __u32 policy_generation(void)
{
	struct kg_policy_gate *g = policy_gate();

	if (g && READ_ONCE(g->sealed))
		return READ_ONCE(g->generation);
	return active_generation;
}

static __always_inline void gate_answer(struct kg_policy_gate *g, __u32 result, __s32 error)
{
	g->result = result;
	g->error = error;
	g->requests++;
}

static __always_inline bool digest_equal(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static __always_inline bool digest_zero(const __u8 *a)
{
	const __u64 *x = (const __u64 *)a;

	return !(x[0] | x[1] | x[2] | x[3]);
}

static __always_inline struct bpf_key *gate_keyring(__u32 kind, __u64 id)
{
	if (kind == KG_ANCHOR_SYSTEM)
		return bpf_lookup_system_key(id);
	return bpf_lookup_user_key((__u32)id, 0);
}

static __always_inline void policy_seal(struct kg_policy_stage *st, struct kg_policy_gate *g)
{
	struct bpf_key *key;

	if (g->sealed) {
		gate_answer(g, KG_POLICY_ALREADY_SEALED, 0);
		return;
	}
	if (st->anchor_kind != KG_ANCHOR_KEYRING && st->anchor_kind != KG_ANCHOR_SYSTEM) {
		gate_answer(g, KG_POLICY_MALFORMED, -EINVAL);
		return;
	}
	key = gate_keyring(st->anchor_kind, st->anchor_id);
	if (!key) {
		gate_answer(g, KG_POLICY_KEYRING_GONE, -ENOKEY);
		return;
	}
	bpf_key_put(key);
	g->anchor_kind = st->anchor_kind;
	g->anchor_id = st->anchor_id;
	g->version = st->floor_version;
	__builtin_memcpy(g->digest, st->floor_digest, KG_POLICY_DIGEST_LEN);
	/* What decides now keeps deciding until a verified policy replaces it. */
	g->generation = active_generation;
	g->sealed = 1;
	gate_answer(g, KG_POLICY_SEALED, 0);
}

static __always_inline void policy_load(struct kg_policy_stage *st, struct kg_policy_gate *g)
{
	struct kg_policy_config *cfg;
	struct bpf_dynptr data, sig;
	struct bpf_key *key;
	__u64 len = st->len, sig_len = st->sig_len, name_len, version = 0, magic, body_len;
	__u32 generation = st->generation, slot, format, abi;
	const __u8 *digest;
	long err;

	if (!g->sealed) {
		gate_answer(g, KG_POLICY_NOT_SEALED, -EPERM);
		return;
	}
	if (len < KG_POLICY_HEADER_LEN + 12 || len > KG_POLICY_SIGNED_MAX || !sig_len ||
	    sig_len > KG_SIG_MAX || !generation) {
		gate_answer(g, KG_POLICY_MALFORMED, -EINVAL);
		return;
	}
	key = gate_keyring(g->anchor_kind, g->anchor_id);
	if (!key) {
		gate_answer(g, KG_POLICY_KEYRING_GONE, -ENOKEY);
		return;
	}
	bpf_dynptr_from_mem(st->data, len, 0, &data);
	bpf_dynptr_from_mem(st->sig, sig_len, 0, &sig);
	err = bpf_verify_pkcs7_signature(&data, &sig, key);
	bpf_key_put(key);
	if (err) {
		gate_answer(g, err == -ENOKEY ? KG_POLICY_UNKNOWN_SIGNER : KG_POLICY_BAD_SIGNATURE,
			    (__s32)err);
		return;
	}
	/* Verified: everything below is read from the signed bytes. */
	__builtin_memcpy(&magic, st->data, 8);
	__builtin_memcpy(&format, st->data + 8, 4);
	__builtin_memcpy(&abi, st->data + 12, 4);
	__builtin_memcpy(&body_len, st->data + 16, 8);
	__builtin_memcpy(&name_len, st->data + KG_POLICY_HEADER_LEN, 4);
	name_len &= 0xffffffffULL;
	if (magic != KG_POLICY_MAGIC || format != KG_POLICY_FORMAT || abi != KG_ABI_VERSION ||
	    body_len != len - KG_POLICY_HEADER_LEN || name_len > KG_POLICY_NAME_LIMIT ||
	    KG_POLICY_HEADER_LEN + 4 + name_len + 8 > len) {
		gate_answer(g, KG_POLICY_MALFORMED, -EBADMSG);
		return;
	}
	__builtin_memcpy(&version, st->data + KG_POLICY_HEADER_LEN + 4 + name_len, 8);
	digest = st->data + 24;
	g->last_version = version;
	__builtin_memcpy(g->last_digest, digest, KG_POLICY_DIGEST_LEN);
	if (version < g->version) {
		gate_answer(g, KG_POLICY_ROLLBACK, -EKEYREJECTED);
		return;
	}
	if (version == g->version && !digest_zero(g->digest) && !digest_equal(digest, g->digest)) {
		gate_answer(g, KG_POLICY_SAME_VERSION, -EKEYREJECTED);
		return;
	}
	/* The agent filled the slot for this policy; never the slot in force. */
	slot = generation & 1;
	cfg = bpf_map_lookup_elem(&kg_config, &slot);
	if (!cfg || cfg->generation != generation || !digest_equal(cfg->digest, digest) ||
	    (g->generation && (g->generation & 1) == slot)) {
		gate_answer(g, KG_POLICY_SLOT_MISMATCH, -KG_ESTALE);
		return;
	}
	g->version = version;
	__builtin_memcpy(g->digest, digest, KG_POLICY_DIGEST_LEN);
	g->generation = generation;
	gate_answer(g, KG_POLICY_ACCEPTED, 0);
}

static __always_inline int policy_gate_bpf(int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kg_policy_stage *st;
	struct kg_policy_gate *g;
	__u32 zero = 0, request;

	if (ret)
		return earlier_verdict(ret);
	st = bpf_map_lookup_elem(&kg_policy_stage, &zero);
	g = policy_gate();
	if (!st || !g)
		return 0;
	request = READ_ONCE(st->request);
	if (request == KG_POLICY_REQ_NONE || st->tgid != (__u32)task->tgid)
		return 0;
	st->request = KG_POLICY_REQ_NONE;
	if (request == KG_POLICY_REQ_SEAL)
		policy_seal(st, g);
	else if (request == KG_POLICY_REQ_LOAD)
		policy_load(st, g);
	else
		gate_answer(g, KG_POLICY_MALFORMED, -EINVAL);
	return 0;
}

SEC("lsm.s/bpf")
int BPF_PROG(keygate_policy_gate_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	return policy_gate_bpf(ret);
}

SEC("lsm.s/bpf")
int BPF_PROG(keygate_policy_gate_bpf_kernel, int cmd, union bpf_attr *attr, unsigned int size,
	     bool kernel, int ret)
{
	return policy_gate_bpf(ret);
}

#endif /* KEYGATE_POLICY_VERIFY_BPF_H */

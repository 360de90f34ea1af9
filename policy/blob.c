// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * blob.c - the serialised compiled policy (`keygate policy compile -o`).
 *
 * All integers little-endian. str = u32 byte length + bytes (no NUL);
 * an absent string is length 0xffffffff with no bytes.
 *
 *   header   8  magic "KGPOLICY"
 *            4  u32 blob format version (1)
 *            4  u32 KG_ABI_VERSION
 *            8  u64 body length
 *           32  SHA-256 of the body = the policy digest
 *   body     str name, u64 version, u32 mode, str signature xattr,
 *            u32 ops_covered, u32 default_action[KG_OP_COUNT],
 *            u32 n_anchors, per anchor: u32 kind, u32 flags, u64 id, str name,
 *              u32 source index, u32 line, u32 col, str keyring description,
 *              u32 n_certs, per certificate: u32 length + DER bytes,
 *            u32 n_rules, per rule: u32 id, ops, requirement, on_failure,
 *              flags, src_line, u64 anchors, str name, u32 source index,
 *              u32 line, u32 col, u32 n_scopes, str per scope,
 *            u32 n_path_entries (sorted by path bytes), per entry: u32 len,
 *              len path bytes, u32 rule[KG_OP_COUNT],
 *            u32 n_revoked, per digest: u16 algo, u16 size, size bytes,
 *            u32 n_revoked_certs, per certificate: 32-byte SHA-256 of DER
 *   trailer  u32 n_sources, str per source file; then str per certificate
 *            path (anchors in order). Not digested: where the files were
 *            read from does not change what the policy means.
 *
 * Nothing depends on pointers, time or the environment, so the same policy
 * text gives the same bytes and the same digest. A policy signature covers
 * header and body (the signed part), never the trailer: the same policy
 * compiled from another directory has the same signed part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOB_MAGIC "KGPOLICY"
#define BLOB_FORMAT_VERSION 1
#define ABSENT 0xffffffffu

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->err)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_u16(struct buf *b, uint16_t v)
{
	uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, le, sizeof(le));
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, le, sizeof(le));
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(struct buf *b, const char *s)
{
	if (!s) {
		put_u32(b, ABSENT);
		return;
	}
	put_u32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

static uint32_t source_index(const struct kg_compiled_policy *p, const char *file)
{
	for (size_t i = 0; i < p->n_sources; i++)
		if (p->sources[i] == file)
			return (uint32_t)i;
	return ABSENT;
}

static void put_body(struct buf *b, const struct kg_compiled_policy *p)
{
	put_str(b, p->name);
	put_u64(b, p->version);
	put_u32(b, p->mode);
	put_str(b, p->sig_xattr);
	put_u32(b, p->config.ops_covered);
	for (int op = 0; op < KG_OP_COUNT; op++)
		put_u32(b, p->config.default_action[op]);

	put_u32(b, (uint32_t)p->n_anchors);
	for (size_t i = 0; i < p->n_anchors; i++) {
		const struct kg_anchor_info *info = &p->anchor_info[i];

		put_u32(b, p->anchors[i].kind);
		put_u32(b, p->anchors[i].flags);
		put_u64(b, p->anchors[i].id);
		put_str(b, info->name);
		put_u32(b, source_index(p, info->src.file));
		put_u32(b, info->src.line);
		put_u32(b, info->src.col);
		put_str(b, info->keyring_description);
		put_u32(b, (uint32_t)info->n_certs);
		for (size_t k = 0; k < info->n_certs; k++) {
			put_u32(b, (uint32_t)info->certs[k].der_len);
			put(b, info->certs[k].der, info->certs[k].der_len);
		}
	}

	put_u32(b, (uint32_t)p->n_rules);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct kg_rule *r = &p->rules[i];
		const struct kg_rule_info *info = &p->rule_info[i];

		put_u32(b, r->id);
		put_u32(b, r->ops);
		put_u32(b, r->requirement);
		put_u32(b, r->on_failure);
		put_u32(b, r->flags);
		put_u32(b, r->src_line);
		put_u64(b, r->anchors);
		put_str(b, info->name);
		put_u32(b, source_index(p, info->src.file));
		put_u32(b, info->src.line);
		put_u32(b, info->src.col);
		put_u32(b, (uint32_t)info->n_paths);
		for (size_t k = 0; k < info->n_paths; k++)
			put_str(b, info->paths[k]);
	}

	put_u32(b, (uint32_t)p->n_paths);
	for (size_t i = 0; i < p->n_paths; i++) {
		const struct kg_path_entry *e = &p->paths[i];

		put_u32(b, e->key.len);
		put(b, e->key.path, e->key.len);
		for (int op = 0; op < KG_OP_COUNT; op++)
			put_u32(b, e->value.rule[op]);
	}

	put_u32(b, (uint32_t)p->n_revoked);
	for (size_t i = 0; i < p->n_revoked; i++) {
		put_u16(b, p->revoked[i].digest_algo);
		put_u16(b, p->revoked[i].digest_size);
		put(b, p->revoked[i].digest, p->revoked[i].digest_size);
	}
	put_u32(b, (uint32_t)p->n_revoked_certs);
	for (size_t i = 0; i < p->n_revoked_certs; i++)
		put(b, p->revoked_certs[i], 32);
}

int kg_policy_body(const struct kg_compiled_policy *policy, uint8_t **body, size_t *len)
{
	struct buf b = { 0 };

	put_body(&b, policy);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*body = b.p;
	*len = b.len;
	return 0;
}

/* Header and body in memory: what a policy signature covers. */
static int signed_part(const struct kg_compiled_policy *policy, struct buf *b)
{
	uint8_t digest[32] = { 0 };
	size_t header_len;

	put(b, BLOB_MAGIC, 8);
	put_u32(b, BLOB_FORMAT_VERSION);
	put_u32(b, KG_ABI_VERSION);
	put_u64(b, 0); /* body length, patched below */
	put(b, digest, sizeof(digest));
	header_len = b->len;
	put_body(b, policy);
	if (b->err)
		return b->err;
	kg_sha256(b->p + header_len, b->len - header_len, digest);
	for (int i = 0; i < 8; i++)
		b->p[16 + i] = (uint8_t)((uint64_t)(b->len - header_len) >> (8 * i));
	memcpy(b->p + 24, digest, sizeof(digest));
	return 0;
}

int kg_policy_signed_part(const struct kg_compiled_policy *policy, uint8_t **out, size_t *len)
{
	struct buf b = { 0 };
	int err = signed_part(policy, &b);

	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int kg_policy_write_blob(const struct kg_compiled_policy *policy, FILE *out)
{
	struct buf b = { 0 };
	int err;

	err = signed_part(policy, &b);
	if (err)
		goto out;
	put_u32(&b, (uint32_t)policy->n_sources);
	for (size_t i = 0; i < policy->n_sources; i++)
		put_str(&b, policy->sources[i]);
	for (size_t i = 0; i < policy->n_anchors; i++)
		for (size_t k = 0; k < policy->anchor_info[i].n_certs; k++)
			put_str(&b, policy->anchor_info[i].certs[k].path);
	if (b.err) {
		err = b.err;
		goto out;
	}
	if (fwrite(b.p, 1, b.len, out) != b.len || fflush(out))
		err = -EIO;
out:
	free(b.p);
	return err;
}

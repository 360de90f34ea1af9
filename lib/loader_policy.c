// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * loader_policy.c - writing a compiled policy and its scopes into the inactive
 * slot of the policy maps and flipping the generation; anchor stamps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader_internal.h"
#include "attach.h"
#include "log.h"
#include "pin.h"
#include "policy_gate.h"

static int update(int fd, const void *key, const void *value, const char *map)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY)) {
		int err = -errno;

		kg_log_error("writing the policy into map %s failed: %s", map, strerror(-err));
		return err;
	}
	return 0;
}

/* Deletes the entries of one slot from a hash map whose keys start with
 * the __u32 slot (kg_scope_*_key, kg_revoked_key). */
static int clear_slot(int fd, size_t key_size, uint32_t slot, const char *map)
{
	unsigned char *keys = NULL, *key, *next;
	size_t n = 0, capacity = 0;
	int err = 0;

	key = calloc(2, key_size);
	if (!key)
		return -ENOMEM;
	next = key + key_size;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = key) {
		memcpy(key, next, key_size);
		if (*(uint32_t *)key != slot)
			continue;
		if (n == capacity) {
			size_t grown = capacity ? capacity * 2 : 64;
			unsigned char *bigger = realloc(keys, grown * key_size);

			if (!bigger) {
				err = -ENOMEM;
				goto out;
			}
			keys = bigger;
			capacity = grown;
		}
		memcpy(keys + n++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT) {
			err = -errno;
			kg_log_error("clearing map %s failed: %s", map, strerror(-err));
			goto out;
		}
	}
out:
	free(keys);
	free(key);
	return err;
}

static int check_capacity(const struct kg_compiled_policy *p, const struct kg_scope_set *sc)
{
	if (p->n_rules > KG_MAX_RULES || p->n_anchors > KG_MAX_ANCHORS ||
	    p->n_paths > KG_MAX_PATHS || p->n_revoked > KG_MAX_REVOKED ||
	    sc->n_dirs > KG_MAX_SCOPE_DIRS || sc->n_files > KG_MAX_SCOPE_FILES ||
	    sc->n_devs > KG_MAX_SCOPE_DEVS) {
		kg_log_error("policy %s exceeds the kernel side's capacity (%zu rules of %d, "
			  "%zu anchors of %d, %zu scopes of %d, %zu revoked digests of %d, "
			  "%zu scope directories and mount roots of %d, %zu scope files of %d, "
			  "%zu file systems of %d)",
			  p->name, p->n_rules, KG_MAX_RULES, p->n_anchors, KG_MAX_ANCHORS,
			  p->n_paths, KG_MAX_PATHS, p->n_revoked, KG_MAX_REVOKED, sc->n_dirs,
			  KG_MAX_SCOPE_DIRS, sc->n_files, KG_MAX_SCOPE_FILES, sc->n_devs,
			  KG_MAX_SCOPE_DEVS);
		return -E2BIG;
	}
	for (size_t i = 0; i < p->n_anchors; i++) {
		uint32_t kind = p->anchors[i].kind;

		if ((kind == KG_ANCHOR_CERTS || kind == KG_ANCHOR_KEYRING) && !p->anchors[i].id) {
			kg_log_error("anchor %s has no keyring serial yet",
				  p->anchor_info ? p->anchor_info[i].name : "?");
			return -EINVAL;
		}
	}
	return 0;
}

static int write_scopes(struct kg_loader *l, const struct kg_scope_set *sc, uint32_t slot)
{
	struct keygate_bpf *skel = l->skel;
	int dirs_fd = bpf_map__fd(skel->maps.kg_scope_dirs);
	int files_fd = bpf_map__fd(skel->maps.kg_scope_files);
	int devs_fd = bpf_map__fd(skel->maps.kg_scope_devs);
	int err;

	err = clear_slot(dirs_fd, sizeof(struct kg_scope_dir_key), slot, "kg_scope_dirs");
	if (!err)
		err = clear_slot(files_fd, sizeof(struct kg_scope_file_key), slot, "kg_scope_files");
	if (!err)
		err = clear_slot(devs_fd, sizeof(struct kg_scope_dev_key), slot, "kg_scope_devs");
	for (size_t i = 0; i < sc->n_dirs && !err; i++) {
		struct kg_scope_dir_key key = { .slot = slot, .dev = sc->dirs[i].dev,
						.ino = sc->dirs[i].ino };

		err = update(dirs_fd, &key, &sc->dirs[i].value, "kg_scope_dirs");
	}
	for (size_t i = 0; i < sc->n_files && !err; i++) {
		const struct kg_scope_file *f = &sc->files[i];
		struct kg_scope_file_key key = { .slot = slot, .name_len = f->name_len,
						 .dev = f->dev, .dir_ino = f->dir_ino,
						 .name_hash = kg_name_hash(f->name, f->name_len) };
		struct kg_scope_file_value value = { .value = f->value };

		memcpy(value.name, f->name, f->name_len);
		err = update(files_fd, &key, &value, "kg_scope_files");
	}
	for (size_t i = 0; i < sc->n_devs && !err; i++) {
		struct kg_scope_dev_key key = { .slot = slot, .dev = sc->devs[i].dev };

		err = update(devs_fd, &key, &sc->devs[i].flags, "kg_scope_devs");
	}
	return err;
}

/* Before a slot is refilled: a decision still reading it (from before the
 * last flip) sees its generation gone and fails closed rather than mix two
 * policies (lsm/decision.bpf.h, slot_rewritten). Its config is written
 * whole, with the new generation, last. */
static int mark_rewritten(struct keygate_bpf *skel, uint32_t slot)
{
	int fd = bpf_map__fd(skel->maps.kg_config);
	struct kg_policy_config config;

	if (bpf_map_lookup_elem(fd, &slot, &config)) {
		int err = -errno;

		kg_log_error("reading map kg_config, slot %u, failed: %s", slot, strerror(-err));
		return err;
	}
	config.generation = 0;
	return update(fd, &slot, &config, "kg_config");
}

/* Writes the inactive slot, then puts it in force: at once, or (SP given)
 * once the kernel's policy verifier accepted SP for it. */
static int apply(struct kg_loader *l, const struct kg_compiled_policy *p,
		 const struct kg_scope_set *scopes, const struct kg_signed_policy *sp,
		 uint32_t *generation, struct kg_policy_gate *answer)
{
	struct keygate_bpf *skel = l->skel;
	int rules_fd = bpf_map__fd(skel->maps.kg_rules);
	int anchors_fd = bpf_map__fd(skel->maps.kg_anchors);
	int stamps_fd = bpf_map__fd(skel->maps.kg_stamps);
	int revoked_fd = bpf_map__fd(skel->maps.kg_revoked);
	struct kg_policy_config config;
	uint32_t next, slot, index;
	uint64_t hooks_before;
	uint32_t one = 1;
	int err;

	if (strcmp(p->sig_xattr, l->sig_xattr) != 0) {
		kg_log_error("policy %s names signature xattr '%s' but the loaded programs read "
			  "'%s'; restart the agent to change it", p->name, p->sig_xattr,
			  l->sig_xattr);
		return -EINVAL;
	}
	err = check_capacity(p, scopes);
	if (err)
		return err;
	next = l->generation + 1;
	if (next == 0) /* 0 means "no policy": skip it, keeping the slot alternating */
		next = 2;
	slot = next & 1;

	err = mark_rewritten(skel, slot);
	if (!err)
		err = write_scopes(l, scopes, slot);
	if (!err)
		err = clear_slot(revoked_fd, sizeof(struct kg_revoked_key), slot, "kg_revoked");
	if (err)
		return err;

	for (uint32_t i = 0; i < KG_MAX_RULES; i++) {
		struct kg_rule none = { .id = i };
		const struct kg_rule *rule = i < p->n_rules ? &p->rules[i] : &none;

		if (i >= p->n_rules && i >= l->rules_written[slot])
			break;
		index = slot * KG_MAX_RULES + i;
		err = update(rules_fd, &index, rule, "kg_rules");
		if (err)
			return err;
	}
	l->rules_written[slot] = p->n_rules;
	for (uint32_t i = 0; i < KG_MAX_ANCHORS; i++) {
		struct kg_anchor unused = { 0 };

		index = slot * KG_MAX_ANCHORS + i;
		uint32_t stamp = ++l->next_stamp ? l->next_stamp : ++l->next_stamp;

		err = update(anchors_fd, &index, i < p->n_anchors ? &p->anchors[i] : &unused,
			     "kg_anchors");
		if (!err) /* a fresh stamp: no verdict cached for this slot before holds */
			err = update(stamps_fd, &index, &stamp, "kg_stamps");
		if (err)
			return err;
	}
	l->n_anchors[slot] = (uint32_t)p->n_anchors;
	for (size_t i = 0; i < p->n_revoked; i++) {
		struct kg_revoked_key key = p->revoked[i];

		key.slot = slot;
		err = update(revoked_fd, &key, &one, "kg_revoked");
		if (err)
			return err;
	}
	config = p->config;
	config.generation = next;
	memset(config.dev_filter, 0, sizeof(config.dev_filter));
	for (size_t i = 0; i < scopes->n_devs; i++) {
		uint32_t bit = kg_dev_filter_bit(scopes->devs[i].dev);

		config.dev_filter[bit / 64] |= 1ULL << (bit % 64);
	}
	err = update(bpf_map__fd(skel->maps.kg_config), &slot, &config, "kg_config");
	if (err)
		return err;
	/* Every program the new policy needs runs before it is in force (for a
	 * signed policy, the kernel puts it in force once it accepts it). */
	hooks_before = loader_attached_set(skel);
	err = kg_attach_needed(skel->skeleton, &config, l->published);
	if (err)
		return err;
	if (sp) {
		err = kg_policy_gate_load(bpf_map__fd(skel->maps.kg_policy_stage),
					  bpf_map__fd(skel->maps.kg_policy_gate), next, sp->data,
					  sp->len, sp->sig, sp->sig_len, answer);
		if (err) {
			kg_log_error("asking the kernel to verify policy %s failed: %s", p->name,
				     err == -ETIME ? "its verifier did not answer" : strerror(-err));
			return err;
		}
		if (answer->result != KG_POLICY_ACCEPTED)
			return kg_policy_result_errno(answer->result);
	}

	/* The flip: every hook reads this once, so each decision sees the
	 * whole old policy or the whole new one. */
	__atomic_store_n(&skel->bss->active_generation, next, __ATOMIC_SEQ_CST);
	l->generation = next;
	if (generation)
		*generation = next;
	/* Only now may the programs only the old policy needed go. A failure
	 * leaves one attached, costing time, never a decision. */
	kg_detach_unneeded(skel->skeleton, &config, l->published);
	l->attached = loader_count_attached(skel);

	l->state.generation = next;
	l->state.applied_ns = loader_clock_ns(CLOCK_REALTIME);
	l->state.policy_version = p->version;
	memcpy(l->state.digest, p->config.digest, KG_POLICY_DIGEST_LEN);
	snprintf(l->state.policy_name, sizeof(l->state.policy_name), "%s", p->name);
	if (l->published) {
		err = loader_write_state(l);
		if (err)
			kg_log_error("recording policy %s in %s/%s failed: %s", p->name, KG_PIN_DIR,
				  KG_PIN_STATE, strerror(-err));
	} else if (!l->pin_error) {
		l->pin_error = loader_publish(l);
		l->published = !l->pin_error;
	}
	/* The guard's link ids and pinned inodes follow the hooks attached. */
	if (l->published && (!l->guarded || loader_attached_set(skel) != hooks_before)) {
		err = loader_guard_arm(l);
		if (err)
			kg_log_error("arming self-protection failed: %s; keygate's objects are not "
				  "protected", strerror(-err));
	}
	return 0;
}

int kg_loader_apply(struct kg_loader *l, const struct kg_compiled_policy *p,
		    const struct kg_scope_set *scopes, uint32_t *generation)
{
	return apply(l, p, scopes, NULL, generation, NULL);
}

int kg_loader_apply_signed(struct kg_loader *l, const struct kg_compiled_policy *p,
			   const struct kg_scope_set *scopes, const struct kg_signed_policy *sp,
			   uint32_t *generation, struct kg_policy_gate *answer)
{
	return apply(l, p, scopes, sp, generation, answer);
}

int kg_loader_gate(struct kg_loader *l, struct kg_policy_gate *out)
{
	return kg_policy_gate_read(bpf_map__fd(l->skel->maps.kg_policy_gate), out);
}

int kg_loader_seal(struct kg_loader *l, const struct kg_policy_anchor *anchor,
		   uint64_t floor_version, const uint8_t floor_digest[KG_POLICY_DIGEST_LEN],
		   struct kg_policy_gate *answer)
{
	return kg_policy_gate_seal(bpf_map__fd(l->skel->maps.kg_policy_stage),
				   bpf_map__fd(l->skel->maps.kg_policy_gate), anchor, floor_version,
				   floor_digest, answer);
}

int kg_loader_anchor_changed(struct kg_loader *l, uint32_t anchor)
{
	uint32_t slot = l->generation & 1, index = slot * KG_MAX_ANCHORS + anchor;
	uint32_t stamp = ++l->next_stamp ? l->next_stamp : ++l->next_stamp;

	if (!l->generation || anchor >= l->n_anchors[slot])
		return -EINVAL;
	return update(bpf_map__fd(l->skel->maps.kg_stamps), &index, &stamp, "kg_stamps");
}

int kg_loader_cert_keyrings(struct kg_loader *l, uint32_t generation, int32_t *out, size_t max,
			    size_t *n)
{
	int fd = bpf_map__fd(l->skel->maps.kg_anchors);
	struct kg_anchor anchor;

	*n = 0;
	for (uint32_t i = 0; i < KG_MAX_ANCHORS; i++) {
		uint32_t index = (generation & 1) * KG_MAX_ANCHORS + i;

		if (bpf_map_lookup_elem(fd, &index, &anchor))
			return -errno;
		if (anchor.kind != KG_ANCHOR_CERTS || !anchor.id)
			continue;
		if (*n == max)
			return -E2BIG;
		out[(*n)++] = (int32_t)anchor.id;
	}
	return 0;
}

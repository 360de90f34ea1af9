// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * loader.c - keygate's BPF object (lsm/keygate.bpf.c): open, load, attach,
 * write a compiled policy into the inactive slot and flip the generation,
 * deliver ring-buffer events, read counters, detach.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h" /* before the skeleton: it names the ABI structs */
#include "log.h"
#include "keygate.skel.h"

struct kg_loader {
	struct keygate_bpf *skel;
	struct ring_buffer *ring;
	kg_event_fn event_fn;
	void *event_ctx;
	int events_this_poll;
	uint32_t generation; /* in force; 0 before the first apply */
	uint32_t rules_written[KG_SLOTS];
	uint32_t n_anchors[KG_SLOTS];
	uint32_t next_stamp; /* anchor stamps handed out so far */
	char sig_xattr[KG_XATTR_NAME_MAX];
	int attached;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	kg_logv(KG_LOG_DEBUG, fmt, args);
	return 0;
}

/* libbpf keeps reading while the kernel keeps writing; a poll returns
 * after this many events so the agent also gets to its signals. */
#define EVENTS_PER_POLL 512

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct kg_loader *l = ctx;
	int err = 0;

	if (size >= sizeof(struct kg_event) && l->event_fn)
		err = l->event_fn(l->event_ctx, data);
	if (!err && ++l->events_this_poll >= EVENTS_PER_POLL)
		err = -EAGAIN; /* this event is consumed; the rest wait */
	return err;
}

static int count_attached(const struct keygate_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	int n = 0;

	for (int i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].link)
			n++;
	return n;
}

int kg_loader_open(struct kg_loader **out, const char *sig_xattr)
{
	struct kg_loader *l;
	size_t len = strlen(sig_xattr);
	int err;

	if (len == 0 || len >= KG_XATTR_NAME_MAX) {
		kg_log_error("signature xattr name '%s' must have 1 to %d bytes", sig_xattr,
			  KG_XATTR_NAME_MAX - 1);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	memcpy(l->sig_xattr, sig_xattr, len + 1);
	libbpf_set_print(libbpf_print);

	l->skel = keygate_bpf__open();
	if (!l->skel) {
		err = -errno;
		kg_log_error("opening keygate's BPF object failed: %s", strerror(-err));
		goto fail;
	}
	memset((char *)l->skel->rodata->sig_xattr, 0, KG_XATTR_NAME_MAX);
	memcpy((char *)l->skel->rodata->sig_xattr, sig_xattr, len);

	err = keygate_bpf__load(l->skel);
	if (err == -EPERM) {
		kg_log_error("the kernel refused to load keygate's LSM programs (EPERM); "
			  "run `keygate probe`");
		goto fail;
	}
	if (err) {
		kg_log_error("loading keygate's BPF programs failed: %s (a kernel function keygate "
			  "calls is missing, or the verifier refused a program); `keygate probe` "
			  "and `keygate -d run` say which", strerror(-err));
		goto fail;
	}
	err = keygate_bpf__attach(l->skel);
	if (err) {
		kg_log_error("attaching keygate's LSM programs failed: %s; is \"bpf\" in "
			  "/sys/kernel/security/lsm? (`keygate probe`)", strerror(-err));
		goto fail;
	}
	l->attached = count_attached(l->skel);

	l->ring = ring_buffer__new(bpf_map__fd(l->skel->maps.events), on_ring_event, l, NULL);
	if (!l->ring) {
		err = -errno;
		kg_log_error("opening keygate's event ring buffer failed: %s", strerror(-err));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	kg_loader_close(l);
	return err;
}

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
	int dirs_fd = bpf_map__fd(skel->maps.scope_dirs);
	int files_fd = bpf_map__fd(skel->maps.scope_files);
	int devs_fd = bpf_map__fd(skel->maps.scope_devs);
	int err;

	err = clear_slot(dirs_fd, sizeof(struct kg_scope_dir_key), slot, "scope_dirs");
	if (!err)
		err = clear_slot(files_fd, sizeof(struct kg_scope_file_key), slot, "scope_files");
	if (!err)
		err = clear_slot(devs_fd, sizeof(struct kg_scope_dev_key), slot, "scope_devs");
	for (size_t i = 0; i < sc->n_dirs && !err; i++) {
		struct kg_scope_dir_key key = { .slot = slot, .dev = sc->dirs[i].dev,
						.ino = sc->dirs[i].ino };

		err = update(dirs_fd, &key, &sc->dirs[i].value, "scope_dirs");
	}
	for (size_t i = 0; i < sc->n_files && !err; i++) {
		const struct kg_scope_file *f = &sc->files[i];
		struct kg_scope_file_key key = { .slot = slot, .name_len = f->name_len,
						 .dev = f->dev, .dir_ino = f->dir_ino,
						 .name_hash = kg_name_hash(f->name, f->name_len) };
		struct kg_scope_file_value value = { .value = f->value };

		memcpy(value.name, f->name, f->name_len);
		err = update(files_fd, &key, &value, "scope_files");
	}
	for (size_t i = 0; i < sc->n_devs && !err; i++) {
		struct kg_scope_dev_key key = { .slot = slot, .dev = sc->devs[i].dev };

		err = update(devs_fd, &key, &sc->devs[i].flags, "scope_devs");
	}
	return err;
}

int kg_loader_apply(struct kg_loader *l, const struct kg_compiled_policy *p,
		    const struct kg_scope_set *scopes, uint32_t *generation)
{
	struct keygate_bpf *skel = l->skel;
	int rules_fd = bpf_map__fd(skel->maps.rules);
	int anchors_fd = bpf_map__fd(skel->maps.anchors);
	int stamps_fd = bpf_map__fd(skel->maps.anchor_stamps);
	int revoked_fd = bpf_map__fd(skel->maps.revoked);
	struct kg_policy_config config;
	uint32_t next, slot, index;
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

	err = write_scopes(l, scopes, slot);
	if (!err)
		err = clear_slot(revoked_fd, sizeof(struct kg_revoked_key), slot, "revoked");
	if (err)
		return err;

	for (uint32_t i = 0; i < KG_MAX_RULES; i++) {
		struct kg_rule none = { .id = i };
		const struct kg_rule *rule = i < p->n_rules ? &p->rules[i] : &none;

		if (i >= p->n_rules && i >= l->rules_written[slot])
			break;
		index = slot * KG_MAX_RULES + i;
		err = update(rules_fd, &index, rule, "rules");
		if (err)
			return err;
	}
	l->rules_written[slot] = p->n_rules;
	for (uint32_t i = 0; i < KG_MAX_ANCHORS; i++) {
		struct kg_anchor unused = { 0 };

		index = slot * KG_MAX_ANCHORS + i;
		uint32_t stamp = ++l->next_stamp ? l->next_stamp : ++l->next_stamp;

		err = update(anchors_fd, &index, i < p->n_anchors ? &p->anchors[i] : &unused,
			     "anchors");
		if (!err) /* a fresh stamp: no verdict cached for this slot before holds */
			err = update(stamps_fd, &index, &stamp, "anchor_stamps");
		if (err)
			return err;
	}
	l->n_anchors[slot] = (uint32_t)p->n_anchors;
	for (size_t i = 0; i < p->n_revoked; i++) {
		struct kg_revoked_key key = p->revoked[i];

		key.slot = slot;
		err = update(revoked_fd, &key, &one, "revoked");
		if (err)
			return err;
	}
	config = p->config;
	config.generation = next;
	err = update(bpf_map__fd(skel->maps.policy_config), &slot, &config, "policy_config");
	if (err)
		return err;

	/* The flip: every hook reads this once, so each decision sees the
	 * whole old policy or the whole new one. */
	__atomic_store_n(&skel->bss->active_generation, next, __ATOMIC_SEQ_CST);
	l->generation = next;
	if (generation)
		*generation = next;
	return 0;
}

int kg_loader_anchor_changed(struct kg_loader *l, uint32_t anchor)
{
	uint32_t slot = l->generation & 1, index = slot * KG_MAX_ANCHORS + anchor;
	uint32_t stamp = ++l->next_stamp ? l->next_stamp : ++l->next_stamp;

	if (!l->generation || anchor >= l->n_anchors[slot])
		return -EINVAL;
	return update(bpf_map__fd(l->skel->maps.anchor_stamps), &index, &stamp, "anchor_stamps");
}

int kg_loader_poll(struct kg_loader *l, int timeout_ms, kg_event_fn fn, void *ctx)
{
	int n;

	l->event_fn = fn;
	l->event_ctx = ctx;
	l->events_this_poll = 0;
	n = ring_buffer__poll(l->ring, timeout_ms);
	if (n == -EINTR)
		return -EINTR;
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		kg_log_error("reading keygate's event ring buffer failed: %s", strerror(-n));
		return n;
	}
	return 0;
}

/* At most this many polls' worth of events: a busy system never stops
 * producing while the programs are attached. */
#define DRAIN_ROUNDS 64

int kg_loader_drain(struct kg_loader *l, kg_event_fn fn, void *ctx)
{
	int n = 0;

	l->event_fn = fn;
	l->event_ctx = ctx;
	for (int round = 0; round < DRAIN_ROUNDS; round++) {
		l->events_this_poll = 0;
		n = ring_buffer__consume(l->ring);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			break;
	}
	if (n < 0 && n != -EAGAIN) {
		kg_log_error("reading keygate's event ring buffer failed: %s", strerror(-n));
		return n;
	}
	return 0;
}

int kg_loader_counters(struct kg_loader *l, struct kg_counters *out)
{
	const volatile struct kg_counters *c = &l->skel->bss->counters;

	for (int i = 0; i < 3; i++)
		out->decisions[i] = c->decisions[i];
	out->events_dropped = c->events_dropped;
	out->cache_hits = c->cache_hits;
	out->verifications = c->verifications;
	return 0;
}

int kg_loader_attached(const struct kg_loader *l)
{
	return l->attached;
}

void kg_loader_close(struct kg_loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->ring);
	keygate_bpf__destroy(l->skel);
	free(l);
}

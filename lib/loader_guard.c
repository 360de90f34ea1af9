// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * loader_guard.c - arming keygate's self-protection (lsm/guard.bpf.h) for the
 * running agent, and handing it to the next one at exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader_internal.h"
#include "log.h"
#include "pin.h"

/*
 * Self-protection (lsm/guard.bpf.h): the guarded inodes (everything under
 * KG_PIN_DIR) and link ids, then the request that the programs turn into
 * the agent's identity at its next bpf() call.
 */
/* The keys a guard map gets at this arming; the others are pruned after
 * the new ones are in, so nothing guarded is ever missing from the map. */
struct guard_set {
	int fd;
	size_t key_size, n;
	unsigned char keys[KG_GUARDED_MAX][sizeof(struct kg_guarded_inode)];
};

static int guard_add(struct guard_set *set, const void *key, uint32_t value)
{
	if (set->n == KG_GUARDED_MAX)
		return -E2BIG;
	memcpy(set->keys[set->n++], key, set->key_size);
	return bpf_map_update_elem(set->fd, key, &value, BPF_ANY) ? -errno : 0;
}

static int guard_prune(struct guard_set *set)
{
	unsigned char key[sizeof(struct kg_guarded_inode)], next[sizeof(key)];
	unsigned char stale[KG_GUARDED_MAX][sizeof(key)];
	size_t n_stale = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(set->fd, prev, next) == 0 && n_stale < KG_GUARDED_MAX) {
		bool keep = false;

		memcpy(key, next, set->key_size);
		prev = key;
		for (size_t i = 0; i < set->n && !keep; i++)
			keep = memcmp(set->keys[i], key, set->key_size) == 0;
		if (!keep)
			memcpy(stale[n_stale++], key, set->key_size);
	}
	for (size_t i = 0; i < n_stale; i++)
		if (bpf_map_delete_elem(set->fd, stale[i]) && errno != ENOENT)
			return -errno;
	return 0;
}

static int guard_inode(struct guard_set *set, const char *kind_dir, const char *name,
		       uint32_t kind)
{
	struct kg_guarded_inode key;
	char path[512];
	struct stat st;

	if (kind_dir)
		snprintf(path, sizeof(path), "%s/%s/%s", KG_PIN_DIR, kind_dir, name);
	else
		snprintf(path, sizeof(path), "%s%s%s", KG_PIN_DIR, name ? "/" : "", name ? name : "");
	if (stat(path, &st))
		return -errno;
	key.dev = ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev);
	key.ino = st.st_ino;
	return guard_add(set, &key, kind);
}

int loader_guard_arm(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	int guard = bpf_map__fd(l->skel->maps.kg_guard);
	struct guard_set *inodes, *links, *maps;
	struct kg_guard g;
	uint32_t zero = 0;
	int err = 0;

	inodes = calloc(3, sizeof(*inodes));
	if (!inodes)
		return -ENOMEM;
	links = inodes + 1;
	maps = inodes + 2;
	inodes->fd = bpf_map__fd(l->skel->maps.kg_guard_inodes);
	inodes->key_size = sizeof(struct kg_guarded_inode);
	links->fd = bpf_map__fd(l->skel->maps.kg_guard_links);
	maps->fd = bpf_map__fd(l->skel->maps.kg_guard_maps);
	links->key_size = maps->key_size = sizeof(uint32_t);

	for (int i = 0; i < s->map_cnt && !err; i++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_map__fd(*s->maps[i].map), &info, &len))
			err = -errno;
		else
			err = guard_add(maps, &info.id, 1);
	}
	if (!err)
		err = guard_inode(inodes, NULL, NULL, KG_GUARDED_DIR);
	if (!err)
		err = guard_inode(inodes, NULL, KG_PIN_MAPS, KG_GUARDED_DIR);
	if (!err)
		err = guard_inode(inodes, NULL, KG_PIN_LINKS, KG_GUARDED_DIR);
	if (!err)
		err = guard_inode(inodes, NULL, KG_PIN_STATE, KG_GUARDED_MAP);
	for (int i = 0; i < s->map_cnt && !err; i++)
		if (loader_is_pinned_map(l->skel, *s->maps[i].map))
			err = guard_inode(inodes, KG_PIN_MAPS, loader_pin_name(&s->maps[i]), KG_GUARDED_MAP);
	for (int i = 0; i < s->prog_cnt && !err; i++) {
		struct bpf_link_info info = { 0 };
		uint32_t len = sizeof(info);
		struct bpf_link *link = *s->progs[i].link;

		if (!link)
			continue;
		err = guard_inode(inodes, KG_PIN_LINKS, s->progs[i].name, KG_GUARDED_LINK);
		if (!err && bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len))
			err = -errno;
		if (!err)
			err = guard_add(links, &info.id, 1);
	}
	for (int i = 0; i < 3 && !err; i++)
		err = guard_prune(inodes + i);
	free(inodes);
	if (err)
		return err;
	if (bpf_map_lookup_elem(guard, &zero, &g))
		return -errno;
	g.request_tgid = getpid();
	if (bpf_map_update_elem(guard, &zero, &g, BPF_ANY))
		return -errno;
	/* This lookup is the next bpf() call: it arms the guard. */
	if (bpf_map_lookup_elem(guard, &zero, &g))
		return -errno;
	if (!g.armed || g.agent_tgid != (uint32_t)getpid())
		return -ENOTRECOVERABLE;
	l->guarded = true;
	return 0;
}

/* An agent ending after its binary was replaced (a package upgrade) lets
 * the replacement adopt: its inode is recorded as trusted too. */
void loader_guard_trust_successor(struct kg_loader *l)
{
	static const char deleted[] = " (deleted)";
	char exe[512];
	uint32_t zero = 0;
	struct kg_guard g;
	struct stat st;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= (ssize_t)strlen(deleted))
		return;
	exe[n] = 0;
	if (strcmp(exe + n - strlen(deleted), deleted) != 0)
		return;
	exe[n - strlen(deleted)] = 0;
	if (stat(exe, &st) || !S_ISREG(st.st_mode))
		return;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.kg_guard), &zero, &g))
		return;
	g.next_dev = ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev);
	g.next_ino = st.st_ino;
	bpf_map_update_elem(bpf_map__fd(l->skel->maps.kg_guard), &zero, &g, BPF_ANY);
}

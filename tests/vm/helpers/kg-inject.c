// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-inject.c - libkg-inject.so, what root does with code injected into a
 * process running keygate's own executable (which the guard lets open
 * keygate's maps), e.g. LD_PRELOAD=libkg-inject.so keygate status:
 * writes a permissive policy config (nothing covered, everything allowed)
 * into the slot not in force and flips active_generation to it, the way
 * the agent puts a policy in force. KG_INJECT_MAPS names the pinned maps
 * directory. Prints "inject: result=ok ..." or "inject: result=errno:NAME"
 * on stderr, then the program runs as usual.
 */
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "keygate_abi.h"
#include "kg_helper.h"

static int open_map(const char *dir, const char *const *names, int *fd)
{
	char path[512];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		*fd = bpf_obj_get(path);
		if (*fd >= 0 || errno != ENOENT)
			return *fd >= 0 ? 0 : errno;
	}
	return ENOENT;
}

/* Offset of the global active_generation in the .bss map's value, from BTF. */
static int generation_offset(int bss_fd, uint32_t *offset)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct btf *btf;
	int err = ENOENT;

	if (bpf_obj_get_info_by_fd(bss_fd, &info, &len))
		return errno;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return errno;
	sec = btf__type_by_id(btf, info.btf_value_type_id);
	if (sec && btf_is_datasec(sec)) {
		vs = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vs++)
			if (strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off),
				   "active_generation") == 0) {
				*offset = vs->offset;
				err = 0;
			}
	}
	btf__free(btf);
	return err;
}

static int inject(const char *dir, uint32_t *from, uint32_t *to)
{
	static const char *const config_names[] = { "kg_config", NULL };
	static const char *const bss_names[] = { "bss", NULL };
	struct kg_policy_config open_door;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), offset = 0, slot, zero = 0, next;
	int cfg_fd = -1, bss_fd = -1, err;
	unsigned char *bss = NULL;

	err = open_map(dir, config_names, &cfg_fd);
	if (!err)
		err = open_map(dir, bss_names, &bss_fd);
	if (!err)
		err = generation_offset(bss_fd, &offset);
	if (!err && bpf_obj_get_info_by_fd(bss_fd, &info, &len))
		err = errno;
	if (err)
		goto out;
	bss = malloc(info.value_size);
	if (!bss || offset + 4 > info.value_size) {
		err = bss ? EINVAL : ENOMEM;
		goto out;
	}
	/* The generation the agent put in force, as it would flip the next. */
	if (bpf_map_lookup_elem(bss_fd, &zero, bss)) {
		err = errno;
		goto out;
	}
	memcpy(from, bss + offset, 4);
	slot = *from & 1;
	if (bpf_map_lookup_elem(cfg_fd, &slot, &open_door)) {
		err = errno;
		goto out;
	}
	next = *from + 1;
	slot = next & 1;
	open_door.generation = next;
	open_door.ops_covered = 0;
	for (int op = 0; op < KG_OP_COUNT; op++) {
		open_door.default_action[op] = KG_DEFAULT_ALLOW;
		open_door.fail_action[op] = KG_FAIL_ALLOW;
		open_door.everything.rule[op] = KG_RULE_NONE;
		open_door.buffer_rule[op] = KG_RULE_NONE;
	}
	if (bpf_map_update_elem(cfg_fd, &slot, &open_door, BPF_ANY)) {
		err = errno;
		goto out;
	}
	memcpy(bss + offset, &next, 4);
	if (bpf_map_update_elem(bss_fd, &zero, bss, BPF_ANY))
		err = errno;
	*to = next;
out:
	free(bss);
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (bss_fd >= 0)
		close(bss_fd);
	return err;
}

__attribute__((constructor)) static void kg_inject(void)
{
	const char *dir = getenv("KG_INJECT_MAPS");
	uint32_t from = 0, to = 0;
	int err;

	if (!dir)
		return;
	err = inject(dir, &from, &to);
	if (err)
		fprintf(stderr, "inject: result=errno:%s\n",
			strerrorname_np(err) ? strerrorname_np(err) : "unknown");
	else
		fprintf(stderr, "inject: result=ok generation %u -> %u (permissive)\n", from, to);
}

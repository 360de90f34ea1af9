// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * loader_pins.c - the pinned state under KG_PIN_DIR: the layout a starting
 * agent compares, adopting a pinned state, publishing ours, and reading it back
 * for `keygate status` without loading anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader_internal.h"
#include "counters.h"
#include "log.h"
#include "pin.h"
#include "policy_gate.h"

const char *loader_pin_name(const struct bpf_map_skeleton *m)
{
	const char *dot = strrchr(m->name, '.');

	return dot ? dot + 1 : m->name;
}

bool loader_is_pinned_map(const struct keygate_bpf *skel, const struct bpf_map *map)
{
	return map != skel->maps.rodata && map != skel->maps.kg_agent_state;
}

static void hash_bytes(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		*h = (*h ^ p[i]) * 0x100000001b3ull; /* FNV-1a */
}

static void hash_type(uint64_t *h, const struct btf *btf, uint32_t type_id)
{
	const struct btf_type *t = btf ? btf__type_by_id(btf, type_id) : NULL;
	uint32_t kind;

	if (!t)
		return;
	kind = btf_kind(t);
	hash_bytes(h, &kind, sizeof(kind));
	if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_DATASEC)
		return;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name;
		uint32_t offset;

		if (kind == BTF_KIND_STRUCT) {
			const struct btf_member *m = btf_members(t) + i;

			name = btf__name_by_offset(btf, m->name_off);
			offset = m->offset;
		} else {
			const struct btf_var_secinfo *v = btf_var_secinfos(t) + i;
			const struct btf_type *var = btf__type_by_id(btf, v->type);

			name = var ? btf__name_by_offset(btf, var->name_off) : "";
			offset = v->offset;
		}
		hash_bytes(h, name ? name : "", name ? strlen(name) + 1 : 1);
		hash_bytes(h, &offset, sizeof(offset));
	}
}

/*
 * What an adopting agent's programs must agree on with the pinned maps:
 * each map's name, type, sizes and flags, and the member (or variable)
 * names and offsets of its value. A change in any gives another value.
 */
uint64_t loader_layout_hash(const struct keygate_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	const struct btf *btf = bpf_object__btf(skel->obj);
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t abi = KG_ABI_VERSION, size = sizeof(struct kg_agent_state);

	hash_bytes(&h, &abi, sizeof(abi));
	hash_bytes(&h, &size, sizeof(size));
	for (int i = 0; i < s->map_cnt; i++) {
		const struct bpf_map *map = *s->maps[i].map;
		uint32_t def[5] = { bpf_map__type(map), bpf_map__key_size(map),
				    bpf_map__value_size(map), bpf_map__max_entries(map),
				    bpf_map__map_flags(map) };

		if (!loader_is_pinned_map(skel, map))
			continue;
		hash_bytes(&h, loader_pin_name(&s->maps[i]), strlen(loader_pin_name(&s->maps[i])) + 1);
		hash_bytes(&h, def, sizeof(def));
		hash_type(&h, btf, bpf_map__btf_value_type_id(map));
	}
	return h;
}

/* Before the load: the programs about to load use the pinned maps. */
static int reuse_pinned_maps(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	int fd, err = 0;

	for (int i = 0; i < s->map_cnt && !err; i++) {
		struct bpf_map *map = *s->maps[i].map;
		const char *name = loader_pin_name(&s->maps[i]);

		if (map == l->skel->maps.rodata)
			continue;
		if (map == l->skel->maps.kg_agent_state)
			fd = kg_pin_get(KG_PIN_DIR, NULL, KG_PIN_STATE);
		else
			fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, name);
		if (fd == -EPERM) {
			kg_log_error("adopting the pinned state: %s/%s/%s: %s: it is guarded for "
				  "another keygate executable (self-protection, keygate(8)); that "
				  "agent's binary can adopt or stop it, else it stays in force "
				  "until reboot", KG_PIN_DIR, KG_PIN_MAPS, name, strerror(-fd));
			return fd;
		}
		if (fd < 0) {
			kg_log_error("adopting the pinned state: opening %s/%s/%s failed: %s; "
				  "`keygate stop` removes an incomplete state", KG_PIN_DIR,
				  KG_PIN_MAPS, name, strerror(-fd));
			return fd;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err)
			kg_log_error("adopting the pinned state: reusing map %s failed: %s", name,
				  strerror(-err));
	}
	return err;
}

/* Our links take over the pinned ones' names; each rename releases an old
 * link only after ours is attached, so some program always decides. */
int loader_take_over_links(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	int err;

	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_link *link = *s->progs[i].link;

		if (!link)
			continue;
		err = kg_pin_replace(bpf_link__fd(link), KG_PIN_DIR, KG_PIN_LINKS,
				     s->progs[i].name);
		if (err) {
			kg_log_error("adopting the pinned state: pinning link %s failed: %s",
				  s->progs[i].name, strerror(-err));
			return err;
		}
	}
	return 0;
}

int loader_write_state(struct kg_loader *l)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.kg_agent_state), &zero, &l->state,
				BPF_ANY))
		return -errno;
	return 0;
}

void loader_state_claim(struct kg_loader *l)
{
	l->state.abi = KG_ABI_VERSION;
	l->state.size = sizeof(l->state);
	uint64_t start = 0;

	l->state.tgid = getpid();
	kg_pin_start_time(l->state.tgid, &start);
	l->state.start_time = start;
	l->state.heartbeat_ns = loader_clock_ns(CLOCK_BOOTTIME);
}

/* Finds the pinned state and decides: adopt it (same layout, its agent
 * gone), replace it after our first policy is in force, or refuse. */
int loader_examine_pinned(struct kg_loader *l, uint64_t layout, struct kg_adoption *ad)
{
	struct kg_agent_state prev;
	int err;

	err = kg_pin_ensure_bpffs();
	if (err) {
		l->pin_error = err;
		return 0;
	}
	err = kg_pin_state_read(KG_PIN_DIR, &prev, NULL);
	if (err == -ENOENT)
		return 0;
	if (err == -EPERM) {
		kg_log_error("the state pinned at %s is guarded for another keygate executable "
			     "(self-protection, keygate(8)): that binary can adopt or stop it, "
			     "else it stays in force until reboot", KG_PIN_DIR);
		return err;
	}
	if (err || prev.abi != KG_ABI_VERSION || prev.layout != layout) {
		ad->replaced = true; /* another version's state: released after our attach */
		ad->previous_abi = err && err != -EPROTO ? 0 : prev.abi;
		return 0;
	}
	if (kg_pin_agent_alive(&prev)) {
		kg_log_error("an agent (pid %u) is enforcing already; stop it (or `keygate stop`) "
			  "first", prev.tgid);
		return -EBUSY;
	}
	ad->adopted = true;
	ad->previous = prev;
	return reuse_pinned_maps(l);
}

/* Pins maps, links and the agent record into a staged directory and
 * publishes it as KG_PIN_DIR, after the first policy is in force: a state
 * pinned by another version is released only then. */
int loader_publish(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	char staged[256];
	int err;

	l->state.pinned_ns = loader_clock_ns(CLOCK_REALTIME);
	snprintf(l->pin_step, sizeof(l->pin_step), "writing the agent record");
	err = loader_write_state(l);
	if (!err) {
		snprintf(l->pin_step, sizeof(l->pin_step), "creating %s-new-*", KG_PIN_DIR);
		err = kg_pin_stage(staged, sizeof(staged));
	}
	if (err)
		return err;
	snprintf(l->pin_step, sizeof(l->pin_step), "pinning %s", KG_PIN_STATE);
	err = kg_pin_add(bpf_map__fd(l->skel->maps.kg_agent_state), staged, NULL, KG_PIN_STATE);
	for (int i = 0; i < s->map_cnt && !err; i++) {
		const struct bpf_map *map = *s->maps[i].map;

		snprintf(l->pin_step, sizeof(l->pin_step), "pinning map %s", loader_pin_name(&s->maps[i]));
		if (loader_is_pinned_map(l->skel, map))
			err = kg_pin_add(bpf_map__fd(map), staged, KG_PIN_MAPS, loader_pin_name(&s->maps[i]));
	}
	for (int i = 0; i < s->prog_cnt && !err; i++) {
		snprintf(l->pin_step, sizeof(l->pin_step), "pinning link %s", s->progs[i].name);
		if (*s->progs[i].link)
			err = kg_pin_add(bpf_link__fd(*s->progs[i].link), staged, KG_PIN_LINKS,
					 s->progs[i].name);
	}
	if (!err) {
		snprintf(l->pin_step, sizeof(l->pin_step), "renaming %s into place", staged);
		err = kg_pin_publish(staged);
	}
	if (err)
		kg_pin_remove(staged);
	return err;
}

int kg_loader_status(struct kg_status *out)
{
	struct keygate_bpf__bss bss;
	struct bpf_map_info info = { 0 };
	uint32_t info_len = sizeof(info), zero = 0;
	struct keygate_bpf *skel;
	int fd, err;

	memset(out, 0, sizeof(*out));
	err = kg_pin_state_read(KG_PIN_DIR, &out->agent, NULL);
	if (err)
		return err;
	out->agent_running = kg_pin_agent_alive(&out->agent);
	out->links = kg_pin_count(KG_PIN_DIR, KG_PIN_LINKS);
	skel = keygate_bpf__open();
	if (!skel)
		return -errno;
	out->layout_known = out->agent.abi == KG_ABI_VERSION &&
			    out->agent.layout == loader_layout_hash(skel);
	keygate_bpf__destroy(skel);
	if (!out->layout_known)
		return 0;
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "bss");
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len) ? -errno : 0;
	if (!err && info.value_size != sizeof(bss))
		err = -EPROTO; /* same layout hash, so a build mismatch */
	if (!err && bpf_map_lookup_elem(fd, &zero, &bss))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	close(fd);
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "kg_guard");
	if (fd >= 0) {
		struct kg_guard g;

		if (bpf_map_lookup_elem(fd, &zero, &g) == 0)
			out->self_protection = g.armed;
		close(fd);
	}
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "kg_policy_gate");
	if (fd >= 0) {
		out->gate_known = kg_policy_gate_read(fd, &out->gate) == 0;
		close(fd);
	}
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "kg_counters");
	if (fd < 0)
		return fd;
	err = kg_counters_read(fd, &out->counters);
	close(fd);
	if (err)
		return err;
	out->active_generation = bss.active_generation;
	out->lost_while_away = out->counters.events_dropped - out->agent.drops_reported;
	if (!out->agent_running)
		out->away_ns = loader_clock_ns(CLOCK_BOOTTIME) - out->agent.heartbeat_ns;
	return 0;
}

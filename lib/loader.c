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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h" /* before the skeleton: it names the ABI structs */
#include "log.h"
#include "pin.h"
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
	struct kg_agent_state state; /* this agent's record, pinned at KG_PIN_DIR/state */
	bool adopted;     /* the maps are the pinned ones, the links pinned already */
	bool published;   /* the state is pinned under KG_PIN_DIR */
	int pin_error;    /* why it could not be pinned, once tried */
	char pin_step[320]; /* what failed */
	bool guarded;     /* self-protection armed for this agent */
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

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The pin name of a skeleton map: internal maps ("keygate_.bss") by
 * their section without the dot. */
static const char *pin_name(const struct bpf_map_skeleton *m)
{
	const char *dot = strrchr(m->name, '.');

	return dot ? dot + 1 : m->name;
}

static bool is_pinned_map(const struct keygate_bpf *skel, const struct bpf_map *map)
{
	/* Read-only data is the loading agent's own (the signature xattr name). */
	return map != skel->maps.rodata && map != skel->maps.agent_state;
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
static uint64_t layout_hash(const struct keygate_bpf *skel)
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

		if (!is_pinned_map(skel, map))
			continue;
		hash_bytes(&h, pin_name(&s->maps[i]), strlen(pin_name(&s->maps[i])) + 1);
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
		const char *name = pin_name(&s->maps[i]);

		if (map == l->skel->maps.rodata)
			continue;
		if (map == l->skel->maps.agent_state)
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
static int take_over_links(struct kg_loader *l)
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

static int write_state(struct kg_loader *l)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.agent_state), &zero, &l->state,
				BPF_ANY))
		return -errno;
	return 0;
}

static void state_claim(struct kg_loader *l)
{
	l->state.abi = KG_ABI_VERSION;
	l->state.size = sizeof(l->state);
	uint64_t start = 0;

	l->state.tgid = getpid();
	kg_pin_start_time(l->state.tgid, &start);
	l->state.start_time = start;
	l->state.heartbeat_ns = clock_ns(CLOCK_BOOTTIME);
}

/* Finds the pinned state and decides: adopt it (same layout, its agent
 * gone), replace it after our first policy is in force, or refuse. */
static int examine_pinned(struct kg_loader *l, uint64_t layout, struct kg_adoption *ad)
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

/* Arguments of an LSM hook in the running kernel (its bpf_lsm_ stub's BTF
 * prototype), or -errno. */
static int lsm_hook_arity(const char *stub)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, err;

	err = libbpf_get_error(vmlinux);
	if (err)
		return err;
	id = btf__find_by_name_kind(vmlinux, stub, BTF_KIND_FUNC);
	if (id < 0) {
		err = id;
		goto out;
	}
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	err = t && btf_is_func_proto(t) ? btf_vlen(t) : -EINVAL;
out:
	btf__free(vmlinux);
	return err;
}

/* The self-protection program on the bpf hook exists in two prototypes
 * (lsm/guard.bpf.h); only the one the kernel's hook has is loaded. */
static int choose_hook_variants(struct keygate_bpf *skel)
{
	int n = lsm_hook_arity("bpf_lsm_bpf");

	if (n < 0) {
		kg_log_error("reading the prototype of the kernel's bpf LSM hook from BTF failed: %s",
			     strerror(-n));
		return n;
	}
	if (n != 3 && n != 4) {
		kg_log_error("the kernel's bpf LSM hook takes %d arguments; keygate knows 3 and 4", n);
		return -EOPNOTSUPP;
	}
	bpf_program__set_autoload(skel->progs.keygate_guard_bpf, n == 3);
	bpf_program__set_autoload(skel->progs.keygate_guard_bpf_kernel, n == 4);
	return 0;
}

int kg_loader_open(struct kg_loader **out, const char *sig_xattr, struct kg_adoption *ad)
{
	struct kg_loader *l;
	size_t len = strlen(sig_xattr);
	uint64_t layout;
	int err;

	memset(ad, 0, sizeof(*ad));
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
	err = choose_hook_variants(l->skel);
	if (err)
		goto fail;
	memset((char *)l->skel->rodata->sig_xattr, 0, KG_XATTR_NAME_MAX);
	memcpy((char *)l->skel->rodata->sig_xattr, sig_xattr, len);
	layout = layout_hash(l->skel);
	err = examine_pinned(l, layout, ad);
	if (err)
		goto fail;

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

	if (ad->adopted) {
		err = take_over_links(l);
		if (err)
			goto fail;
		l->adopted = l->published = true;
		l->generation = l->skel->bss->active_generation;
		for (int i = 0; i < KG_SLOTS; i++)
			l->rules_written[i] = KG_MAX_RULES; /* unknown: clear them all */
		l->state = ad->previous;
		l->guarded = false; /* re-armed for this agent at its first apply */
		ad->away_ns = clock_ns(CLOCK_BOOTTIME) - ad->previous.heartbeat_ns;
		ad->lost_while_away = l->skel->bss->counters.events_dropped -
				      ad->previous.drops_reported;
		l->state.adoptions++;
	}
	l->state.layout = layout;
	state_claim(l);
	if (l->adopted) {
		err = write_state(l);
		if (err) {
			kg_log_error("adopting the pinned state: writing the agent record failed: %s",
				  strerror(-err));
			goto fail;
		}
	}

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

static int guard_arm(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	int guard = bpf_map__fd(l->skel->maps.guard);
	struct guard_set *inodes, *links, *maps;
	struct kg_guard g;
	uint32_t zero = 0;
	int err = 0;

	inodes = calloc(3, sizeof(*inodes));
	if (!inodes)
		return -ENOMEM;
	links = inodes + 1;
	maps = inodes + 2;
	inodes->fd = bpf_map__fd(l->skel->maps.guarded_inodes);
	inodes->key_size = sizeof(struct kg_guarded_inode);
	links->fd = bpf_map__fd(l->skel->maps.guarded_links);
	maps->fd = bpf_map__fd(l->skel->maps.guarded_maps);
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
		if (is_pinned_map(l->skel, *s->maps[i].map))
			err = guard_inode(inodes, KG_PIN_MAPS, pin_name(&s->maps[i]), KG_GUARDED_MAP);
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
static void guard_trust_successor(struct kg_loader *l)
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
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.guard), &zero, &g))
		return;
	g.next_dev = ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev);
	g.next_ino = st.st_ino;
	bpf_map_update_elem(bpf_map__fd(l->skel->maps.guard), &zero, &g, BPF_ANY);
}

/* Pins maps, links and the agent record into a staged directory and
 * publishes it as KG_PIN_DIR, after the first policy is in force: a state
 * pinned by another version is released only then. */
static int publish(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	char staged[256];
	int err;

	l->state.pinned_ns = clock_ns(CLOCK_REALTIME);
	snprintf(l->pin_step, sizeof(l->pin_step), "writing the agent record");
	err = write_state(l);
	if (!err) {
		snprintf(l->pin_step, sizeof(l->pin_step), "creating %s-new-*", KG_PIN_DIR);
		err = kg_pin_stage(staged, sizeof(staged));
	}
	if (err)
		return err;
	snprintf(l->pin_step, sizeof(l->pin_step), "pinning %s", KG_PIN_STATE);
	err = kg_pin_add(bpf_map__fd(l->skel->maps.agent_state), staged, NULL, KG_PIN_STATE);
	for (int i = 0; i < s->map_cnt && !err; i++) {
		const struct bpf_map *map = *s->maps[i].map;

		snprintf(l->pin_step, sizeof(l->pin_step), "pinning map %s", pin_name(&s->maps[i]));
		if (is_pinned_map(l->skel, map))
			err = kg_pin_add(bpf_map__fd(map), staged, KG_PIN_MAPS, pin_name(&s->maps[i]));
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

	l->state.generation = next;
	l->state.applied_ns = clock_ns(CLOCK_REALTIME);
	l->state.policy_version = p->version;
	memcpy(l->state.digest, p->config.digest, KG_POLICY_DIGEST_LEN);
	snprintf(l->state.policy_name, sizeof(l->state.policy_name), "%s", p->name);
	if (l->published) {
		err = write_state(l);
		if (err)
			kg_log_error("recording policy %s in %s/%s failed: %s", p->name, KG_PIN_DIR,
				  KG_PIN_STATE, strerror(-err));
	} else if (!l->pin_error) {
		l->pin_error = publish(l);
		l->published = !l->pin_error;
	}
	if (l->published && !l->guarded) {
		err = guard_arm(l);
		if (err)
			kg_log_error("arming self-protection failed: %s; keygate's objects are not "
				  "protected", strerror(-err));
	}
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

int kg_loader_heartbeat(struct kg_loader *l, uint64_t drops_reported)
{
	if (!l->published)
		return 0;
	l->state.heartbeat_ns = clock_ns(CLOCK_BOOTTIME);
	l->state.drops_reported = drops_reported;
	return write_state(l);
}

bool kg_loader_guarded(const struct kg_loader *l)
{
	return l->guarded;
}

int kg_loader_pin_error(const struct kg_loader *l, const char **step)
{
	if (step)
		*step = l->pin_step[0] ? l->pin_step : "mounting bpffs on /sys/fs/bpf";
	return l->published ? 0 : l->pin_error;
}

void kg_loader_close(struct kg_loader *l)
{
	const struct bpf_object_skeleton *s;

	if (!l)
		return;
	if (l->published) {
		/* The pins keep the links attached and the maps alive. */
		l->state.tgid = 0;
		l->state.heartbeat_ns = clock_ns(CLOCK_BOOTTIME);
		write_state(l);
		if (l->guarded)
			guard_trust_successor(l);
		s = l->skel->skeleton;
		for (int i = 0; i < s->prog_cnt; i++)
			if (*s->progs[i].link)
				bpf_link__disconnect(*s->progs[i].link);
	}
	ring_buffer__free(l->ring);
	keygate_bpf__destroy(l->skel);
	free(l);
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
			    out->agent.layout == layout_hash(skel);
	keygate_bpf__destroy(skel);
	if (!out->layout_known)
		return 0;
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "bss");
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) || info.value_size != sizeof(bss) ||
	    bpf_map_lookup_elem(fd, &zero, &bss)) {
		err = errno ? -errno : -EPROTO;
		close(fd);
		return err;
	}
	close(fd);
	fd = kg_pin_get(KG_PIN_DIR, KG_PIN_MAPS, "guard");
	if (fd >= 0) {
		struct kg_guard g;

		if (bpf_map_lookup_elem(fd, &zero, &g) == 0)
			out->self_protection = g.armed;
		close(fd);
	}
	out->active_generation = bss.active_generation;
	out->counters = bss.counters;
	out->lost_while_away = bss.counters.events_dropped - out->agent.drops_reported;
	if (!out->agent_running)
		out->away_ns = clock_ns(CLOCK_BOOTTIME) - out->agent.heartbeat_ns;
	return 0;
}

int kg_loader_cert_keyrings(struct kg_loader *l, uint32_t generation, int32_t *out, size_t max,
			    size_t *n)
{
	int fd = bpf_map__fd(l->skel->maps.anchors);
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

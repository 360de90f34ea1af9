// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * loader.c - keygate's BPF object (lsm/keygate.bpf.c): open, load, attach,
 * deliver ring-buffer events, read counters, detach. Writing a policy is
 * loader_policy.c, the pinned state loader_pins.c, self-protection
 * loader_guard.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader_internal.h"
#include "attach.h"
#include "counters.h"
#include "log.h"
#include "pin.h"

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

int loader_count_attached(const struct keygate_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	int n = 0;

	for (int i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].link)
			n++;
	return n;
}

uint64_t loader_attached_set(const struct keygate_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	uint64_t set = 0;

	for (int i = 0; i < s->prog_cnt && i < 64; i++)
		if (*s->progs[i].link)
			set |= 1ull << i;
	return set;
}

/* The configuration of the adopted state's policy in force (generation 0:
 * none in force). */
static int adopted_config(struct kg_loader *l, struct kg_policy_config *out)
{
	uint32_t generation = l->skel->bss->active_generation, slot = generation & 1;

	memset(out, 0, sizeof(*out));
	if (!generation)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.kg_config), &slot, out)) {
		int err = -errno;

		kg_log_error("adopting the pinned state: reading its policy configuration failed: %s",
			     strerror(-err));
		return err;
	}
	if (out->generation != generation) {
		kg_log_error("adopting the pinned state: slot %u holds generation %u, not the one "
			     "in force (%u); `keygate stop` removes an inconsistent state", slot,
			     out->generation, generation);
		return -EPROTO;
	}
	return 0;
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

/* The self-protection and policy-verifier programs on the bpf hook exist in
 * two prototypes (lsm/guard.bpf.h, lsm/policy_verify.bpf.h); only the one
 * the kernel's hook has is loaded. */
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
	bpf_program__set_autoload(skel->progs.keygate_policy_gate_bpf, n == 3);
	bpf_program__set_autoload(skel->progs.keygate_policy_gate_bpf_kernel, n == 4);
	return 0;
}

/*
 * Scope walk results (lsm/scope.bpf.h) may be kept once the
 * programs counting directory moves run and every d_move() or d_exchange()
 * that began before them has ended: those run with a spin lock held, so
 * after one RCU grace period (membarrier's global command) none is left.
 * Without it, decisions walk every time; nothing else changes.
 */
static void enable_dir_cache(struct keygate_bpf *skel)
{
	if (!skel->links.keygate_dir_moved || !skel->links.keygate_dir_exchanged)
		return;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0)) {
		kg_log_warning("membarrier(MEMBARRIER_CMD_GLOBAL) failed (%s): every decision "
			       "walks up its file's directories", strerror(errno));
		return;
	}
	__atomic_store_n(&skel->bss->keep_scopes, 1, __ATOMIC_SEQ_CST);
}

int kg_loader_open(struct kg_loader **out, const char *sig_xattr, struct kg_adoption *ad)
{
	struct kg_policy_config adopted = { 0 };
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
	layout = loader_layout_hash(l->skel);
	err = loader_examine_pinned(l, layout, ad);
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
	/* Programs the policy in force needs: an adopted state's policy, or
	 * none yet (the first apply attaches what its policy needs). */
	err = ad->adopted ? adopted_config(l, &adopted) : 0;
	if (!err)
		err = kg_attach_needed(l->skel->skeleton, adopted.generation ? &adopted : NULL,
				       false);
	if (err)
		goto fail;
	l->attached = loader_count_attached(l->skel);
	enable_dir_cache(l->skel);

	if (ad->adopted) {
		struct kg_counters counters;

		err = loader_take_over_links(l);
		if (!err)
			err = kg_unpin_unattached(l->skel->skeleton);
		if (!err)
			err = kg_counters_read(bpf_map__fd(l->skel->maps.kg_counters), &counters);
		if (err)
			goto fail;
		l->adopted = l->published = true;
		l->generation = l->skel->bss->active_generation;
		for (int i = 0; i < KG_SLOTS; i++)
			l->rules_written[i] = KG_MAX_RULES; /* unknown: clear them all */
		l->state = ad->previous;
		l->guarded = false; /* re-armed for this agent at its first apply */
		ad->away_ns = loader_clock_ns(CLOCK_BOOTTIME) - ad->previous.heartbeat_ns;
		ad->lost_while_away = counters.events_dropped - ad->previous.drops_reported;
		l->state.adoptions++;
	}
	l->state.layout = layout;
	loader_state_claim(l);
	if (l->adopted) {
		err = loader_write_state(l);
		if (err) {
			kg_log_error("adopting the pinned state: writing the agent record failed: %s",
				  strerror(-err));
			goto fail;
		}
	}

	l->ring = ring_buffer__new(bpf_map__fd(l->skel->maps.kg_events), on_ring_event, l, NULL);
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
	return kg_counters_read(bpf_map__fd(l->skel->maps.kg_counters), out);
}

int kg_loader_attached(const struct kg_loader *l)
{
	return l->attached;
}

int kg_loader_heartbeat(struct kg_loader *l, uint64_t drops_reported)
{
	if (!l->published)
		return 0;
	l->state.heartbeat_ns = loader_clock_ns(CLOCK_BOOTTIME);
	l->state.drops_reported = drops_reported;
	return loader_write_state(l);
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
		l->state.heartbeat_ns = loader_clock_ns(CLOCK_BOOTTIME);
		loader_write_state(l);
		if (l->guarded)
			loader_guard_trust_successor(l);
		/* libbpf leaves a disconnected link's fd open: close ours, or
		 * this process keeps every link alive until it exits (and a
		 * `keygate stop` from it cannot finish). */
		s = l->skel->skeleton;
		for (int i = 0; i < s->prog_cnt; i++) {
			if (*s->progs[i].link) {
				bpf_link__disconnect(*s->progs[i].link);
				close(bpf_link__fd(*s->progs[i].link));
			}
		}
	}
	ring_buffer__free(l->ring);
	keygate_bpf__destroy(l->skel);
	free(l);
}


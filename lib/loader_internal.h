/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * loader_internal.h - what the loader's files share (loader.c: open,
 * attach, events, counters, close; loader_policy.c: writing a policy;
 * loader_pins.c: the pinned state; loader_guard.c: self-protection).
 * Not for use outside lib/loader*.c.
 */
#ifndef KEYGATE_LOADER_INTERNAL_H
#define KEYGATE_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "loader.h" /* before the skeleton: it names the ABI structs */
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

static inline uint64_t loader_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* loader.c */
int loader_count_attached(const struct keygate_bpf *skel);
/* Bit i: program i of the skeleton is attached. */
uint64_t loader_attached_set(const struct keygate_bpf *skel);

/* loader_pins.c */
/* The pin name of a skeleton map: internal maps ("keygate_.bss") by
 * their section without the dot. */
const char *loader_pin_name(const struct bpf_map_skeleton *m);
/* Every map but the loading agent's read-only data (the signature xattr
 * name) and its record. */
bool loader_is_pinned_map(const struct keygate_bpf *skel, const struct bpf_map *map);
/* A hash of every pinned map's name, definition and value type: a pinned
 * state is adopted only when it matches. */
uint64_t loader_layout_hash(const struct keygate_bpf *skel);
int loader_examine_pinned(struct kg_loader *l, uint64_t layout, struct kg_adoption *ad);
int loader_take_over_links(struct kg_loader *l);
int loader_write_state(struct kg_loader *l);
void loader_state_claim(struct kg_loader *l);
int loader_publish(struct kg_loader *l);

/* loader_guard.c */
int loader_guard_arm(struct kg_loader *l);
void loader_guard_trust_successor(struct kg_loader *l);

#endif /* KEYGATE_LOADER_INTERNAL_H */

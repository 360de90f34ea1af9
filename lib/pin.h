/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * pin.h - keygate's state in bpffs (KG_PIN_DIR, layout in keygate_abi.h):
 * pinning objects, swapping a whole directory or one link in place,
 * reading the agent record, removing everything. 0 or -errno; no output.
 */
#ifndef KEYGATE_PIN_H
#define KEYGATE_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keygate_abi.h"

#define KG_PIN_MAPS "maps"
#define KG_PIN_LINKS "links"
#define KG_PIN_STATE "state"

/* Mounts bpffs on /sys/fs/bpf unless one is there already. */
int kg_pin_ensure_bpffs(void);
/* fd of DIR/KIND/NAME (KIND NULL: DIR/NAME), or -errno (-ENOENT: absent). */
int kg_pin_get(const char *dir, const char *kind, const char *name);
/* Pins fd at DIR/KIND/NAME. */
int kg_pin_add(int fd, const char *dir, const char *kind, const char *name);
/* Pins fd at DIR/KIND/NAME in one step, releasing what was pinned there. */
int kg_pin_replace(int fd, const char *dir, const char *kind, const char *name);
/* Unpins DIR/KIND/NAME (absent already: 0). */
int kg_pin_drop(const char *dir, const char *kind, const char *name);
/* A new empty directory next to KG_PIN_DIR (with maps/ and links/), its
 * path in buf. */
int kg_pin_stage(char *buf, size_t size);
/* Makes the staged directory KG_PIN_DIR; a directory there before is
 * released only after, so the old and new links overlap. */
int kg_pin_publish(const char *staged);
/* Unpins every object under dir and removes it (-ENOENT: nothing there). */
int kg_pin_remove(const char *dir);
/* Objects pinned in DIR/KIND, or -errno. */
int kg_pin_count(const char *dir, const char *kind);
#define KG_PIN_NAMES_MAX 64
#define KG_PIN_NAME_MAX 64
/* Names of the objects pinned in DIR/KIND, sorted, at most max; their
 * number or -errno. With names NULL, only counts them (all of them). */
int kg_pin_names(const char *dir, const char *kind, char (*names)[KG_PIN_NAME_MAX], int max);
/* The agent record of the pinned state; *fd (if not NULL) keeps the map. */
int kg_pin_state_read(const char *dir, struct kg_agent_state *out, int *fd);
/* Start time of process tgid (field 22 of /proc/PID/stat), or -errno. */
int kg_pin_start_time(uint32_t tgid, uint64_t *out);
/* The process the record names is still running (same pid, same start). */
bool kg_pin_agent_alive(const struct kg_agent_state *s);

/* Ends enforcement: SIGTERM to a running agent (waiting up to
 * timeout_ms for it to exit), then removes KG_PIN_DIR and waits (as long
 * again) until the kernel has detached every program. *was: the record found
 * (zeroed if unreadable). -ENOENT: nothing pinned; -ETIMEDOUT: the agent
 * did not exit, or links were still attached. */
int kg_pin_stop(struct kg_agent_state *was, bool *agent_stopped, int timeout_ms);

#endif /* KEYGATE_PIN_H */

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * loader.h - keygate's BPF object: open, load, attach, fill the policy
 * maps, swap policies atomically, read events and counters, detach.
 */
#ifndef KEYGATE_LOADER_H
#define KEYGATE_LOADER_H

#include <stdint.h>

#include "keygate_abi.h"
#include "keygate_policy.h"
#include "scopes.h"

struct kg_loader;

/* Opens, sets the signature xattr name (read-only data, fixed for the
 * loader's lifetime), loads and attaches every program. */
int kg_loader_open(struct kg_loader **out, const char *sig_xattr);
/* Writes the policy and its scopes bound to file identities into the
 * inactive slot and makes it the one in force with a single store of the
 * new generation (cached verdicts of the old one stop counting). Every
 * CERTS/KEYRING anchor must already carry its keyring serial. Returns the
 * new generation in *generation. */
int kg_loader_apply(struct kg_loader *l, const struct kg_compiled_policy *policy,
		    const struct kg_scope_set *scopes, uint32_t *generation);
/* The keyring of anchor ANCHOR (index in the policy in force) changed:
 * verdicts cached against it stop counting from the next decision. */
int kg_loader_anchor_changed(struct kg_loader *l, uint32_t anchor);
typedef int (*kg_event_fn)(void *ctx, const struct kg_event *ev);
/* Waits up to timeout_ms for events; 0 or -errno (-EINTR is a clean stop). */
int kg_loader_poll(struct kg_loader *l, int timeout_ms, kg_event_fn fn, void *ctx);
/* Delivers the events already in the ring buffer without waiting (before
 * a stop, so none is lost unlogged); bounded, as the programs still
 * produce. 0 or -errno. */
int kg_loader_drain(struct kg_loader *l, kg_event_fn fn, void *ctx);
int kg_loader_counters(struct kg_loader *l, struct kg_counters *out);
/* Number of attached programs. */
int kg_loader_attached(const struct kg_loader *l);
/* Detaches and frees everything. */
void kg_loader_close(struct kg_loader *l);

#endif /* KEYGATE_LOADER_H */

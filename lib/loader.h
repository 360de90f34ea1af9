/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * loader.h - keygate's BPF object: open, load, attach, fill the policy
 * maps, swap policies atomically, read events and counters, detach.
 */
#ifndef KEYGATE_LOADER_H
#define KEYGATE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "keygate_abi.h"
#include "keygate_policy.h"
#include "policy_gate.h"
#include "scopes.h"

struct kg_loader;

/* What a starting agent found pinned under KG_PIN_DIR. */
struct kg_adoption {
	bool adopted;   /* took over the pinned maps and links (same layout) */
	bool replaced;  /* another layout: released once our policy is in force */
	uint32_t previous_abi; /* its KG_ABI_VERSION when replaced (0: unreadable) */
	struct kg_agent_state previous; /* the record found, when adopted */
	uint64_t away_ns;         /* since the previous agent's last poll */
	uint64_t lost_while_away; /* events dropped since it last reported */
};

/* Opens, sets the signature xattr name (read-only data, fixed for the
 * loader's lifetime), loads every program and attaches those the policy in
 * force needs (lib/hooks.h; before the first apply, only the programs that
 * are not decision hooks). A pinned state of the same layout whose agent
 * is gone is adopted: our programs load onto its maps, our links replace
 * its pins one by one and the pins of hooks its policy does not need are
 * released (-EBUSY while its agent runs). Otherwise the state is pinned at
 * the first apply. */
int kg_loader_open(struct kg_loader **out, const char *sig_xattr, struct kg_adoption *ad);
/* Writes the policy and its scopes bound to file identities into the
 * inactive slot, attaches the programs it needs, and makes it the one in
 * force with a single store of the new generation (cached verdicts of the
 * old one stop counting); then detaches the programs it does not need. Every
 * CERTS/KEYRING anchor must already carry its keyring serial. Returns the
 * new generation in *generation. */
int kg_loader_apply(struct kg_loader *l, const struct kg_compiled_policy *policy,
		    const struct kg_scope_set *scopes, uint32_t *generation);
/* The keyring of anchor ANCHOR (index in the policy in force) changed:
 * verdicts cached against it stop counting from the next decision. */
int kg_loader_anchor_changed(struct kg_loader *l, uint32_t anchor);
/* Signed policies (lsm/policy_verify.bpf.h). apply_signed writes the slot
 * as apply does, then puts it in force only if the kernel accepted SP for
 * it: on a refusal *answer says why and the -errno is
 * kg_policy_result_errno's; the policy in force stays. */
int kg_loader_apply_signed(struct kg_loader *l, const struct kg_compiled_policy *policy,
			   const struct kg_scope_set *scopes, const struct kg_signed_policy *sp,
			   uint32_t *generation, struct kg_policy_gate *answer);
/* The kernel's policy gate as it stands. */
int kg_loader_gate(struct kg_loader *l, struct kg_policy_gate *out);
/* Seals ANCHOR and the floor in the kernel; *answer says SEALED or
 * ALREADY_SEALED (or why not). */
int kg_loader_seal(struct kg_loader *l, const struct kg_policy_anchor *anchor,
		   uint64_t floor_version, const uint8_t floor_digest[KG_POLICY_DIGEST_LEN],
		   struct kg_policy_gate *answer);
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
/* Records in the pinned agent record that the agent is alive and which
 * counters.events_dropped it has reported. */
int kg_loader_heartbeat(struct kg_loader *l, uint64_t drops_reported);
/* 0 once the state is pinned; why it could not be (then enforcement
 * ends with the agent), and at which step (*step, if step is not NULL). */
int kg_loader_pin_error(const struct kg_loader *l, const char **step);
/* Self-protection is armed for this agent (after its first apply). */
bool kg_loader_guarded(const struct kg_loader *l);
/* The keyrings of the certificate anchors of a generation's slot (an
 * adopted policy's, to release once ours is in force). */
int kg_loader_cert_keyrings(struct kg_loader *l, uint32_t generation, int32_t *out, size_t max,
			    size_t *n);
/* Frees everything. A pinned state stays in force (the agent record says
 * no agent runs); an unpinned one is detached. */
void kg_loader_close(struct kg_loader *l);

/* What the pinned state enforces, read without loading anything. */
struct kg_status {
	struct kg_agent_state agent;
	bool agent_running;
	bool layout_known;   /* pinned by this build's layout */
	uint32_t active_generation;
	struct kg_counters counters;
	uint64_t lost_while_away; /* dropped since the last agent reported */
	uint64_t away_ns;         /* no agent: since the last one's last poll */
	int links;                /* pinned LSM links */
	bool self_protection;     /* the guard is armed */
	bool gate_known;          /* gate read from the pinned state */
	struct kg_policy_gate gate; /* signed policies: sealed, anchor, version */
};
/* -ENOENT: nothing pinned (not enforcing unless an agent runs unpinned). */
int kg_loader_status(struct kg_status *out);

#endif /* KEYGATE_LOADER_H */

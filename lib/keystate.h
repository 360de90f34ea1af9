/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * keystate.h - notices when an anchor's keyring changes (a key linked or
 * unlinked, a key or the keyring revoked, expired or its permissions
 * changed), so that verdicts cached against it can be dropped. Polled: a
 * fingerprint of the keyring's description and of each member's.
 */
#ifndef KEYGATE_KEYSTATE_H
#define KEYGATE_KEYSTATE_H

#include <stdint.h>

#include "keygate_policy.h"

struct kg_keystate {
	uint64_t fingerprint[KG_MAX_ANCHORS];
	uint32_t n_anchors;
};

/* Takes the fingerprint of every certificate and keyring anchor. */
void kg_keystate_init(struct kg_keystate *ks, const struct kg_compiled_policy *policy);
/* Bit i set: anchor i's keyring changed since the last call (or init). */
uint64_t kg_keystate_changes(struct kg_keystate *ks, const struct kg_compiled_policy *policy);

#endif /* KEYGATE_KEYSTATE_H */

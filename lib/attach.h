/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * attach.h - attaching keygate's LSM programs as the policy in force needs
 * them (lib/hooks.h says which), and keeping their pinned links in
 * KG_PIN_DIR/links in step. A reload attaches what the new policy needs
 * before its generation takes effect, and detaches what it no longer
 * needs only after, so no decision it covers ever runs without its
 * program. 0 or -errno; errors are logged with the program's name.
 */
#ifndef KEYGATE_ATTACH_H
#define KEYGATE_ATTACH_H

#include <stdbool.h>

#include "keygate_abi.h"

struct bpf_object_skeleton;

/* Attaches every loaded program CONFIG needs (CONFIG NULL: no policy, so
 * only the programs that are not decision hooks) that is not attached
 * yet; with PIN, pins each new link, replacing a stale pin of that name.
 * On an error the links this call made are released again. */
int kg_attach_needed(const struct bpf_object_skeleton *s, const struct kg_policy_config *config,
		     bool pin);
/* Detaches the decision programs CONFIG does not need, unpinning their
 * links first when PINNED. */
int kg_detach_unneeded(const struct bpf_object_skeleton *s, const struct kg_policy_config *config,
		       bool pinned);
/* Unpins the links in KG_PIN_DIR/links that name none of our attached
 * programs (an adopted state's hooks our policy does not need). */
int kg_unpin_unattached(const struct bpf_object_skeleton *s);

#endif /* KEYGATE_ATTACH_H */

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * keyrings.h - trust anchors resolved to kernel keyring serials, which the
 * BPF programs pass to bpf_lookup_user_key(serial, 0). Explicit serials,
 * never special ids: those would resolve against whichever process
 * triggers a hook.
 */
#ifndef KEYGATE_KEYRINGS_H
#define KEYGATE_KEYRINGS_H

#include <stddef.h>
#include <stdint.h>

#include "keygate_policy.h"

/* The keyrings the agent created for one policy's certificate anchors. */
struct kg_keyrings {
	int32_t *created;
	size_t n_created;
};

/*
 * Sets policy->anchors[i].id for every anchor: certificate anchors get a
 * new keyring "keygate:<policy>:<anchor>:<seq>" linked into the agent's
 * process keyring and root's user keyring (so it lives as long as the
 * pinned policy using it, after the agent too) holding each
 * non-revoked certificate; keyring anchors by description are searched in
 * the agent's process and session keyrings and then its user's keyring,
 * never among other users' keyrings; anchors by serial must name an
 * existing keyring. A keyring anchor must pass kg_keyring_untrusted; its
 * serial, owner and permissions are logged (KG_LOG_INFO). Reports the first
 * failure (file:line:col, anchor, serial, errno) and returns -errno
 * (-EPERM for a keyring root does not control); on failure nothing stays
 * created.
 */
int kg_keyrings_resolve(struct kg_compiled_policy *policy, struct kg_keyrings *out);
/*
 * Why a keyring with owner uid and permission mask perm (keyctl_describe's
 * fields) cannot be a trust anchor of an agent running as agent_uid, or
 * NULL when it can: it must be owned by root (or agent_uid), and neither
 * its group nor everyone may write it, link it or set its attributes.
 */
const char *kg_keyring_untrusted(uint32_t uid, uint32_t perm, uint32_t agent_uid);
/* Unlinks the keyrings resolve created; the kernel then frees them. */
void kg_keyrings_release(struct kg_keyrings *k);
/* Forgets them but leaves them linked: the pinned policy still uses them. */
void kg_keyrings_keep(struct kg_keyrings *k);
/* Takes over keyrings a previous agent created (serials from the pinned
 * anchors), so that release unlinks them once no policy uses them. */
int kg_keyrings_adopt(struct kg_keyrings *k, const int32_t *serials, size_t n);

#endif /* KEYGATE_KEYRINGS_H */

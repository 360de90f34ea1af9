// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * keystate.c - fingerprints of anchor keyrings (see keystate.h). System
 * anchors are the kernel's own keyrings and are not watched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "keystate.h"

static uint64_t mix(uint64_t hash, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		hash = (hash ^ p[i]) * KG_NAME_HASH_PRIME;
	return hash;
}

/* The description ("type;uid;gid;perm;name") of a key, or its errno:
 * revocation, expiry and permission changes all show here. */
static uint64_t mix_key(uint64_t hash, key_serial_t key)
{
	char *desc = NULL;
	long len = keyctl_describe_alloc(key, &desc);
	int err = len < 0 ? errno : 0;

	hash = mix(hash, &key, sizeof(key));
	if (len < 0)
		hash = mix(hash, &err, sizeof(err));
	else
		hash = mix(hash, desc, (size_t)len);
	free(desc);
	return hash;
}

static uint64_t fingerprint(key_serial_t keyring)
{
	uint64_t hash = mix_key(KG_NAME_HASH_SEED, keyring);
	key_serial_t *members = NULL;
	long len = keyctl_read_alloc(keyring, (void **)&members);

	if (len < 0) {
		int err = errno;

		return mix(hash, &err, sizeof(err));
	}
	for (size_t i = 0; i < (size_t)len / sizeof(*members); i++)
		hash = mix_key(hash, members[i]);
	free(members);
	return hash;
}

static uint64_t anchor_fingerprint(const struct kg_compiled_policy *p, size_t i)
{
	const struct kg_anchor *a = &p->anchors[i];

	if (a->kind != KG_ANCHOR_CERTS && a->kind != KG_ANCHOR_KEYRING)
		return 0;
	return fingerprint((key_serial_t)a->id);
}

void kg_keystate_init(struct kg_keystate *ks, const struct kg_compiled_policy *p)
{
	memset(ks, 0, sizeof(*ks));
	ks->n_anchors = p->n_anchors < KG_MAX_ANCHORS ? (uint32_t)p->n_anchors : KG_MAX_ANCHORS;
	for (uint32_t i = 0; i < ks->n_anchors; i++)
		ks->fingerprint[i] = anchor_fingerprint(p, i);
}

uint64_t kg_keystate_changes(struct kg_keystate *ks, const struct kg_compiled_policy *p)
{
	uint64_t changed = 0;

	for (uint32_t i = 0; i < ks->n_anchors; i++) {
		uint64_t now = anchor_fingerprint(p, i);

		if (now != ks->fingerprint[i])
			changed |= 1ULL << i;
		ks->fingerprint[i] = now;
	}
	return changed;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* keyrings.c - trust anchors to keyring serials with libkeyutils. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "keyrings.h"
#include "log.h"

/* Keyring descriptions stay unique across reloads: adding a keyring with
 * an existing description would displace the one the old policy still
 * uses before the new policy is in force. */
static unsigned int keyring_sequence;

static const char *anchor_name(const struct kg_compiled_policy *p, size_t i)
{
	return p->anchor_info && p->anchor_info[i].name ? p->anchor_info[i].name : "?";
}

static bool cert_revoked(const struct kg_compiled_policy *p, const struct kg_certificate *cert)
{
	for (size_t i = 0; i < p->n_revoked_certs; i++)
		if (memcmp(p->revoked_certs[i], cert->sha256, sizeof(cert->sha256)) == 0)
			return true;
	return false;
}

static int add_created(struct kg_keyrings *k, key_serial_t serial)
{
	int32_t *grown = realloc(k->created, (k->n_created + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	k->created = grown;
	k->created[k->n_created++] = serial;
	return 0;
}

static int resolve_certs(struct kg_compiled_policy *p, size_t i, struct kg_keyrings *k)
{
	const struct kg_anchor_info *info = &p->anchor_info[i];
	char description[256];
	key_serial_t ring, key;
	int err;

	snprintf(description, sizeof(description), "keygate:%s:%s:%u", p->name,
		 anchor_name(p, i), ++keyring_sequence);
	ring = add_key("keyring", description, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0) {
		err = -errno;
		kg_log_error("anchor %s: creating keyring %s failed: %s", anchor_name(p, i),
			  description, strerror(-err));
		return err;
	}
	err = add_created(k, ring);
	if (err) {
		keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
		return err;
	}
	for (size_t c = 0; c < info->n_certs; c++) {
		const struct kg_certificate *cert = &info->certs[c];

		if (cert_revoked(p, cert))
			continue;
		key = add_key("asymmetric", NULL, cert->der, cert->der_len, ring);
		if (key < 0) {
			err = -errno;
			kg_log_error("anchor %s: adding certificate %s to the kernel failed: %s%s",
				  anchor_name(p, i), cert->path, strerror(-err),
				  err == -EBADMSG ? " (not an X.509 certificate this kernel "
						    "can parse)" : "");
			return err;
		}
	}
	p->anchors[i].id = (uint32_t)ring;
	return 0;
}

static int resolve_description(struct kg_compiled_policy *p, size_t i)
{
	const char *description = p->anchor_info[i].keyring_description;
	key_serial_t ring;

	ring = find_key_by_type_and_desc("keyring", description, 0);
	if (ring < 0)
		ring = keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", description, 0);
	if (ring < 0) {
		int err = -errno;

		kg_log_error("anchor %s: keyring '%s' not found in the agent's or the user keyrings: %s",
			  anchor_name(p, i), description, strerror(-err));
		return err;
	}
	p->anchors[i].id = (uint32_t)ring;
	return 0;
}

static int check_serial(const struct kg_compiled_policy *p, size_t i)
{
	key_serial_t serial = (key_serial_t)p->anchors[i].id;
	char *description = NULL;
	int err = 0;

	if (keyctl_describe_alloc(serial, &description) < 0) {
		err = -errno;
		kg_log_error("anchor %s: keyring serial %d: %s", anchor_name(p, i), serial,
			  strerror(-err));
		return err;
	}
	if (strncmp(description, "keyring;", 8) != 0) {
		kg_log_error("anchor %s: key %d is not a keyring (%s)", anchor_name(p, i), serial,
			  description);
		err = -EINVAL;
	}
	free(description);
	return err;
}

int kg_keyrings_resolve(struct kg_compiled_policy *p, struct kg_keyrings *out)
{
	struct kg_keyrings k = { 0 };
	int err = 0;

	for (size_t i = 0; i < p->n_anchors && !err; i++) {
		switch (p->anchors[i].kind) {
		case KG_ANCHOR_CERTS:
			err = resolve_certs(p, i, &k);
			break;
		case KG_ANCHOR_KEYRING:
			if (p->anchor_info[i].keyring_description)
				err = resolve_description(p, i);
			else
				err = check_serial(p, i);
			break;
		default: /* system keyrings are ids the kernel resolves itself */
			break;
		}
	}
	if (err) {
		kg_keyrings_release(&k);
		return err;
	}
	*out = k;
	return 0;
}

void kg_keyrings_release(struct kg_keyrings *k)
{
	for (size_t i = 0; i < k->n_created; i++)
		keyctl_unlink(k->created[i], KEY_SPEC_PROCESS_KEYRING);
	free(k->created);
	k->created = NULL;
	k->n_created = 0;
}

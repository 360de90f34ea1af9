// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* keyrings.c - trust anchors to keyring serials with libkeyutils. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* "file:line:col: anchor NAME" for messages about the anchor. */
static void anchor_where(const struct kg_compiled_policy *p, size_t i, char *buf, size_t size)
{
	const struct kg_source_ref *src = p->anchor_info ? &p->anchor_info[i].src : NULL;

	if (src && src->file)
		snprintf(buf, size, "%s:%u:%u: anchor %s", src->file, src->line, src->col,
			 anchor_name(p, i));
	else
		snprintf(buf, size, "anchor %s", anchor_name(p, i));
}

static int resolve_certs(struct kg_compiled_policy *p, size_t i, struct kg_keyrings *k)
{
	const struct kg_anchor_info *info = &p->anchor_info[i];
	char description[256], where[512];
	key_serial_t ring, key;
	size_t added = 0;
	int err;

	anchor_where(p, i, where, sizeof(where));
	snprintf(description, sizeof(description), "keygate:%s:%s:%u", p->name,
		 anchor_name(p, i), ++keyring_sequence);
	ring = add_key("keyring", description, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0) {
		err = -errno;
		kg_log_error("%s: creating keyring %s failed: %s", where, description,
			     strerror(-err));
		return err;
	}
	err = add_created(k, ring);
	if (err) {
		keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
		return err;
	}
	/* The pinned policy outlives the agent: so must its keyrings. */
	if (keyctl_link(ring, KEY_SPEC_USER_KEYRING) < 0) {
		err = -errno;
		kg_log_error("anchor %s: linking keyring %s into the user keyring failed: %s",
			  anchor_name(p, i), description, strerror(-err));
		return err;
	}
	for (size_t c = 0; c < info->n_certs; c++) {
		const struct kg_certificate *cert = &info->certs[c];

		if (cert_revoked(p, cert))
			continue;
		key = add_key("asymmetric", NULL, cert->der, cert->der_len, ring);
		if (key < 0) {
			err = -errno;
			kg_log_error("%s: adding certificate %s to keyring %s (serial %d) failed: %s%s",
				     where, cert->path, description, ring, strerror(-err),
				     err == -EBADMSG ? " (not an X.509 certificate this kernel "
						       "can parse)" : "");
			return err;
		}
		added++;
	}
	p->anchors[i].id = (uint32_t)ring;
	kg_log(KG_LOG_INFO, "anchor %s: keyring %s (serial %d) created by the agent with %zu certificates",
	       anchor_name(p, i), description, ring, added);
	return 0;
}

/* What lets a group or everyone change a keyring: adding or removing keys,
 * linking it into a keyring of their own (whoever possesses it gets the
 * possessor's rights, which include write), or changing its attributes. */
#define KG_CHANGE_PERMS (KEY_OTH_WRITE | KEY_OTH_LINK | KEY_OTH_SETATTR)

const char *kg_keyring_untrusted(uint32_t uid, uint32_t perm, uint32_t agent_uid)
{
	if (uid != 0 && uid != agent_uid)
		return "it is not owned by root";
	if (perm & (KG_CHANGE_PERMS << 8))
		return "its group may write, link or change it";
	if (perm & KG_CHANGE_PERMS)
		return "everyone may write, link or change it";
	return NULL;
}

/* Splits keyctl_describe's "type;uid;gid;perm;description". */
static bool parse_description(char *text, const char **type, uint32_t *uid, uint32_t *gid,
			      uint32_t *perm)
{
	char *field[4], *end;

	for (int f = 0; f < 4; f++) {
		field[f] = text;
		text = strchr(text, ';');
		if (!text)
			return false;
		*text++ = '\0';
	}
	*type = field[0];
	*uid = (uint32_t)strtoul(field[1], &end, 10);
	if (*end)
		return false;
	*gid = (uint32_t)strtoul(field[2], &end, 10);
	if (*end)
		return false;
	*perm = (uint32_t)strtoul(field[3], &end, 16);
	return !*end;
}

/*
 * Checks that serial is a keyring only root controls; how names it in
 * messages (e.g. "keyring 'ops' in the user keyring of uid 0 (serial 12)").
 */
static int check_keyring(struct kg_compiled_policy *p, size_t i, key_serial_t serial,
			 const char *how)
{
	char where[512], *text = NULL;
	const char *type, *why;
	uint32_t uid, gid, perm;
	int err = 0;

	anchor_where(p, i, where, sizeof(where));
	if (keyctl_describe_alloc(serial, &text) < 0) {
		err = -errno;
		kg_log_error("%s: %s: %s", where, how, strerror(-err));
		return err;
	}
	if (!parse_description(text, &type, &uid, &gid, &perm)) {
		kg_log_error("%s: %s: the kernel's description of it cannot be read", where, how);
		err = -EINVAL;
		goto out;
	}
	if (strcmp(type, "keyring") != 0) {
		kg_log_error("%s: %s is a key of type '%s', not a keyring", where, how, type);
		err = -EINVAL;
		goto out;
	}
	why = kg_keyring_untrusted(uid, perm, (uint32_t)geteuid());
	if (why) {
		kg_log_error("%s: %s (owner uid %u, gid %u, permissions %08x) cannot be a trust anchor: %s",
			     where, how, uid, gid, perm, why);
		err = -EPERM;
		goto out;
	}
	p->anchors[i].id = (uint32_t)serial;
	kg_log(KG_LOG_INFO, "anchor %s: %s: owner uid %u, gid %u, permissions %08x",
	       anchor_name(p, i), how, uid, gid, perm);
out:
	free(text);
	return err;
}

/*
 * Only keyrings root's processes own are searched: the agent's process and
 * session keyrings, then its user's keyring (with their nested keyrings).
 * Never /proc/keys, where any user's keyring of the same description that
 * the agent may view would do.
 */
static int resolve_description(struct kg_compiled_policy *p, size_t i)
{
	static const struct {
		key_serial_t id;
		const char *name;
	} places[] = {
		{ KEY_SPEC_PROCESS_KEYRING, "the agent's process keyring" },
		{ KEY_SPEC_SESSION_KEYRING, "the agent's session keyring" },
		{ KEY_SPEC_USER_KEYRING, "the user keyring of uid %u" },
	};
	const char *description = p->anchor_info[i].keyring_description;
	char where[512], how[512], place[64];
	int err = -ENOKEY;

	for (size_t k = 0; k < sizeof(places) / sizeof(places[0]); k++) {
		key_serial_t ring = keyctl_search(places[k].id, "keyring", description, 0);

		if (ring >= 0) {
			snprintf(place, sizeof(place), places[k].name, (unsigned int)geteuid());
			snprintf(how, sizeof(how), "keyring '%s' in %s (serial %d)", description,
				 place, ring);
			return check_keyring(p, i, ring, how);
		}
		/* A keyring that does not exist or cannot be searched holds nothing. */
		if (errno != ENOKEY && errno != EACCES && errno != EKEYREVOKED)
			err = -errno;
	}
	anchor_where(p, i, where, sizeof(where));
	kg_log_error("%s: keyring '%s' not found in the agent's process or session keyring or the user keyring of uid %u (keyrings of other users are never used): %s",
		     where, description, (unsigned int)geteuid(), strerror(-err));
	return err;
}

static int check_serial(struct kg_compiled_policy *p, size_t i)
{
	char how[64];

	snprintf(how, sizeof(how), "keyring serial %llu", (unsigned long long)p->anchors[i].id);
	return check_keyring(p, i, (key_serial_t)p->anchors[i].id, how);
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
	for (size_t i = 0; i < k->n_created; i++) {
		keyctl_unlink(k->created[i], KEY_SPEC_PROCESS_KEYRING);
		keyctl_unlink(k->created[i], KEY_SPEC_USER_KEYRING);
	}
	kg_keyrings_keep(k);
}

int kg_keyrings_adopt(struct kg_keyrings *k, const int32_t *serials, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = add_created(k, serials[i]);

		if (err)
			return err;
	}
	return 0;
}

void kg_keyrings_keep(struct kg_keyrings *k)
{
	free(k->created);
	k->created = NULL;
	k->n_created = 0;
}

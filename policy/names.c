// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * names.c - the names of the ABI's values (keygate_abi.h) as the policy
 * YAML, the log records and the CLI spell them: operations, verdicts,
 * reasons, requirements, anchor kinds, modes, default actions, system
 * keyrings; and hex digits. A value without a name gets NULL: callers
 * print "unknown-N".
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const op_names[KG_OP_COUNT] = {
	[KG_OP_EXEC] = "exec",
	[KG_OP_MMAP_EXEC] = "mmap_exec",
	[KG_OP_MPROTECT_EXEC] = "mprotect_exec",
	[KG_OP_OPEN_READ] = "open_read",
	[KG_OP_MODULE_FILE] = "module_file",
	[KG_OP_MODULE_BUFFER] = "module_buffer",
	[KG_OP_FIRMWARE] = "firmware",
	[KG_OP_KEXEC] = "kexec",
};

/* Self-protection events; never a rule's operation. */
static const char *const guard_op_names[KG_OP_GUARD_END - KG_OP_GUARD_MAP] = {
	[KG_OP_GUARD_MAP - KG_OP_GUARD_MAP] = "guard_map",
	[KG_OP_GUARD_LINK - KG_OP_GUARD_MAP] = "guard_link",
	[KG_OP_GUARD_PIN - KG_OP_GUARD_MAP] = "guard_pin",
	[KG_OP_GUARD_PTRACE - KG_OP_GUARD_MAP] = "guard_ptrace",
};

const char *kg_op_name(uint32_t op)
{
	if (op >= KG_OP_GUARD_MAP && op < KG_OP_GUARD_END)
		return guard_op_names[op - KG_OP_GUARD_MAP];
	return op < KG_OP_COUNT ? op_names[op] : NULL;
}

int kg_op_from_name(const char *name)
{
	for (int op = 0; op < KG_OP_COUNT; op++)
		if (strcmp(op_names[op], name) == 0)
			return op;
	for (int op = KG_OP_GUARD_MAP; op < KG_OP_GUARD_END; op++)
		if (strcmp(guard_op_names[op - KG_OP_GUARD_MAP], name) == 0)
			return op;
	return -EINVAL;
}

static const char *const verdict_names[] = {
	[KG_VERDICT_ALLOW] = "allow",
	[KG_VERDICT_DENY] = "deny",
	[KG_VERDICT_AUDIT] = "audit",
};

const char *kg_verdict_name(uint32_t verdict)
{
	return verdict < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[verdict]
									   : NULL;
}

static const char *const reason_names[KG_REASON_COUNT] = {
	[KG_REASON_ALLOWED_BY_RULE] = "allowed-by-rule",
	[KG_REASON_DENIED_BY_RULE] = "denied-by-rule",
	[KG_REASON_VERIFIED] = "verified",
	[KG_REASON_CACHE_HIT] = "cache-hit",
	[KG_REASON_NO_RULE] = "no-rule",
	[KG_REASON_NOT_VERITY] = "not-verity",
	[KG_REASON_NO_SIGNATURE] = "no-signature",
	[KG_REASON_MALFORMED_SIGNATURE] = "malformed-signature",
	[KG_REASON_BAD_SIGNATURE] = "bad-signature",
	[KG_REASON_UNKNOWN_SIGNER] = "unknown-signer",
	[KG_REASON_KEYRING_GONE] = "keyring-gone",
	[KG_REASON_REVOKED] = "revoked",
	[KG_REASON_NO_FILE] = "no-file",
	[KG_REASON_INTERNAL_ERROR] = "internal-error",
	[KG_REASON_UNKNOWN_READ] = "unknown-read",
	[KG_REASON_OVERLAY] = "overlay",
	[KG_REASON_SELF_PROTECTION] = "self-protection",
};

const char *kg_reason_name(uint32_t reason)
{
	return reason < KG_REASON_COUNT ? reason_names[reason] : NULL;
}

static const char *const requirement_names[] = {
	[KG_REQ_SIGNED] = "signed",
	[KG_REQ_ALLOW] = "allow",
	[KG_REQ_DENY] = "deny",
};

const char *kg_requirement_name(uint32_t requirement)
{
	if (requirement >= sizeof(requirement_names) / sizeof(requirement_names[0]))
		return NULL;
	return requirement_names[requirement];
}

static const char *const anchor_kind_names[] = {
	[KG_ANCHOR_CERTS] = "certificates",
	[KG_ANCHOR_KEYRING] = "keyring",
	[KG_ANCHOR_SYSTEM] = "system",
};

const char *kg_anchor_kind_name(uint32_t kind)
{
	if (kind >= sizeof(anchor_kind_names) / sizeof(anchor_kind_names[0]))
		return NULL;
	return anchor_kind_names[kind];
}

static const char *const mode_names[] = {
	[KG_MODE_ENFORCE] = "enforce",
	[KG_MODE_AUDIT] = "audit",
};

const char *kg_mode_name(uint32_t mode)
{
	if (mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return NULL;
	return mode_names[mode];
}

static const char *const default_action_names[] = {
	[KG_DEFAULT_ALLOW] = "allow",
	[KG_DEFAULT_DENY] = "deny",
	[KG_DEFAULT_AUDIT] = "audit",
};

const char *kg_default_action_name(uint32_t action)
{
	if (action >= sizeof(default_action_names) / sizeof(default_action_names[0]))
		return NULL;
	return default_action_names[action];
}

static const char *const system_keyring_names[] = {
	[KG_SYSTEM_BUILTIN] = "builtin",
	[KG_SYSTEM_SECONDARY] = "secondary",
	[KG_SYSTEM_PLATFORM] = "platform",
};

const char *kg_system_keyring_name(uint64_t system_id)
{
	if (system_id >= sizeof(system_keyring_names) / sizeof(system_keyring_names[0]))
		return NULL;
	return system_keyring_names[system_id];
}

int kg_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void kg_hex_encode(char *out, const uint8_t *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * keygate_policy.h - the policy library: parse YAML policy, validate it,
 * compile it into the exact map entries of keygate_abi.h. No BPF, no root.
 * Linked by the keygate binary, the unit tests and the fuzzer.
 *
 * Functions return 0 or -errno. Problems with the policy text itself are
 * not errors of the call: they are collected as diagnostics
 * ("file:line:col: message"), and kg_policy_load() returns -EINVAL when at
 * least one of them is an error.
 */
#ifndef KEYGATE_POLICY_H
#define KEYGATE_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keygate_abi.h"

enum kg_severity {
	KG_SEV_ERROR = 1,
	KG_SEV_WARNING = 2,
};

struct kg_diag {
	enum kg_severity severity;
	char *file;   /* source file, or "<default>" / "<buffer>" */
	uint32_t line; /* 1-based; 0 when not tied to a line */
	uint32_t col;  /* 1-based */
	char *message;
};

struct kg_diagnostics {
	struct kg_diag *items;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
};

void kg_diagnostics_free(struct kg_diagnostics *d);
/* Prints "file:line:col: error: message", one per line. */
void kg_diagnostics_print(const struct kg_diagnostics *d, FILE *out);

struct kg_source_ref {
	const char *file; /* points into kg_compiled_policy.sources */
	uint32_t line;
	uint32_t col;
};

struct kg_certificate {
	char *path;
	uint8_t *der; /* the certificate, DER */
	size_t der_len;
	uint8_t sha256[32];
	char *subject; /* human-readable, may be NULL */
};

/* Parses a PEM or DER file holding X.509 certificates (cert.c). On a
 * malformed file returns -EINVAL with a reason in why. */
int kg_cert_load(const char *path, struct kg_certificate **certs, size_t *n_certs,
		 char *why, size_t why_len);
void kg_cert_free(struct kg_certificate *cert);

struct kg_anchor_info {
	char *name;
	struct kg_source_ref src;
	uint32_t kind;            /* enum kg_anchor_kind */
	char *keyring_description; /* KG_ANCHOR_KEYRING by description, else NULL */
	struct kg_certificate *certs; /* KG_ANCHOR_CERTS */
	size_t n_certs;
};

struct kg_rule_info {
	char *name;
	struct kg_source_ref src;
	char **paths; /* scope prefixes as written (normalised); none = everything */
	size_t n_paths;
};

struct kg_path_entry {
	struct kg_path_key key; /* key.slot is 0; the agent sets the slot */
	struct kg_path_value value;
};

struct kg_compiled_policy {
	char *name;
	uint64_t version;
	uint32_t mode;   /* enum kg_mode */
	char sig_xattr[KG_XATTR_NAME_MAX];

	struct kg_policy_config config; /* generation 0; the agent sets it */

	struct kg_rule *rules; /* in evaluation order, rules[i].id == i */
	struct kg_rule_info *rule_info;
	size_t n_rules;

	struct kg_anchor *anchors; /* CERTS anchors have id 0 until the agent
				    * creates their keyring */
	struct kg_anchor_info *anchor_info;
	size_t n_anchors;

	struct kg_path_entry *paths; /* sorted by path bytes (a directory before
				      * what it contains); [0] is "everything" */
	size_t n_paths;

	struct kg_revoked_key *revoked; /* slot 0 */
	size_t n_revoked;
	uint8_t (*revoked_certs)[32];   /* SHA-256 of DER */
	size_t n_revoked_certs;

	char **sources; /* files the policy was read from, in merge order */
	size_t n_sources;

	uint8_t digest[KG_POLICY_DIGEST_LEN]; /* SHA-256 over the compiled form */
};

/*
 * Loads FILE or DIR arguments. A directory contributes its policy.yaml (if
 * any) followed by policy.d/NN-*.yaml in name order; files are merged in
 * argument order. On success *out is the compiled policy.
 */
int kg_policy_load(const char *const *paths, size_t n_paths,
		   struct kg_compiled_policy **out, struct kg_diagnostics *diags);

/* Parses and compiles one in-memory document (fuzzer, tests). */
int kg_policy_load_buffer(const char *name, const char *buf, size_t len,
			  struct kg_compiled_policy **out, struct kg_diagnostics *diags);

/* The built-in default policy, embedded in the binary. */
int kg_policy_load_default(struct kg_compiled_policy **out, struct kg_diagnostics *diags);
const char *kg_policy_default_text(void);

void kg_policy_free(struct kg_compiled_policy *policy);

/* True when no rule can deny (every failure outcome is audit and no
 * default action is deny): the agent may then run on a kernel that lacks
 * some features. */
int kg_policy_is_audit_only(const struct kg_compiled_policy *policy);

/*
 * The path table entry that decides for a file at PATH, found the way the
 * BPF side does: the exact file, else the longest directory prefix, else
 * the "everything" entry. Never NULL.
 */
const struct kg_path_entry *kg_policy_lookup(const struct kg_compiled_policy *policy,
					     const char *path);

/* Serialised compiled form (`keygate policy compile -o`), deterministic. */
int kg_policy_write_blob(const struct kg_compiled_policy *policy, FILE *out);
/* The blob's header and body, without the trailer: the bytes a policy
 * signature covers (`keygate policy compile --signed-part`). Caller frees. */
int kg_policy_signed_part(const struct kg_compiled_policy *policy, uint8_t **out, size_t *len);

/* Names used in YAML, CLI output, events and logs (names.c). NULL when out
 * of range. */
const char *kg_op_name(uint32_t op);
int kg_op_from_name(const char *name); /* enum kg_op or -EINVAL */
const char *kg_verdict_name(uint32_t verdict);
const char *kg_reason_name(uint32_t reason);
const char *kg_requirement_name(uint32_t requirement);
const char *kg_anchor_kind_name(uint32_t kind);
const char *kg_mode_name(uint32_t mode);                 /* KG_MODE_* */
const char *kg_default_action_name(uint32_t action);     /* KG_DEFAULT_* */
const char *kg_system_keyring_name(uint64_t system_id);  /* KG_SYSTEM_* */

/* Hex digits (names.c): the value of one (0-15, or -1 when C is not a hex
 * digit), and LEN bytes as 2 * LEN lowercase digits plus a NUL at OUT. */
int kg_hex_value(char c);
void kg_hex_encode(char *out, const uint8_t *bytes, size_t len);

/* SHA-256 (FIPS 180-4), used for digests of policies and certificates. */
void kg_sha256(const void *data, size_t len, uint8_t out[32]);

#endif /* KEYGATE_POLICY_H */

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * internal.h - what the policy library's files share and nobody else sees.
 *
 * Flow: parse.c turns each YAML file into a struct kg_source_policy (names,
 * scopes and locations as written, merged across drop-ins); compile.c
 * resolves names, loads certificates and builds the map images of
 * keygate_abi.h; blob.c serialises the result and computes its digest.
 */
#ifndef KEYGATE_POLICY_INTERNAL_H
#define KEYGATE_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "keygate_policy.h"

#define KG_NAME_MAX 63 /* anchor and rule names */
/* Mappings and lists inside each other; a policy needs 4 (rules, a rule,
 * its paths). */
#define KG_NESTING_MAX 32

/* A place in a source file; file indexes kg_source_policy.sources. */
struct kg_loc {
	uint32_t file;
	uint32_t line;
	uint32_t col;
};

struct kg_src_anchor {
	char *name;
	struct kg_loc loc;
	uint32_t kind;          /* enum kg_anchor_kind */
	uint64_t id;            /* system id or keyring serial */
	char *keyring_description;
	char **cert_paths;      /* resolved against the policy file's directory */
	struct kg_loc *cert_locs;
	size_t n_certs;
};

struct kg_src_scope {
	char *path; /* "" everything, "/dir/" prefix, "/file" exact */
	struct kg_loc loc;
};

struct kg_src_rule {
	char *name;
	struct kg_loc loc;
	uint32_t ops;
	struct kg_src_scope *scopes; /* at least one; "" when unscoped */
	size_t n_scopes;
	uint32_t requirement;
	char **anchor_names;
	struct kg_loc *anchor_locs;
	size_t n_anchor_names;
	uint32_t mode; /* 0: the policy's mode */
	uint32_t flags;
};

struct kg_src_digest {
	uint16_t algo;
	uint16_t size;
	uint8_t digest[KG_DIGEST_MAX];
	struct kg_loc loc;
};

/* A `policy:` header key: set once across all merged files. */
struct kg_src_header_key {
	bool set;
	struct kg_loc loc;
};

struct kg_source_policy {
	char **sources;
	size_t n_sources;

	char *name;
	uint64_t version;
	uint32_t mode;
	uint32_t default_action[KG_OP_COUNT];
	char sig_xattr[KG_XATTR_NAME_MAX];
	struct kg_src_header_key h_name, h_version, h_mode, h_default, h_xattr;
	bool have_policy_section;

	struct kg_src_anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct kg_src_rule *rules;
	size_t n_rules, cap_rules;
	struct kg_src_digest *revoked;
	size_t n_revoked, cap_revoked;
	char **revoked_cert_paths;
	struct kg_loc *revoked_cert_locs;
	size_t n_revoked_certs, cap_revoked_certs;
};

/* diag.c */
void kg_diag_add(struct kg_diagnostics *d, const struct kg_source_policy *src,
		 enum kg_severity sev, struct kg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void kg_diag_add_file(struct kg_diagnostics *d, enum kg_severity sev, const char *file,
		      uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Closest candidate within a small edit distance, or NULL. */
const char *kg_did_you_mean(const char *word, const char *const *candidates, size_t n);

/* Growable arrays: ensures room for one more element. */
int kg_grow(void **array, size_t *cap, size_t count, size_t elem_size);

/* parse.c: adds one YAML document to src; problems go to diags. */
int kg_parse_document(struct kg_source_policy *src, uint32_t file, const char *buf,
		      size_t len, struct kg_diagnostics *diags);

/* source.c */
int kg_source_add_file(struct kg_source_policy *src, const char *name, uint32_t *index);
/* After the last file: drops each revoked digest listed again (in any
 * file), with a warning there. Sorted, so a million digests cost n log n. */
int kg_source_drop_repeated_digests(struct kg_source_policy *src, struct kg_diagnostics *diags);
void kg_source_free(struct kg_source_policy *src);
void kg_src_anchor_free(struct kg_src_anchor *a);
void kg_src_rule_free(struct kg_src_rule *r);

/* compile.c */
int kg_compile(struct kg_source_policy *src, struct kg_compiled_policy **out,
	       struct kg_diagnostics *diags);

int kg_cert_parse_der(const uint8_t *der, size_t len, char **subject, char *why, size_t why_len);

/* blob.c: the digested body of the blob, in memory. */
int kg_policy_body(const struct kg_compiled_policy *policy, uint8_t **body, size_t *len);

#endif

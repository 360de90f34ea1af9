/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * policy_gate.h - the agent's side of signed policies: the policy-signing
 * anchor, the requests to the kernel's verifier (keygate_abi.h, struct
 * kg_policy_stage / kg_policy_gate) and the floor version kept on disk.
 */
#ifndef KEYGATE_POLICY_GATE_H
#define KEYGATE_POLICY_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "keygate_abi.h"
#include "keygate_policy.h"

#define KG_POLICY_ANCHOR_CONFIG "/etc/keygate/policy-anchor"
#define KG_POLICY_FLOOR_PATH "/var/lib/keygate/policy-floor"

/* A policy-signing anchor: "builtin", "secondary", "platform",
 * "keyring:SERIAL" or "cert:FILE" (PEM or DER certificates, loaded into a
 * keyring the agent creates and restricts so nothing can be added). */
struct kg_policy_anchor {
	uint32_t kind;  /* KG_ANCHOR_SYSTEM or KG_ANCHOR_KEYRING */
	uint64_t id;    /* KG_SYSTEM_* or keyring serial (0 until resolved) */
	char spec[512]; /* as configured */
	int32_t created; /* keyring made for cert:FILE, or 0 */
};

/* Parses SPEC; -EINVAL with why set when it is not one of the forms. */
int kg_policy_anchor_parse(const char *spec, struct kg_policy_anchor *out, char *why,
			   size_t why_len);
/* Reads KG_POLICY_ANCHOR_CONFIG (one line): 0 and *found false when it
 * does not exist, -errno when it cannot be read or parsed (why says). */
int kg_policy_anchor_config(struct kg_policy_anchor *out, int *found, char *why, size_t why_len);
/* cert:FILE: makes the keyring, adds every certificate, restricts it and
 * links it into root's user keyring so it outlives the agent.
 * keyring:SERIAL: checks it is a keyring only root controls
 * (kg_keyring_untrusted). */
int kg_policy_anchor_resolve(struct kg_policy_anchor *a, char *why, size_t why_len);
/* Unlinks a keyring resolve made (when the kernel kept an earlier one). */
void kg_policy_anchor_release(struct kg_policy_anchor *a);

/* The floor: "version N digest HEX". -ENOENT when there is none yet;
 * -EINVAL when the file is not in that form. */
int kg_policy_floor_read(const char *path, uint64_t *version, uint8_t digest[KG_POLICY_DIGEST_LEN]);
/* Writes it durably (temporary file, fsync, rename, fsync of the directory). */
int kg_policy_floor_write(const char *path, uint64_t version,
			  const uint8_t digest[KG_POLICY_DIGEST_LEN]);

/* A compiled policy's signed part and its signature, as the agent stages
 * them. sig is NULL for an unsigned policy (no signature file). */
struct kg_signed_policy {
	uint8_t *data;
	size_t len;
	uint8_t *sig;
	size_t sig_len;
	char sig_path[4096];
	char signer[256]; /* from the signature, unverified: for records */
};

/* Reads SIG_PATH (or the default beside the policy PATHS, see
 * kg_policy_signature_path) and computes P's signed part. A missing
 * signature file is not an error (out->sig NULL); an unreadable or larger
 * than KG_SIG_MAX one is (-errno, why set). */
int kg_signed_policy_load(const struct kg_compiled_policy *p, const char *const *paths,
			  size_t n_paths, const char *sig_path, struct kg_signed_policy *out,
			  char *why, size_t why_len);
void kg_signed_policy_free(struct kg_signed_policy *sp);

int kg_policy_gate_read(int gate_fd, struct kg_policy_gate *out);
/* Requests; the answer is in *gate. They return 0 when the kernel answered
 * (whatever it answered), -ETIME when it did not (no verifier attached). */
int kg_policy_gate_seal(int stage_fd, int gate_fd, const struct kg_policy_anchor *anchor,
			uint64_t floor_version, const uint8_t floor_digest[KG_POLICY_DIGEST_LEN],
			struct kg_policy_gate *gate);
int kg_policy_gate_load(int stage_fd, int gate_fd, uint32_t generation, const uint8_t *data,
			size_t len, const uint8_t *sig, size_t sig_len, struct kg_policy_gate *gate);
/* Short name and sentence for an enum kg_policy_result. */
const char *kg_policy_result_name(uint32_t result);
const char *kg_policy_result_text(uint32_t result);
/* -errno a refused request maps to (0 for ACCEPTED and SEALED). */
int kg_policy_result_errno(uint32_t result);

#endif /* KEYGATE_POLICY_GATE_H */

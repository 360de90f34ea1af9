/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * keygate_signature.h - detached PKCS#7/CMS signatures over the signed part
 * of a compiled policy (libcrypto). Signing makes exactly what
 *   openssl cms -sign -binary -noattr -md sha256 -outform DER \
 *       -signer CERT -inkey KEY -in policy.kgp -out policy.sig
 * makes, the form the kernel's PKCS#7 parser verifies. In the kernel the
 * agent's policy_verify program is the verifier; this one serves
 * `keygate policy sign|show|check` and names the signer in audit records.
 */
#ifndef KEYGATE_SIGNATURE_H
#define KEYGATE_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define KG_SIGNER_NAME_MAX 256

struct kg_signature_info {
	/* Subject of the signer's certificate when the signature carries it,
	 * else "issuer ISSUER serial HEX". */
	char signer[KG_SIGNER_NAME_MAX];
	/* 1: verified against the anchor; 0: not checked; -errno: failed
	 * (-EKEYREJECTED other content, -ENOKEY signer not in the anchor,
	 * -EBADMSG not a detached PKCS#7 signature). */
	int verified;
	char why[256]; /* a sentence when verified < 0 */
};

/* Signs DATA with the PEM key and certificate; *sig (DER) is malloc'd. */
int kg_signature_sign(const uint8_t *data, size_t len, const char *key_path,
		      const char *cert_path, uint8_t **sig, size_t *sig_len, char *why,
		      size_t why_len);

/* Fills info->signer from SIG without verifying it. */
int kg_signature_describe(const uint8_t *sig, size_t sig_len, struct kg_signature_info *info);

/* Verifies SIG over DATA against the certificates in ANCHOR_PATH (PEM or
 * DER): valid when the signer's certificate is one of them and the
 * signature covers DATA, as the kernel decides for a keyring holding those
 * certificates. Returns 0 with info->verified set, or -errno when the
 * anchor file cannot be read (why says so). */
int kg_signature_verify(const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len,
			const char *anchor_path, struct kg_signature_info *info);

/* Where the signature of a policy given as PATHS lives by default: the
 * first operand's DIR/policy.sig for a directory, FILE.sig for a file. */
int kg_policy_signature_path(const char *const *paths, size_t n_paths, char *out, size_t len);

/* Reads a whole file (at most MAX bytes; -EFBIG beyond). */
int kg_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

#endif

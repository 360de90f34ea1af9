// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_exec.c - exec under a `require: signed` rule, for each state a
 * program's signature can be in (fixtures: scenarios/inproc-exec.prep.sh):
 * the errno execve returns, the decision counters and the event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "harness.h"

#define POLICY_HEAD                                                                           \
	"keygate: 1\n"                                                                        \
	"policy: {name: inproc-exec, version: 1, mode: %s, default: allow}\n"                 \
	"anchors:\n"                                                                          \
	"  - {name: org, certificates: [@D@/keys/org.pem]}\n"                                 \
	"  - {name: other, certificates: [@D@/keys/other.pem]}\n"                             \
	"rules:\n"                                                                            \
	"  - {name: apps, operations: [exec], paths: [@D@/bin/], require: signed,\n"          \
	"     anchors: [org], log: all}\n"                                                    \
	"  - {name: banned, operations: [exec], files: [@D@/bin/banned], require: deny}\n"

static char revoked_digest[80];

static int apply(struct kgi *t, const char *mode)
{
	return kgi_policy(t, POLICY_HEAD "revocations: {digests: [\"%s\"]}\n", mode,
			  revoked_digest);
}

/* One denied exec: EPERM, one deny decision, the event's reason. */
static int expect_denied(struct kgi *t, const char *file, uint32_t reason, const char *rule,
			 uint64_t verifications, const struct kg_event **evp)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, file), EPERM);
	KGI_EXPECT_EVENT(t, file, KG_OP_EXEC, KG_VERDICT_DENY, reason, rule, evp);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 1);
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_ALLOW], 0);
	KGI_EXPECT_COUNT(t, d, verifications, verifications);
	return 0;
}

/* Control: before any policy every program runs and nothing is counted. */
static int no_policy(struct kgi *t)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/not-verity"), 0);
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/malformed"), 0);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_ALLOW], 0);
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 0);
	KGI_EXPECT_NO_EVENT(t, "bin/not-verity", KG_OP_EXEC);
	/* The policy the other cases share. */
	KGI_ASSERT(t, kgi_digest(t, "bin/revoked", revoked_digest, sizeof(revoked_digest)) == 0,
		   "cannot measure bin/revoked");
	return apply(t, "enforce");
}

static int verified(struct kgi *t)
{
	const struct kg_event *ev;
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/signed"), 0);
	KGI_EXPECT_EVENT(t, "bin/signed", KG_OP_EXEC, KG_VERDICT_ALLOW, KG_REASON_VERIFIED, "apps",
			 &ev);
	KGI_ASSERT(t, ev->anchor == 0, "verified by anchor %u, want 0 (org)", ev->anchor);
	KGI_ASSERT(t, ev->digest_size == 32, "event digest size %u, want 32", ev->digest_size);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_ALLOW], 1);
	KGI_EXPECT_COUNT(t, d, verifications, 1);
	KGI_EXPECT_COUNT(t, d, cache_hits, 0);
	return 0;
}

static int cache_hit(struct kgi *t)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/signed"), 0);
	KGI_EXPECT_EVENT(t, "bin/signed", KG_OP_EXEC, KG_VERDICT_ALLOW, KG_REASON_CACHE_HIT, "apps",
			 NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, cache_hits, 1);
	KGI_EXPECT_COUNT(t, d, verifications, 0);
	return 0;
}

static int not_verity(struct kgi *t)
{
	return expect_denied(t, "bin/not-verity", KG_REASON_NOT_VERITY, "apps", 0, NULL);
}

static int no_signature(struct kgi *t)
{
	return expect_denied(t, "bin/no-signature", KG_REASON_NO_SIGNATURE, "apps", 0, NULL);
}

/* Signed by a key the policy knows (anchor other) but the rule does not
 * trust: org's keyring is tried and does not hold the signer. */
static int other_key(struct kgi *t)
{
	const struct kg_event *ev;

	KGI_CHECK(expect_denied(t, "bin/other-key", KG_REASON_UNKNOWN_SIGNER, "apps", 1, &ev));
	KGI_ASSERT(t, ev->error == -ENOKEY, "event error %d, want -ENOKEY", ev->error);
	return 0;
}

/* A valid signature of another file. */
static int copied_signature(struct kgi *t)
{
	return expect_denied(t, "bin/copied-sig", KG_REASON_BAD_SIGNATURE, "apps", 1, NULL);
}

/* Random bytes where the PKCS#7 signature should be. */
static int corrupt_signature(struct kgi *t)
{
	return expect_denied(t, "bin/malformed", KG_REASON_MALFORMED_SIGNATURE, "apps", 1, NULL);
}

/* A signature xattr larger than KG_SIG_MAX is refused unread. */
static int oversized_signature(struct kgi *t)
{
	const struct kg_event *ev;
	size_t len = KG_SIG_MAX + 512;
	char *big = calloc(1, len);
	int err;

	KGI_ASSERT(t, big, "out of memory");
	memset(big, 0x30, len);
	err = setxattr(kgi_path(t, "bin/oversize-sig"), KG_DEFAULT_SIG_XATTR, big, len, 0);
	free(big);
	KGI_ASSERT(t, err == 0, "setting a %zu-byte signature xattr failed: %s", len,
		   strerror(errno));
	KGI_CHECK(expect_denied(t, "bin/oversize-sig", KG_REASON_MALFORMED_SIGNATURE, "apps", 0,
				&ev));
	KGI_ASSERT(t, ev->error == -ERANGE, "event error %d, want -ERANGE", ev->error);
	return 0;
}

/* Signed by org, but its digest is on the policy's revocation list. */
static int revoked_digest_denied(struct kgi *t)
{
	const struct kg_event *ev;
	char hex[2 * 32 + 1];

	KGI_CHECK(expect_denied(t, "bin/revoked", KG_REASON_REVOKED, "apps", 0, &ev));
	kg_hex_encode(hex, ev->digest, 32);
	KGI_ASSERT(t, strcmp(hex, revoked_digest + strlen("sha256:")) == 0,
		   "event digest %s, want the revoked %s", hex, revoked_digest);
	return 0;
}

/* An exact-file deny rule beats the directory's signed rule. */
static int deny_rule(struct kgi *t)
{
	return expect_denied(t, "bin/banned", KG_REASON_DENIED_BY_RULE, "banned", 0, NULL);
}

/* An exec-only program (0711) run by another user: the kernel would run
 * it (the control: no rule covers the copy in outside/), but the user may
 * not read its signature xattr, so the check cannot be made and the
 * program is denied (internal_error, EACCES), whoever ran it before. */
#define OTHER_UID 1000

static int signature_unreadable(struct kgi *t)
{
	const struct kg_event *ev;

	KGI_ASSERT(t, chmod(kgi_path(t, "bin/signed-exec-only"), 0711) == 0 &&
			      chmod(kgi_path(t, "outside/exec-only"), 0711) == 0,
		   "chmod 0711: %s", strerror(errno));
	KGI_EXPECT_ERRNO(t, kgi_exec_as(t, OTHER_UID, "outside/exec-only"), 0);
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/signed-exec-only"), 0); /* root may read: verified */
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec_as(t, OTHER_UID, "bin/signed-exec-only"), EPERM);
	KGI_EXPECT_EVENT(t, "bin/signed-exec-only", KG_OP_EXEC, KG_VERDICT_DENY,
			 KG_REASON_INTERNAL_ERROR, "apps", &ev);
	KGI_ASSERT(t, ev->error == -EACCES && ev->uid == OTHER_UID,
		   "event error %d uid %u, want -EACCES and uid %u", ev->error, ev->uid, OTHER_UID);
	return 0;
}

/* Outside every scope the default (allow, unlogged) applies. */
static int outside_scope(struct kgi *t)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "outside/unsigned"), 0);
	KGI_EXPECT_NO_EVENT(t, "outside/unsigned", KG_OP_EXEC);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_ALLOW], 1);
	return 0;
}

/* The same policy in audit mode: the failure is reported, the exec runs. */
static int audit_mode(struct kgi *t)
{
	struct kg_counters d;

	KGI_CHECK(apply(t, "audit"));
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "bin/no-signature"), 0);
	KGI_EXPECT_EVENT(t, "bin/no-signature", KG_OP_EXEC, KG_VERDICT_AUDIT,
			 KG_REASON_NO_SIGNATURE, "apps", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_AUDIT], 1);
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 0);
	return 0;
}

static const struct kgi_case cases[] = {
	{ "no-policy-control", no_policy },
	{ "verified", verified },
	{ "cache-hit", cache_hit },
	{ "not-verity", not_verity },
	{ "no-signature", no_signature },
	{ "other-key", other_key },
	{ "copied-signature", copied_signature },
	{ "corrupt-signature", corrupt_signature },
	{ "oversized-signature", oversized_signature },
	{ "revoked-digest", revoked_digest_denied },
	{ "deny-rule", deny_rule },
	{ "signature-unreadable", signature_unreadable },
	{ "outside-scope", outside_scope },
	{ "audit-mode", audit_mode },
};

int main(int argc, char **argv)
{
	return kgi_main(argc, argv, "exec", cases, sizeof(cases) / sizeof(cases[0]));
}

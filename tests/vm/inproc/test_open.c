// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_open.c - open for reading under a `require: signed` rule (fixtures:
 * scenarios/inproc-open.prep.sh): configuration files that must carry the
 * organisation's signature. Exec opens are not open_read decisions.
 */
#include <errno.h>

#include "harness.h"

#define POLICY                                                                                \
	"keygate: 1\n"                                                                        \
	"policy: {name: inproc-open, version: 1, mode: enforce, default: allow}\n"            \
	"anchors:\n"                                                                          \
	"  - {name: org, certificates: [@D@/keys/org.pem]}\n"                                 \
	"  - {name: other, certificates: [@D@/keys/other.pem]}\n"                             \
	"rules:\n"                                                                            \
	"  - {name: config, operations: [open_read], paths: [@D@/etc/],\n"                    \
	"     require: signed, anchors: [org], log: all}\n"

static int open_expect(struct kgi *t, const char *file, int want_errno, uint32_t verdict,
		       uint32_t reason, uint64_t verifications)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_open_read(t, file), want_errno);
	KGI_EXPECT_EVENT(t, file, KG_OP_OPEN_READ, verdict, reason, "config", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[verdict], 1);
	KGI_EXPECT_COUNT(t, d, verifications, verifications);
	return 0;
}

/* Control: without a policy every file opens. */
static int no_policy(struct kgi *t)
{
	KGI_EXPECT_ERRNO(t, kgi_open_read(t, "etc/not-verity"), 0);
	KGI_EXPECT_ERRNO(t, kgi_open_read(t, "etc/malformed"), 0);
	return kgi_policy(t, POLICY);
}

static int verified(struct kgi *t)
{
	return open_expect(t, "etc/signed", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED, 1);
}

static int cache_hit(struct kgi *t)
{
	return open_expect(t, "etc/signed", 0, KG_VERDICT_ALLOW, KG_REASON_CACHE_HIT, 0);
}

static int not_verity(struct kgi *t)
{
	return open_expect(t, "etc/not-verity", EPERM, KG_VERDICT_DENY, KG_REASON_NOT_VERITY, 0);
}

static int no_signature(struct kgi *t)
{
	return open_expect(t, "etc/no-signature", EPERM, KG_VERDICT_DENY, KG_REASON_NO_SIGNATURE, 0);
}

static int other_key(struct kgi *t)
{
	return open_expect(t, "etc/other-key", EPERM, KG_VERDICT_DENY, KG_REASON_UNKNOWN_SIGNER, 1);
}

static int copied_signature(struct kgi *t)
{
	return open_expect(t, "etc/copied-sig", EPERM, KG_VERDICT_DENY, KG_REASON_BAD_SIGNATURE, 1);
}

/* execve opens the program too: that open is the exec decision's, not an
 * open_read (exec is not covered here, so it runs). */
static int exec_is_not_open_read(struct kgi *t)
{
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "etc/not-verity"), 0);
	KGI_EXPECT_NO_EVENT(t, "etc/not-verity", KG_OP_OPEN_READ);
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
	{ "exec-is-not-open-read", exec_is_not_open_read },
};

int main(int argc, char **argv)
{
	return kgi_main(argc, argv, "open", cases, sizeof(cases) / sizeof(cases[0]));
}

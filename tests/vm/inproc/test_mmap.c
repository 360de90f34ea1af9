// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_mmap.c - executable file mappings under a `require: signed` rule
 * (fixtures: scenarios/inproc-mmap.prep.sh): mmap with PROT_EXEC, decided
 * in the sleepable mmap_file hook, and mprotect adding PROT_EXEC, decided
 * in the non-sleepable file_mprotect hook from what mmap_file recorded
 * for the inode.
 */
#include <errno.h>

#include "harness.h"

#define POLICY                                                                                \
	"keygate: 1\n"                                                                        \
	"policy: {name: inproc-mmap, version: 1, mode: enforce, default: allow}\n"            \
	"anchors:\n"                                                                          \
	"  - {name: org, certificates: [@D@/keys/org.pem]}\n"                                 \
	"  - {name: other, certificates: [@D@/keys/other.pem]}\n"                             \
	"rules:\n"                                                                            \
	"  - {name: code, operations: [mmap_exec, mprotect_exec], paths: [@D@/lib/],\n"       \
	"     require: signed, anchors: [org], log: all}\n"

static int mmap_expect(struct kgi *t, const char *file, int want_errno, uint32_t verdict,
		       uint32_t reason)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_mmap_exec(t, file), want_errno);
	KGI_EXPECT_EVENT(t, file, KG_OP_MMAP_EXEC, verdict, reason, "code", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[verdict], 1);
	return 0;
}

/* mmap(PROT_READ), then mprotect(PROT_READ | PROT_EXEC). */
static int mprotect_expect(struct kgi *t, const char *file, int want_errno, uint32_t verdict,
			   uint32_t reason)
{
	struct kg_counters d;
	size_t len;
	void *addr;
	int err;

	KGI_CHECK(kgi_map(t, file, &addr, &len));
	KGI_CHECK(kgi_mark(t));
	err = kgi_mprotect_exec(addr, len);
	kgi_unmap(addr, len);
	KGI_EXPECT_ERRNO(t, err, want_errno);
	KGI_EXPECT_EVENT(t, file, KG_OP_MPROTECT_EXEC, verdict, reason, "code", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[verdict], 1);
	/* mprotect cannot sleep: it never verifies itself. */
	KGI_EXPECT_COUNT(t, d, verifications, 0);
	return 0;
}

/* Control: without a policy both kinds of executable mapping succeed. */
static int no_policy(struct kgi *t)
{
	size_t len;
	void *addr;
	int err;

	KGI_EXPECT_ERRNO(t, kgi_mmap_exec(t, "lib/not-verity"), 0);
	KGI_CHECK(kgi_map(t, "lib/not-verity", &addr, &len));
	err = kgi_mprotect_exec(addr, len);
	kgi_unmap(addr, len);
	KGI_EXPECT_ERRNO(t, err, 0);
	return kgi_policy(t, POLICY);
}

static int mmap_signed(struct kgi *t)
{
	return mmap_expect(t, "lib/signed", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED);
}

static int mmap_not_verity(struct kgi *t)
{
	return mmap_expect(t, "lib/not-verity", EPERM, KG_VERDICT_DENY, KG_REASON_NOT_VERITY);
}

static int mmap_no_signature(struct kgi *t)
{
	return mmap_expect(t, "lib/no-signature", EPERM, KG_VERDICT_DENY, KG_REASON_NO_SIGNATURE);
}

static int mmap_other_key(struct kgi *t)
{
	return mmap_expect(t, "lib/other-key", EPERM, KG_VERDICT_DENY, KG_REASON_UNKNOWN_SIGNER);
}

/* Verified when it was mapped, for this generation: mprotect allows. */
static int mprotect_signed(struct kgi *t)
{
	return mprotect_expect(t, "lib/signed-late", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED);
}

/* A mapping that was never verifiable gains no PROT_EXEC: the reason is
 * what the check at mmap time found. */
static int mprotect_not_verity(struct kgi *t)
{
	return mprotect_expect(t, "lib/not-verity", EPERM, KG_VERDICT_DENY, KG_REASON_NOT_VERITY);
}

static int mprotect_no_signature(struct kgi *t)
{
	return mprotect_expect(t, "lib/no-signature", EPERM, KG_VERDICT_DENY,
			       KG_REASON_NO_SIGNATURE);
}

static int mprotect_corrupt_signature(struct kgi *t)
{
	return mprotect_expect(t, "lib/malformed", EPERM, KG_VERDICT_DENY,
			       KG_REASON_MALFORMED_SIGNATURE);
}

/* Outside the scope: allowed, not logged. */
static int outside_scope(struct kgi *t)
{
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_mmap_exec(t, "outside/unsigned"), 0);
	KGI_EXPECT_NO_EVENT(t, "outside/unsigned", KG_OP_MMAP_EXEC);
	return 0;
}

static const struct kgi_case cases[] = {
	{ "no-policy-control", no_policy },
	{ "mmap-signed", mmap_signed },
	{ "mmap-not-verity", mmap_not_verity },
	{ "mmap-no-signature", mmap_no_signature },
	{ "mmap-other-key", mmap_other_key },
	{ "mprotect-signed", mprotect_signed },
	{ "mprotect-not-verity", mprotect_not_verity },
	{ "mprotect-no-signature", mprotect_no_signature },
	{ "mprotect-corrupt-signature", mprotect_corrupt_signature },
	{ "outside-scope", outside_scope },
};

int main(int argc, char **argv)
{
	return kgi_main(argc, argv, "mmap", cases, sizeof(cases) / sizeof(cases[0]));
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_failclosed.c - the decisions that must fail closed when something
 * around the signature check goes wrong (fixtures:
 * scenarios/inproc-failclosed.prep.sh): the anchor keyring gone or
 * revoked after the policy took effect, a file nested deeper than the
 * scope walk reaches, a full event ring buffer, a policy reload between
 * the moment a file was checked and the moment the check is used, and a
 * file seen through overlayfs. Each case first shows the operation
 * succeeding (the control), then the errno, counters and event of the
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <keyutils.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define POLICY_HEAD                                                                           \
	"keygate: 1\n"                                                                        \
	"policy: {name: inproc-failclosed, version: 1, mode: enforce, default: allow}\n"

#define ORG_ANCHOR "anchors:\n  - {name: org, certificates: [@D@/keys/org.pem]}\n"

/* A signed-exec policy for @D@/ring/ trusting only keyring SERIAL. */
static int ring_policy(struct kgi *t, key_serial_t serial)
{
	return kgi_policy(t, POLICY_HEAD
			  "anchors:\n"
			  "  - {name: ring, keyring: %d}\n"
			  "rules:\n"
			  "  - {name: by-ring, operations: [exec], paths: [@D@/ring/],\n"
			  "     require: signed, anchors: [ring], log: all}\n",
			  serial);
}

/* A keyring of our own (root's, only the possessor may change it) holding
 * org's certificate. */
static int org_keyring(struct kgi *t, const char *description, key_serial_t *out)
{
	const char *path = kgi_path(t, "keys/org.der");
	unsigned char der[8192];
	key_serial_t ring;
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kgi_fail(t, 0, "open %s: %s", path, strerror(errno));
	len = read(fd, der, sizeof(der));
	close(fd);
	if (len <= 0)
		return kgi_fail(t, 0, "read %s failed", path);
	ring = add_key("keyring", description, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0)
		return kgi_fail(t, 0, "creating keyring %s: %s", description, strerror(errno));
	if (add_key("asymmetric", NULL, der, (size_t)len, ring) < 0)
		return kgi_fail(t, 0, "adding org.der to keyring %s: %s", description,
				strerror(errno));
	*out = ring;
	return 0;
}

/* One exec: the errno, then exactly one event with this outcome. */
static int exec_expect(struct kgi *t, const char *file, int want_errno, uint32_t verdict,
		       uint32_t reason, const char *rule)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, file), want_errno);
	KGI_EXPECT_EVENT(t, file, KG_OP_EXEC, verdict, reason, rule, NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[verdict], 1);
	return 0;
}

/* The anchor's keyring disappears (its last link removed: the kernel frees
 * it after an RCU grace period, then its serial no longer looks up) while
 * the policy naming it is in force: files not verified before are denied. */
static int keyring_missing(struct kgi *t)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	key_serial_t ring;
	char *text = NULL;
	int waited = 0;

	KGI_CHECK(org_keyring(t, "kgi-missing", &ring));
	KGI_CHECK(ring_policy(t, ring));
	KGI_CHECK(exec_expect(t, "ring/ring-a", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED, "by-ring"));
	KGI_ASSERT(t, keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING) == 0, "keyctl_unlink: %s",
		   strerror(errno));
	while (keyctl_describe_alloc(ring, &text) >= 0) {
		free(text);
		text = NULL;
		KGI_ASSERT(t, waited < 10000, "keyring %d still exists 10 s after its last unlink",
			   ring);
		nanosleep(&tick, NULL);
		waited += 20;
	}
	KGI_ASSERT(t, errno == ENOKEY, "describing the unlinked keyring: %s, want ENOKEY",
		   strerror(errno));
	return exec_expect(t, "ring/ring-b", EPERM, KG_VERDICT_DENY, KG_REASON_KEYRING_GONE,
			   "by-ring");
}

/* An invalidated anchor keyring: the file is denied at once. Until the
 * kernel's key collector has run, the keyring still looks up but holds no
 * key (the check says ENOKEY: unknown_signer); after, it does not look up
 * (keyring_gone). Which one a decision sees depends on that timing. */
static int keyring_invalidated(struct kgi *t)
{
	const struct kg_event *ev;
	struct kg_counters d;
	key_serial_t ring;

	KGI_CHECK(org_keyring(t, "kgi-invalidated", &ring));
	KGI_CHECK(ring_policy(t, ring));
	KGI_CHECK(exec_expect(t, "ring/ring-e", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED, "by-ring"));
	KGI_ASSERT(t, keyctl_invalidate(ring) == 0, "keyctl_invalidate: %s", strerror(errno));
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec(t, "ring/ring-f"), EPERM);
	KGI_CHECK(kgi_collect(t));
	KGI_ASSERT(t, kgi_events_for(t, "ring/ring-f", KG_OP_EXEC, &ev) == 1,
		   "want one exec event about ring/ring-f");
	KGI_ASSERT(t, ev->verdict == KG_VERDICT_DENY && ev->rule == kgi_rule(t, "by-ring") &&
			      (ev->reason == KG_REASON_UNKNOWN_SIGNER ||
			       ev->reason == KG_REASON_KEYRING_GONE),
		   "event: verdict %s reason %s; want deny, unknown-signer or keyring-gone",
		   kg_verdict_name(ev->verdict), kg_reason_name(ev->reason));
	printf("kg: invalidated anchor keyring: %s\n", kg_reason_name(ev->reason));
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 1);
	return 0;
}

/* The anchor's keyring is revoked after load: a full check fails at once;
 * a verdict cached against it stops counting once the agent reports the
 * change (kg_loader_anchor_changed, what `keygate run` does when it sees
 * a keyring change). */
static int anchor_revoked(struct kgi *t)
{
	key_serial_t ring;

	KGI_CHECK(org_keyring(t, "kgi-revoked", &ring));
	KGI_CHECK(ring_policy(t, ring));
	KGI_CHECK(exec_expect(t, "ring/ring-c", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED, "by-ring"));
	KGI_CHECK(exec_expect(t, "ring/ring-c", 0, KG_VERDICT_ALLOW, KG_REASON_CACHE_HIT,
			      "by-ring"));
	KGI_ASSERT(t, keyctl_revoke(ring) == 0, "keyctl_revoke: %s", strerror(errno));
	KGI_CHECK(exec_expect(t, "ring/ring-d", EPERM, KG_VERDICT_DENY, KG_REASON_KEYRING_GONE,
			      "by-ring"));
	KGI_ASSERT(t, kg_loader_anchor_changed(t->loader, 0) == 0, "kg_loader_anchor_changed failed");
	return exec_expect(t, "ring/ring-c", EPERM, KG_VERDICT_DENY, KG_REASON_KEYRING_GONE,
			   "by-ring");
}

/* Directories between @D@/deep/ and the deep programs. */
#define DEPTH_REACHED (KG_SCOPE_DEPTH_MAX - 24)
#define DEPTH_TOO_DEEP (KG_SCOPE_DEPTH_MAX + 76)

/* Opens @D@/deep/d/d/.../d (depth directories), creating them. */
static int deep_dir(struct kgi *t, int depth)
{
	int fd = open(kgi_path(t, "deep"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (int i = 0; fd >= 0 && i < depth; i++) {
		int next;

		if (mkdirat(fd, "d", 0755) && errno != EEXIST) {
			close(fd);
			return kgi_fail(t, 0, "mkdir at depth %d: %s", i, strerror(errno));
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd >= 0 ? fd : kgi_fail(t, 0, "descending into deep/: %s", strerror(errno));
}

/* Copies bin/unsigned into dirfd as "prog". */
static int place_program(struct kgi *t, int dirfd)
{
	char buf[65536];
	int in, out;
	ssize_t got;

	in = open(kgi_path(t, "bin/unsigned"), O_RDONLY | O_CLOEXEC);
	out = openat(dirfd, "prog", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		return kgi_fail(t, 0, "copying bin/unsigned into deep/: %s", strerror(errno));
	while ((got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)got) != got)
			return kgi_fail(t, 0, "writing deep prog: %s", strerror(errno));
	close(in);
	return close(out) ? kgi_fail(t, 0, "closing deep prog: %s", strerror(errno)) : 0;
}

/* Deep exec: errno, and the event about that inode. */
static int deep_exec_expect(struct kgi *t, int dirfd, int want_errno, uint32_t reason,
			    int32_t error)
{
	const struct kg_event *ev;
	char file[64];
	int fd = openat(dirfd, "prog", O_PATH | O_CLOEXEC);

	KGI_ASSERT(t, fd >= 0, "openat prog: %s", strerror(errno));
	snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec_at(t, dirfd, "prog"), want_errno);
	if (!want_errno) {
		KGI_EXPECT_NO_EVENT(t, file, KG_OP_EXEC);
		close(fd);
		return 0;
	}
	KGI_CHECK(kgi_expect_event(t, __LINE__, file, KG_OP_EXEC, KG_VERDICT_DENY, reason,
				   reason == KG_REASON_INTERNAL_ERROR ? NULL : "deep", &ev));
	close(fd);
	KGI_ASSERT(t, ev->error == error, "event error %d, want %d", ev->error, error);
	return 0;
}

/* A file nested deeper than KG_SCOPE_DEPTH_MAX directories below its
 * scope: the walk cannot find the rule, so the operation gets the
 * policy's fail_action (deny), reason internal_error, -ELOOP. */
static int too_deep(struct kgi *t)
{
	int reached, too_deep_fd, err;

	reached = deep_dir(t, DEPTH_REACHED);
	KGI_CHECK(reached);
	too_deep_fd = deep_dir(t, DEPTH_TOO_DEEP);
	KGI_CHECK(too_deep_fd);
	err = place_program(t, reached);
	if (!err)
		err = place_program(t, too_deep_fd);
	/* Control: exec not covered, the deep program runs. */
	if (!err)
		err = kgi_policy(t, POLICY_HEAD ORG_ANCHOR
				 "rules:\n"
				 "  - {name: deep, operations: [open_read], paths: [@D@/deep/],\n"
				 "     require: signed, anchors: [org]}\n");
	if (!err)
		err = deep_exec_expect(t, too_deep_fd, 0, 0, 0);
	if (!err)
		err = kgi_policy(t, POLICY_HEAD ORG_ANCHOR
				 "rules:\n"
				 "  - {name: deep, operations: [exec], paths: [@D@/deep/],\n"
				 "     require: signed, anchors: [org]}\n");
	/* Within reach the rule decides (the program has no fs-verity) ... */
	if (!err)
		err = deep_exec_expect(t, reached, EPERM, KG_REASON_NOT_VERITY, 0);
	/* ... beyond it the rule cannot be found. */
	if (!err)
		err = deep_exec_expect(t, too_deep_fd, EPERM, KG_REASON_INTERNAL_ERROR, -ELOOP);
	close(reached);
	close(too_deep_fd);
	return err;
}

/* Directories of NAME_MAX-byte names below @D@/long/: a path longer than
 * PATH_MAX, which bpf_d_path cannot produce, within the scope walk's reach. */
#define LONG_DIRS 20

static int long_dir(struct kgi *t)
{
	char name[256];
	int fd = open(kgi_path(t, "long"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(name, 'n', 255);
	name[255] = 0;
	for (int i = 0; fd >= 0 && i < LONG_DIRS; i++) {
		int next;

		if (mkdirat(fd, name, 0755) && errno != EEXIST) {
			close(fd);
			return kgi_fail(t, 0, "mkdir at level %d: %s", i, strerror(errno));
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd >= 0 ? fd : kgi_fail(t, 0, "descending into long/: %s", strerror(errno));
}

/* The decision comes from the file, never from its path: past PATH_MAX
 * the signed program (moved there: a rename keeps fs-verity and its
 * signature) still verifies and the unsigned one is still denied; only
 * the events lack the path. */
static int path_longer_than_path_max(struct kgi *t)
{
	const struct kg_event *ev;
	char file[64];
	int dir, fd;

	dir = long_dir(t);
	KGI_CHECK(dir);
	if (renameat(AT_FDCWD, kgi_path(t, "bin/signed-long"), dir, "signed")) {
		close(dir);
		return kgi_fail(t, __LINE__, "moving bin/signed-long into long/: %s", strerror(errno));
	}
	if (place_program(t, dir) ||
	    kgi_policy(t, POLICY_HEAD ORG_ANCHOR
		       "rules:\n"
		       "  - {name: long, operations: [exec], paths: [@D@/long/],\n"
		       "     require: signed, anchors: [org], log: all}\n")) {
		close(dir);
		return -1;
	}
	fd = openat(dir, "signed", O_PATH | O_CLOEXEC);
	KGI_ASSERT(t, fd >= 0, "openat signed: %s", strerror(errno));
	snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec_at(t, dir, "signed"), 0);
	KGI_CHECK(kgi_expect_event(t, __LINE__, file, KG_OP_EXEC, KG_VERDICT_ALLOW,
				   KG_REASON_VERIFIED, "long", &ev));
	KGI_ASSERT(t, ev->path_len == 0, "event path of %u bytes past PATH_MAX", ev->path_len);
	close(fd);
	fd = openat(dir, "prog", O_PATH | O_CLOEXEC);
	KGI_ASSERT(t, fd >= 0, "openat prog: %s", strerror(errno));
	snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_exec_at(t, dir, "prog"), EPERM);
	KGI_CHECK(kgi_expect_event(t, __LINE__, file, KG_OP_EXEC, KG_VERDICT_DENY,
				   KG_REASON_NOT_VERITY, "long", NULL));
	close(fd);
	close(dir);
	return 0;
}

/* More denials than the event ring buffer holds, none read meanwhile:
 * every one is still denied, and each event is either delivered or
 * counted as dropped. */
#define FLOOD 3000

static int ring_buffer_full(struct kgi *t)
{
	struct kg_counters d;
	size_t delivered;
	int denied = 0;

	KGI_CHECK(kgi_policy(t, POLICY_HEAD
			     "rules:\n"
			     "  - {name: flood, operations: [open_read], files: [@D@/bin/flood],\n"
			     "     require: deny}\n"));
	KGI_CHECK(kgi_mark(t));
	for (int i = 0; i < FLOOD; i++) {
		int err = kgi_open_read(t, "bin/flood");

		KGI_ASSERT(t, err == EPERM, "open %d of %d gave %s, want EPERM", i + 1, FLOOD,
			   kgi_errname(err));
		denied++;
	}
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], FLOOD);
	KGI_ASSERT(t, d.events_dropped > 0, "no event dropped after %d denials unread", FLOOD);
	KGI_CHECK(kgi_collect(t));
	delivered = kgi_events_for(t, "bin/flood", KG_OP_OPEN_READ, NULL);
	KGI_ASSERT(t, delivered + d.events_dropped == FLOOD,
		   "%zu events delivered + %llu dropped, want %d", delivered,
		   (unsigned long long)d.events_dropped, FLOOD);
	printf("kg: ring buffer: %zu events delivered, %llu dropped of %d denials\n", delivered,
	       (unsigned long long)d.events_dropped, denied);
	/* Read out, the buffer takes events again. */
	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_open_read(t, "bin/flood"), EPERM);
	KGI_EXPECT_EVENT(t, "bin/flood", KG_OP_OPEN_READ, KG_VERDICT_DENY,
			 KG_REASON_DENIED_BY_RULE, "flood", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, events_dropped, 0);
	return 0;
}

#define MPROTECT_POLICY                                                                       \
	POLICY_HEAD ORG_ANCHOR                                                                \
	"rules:\n"                                                                            \
	"  - {name: code, operations: [mprotect_exec], paths: [@D@/bin/],\n"                  \
	"     require: signed, anchors: [org], log: all}\n"

/* A mapping checked under one generation and made executable under the
 * next: the check does not carry over (mprotect cannot verify), so the
 * mapping is refused with reason internal_error, -ENODATA. */
static int reload_between_map_and_mprotect(struct kgi *t)
{
	const struct kg_event *ev;
	struct kg_counters d;
	size_t len;
	void *addr;
	int err;

	KGI_CHECK(kgi_policy(t, MPROTECT_POLICY));
	/* Control: same generation, the signed mapping becomes executable. */
	KGI_CHECK(kgi_map(t, "bin/signed", &addr, &len));
	KGI_CHECK(kgi_mark(t));
	err = kgi_mprotect_exec(addr, len);
	kgi_unmap(addr, len);
	KGI_EXPECT_ERRNO(t, err, 0);
	KGI_EXPECT_EVENT(t, "bin/signed", KG_OP_MPROTECT_EXEC, KG_VERDICT_ALLOW, KG_REASON_VERIFIED,
			 "code", NULL);

	KGI_CHECK(kgi_map(t, "bin/signed", &addr, &len));
	KGI_CHECK(kgi_policy(t, MPROTECT_POLICY));
	KGI_CHECK(kgi_mark(t));
	err = kgi_mprotect_exec(addr, len);
	kgi_unmap(addr, len);
	KGI_EXPECT_ERRNO(t, err, EPERM);
	KGI_EXPECT_EVENT(t, "bin/signed", KG_OP_MPROTECT_EXEC, KG_VERDICT_DENY,
			 KG_REASON_INTERNAL_ERROR, NULL, &ev);
	KGI_ASSERT(t, ev->error == -ENODATA, "event error %d, want -ENODATA", ev->error);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 1);
	return 0;
}

#define CACHE_POLICY                                                                          \
	POLICY_HEAD ORG_ANCHOR                                                                \
	"rules:\n"                                                                            \
	"  - {name: apps, operations: [exec], paths: [@D@/bin/], require: signed,\n"          \
	"     anchors: [org], log: all}\n"

/* A verdict cached under one generation never decides under the next: a
 * reload that revokes the program's digest denies it at once. */
static int reload_drops_cached_verdict(struct kgi *t)
{
	char digest[80];
	struct kg_counters d;

	KGI_ASSERT(t, kgi_digest(t, "bin/signed-cached", digest, sizeof(digest)) == 0,
		   "cannot measure bin/signed-cached");
	KGI_CHECK(kgi_policy(t, CACHE_POLICY));
	KGI_CHECK(exec_expect(t, "bin/signed-cached", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED,
			      "apps"));
	KGI_CHECK(exec_expect(t, "bin/signed-cached", 0, KG_VERDICT_ALLOW, KG_REASON_CACHE_HIT,
			      "apps"));
	/* The same policy again: verified afresh, not a hit. */
	KGI_CHECK(kgi_policy(t, CACHE_POLICY));
	KGI_CHECK(exec_expect(t, "bin/signed-cached", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED,
			      "apps"));
	KGI_CHECK(kgi_policy(t, CACHE_POLICY "revocations: {digests: [\"%s\"]}\n", digest));
	KGI_CHECK(exec_expect(t, "bin/signed-cached", EPERM, KG_VERDICT_DENY, KG_REASON_REVOKED,
			      "apps"));
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, cache_hits, 0);
	return 0;
}

/*
 * Reloads while decisions run: a thread applies four policies in turn
 * (allow, allow, deny, deny: the two slots alternate, so a slot's next
 * content differs from its last) while this thread runs the program.
 * Every decision must be the one of the generation its event names,
 * whole: its verdict, rule and the errno the exec saw.
 *
 * The reloads run back to back, so a decision may outlive the next
 * reload's start and see its slot refilled under it: that one must fail
 * closed (deny, internal_error, -ESTALE), never take the slot's next
 * policy.
 */
#define RACE_EXECS 200

struct race {
	struct kgi *t;
	struct kgi_prepared policy[2]; /* allow, deny */
	uint32_t first;                /* generation of the first apply */
	unsigned applies;
	int err;
	int started, stop;
};

static bool race_denies(const struct race *r, uint32_t generation)
{
	return ((generation - r->first) / 2) % 2 == 1;
}

static void *flip_policies(void *arg)
{
	struct race *r = arg;

	for (unsigned k = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); k++) {
		const struct kgi_prepared *p = &r->policy[(k / 2) % 2];
		uint32_t generation;

		r->err = kg_loader_apply(r->t->loader, p->policy, &p->scopes, &generation);
		if (r->err)
			break;
		if (k == 0) {
			r->first = generation;
			__atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
		}
		r->applies++;
	}
	__atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define RACE_POLICY                                                                           \
	POLICY_HEAD                                                                           \
	"rules:\n"                                                                            \
	"  - {name: race, operations: [exec], files: [@D@/bin/race], require: %s, log: all}\n"

static int reload_during_decisions(struct kgi *t)
{
	static int got[RACE_EXECS];
	struct race r = { .t = t };
	unsigned verdicts[2] = { 0 }, generations = 0, stale = 0;
	uint32_t last = 0, rule = 0; /* the policies' only rule */
	pthread_t flipper;
	int err = -1, n = 0;

	if (kgi_prepare(t, &r.policy[0], RACE_POLICY, "allow") ||
	    kgi_prepare(t, &r.policy[1], RACE_POLICY, "deny") || kgi_mark(t))
		goto out;
	err = pthread_create(&flipper, NULL, flip_policies, &r);
	if (err) {
		kgi_fail(t, __LINE__, "pthread_create: %s", strerror(err));
		err = -1;
		goto out;
	}
	while (!__atomic_load_n(&r.started, __ATOMIC_ACQUIRE))
		sched_yield();
	for (n = 0; n < RACE_EXECS && !r.err; n++) {
		got[n] = kgi_exec(t, "bin/race");
		if (got[n] < 0)
			break;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(flipper, NULL);
	err = -1;
	if (r.err) {
		kgi_fail(t, __LINE__, "kg_loader_apply in the flipping thread: %s", strerror(-r.err));
		goto out;
	}
	if (n < RACE_EXECS)
		goto out; /* kgi_exec said why */
	if (kgi_collect(t))
		goto out;
	if (t->n_events != RACE_EXECS) {
		kgi_fail(t, __LINE__, "%zu events for %d execs", t->n_events, RACE_EXECS);
		goto out;
	}
	for (int i = 0; i < RACE_EXECS; i++) {
		const struct kg_event *ev = &t->events[i];
		bool deny = race_denies(&r, ev->generation);
		uint32_t want_reason = deny ? KG_REASON_DENIED_BY_RULE : KG_REASON_ALLOWED_BY_RULE;

		if (ev->reason == KG_REASON_INTERNAL_ERROR && ev->error == -ESTALE &&
		    ev->verdict == KG_VERDICT_DENY && got[i] == EPERM && ev->generation >= r.first) {
			stale++; /* its slot was refilled under it: failed closed */
			continue;
		}
		if (ev->generation < r.first || ev->rule != rule || ev->reason != want_reason ||
		    ev->verdict != (deny ? KG_VERDICT_DENY : KG_VERDICT_ALLOW) ||
		    got[i] != (deny ? EPERM : 0)) {
			kgi_fail(t, __LINE__,
				 "exec %d: %s, event generation %u (first %u) verdict %s reason %s "
				 "rule %u: not the decision of that generation's policy", i,
				 kgi_errname(got[i]), ev->generation, r.first,
				 kg_verdict_name(ev->verdict), kg_reason_name(ev->reason), ev->rule);
			goto out;
		}
		verdicts[deny]++;
		generations += ev->generation != last;
		last = ev->generation;
	}
	printf("kg: %d execs under %u generations (%u applies): %u allowed, %u denied, "
	       "%u failed closed on a refilled slot\n",
	       RACE_EXECS, generations, r.applies, verdicts[0], verdicts[1], stale);
	if (!verdicts[0] || !verdicts[1]) {
		kgi_fail(t, __LINE__, "the policy never changed during the execs");
		goto out;
	}
	err = 0;
out:
	kgi_prepared_free(&r.policy[0]);
	kgi_prepared_free(&r.policy[1]);
	return err ? -1 : 0;
}

#define OVL "/tmp/kgi-overlay"

/* A signed program seen through overlayfs: the programs see the overlay's
 * inode (no fs-verity) and cannot reach the real file, so a signed rule
 * refuses it with reason overlay; the lower file itself passes. */
static int overlay(struct kgi *t)
{
	char options[8192];
	int err;

	if (mkdir(OVL, 0755) && errno != EEXIST)
		return kgi_fail(t, __LINE__, "mkdir %s: %s", OVL, strerror(errno));
	if ((mkdir(OVL "/upper", 0755) && errno != EEXIST) ||
	    (mkdir(OVL "/work", 0755) && errno != EEXIST) ||
	    (mkdir(OVL "/merged", 0755) && errno != EEXIST))
		return kgi_fail(t, __LINE__, "mkdir under %s: %s", OVL, strerror(errno));
	snprintf(options, sizeof(options), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
		 kgi_path(t, "lower"), OVL, OVL);
	if (mount("overlay", OVL "/merged", "overlay", 0, options))
		return kgi_fail(t, __LINE__, "mounting overlayfs on %s/merged: %s", OVL,
				strerror(errno));
	err = kgi_policy(t, POLICY_HEAD ORG_ANCHOR
			 "rules:\n"
			 "  - {name: layers, operations: [exec], paths: [@D@/lower/, " OVL "/merged/],\n"
			 "     require: signed, anchors: [org], log: all}\n");
	if (!err)
		err = exec_expect(t, "lower/signed-app", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED,
				  "layers");
	if (!err)
		err = exec_expect(t, OVL "/merged/signed-app", EPERM, KG_VERDICT_DENY,
				  KG_REASON_OVERLAY, "layers");
	umount(OVL "/merged");
	return err;
}

static const struct kgi_case cases[] = {
	{ "keyring-missing", keyring_missing },
	{ "keyring-invalidated", keyring_invalidated },
	{ "anchor-revoked-after-load", anchor_revoked },
	{ "scope-deeper-than-walk", too_deep },
	{ "path-longer-than-path-max", path_longer_than_path_max },
	{ "ring-buffer-full", ring_buffer_full },
	{ "reload-between-mmap-and-mprotect", reload_between_map_and_mprotect },
	{ "reload-drops-cached-verdict", reload_drops_cached_verdict },
	{ "reload-during-decisions", reload_during_decisions },
	{ "overlay", overlay },
};

int main(int argc, char **argv)
{
	return kgi_main(argc, argv, "failclosed", cases, sizeof(cases) / sizeof(cases[0]));
}

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * harness.h - the in-process BPF test tier (tests/vm/inproc). Each test
 * program loads keygate's BPF object through the agent library
 * (lib/loader.h), compiles YAML policies with the policy library, applies
 * them as the agent does, triggers a hook from its own process (exec,
 * mmap, mprotect, open, module loads) and asserts the errno the process
 * saw, the programs' counters (kg_loader_counters) and the ring-buffer
 * events (struct kg_event), the way the kernel's BPF selftests assert a
 * program's global data.
 *
 * A test program is a table of cases; kgi_main runs them in order on one
 * loaded object, prints "kg: PASS area/case" or "kg: FAIL area/case: why"
 * per case and exits 0 only when every case passed. Setup failures (the
 * object does not load, a fixture is missing) fail the program: the tier
 * never skips. `PROG --stop` ends what a crashed run left pinned (the
 * pinned state is guarded for this program's executable, so `keygate
 * stop` cannot).
 */
#ifndef KEYGATE_INPROC_HARNESS_H
#define KEYGATE_INPROC_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keygate_abi.h"
#include "keygate_policy.h"
#include "keyrings.h"
#include "loader.h"
#include "scopes.h"

/* A compiled policy ready for kg_loader_apply: anchors and scopes resolved. */
struct kgi_prepared {
	struct kg_compiled_policy *policy;
	struct kg_keyrings keyrings; /* its certificate anchors' keyrings */
	struct kg_scope_set scopes;
};

struct kgi {
	const char *data; /* the scenario's fixtures: /data/NAME */
	struct kg_loader *loader;
	struct kgi_prepared current;       /* applied by kgi_policy */
	struct kg_compiled_policy *policy; /* current.policy; NULL before the first */
	uint32_t generation;
	struct kg_counters mark;  /* counters at kgi_mark */
	struct kg_event *events;  /* delivered since kgi_mark */
	size_t n_events, cap_events;
	char why[1024];           /* the failed assertion */
};

struct kgi_case {
	const char *name;
	int (*run)(struct kgi *t); /* 0, or kgi_fail's -1 */
};

/* Runs every case of the table with argv[1] as the fixture directory. */
int kgi_main(int argc, char **argv, const char *area, const struct kgi_case *cases, size_t n);

/* Records why the current case failed; returns -1. */
int kgi_fail(struct kgi *t, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Compiles the YAML (a printf format; every "@D@" then becomes the fixture
 * directory), resolves its anchors and scopes and applies it; the previous
 * policy's keyrings are released once the new one is in force. */
int kgi_policy(struct kgi *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* kgi_policy's first half, for a test that applies policies itself. */
int kgi_prepare(struct kgi *t, struct kgi_prepared *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kgi_prepared_free(struct kgi_prepared *p);
/* Index of the rule named NAME in the policy in force, or KG_RULE_NONE. */
uint32_t kgi_rule(const struct kgi *t, const char *name);

/* Forgets the events so far and remembers the counters: what follows is
 * measured against this point. */
int kgi_mark(struct kgi *t);
/* Counters now minus counters at kgi_mark. */
int kgi_delta(struct kgi *t, struct kg_counters *out);
/* Delivers the events in the ring buffer into t->events. */
int kgi_collect(struct kgi *t);
/* Events about FILE (relative to the fixture directory, or absolute; NULL:
 * any, for loads from a buffer) for op among those collected; *only is the
 * one event when exactly one matched. */
size_t kgi_events_for(struct kgi *t, const char *file, uint32_t op, const struct kg_event **only);

/* Fixture path: the fixture directory joined with REL (static buffer
 * rotation: up to four at once). */
const char *kgi_path(const struct kgi *t, const char *rel);
/* "sha256:<hex>" fs-verity digest of a fixture, for revocation lists. */
int kgi_digest(const struct kgi *t, const char *rel, char *out, size_t size);

/* The operations under test, from this process. Each returns 0 when the
 * operation succeeded, else the errno the process saw; -1 with t->why set
 * when the test itself could not run it. */
int kgi_exec(struct kgi *t, const char *rel);
/* As uid and gid UID (no supplementary groups). */
int kgi_exec_as(struct kgi *t, uid_t uid, const char *rel);
int kgi_exec_at(struct kgi *t, int dirfd, const char *name);
int kgi_open_read(struct kgi *t, const char *rel);
int kgi_mmap_exec(struct kgi *t, const char *rel);
/* mmap(PROT_READ) now; kgi_mprotect_exec later adds PROT_EXEC. */
int kgi_map(struct kgi *t, const char *rel, void **addr, size_t *len);
int kgi_mprotect_exec(void *addr, size_t len);
void kgi_unmap(void *addr, size_t len);
int kgi_finit_module(struct kgi *t, const char *rel, int flags);
int kgi_init_module(struct kgi *t, const char *rel);
/* delete_module(name); 0 or errno. */
int kgi_remove_module(const char *name);

const char *kgi_errname(int err);

/*
 * Assertions: each ends the case with a message naming the line.
 */
#define KGI_CHECK(expr)                                                                        \
	do {                                                                                   \
		if ((expr) < 0)                                                                \
			return -1;                                                             \
	} while (0)

#define KGI_ASSERT(t, cond, ...)                                                               \
	do {                                                                                   \
		if (!(cond))                                                                   \
			return kgi_fail((t), __LINE__, __VA_ARGS__);                           \
	} while (0)

/* The operation must end with errno WANT (0: succeed). */
#define KGI_EXPECT_ERRNO(t, expr, want)                                                        \
	do {                                                                                   \
		int kgi_got_ = (expr);                                                         \
		if (kgi_got_ < 0)                                                              \
			return -1;                                                             \
		if (kgi_got_ != (want))                                                        \
			return kgi_fail((t), __LINE__, "%s gave %s, want %s", #expr,           \
					kgi_errname(kgi_got_), kgi_errname(want));             \
	} while (0)

/* A counter moved by exactly N since kgi_mark. */
#define KGI_EXPECT_COUNT(t, delta, field, n)                                                   \
	do {                                                                                   \
		if ((delta).field != (uint64_t)(n))                                            \
			return kgi_fail((t), __LINE__, "counters." #field " moved by %llu, want %llu", \
					(unsigned long long)(delta).field, (unsigned long long)(n)); \
	} while (0)

/* Exactly one event about FILE for OP since kgi_mark, with this verdict,
 * reason and rule (a name; NULL: no rule); *evp (if not NULL) is it. */
int kgi_expect_event(struct kgi *t, int line, const char *file, uint32_t op, uint32_t verdict,
		     uint32_t reason, const char *rule, const struct kg_event **evp);
#define KGI_EXPECT_EVENT(t, file, op, verdict, reason, rule, evp)                              \
	KGI_CHECK(kgi_expect_event((t), __LINE__, (file), (op), (verdict), (reason), (rule), (evp)))
/* No event about FILE for OP since kgi_mark. */
#define KGI_EXPECT_NO_EVENT(t, file, op)                                                       \
	do {                                                                                   \
		KGI_CHECK(kgi_collect(t));                                                     \
		size_t kgi_n_ = kgi_events_for((t), (file), (op), NULL);                       \
		if (kgi_n_)                                                                    \
			return kgi_fail((t), __LINE__, "%zu events about %s, want none", kgi_n_, \
					(file));                                               \
	} while (0)

#endif /* KEYGATE_INPROC_HARNESS_H */

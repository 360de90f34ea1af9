/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/* policy_fixture.h - what the policy library's unit tests share: the source
 * tree, a scratch directory, policy text with @CERTS@/@TMP@ expanded. */
#ifndef KEYGATE_TEST_POLICY_FIXTURE_H
#define KEYGATE_TEST_POLICY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "keygate_policy.h"

static const char *source_root;
static char certs_dir[4096];
static char tmp_dir[] = "/tmp/keygate-test-policy-XXXXXX";

/* Replaces @CERTS@ and @TMP@ so cases can name fixture files. */
static inline char *expand(const char *text)
{
	size_t cap = strlen(text) * 2 + 8192, len = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	while (*text) {
		const char *with = NULL;
		size_t skip = 0;

		if (strncmp(text, "@CERTS@", 7) == 0)
			with = certs_dir, skip = 7;
		else if (strncmp(text, "@TMP@", 5) == 0)
			with = tmp_dir, skip = 5;
		if (with) {
			assert_true(len + strlen(with) < cap);
			memcpy(out + len, with, strlen(with));
			len += strlen(with);
			text += skip;
		} else {
			assert_true(len + 1 < cap);
			out[len++] = *text++;
		}
	}
	out[len] = '\0';
	return out;
}

static inline int load_text(const char *text, struct kg_compiled_policy **policy,
		     struct kg_diagnostics *diags)
{
	char *yaml = expand(text);
	int err = kg_policy_load_buffer("t.yaml", yaml, strlen(yaml), policy, diags);

	free(yaml);
	return err;
}

static inline char *format_diag(const struct kg_diag *d)
{
	char *s = NULL;
	const char *sev = d->severity == KG_SEV_ERROR ? "error" : "warning";
	int n = d->line ? asprintf(&s, "%s:%u:%u: %s: %s", d->file, d->line, d->col, sev, d->message)
			: asprintf(&s, "%s: %s: %s", d->file, sev, d->message);

	assert_true(n > 0);
	return s;
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void write_text(const char *path, const char *text)
{
	char *expanded = expand(text);

	write_file(path, expanded, strlen(expanded));
	free(expanded);
}

#define HDR "keygate: 1\npolicy:\n  name: t\n  version: 1\n"
#define RULE_OK "rules:\n  - {name: r, operations: [exec], require: allow}\n"

/* The scratch directory @TMP@, made before a group and removed after it. */
static inline int scratch_setup(void **state)
{
	(void)state;
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static inline int scratch_teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* main() of a policy test program: PROGRAM SOURCE_ROOT runs the group. */
static inline int policy_tests_main(int argc, char **argv, const struct CMUnitTest *tests,
				    size_t n, CMFixtureFunction setup)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	source_root = argv[1];
	snprintf(certs_dir, sizeof(certs_dir), "%s/policy/examples/certs", source_root);
	return _cmocka_run_group_tests(argv[0], tests, n, setup, scratch_teardown);
}

#endif /* KEYGATE_TEST_POLICY_FIXTURE_H */

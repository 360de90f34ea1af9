// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_scopes.c - policy scopes bound to file identities (lib/scopes.c):
 * directory scopes to (device, inode) of the directory as the kernel sees
 * it, exact files to (parent, name), symbolic links followed, missing
 * scopes counted, duplicates merged, name hashes as keygate_abi.h defines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "scopes.h"

static char root[] = "/tmp/kg-scopes-XXXXXX";

static void make_tree(void)
{
	char path[512];

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/opt", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/opt/plugins", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", root);
	assert_int_equal(symlink("opt", path), 0);
}

static struct kg_compiled_policy *compile(void)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;
	char *yaml = NULL;
	int n = asprintf(&yaml,
			 "keygate: 1\npolicy: {name: t, version: 1}\nrules:\n"
			 "  - {name: opt, operations: [exec], paths: [%s/opt/], require: deny}\n"
			 "  - {name: plugins, operations: [exec], paths: [%s/opt/plugins/], require: allow}\n"
			 "  - {name: same, operations: [open_read], paths: [%s/link/], require: deny}\n"
			 "  - {name: tool, operations: [exec], files: [%s/opt/tool], require: allow}\n"
			 "  - {name: gone, operations: [exec], paths: [%s/missing/], require: deny}\n",
			 root, root, root, root, root);

	assert_true(n > 0);
	if (kg_policy_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diags)) {
		kg_diagnostics_print(&diags, stderr);
		fail_msg("policy does not compile");
	}
	kg_diagnostics_free(&diags);
	free(yaml);
	return p;
}

static const struct kg_scope_dir *find_dir(const struct kg_scope_set *s, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	for (size_t i = 0; i < s->n_dirs; i++)
		if (s->dirs[i].ino == st.st_ino)
			return &s->dirs[i];
	return NULL;
}

static void test_resolve(void **state)
{
	struct kg_compiled_policy *p;
	struct kg_scope_set s, again;
	const struct kg_scope_dir *opt, *plugins;

	(void)state;
	make_tree();
	p = compile();
	assert_int_equal(kg_scopes_resolve(p, &s), 0);

	opt = find_dir(&s, "opt");
	plugins = find_dir(&s, "opt/plugins");
	assert_non_null(opt);
	assert_non_null(plugins);
	/* opt/ and link/ are one directory: both scopes' rules merged */
	assert_int_equal(opt->value.rule[KG_OP_EXEC], 0);
	assert_int_equal(opt->value.rule[KG_OP_OPEN_READ], 2);
	assert_int_equal(plugins->value.rule[KG_OP_EXEC], 1);
	/* the device is the superblock's, as mountinfo (and the kernel) shows it */
	assert_int_not_equal(opt->dev, 0);

	assert_int_equal(s.n_files, 1);
	assert_int_equal(s.files[0].dir_ino, opt->ino);
	assert_int_equal(s.files[0].name_len, 4);
	assert_memory_equal(s.files[0].name, "tool", 4);
	assert_int_equal(s.files[0].value.rule[KG_OP_EXEC], 3);

	assert_int_equal(s.n_unresolved, 1);
	assert_non_null(strstr(s.first_unresolved, "/missing/"));
	assert_true(s.n_devs >= 1);
	assert_int_equal(s.devs[0].flags & KG_DEV_HAS_DIRS, KG_DEV_HAS_DIRS);

	assert_int_equal(kg_scopes_resolve(p, &again), 0);
	assert_true(kg_scopes_equal(&s, &again));
	kg_scopes_free(&again);
	kg_scopes_free(&s);
	kg_policy_free(p);
}

static void test_name_hash(void **state)
{
	uint64_t h = KG_NAME_HASH_SEED;

	(void)state;
	/* "tool" is one zero-padded little-endian word; "abcdefghij" two. */
	h = (h ^ 0x6c6f6f74ULL) * KG_NAME_HASH_PRIME;
	assert_int_equal(kg_name_hash("tool", 4), h);
	h = KG_NAME_HASH_SEED;
	h = (h ^ 0x6867666564636261ULL) * KG_NAME_HASH_PRIME;
	h = (h ^ 0x6a69ULL) * KG_NAME_HASH_PRIME;
	assert_int_equal(kg_name_hash("abcdefghij", 10), h);
}

static int cleanup(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_name_hash),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}

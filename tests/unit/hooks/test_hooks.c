// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_hooks.c - which decision programs a compiled policy needs attached
 * (lib/hooks.c): an exec-only policy leaves open, mmap, mprotect and the
 * kernel loads detached; a rule or a non-allow default brings a hook in;
 * programs that are not decision hooks are always needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hooks.h"
#include "keygate_policy.h"

static struct kg_compiled_policy *compile(const char *yaml)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;

	if (kg_policy_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diags)) {
		kg_diagnostics_print(&diags, stderr);
		fail_msg("policy does not compile");
	}
	kg_diagnostics_free(&diags);
	return p;
}

#define HEAD "keygate: 1\npolicy: {name: t, version: 1, default: allow}\nrules:\n"

static void test_exec_only(void **state)
{
	struct kg_compiled_policy *p = compile(
		HEAD "  - {name: x, operations: [exec], paths: [/opt/], require: deny}\n");

	(void)state;
	assert_true(kg_hook_needed("keygate_bprm_check_security", &p->config));
	assert_false(kg_hook_needed("keygate_file_open", &p->config));
	assert_false(kg_hook_needed("keygate_mmap_file", &p->config));
	assert_false(kg_hook_needed("keygate_file_mprotect", &p->config));
	assert_false(kg_hook_needed("keygate_kernel_read_file", &p->config));
	assert_false(kg_hook_needed("keygate_kernel_load_data", &p->config));
	assert_false(kg_hook_needed("keygate_kernel_post_load_data", &p->config));
	/* not decision hooks: always attached */
	assert_true(kg_hook_needed("keygate_inode_setxattr", &p->config));
	assert_true(kg_hook_needed("keygate_guard_bpf", &p->config));
	assert_true(kg_hook_needed("keygate_guard_bpf", NULL));
	assert_false(kg_hook_needed("keygate_file_open", NULL));
	kg_policy_free(p);
}

static void test_open_rule(void **state)
{
	struct kg_compiled_policy *p = compile(
		HEAD "  - {name: x, operations: [exec], paths: [/opt/], require: deny}\n"
		     "  - {name: y, operations: [open_read], paths: [/srv/], require: deny}\n");

	(void)state;
	assert_true(kg_hook_needed("keygate_file_open", &p->config));
	assert_false(kg_hook_needed("keygate_mmap_file", &p->config));
	kg_policy_free(p);
}

static void test_defaults(void **state)
{
	struct kg_compiled_policy *p = compile(
		"keygate: 1\npolicy: {name: t, version: 1, default: {open_read: audit, "
		"module_buffer: deny}}\nrules:\n"
		"  - {name: x, operations: [exec], paths: [/opt/], require: deny}\n");

	(void)state;
	assert_true(kg_hook_needed("keygate_file_open", &p->config));
	assert_true(kg_hook_needed("keygate_kernel_post_load_data", &p->config));
	assert_false(kg_hook_needed("keygate_mmap_file", &p->config));
	kg_policy_free(p);
}

static void test_loads(void **state)
{
	struct kg_compiled_policy *p = compile(
		HEAD "  - {name: m, operations: [module_file], paths: [/lib/modules/], require: allow}\n");

	(void)state;
	/* a read or load of unknown purpose fails closed once modules are covered */
	assert_true(kg_hook_needed("keygate_kernel_read_file", &p->config));
	assert_true(kg_hook_needed("keygate_kernel_load_data", &p->config));
	assert_false(kg_hook_needed("keygate_bprm_check_security", &p->config));
	kg_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_only),
		cmocka_unit_test(test_open_rule),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

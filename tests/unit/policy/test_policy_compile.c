// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_policy_compile.c - the map images the compiler makes of valid
 * policies: which rule decides (specificity, inheritance across gaps),
 * buffer rules, audit-only policies, the failure action, and the built-in
 * default. Messages for invalid ones: test_policy.c.
 *
 * Usage: test_policy_compile SOURCE_ROOT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keygate_policy.h"
#include "policy_fixture.h"

static const struct kg_path_entry *entry(const struct kg_compiled_policy *p, const char *path)
{
	for (size_t i = 0; i < p->n_paths; i++)
		if (strcmp(p->paths[i].key.path, path) == 0)
			return &p->paths[i];
	fail_msg("no path entry '%s'", path);
	return NULL;
}

static void test_specificity(void **state)
{
	static const char yaml[] = HDR
		"  mode: enforce\n"
		"  default: {kexec: deny, firmware: audit}\n"
		"anchors:\n"
		"  - {name: sys, system: secondary}\n"
		"  - {name: ring, keyring: 123456789}\n"
		"  - {name: ring2, keyring: \"%keyring:ops\"}\n"
		"  - {name: apps, certificates: [@CERTS@/apps.pem, @CERTS@/modules.der]}\n"
		"rules:\n"
		"  - {name: everything, operations: [exec, module_buffer], require: signed, anchors: [sys, ring2]}\n"
		"  - {name: opt, operations: [exec, mmap_exec], require: signed, anchors: [apps], paths: [/opt], mode: audit}\n"
		"  - {name: bin, operations: [mmap_exec], require: deny, paths: [/opt/bin/], log: all}\n"
		"  - {name: tool, operations: [exec], require: allow, files: [/opt/bin/tool]}\n"
		"  - {name: other, operations: [open_read], require: signed, anchors: [ring], paths: [/srv/, /opt/bin/]}\n";
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;
	const struct kg_path_entry *e;

	(void)state;
	assert_int_equal(load_text(yaml, &p, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_string_equal(p->name, "t");
	assert_int_equal(p->version, 1);
	assert_int_equal(p->mode, KG_MODE_ENFORCE);
	assert_string_equal(p->sig_xattr, KG_DEFAULT_SIG_XATTR);

	/* anchors */
	assert_int_equal(p->n_anchors, 4);
	assert_int_equal(p->anchors[0].kind, KG_ANCHOR_SYSTEM);
	assert_int_equal(p->anchors[0].id, KG_SYSTEM_SECONDARY);
	assert_int_equal(p->anchors[1].kind, KG_ANCHOR_KEYRING);
	assert_int_equal(p->anchors[1].id, 123456789);
	assert_null(p->anchor_info[1].keyring_description);
	assert_int_equal(p->anchors[2].kind, KG_ANCHOR_KEYRING);
	assert_int_equal(p->anchors[2].id, 0);
	assert_string_equal(p->anchor_info[2].keyring_description, "ops");
	assert_int_equal(p->anchors[3].kind, KG_ANCHOR_CERTS);
	assert_int_equal(p->anchors[3].id, 0);
	assert_int_equal(p->anchor_info[3].n_certs, 2);
	assert_string_equal(p->anchor_info[3].certs[0].subject,
			    "O=Example Corp, CN=Example Corp Application Signing");
	assert_string_equal(p->anchor_info[3].certs[1].subject,
			    "O=Example Corp, CN=Example Corp Kernel Module Signing");
	assert_true(p->anchor_info[3].certs[1].der[0] == 0x30);
	assert_string_equal(p->anchor_info[0].src.file, "t.yaml");
	assert_int_equal(p->anchor_info[0].src.line, 8);

	/* rules */
	assert_int_equal(p->n_rules, 5);
	assert_int_equal(p->rules[0].id, 0);
	assert_int_equal(p->rules[0].ops, 1u << KG_OP_EXEC | 1u << KG_OP_MODULE_BUFFER);
	assert_int_equal(p->rules[0].requirement, KG_REQ_SIGNED);
	assert_int_equal(p->rules[0].on_failure, KG_FAIL_DENY);
	assert_int_equal(p->rules[0].anchors, 1u << 0 | 1u << 2);
	assert_int_equal(p->rules[0].src_line, 13);
	assert_int_equal(p->rule_info[0].n_paths, 0);
	assert_int_equal(p->rules[1].on_failure, KG_FAIL_AUDIT); /* rule mode: audit */
	assert_int_equal(p->rules[1].anchors, 1u << 3);
	assert_string_equal(p->rule_info[1].paths[0], "/opt/");
	assert_int_equal(p->rules[2].requirement, KG_REQ_DENY);
	assert_int_equal(p->rules[2].flags, KG_RULE_LOG_ALLOWED);
	assert_int_equal(p->rules[3].requirement, KG_REQ_ALLOW);
	assert_string_equal(p->rule_info[3].paths[0], "/opt/bin/tool");
	assert_int_equal(p->rule_info[4].n_paths, 2);
	assert_int_equal(p->rule_info[4].src.line, 17);
	assert_int_equal(p->rule_info[4].src.col, 5);

	/* config */
	assert_int_equal(p->config.mode, KG_MODE_ENFORCE);
	assert_int_equal(p->config.n_rules, 5);
	assert_int_equal(p->config.default_action[KG_OP_KEXEC], KG_DEFAULT_DENY);
	assert_int_equal(p->config.default_action[KG_OP_FIRMWARE], KG_DEFAULT_AUDIT);
	assert_int_equal(p->config.default_action[KG_OP_EXEC], KG_DEFAULT_ALLOW);
	assert_int_equal(p->config.ops_covered,
			 1u << KG_OP_EXEC | 1u << KG_OP_MMAP_EXEC | 1u << KG_OP_OPEN_READ |
				 1u << KG_OP_MODULE_BUFFER | 1u << KG_OP_KEXEC | 1u << KG_OP_FIRMWARE);
	assert_memory_equal(p->config.digest, p->digest, 32);
	/* buffers: the strictest rule of any scope, or a stricter default */
	assert_int_equal(p->config.buffer_rule[KG_OP_MODULE_BUFFER], 0);
	assert_int_equal(p->config.buffer_rule[KG_OP_EXEC], 0);      /* enforce beats audit, allow */
	assert_int_equal(p->config.buffer_rule[KG_OP_MMAP_EXEC], 2); /* deny beats signed in audit */
	assert_int_equal(p->config.buffer_rule[KG_OP_KEXEC], KG_RULE_NONE);
	assert_int_equal(p->config.generation, 0);
	assert_false(kg_policy_is_audit_only(p));

	/* path table: sorted, one entry per scope, inherited values */
	assert_int_equal(p->n_paths, 5);
	assert_string_equal(p->paths[0].key.path, "");
	assert_string_equal(p->paths[1].key.path, "/opt/");
	assert_string_equal(p->paths[2].key.path, "/opt/bin/");
	assert_string_equal(p->paths[3].key.path, "/opt/bin/tool");
	assert_string_equal(p->paths[4].key.path, "/srv/");
	for (size_t i = 0; i < p->n_paths; i++) {
		assert_int_equal(p->paths[i].key.slot, 0);
		assert_int_equal(p->paths[i].key.len, strlen(p->paths[i].key.path));
		for (size_t k = p->paths[i].key.len; k < KG_PATH_KEY_BYTES; k++)
			assert_int_equal(p->paths[i].key.path[k], 0);
	}
	e = entry(p, "");
	assert_int_equal(e->value.rule[KG_OP_EXEC], 0);
	assert_int_equal(e->value.rule[KG_OP_MODULE_BUFFER], 0);
	assert_int_equal(e->value.rule[KG_OP_MMAP_EXEC], KG_RULE_NONE);
	assert_int_equal(e->value.rule[KG_OP_KEXEC], KG_RULE_NONE);
	e = entry(p, "/opt/");
	assert_int_equal(e->value.rule[KG_OP_EXEC], 1);
	assert_int_equal(e->value.rule[KG_OP_MMAP_EXEC], 1);
	assert_int_equal(e->value.rule[KG_OP_OPEN_READ], KG_RULE_NONE);
	e = entry(p, "/opt/bin/");
	assert_int_equal(e->value.rule[KG_OP_EXEC], 1);      /* inherited from /opt/ */
	assert_int_equal(e->value.rule[KG_OP_MMAP_EXEC], 2); /* more specific */
	assert_int_equal(e->value.rule[KG_OP_OPEN_READ], 4);
	e = entry(p, "/opt/bin/tool");
	assert_int_equal(e->value.rule[KG_OP_EXEC], 3);      /* exact file wins */
	assert_int_equal(e->value.rule[KG_OP_MMAP_EXEC], 2); /* inherited from /opt/bin/ */
	assert_int_equal(e->value.rule[KG_OP_OPEN_READ], 4);
	e = entry(p, "/srv/");
	assert_int_equal(e->value.rule[KG_OP_EXEC], 0); /* inherited from everything */
	assert_int_equal(e->value.rule[KG_OP_OPEN_READ], 4);

	/* The lookup the kernel side does: exact file, longest prefix, everything. */
	assert_string_equal(kg_policy_lookup(p, "/opt/bin/tool")->key.path, "/opt/bin/tool");
	assert_string_equal(kg_policy_lookup(p, "/opt/bin/other")->key.path, "/opt/bin/");
	assert_string_equal(kg_policy_lookup(p, "/opt/bin/tool/x")->key.path, "/opt/bin/");
	assert_string_equal(kg_policy_lookup(p, "/opt/binx")->key.path, "/opt/");
	assert_string_equal(kg_policy_lookup(p, "/opt")->key.path, "");
	assert_string_equal(kg_policy_lookup(p, "/opt/")->key.path, "/opt/");
	assert_string_equal(kg_policy_lookup(p, "/usr/bin/ls")->key.path, "");
	{
		char long_path[400];

		memset(long_path, 'x', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		memcpy(long_path, "/srv/", 5);
		assert_string_equal(kg_policy_lookup(p, long_path)->key.path, "/srv/");
	}
	kg_policy_free(p);
	kg_diagnostics_free(&diags);
}

/* A scope whose parent directory is not in the table inherits from the
 * nearest one that is; "all" in a scoped rule leaves module_buffer out. */
static void test_inheritance_gaps(void **state)
{
	static const char yaml[] = HDR
		"rules:\n"
		"  - {name: root, operations: [exec], require: deny, paths: [/]}\n"
		"  - {name: deep, operations: [all], require: allow, paths: [/a/b/c/]}\n"
		"  - {name: sibling, operations: [open_read], require: deny, paths: [/a/bc/]}\n";
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;

	(void)state;
	assert_int_equal(load_text(yaml, &p, &diags), 0);
	assert_int_equal(p->rules[1].ops, ((1u << KG_OP_COUNT) - 1) & ~(1u << KG_OP_MODULE_BUFFER));
	assert_int_equal(entry(p, "")->value.rule[KG_OP_EXEC], KG_RULE_NONE);
	assert_int_equal(entry(p, "/")->value.rule[KG_OP_EXEC], 0);
	assert_int_equal(entry(p, "/a/b/c/")->value.rule[KG_OP_EXEC], 1);
	assert_int_equal(entry(p, "/a/b/c/")->value.rule[KG_OP_MODULE_BUFFER], KG_RULE_NONE);
	/* "/a/bc/" is not under "/a/b/": it inherits from "/" only. */
	assert_int_equal(entry(p, "/a/bc/")->value.rule[KG_OP_EXEC], 0);
	assert_int_equal(entry(p, "/a/bc/")->value.rule[KG_OP_OPEN_READ], 2);
	assert_true(kg_policy_is_audit_only(p) == 0);
	kg_policy_free(p);
	kg_diagnostics_free(&diags);
}

/* A load from a buffer has no path: the strictest rule covering the
 * operation in any scope decides, unless a stricter default applies to the
 * paths no rule covers. */
static void test_buffer_rules(void **state)
{
	static const struct {
		const char *yaml;
		uint32_t op, rule;
	} cases[] = {
		{ HDR "anchors:\n  - {name: a, system: builtin}\nrules:\n"
		      "  - {name: all, operations: [kexec], require: allow}\n"
		      "  - {name: boot, operations: [kexec], require: signed, anchors: [a], paths: [/boot/]}\n",
		  KG_OP_KEXEC, 1 },
		{ HDR "rules:\n  - {name: audit, operations: [firmware], require: deny, mode: audit, paths: [/a/]}\n"
		      "  - {name: enforce, operations: [firmware], require: deny, paths: [/b/]}\n",
		  KG_OP_FIRMWARE, 1 },
		{ HDR "  default: {kexec: deny}\nrules:\n"
		      "  - {name: boot, operations: [kexec], require: deny, mode: audit, paths: [/boot/]}\n",
		  KG_OP_KEXEC, KG_RULE_NONE },
		{ HDR "  default: {kexec: deny}\nrules:\n"
		      "  - {name: all, operations: [kexec], require: allow}\n"
		      "  - {name: boot, operations: [kexec], require: deny, mode: audit, paths: [/boot/]}\n",
		  KG_OP_KEXEC, 1 },
		{ HDR "  default: {firmware: audit}\nrules:\n"
		      "  - {name: fw, operations: [firmware], require: allow, paths: [/lib/firmware/]}\n",
		  KG_OP_FIRMWARE, KG_RULE_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;

		assert_int_equal(load_text(cases[i].yaml, &p, &diags), 0);
		if (p->config.buffer_rule[cases[i].op] != cases[i].rule)
			fail_msg("buffer rule case %zu: rule %u, expected %u", i,
				 p->config.buffer_rule[cases[i].op], cases[i].rule);
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
}

static void test_audit_only(void **state)
{
	static const struct {
		const char *yaml;
		int audit_only;
	} cases[] = {
		{ HDR "  mode: audit\nrules:\n  - {name: r, operations: [exec], require: deny}\n", 1 },
		{ HDR "rules:\n  - {name: r, operations: [exec], require: deny}\n", 0 },
		{ HDR "rules:\n  - {name: r, operations: [exec], require: allow}\n", 1 },
		{ HDR "  mode: audit\n  default: deny\nrules:\n  - {name: r, operations: [exec], require: deny}\n", 0 },
		{ HDR "  mode: audit\nrules:\n  - {name: r, operations: [exec], require: deny, mode: enforce}\n", 0 },
		{ HDR "rules:\n  - {name: r, operations: [exec], require: deny, mode: audit}\n", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;

		assert_int_equal(load_text(cases[i].yaml, &p, &diags), 0);
		if (kg_policy_is_audit_only(p) != cases[i].audit_only)
			fail_msg("audit-only case %zu", i);
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
}

/* The outcome of a failure before the rule is known, per operation: the
 * strictest any covering rule or the default could have had. */
static void test_fail_action(void **state)
{
	static const struct {
		const char *yaml;
		uint32_t exec, open_read;
	} cases[] = {
		/* global audit, one enforcing rule: deny, not the global mode */
		{ HDR "  mode: audit\nanchors:\n  - {name: k, system: builtin}\nrules:\n  - {name: a, operations: [exec], paths: [/opt/], anchors: [k], require: signed, mode: enforce}\n  - {name: b, operations: [exec], paths: [/opt/x/], anchors: [k], require: signed}\n",
		  KG_FAIL_DENY, KG_FAIL_ALLOW },
		{ HDR "  mode: audit\nanchors:\n  - {name: k, system: builtin}\nrules:\n  - {name: a, operations: [exec, open_read], paths: [/opt/], anchors: [k], require: signed}\n",
		  KG_FAIL_AUDIT, KG_FAIL_AUDIT },
		{ HDR "rules:\n  - {name: a, operations: [exec], paths: [/opt/], require: allow}\n",
		  KG_FAIL_ALLOW, KG_FAIL_ALLOW },
		{ HDR "  default: deny\nrules:\n  - {name: a, operations: [exec], paths: [/opt/], require: allow}\n",
		  KG_FAIL_DENY, KG_FAIL_DENY },
		{ HDR "rules:\n  - {name: a, operations: [exec], paths: [/opt/], require: allow}\n  - {name: b, operations: [exec], paths: [/srv/], require: deny, mode: audit}\n",
		  KG_FAIL_AUDIT, KG_FAIL_ALLOW },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;

		if (load_text(cases[i].yaml, &p, &diags)) {
			kg_diagnostics_print(&diags, stderr);
			fail_msg("fail_action case %zu does not compile", i);
		}
		if (p->config.fail_action[KG_OP_EXEC] != cases[i].exec ||
		    p->config.fail_action[KG_OP_OPEN_READ] != cases[i].open_read)
			fail_msg("fail_action case %zu: exec %u open_read %u", i,
				 p->config.fail_action[KG_OP_EXEC],
				 p->config.fail_action[KG_OP_OPEN_READ]);
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
}

static void test_default_policy(void **state)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;
	const struct kg_path_entry *e;

	(void)state;
	assert_non_null(strstr(kg_policy_default_text(), "keygate: 1"));
	assert_int_equal(kg_policy_load_default(&p, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(p->mode, KG_MODE_AUDIT);
	assert_true(kg_policy_is_audit_only(p));
	for (size_t i = 0; i < p->n_rules; i++)
		assert_int_equal(p->rules[i].on_failure, KG_FAIL_AUDIT);
	for (int op = 0; op < KG_OP_COUNT; op++)
		assert_int_not_equal(p->config.default_action[op], KG_DEFAULT_DENY);
	e = entry(p, "");
	assert_int_not_equal(e->value.rule[KG_OP_MODULE_FILE], KG_RULE_NONE);
	assert_int_not_equal(e->value.rule[KG_OP_MODULE_BUFFER], KG_RULE_NONE);
	/* Every module load is logged, none fails: distributions do not sign
	 * modules with fs-verity. */
	for (int op = KG_OP_MODULE_FILE; op <= KG_OP_MODULE_BUFFER; op++) {
		assert_int_equal(p->rules[e->value.rule[op]].requirement, KG_REQ_ALLOW);
		assert_int_equal(p->rules[e->value.rule[op]].flags, KG_RULE_LOG_ALLOWED);
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *const dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };

		e = entry(p, dirs[i]);
		assert_int_not_equal(e->value.rule[KG_OP_EXEC], KG_RULE_NONE);
		assert_int_not_equal(e->value.rule[KG_OP_MMAP_EXEC], KG_RULE_NONE);
	}
	/* Only system keyrings: nothing for the agent to provision. */
	for (size_t i = 0; i < p->n_anchors; i++)
		assert_int_equal(p->anchors[i].kind, KG_ANCHOR_SYSTEM);
	kg_policy_free(p);
	kg_diagnostics_free(&diags);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_inheritance_gaps),
		cmocka_unit_test(test_buffer_rules),
		cmocka_unit_test(test_audit_only),
		cmocka_unit_test(test_fail_action),
		cmocka_unit_test(test_default_policy),
	};

	return policy_tests_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), scratch_setup);
}

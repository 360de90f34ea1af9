// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_policy_io.c - what goes in and out of the policy library: the
 * serialised blob and its determinism, drop-in directories, the shipped
 * examples, names and SHA-256, hex, printed diagnostics.
 *
 * Usage: test_policy_io SOURCE_ROOT
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keygate_policy.h"
#include "policy_fixture.h"

static uint8_t *blob_of(const struct kg_compiled_policy *p, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(kg_policy_write_blob(p, f), 0);
	assert_int_equal(fclose(f), 0);
	*len = size;
	return (uint8_t *)buf;
}

static void test_determinism_and_blob(void **state)
{
	char dir[4200], rel[4200], cwd[4096];
	const char *abs_path[1] = { dir }, *rel_path[1] = { rel };
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *a = NULL, *b = NULL;
	uint8_t *blob_a, *blob_b, body_digest[32];
	size_t len_a, len_b;
	uint64_t body_len = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/policy/examples/signed-apps", source_root);
	assert_int_equal(kg_policy_load(abs_path, 1, &a, &diags), 0);
	/* The same policy through another spelling of its path. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(source_root), 0);
	snprintf(rel, sizeof(rel), "policy/examples/./signed-apps/");
	assert_int_equal(kg_policy_load(rel_path, 1, &b, &diags), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_memory_equal(a->digest, b->digest, 32);
	assert_string_not_equal(a->sources[0], b->sources[0]);

	blob_a = blob_of(a, &len_a);
	blob_b = blob_of(a, &len_b);
	assert_int_equal(len_a, len_b);
	assert_memory_equal(blob_a, blob_b, len_a);
	free(blob_b);

	/* Header: magic, format, ABI, body length, digest of the body. */
	assert_memory_equal(blob_a, "KGPOLICY", 8);
	assert_int_equal(blob_a[8], 1);
	assert_int_equal(blob_a[12], KG_ABI_VERSION);
	for (int i = 0; i < 8; i++)
		body_len |= (uint64_t)blob_a[16 + i] << (8 * i);
	assert_true(56 + body_len < len_a); /* the trailer follows */
	kg_sha256(blob_a + 56, body_len, body_digest);
	assert_memory_equal(body_digest, a->digest, 32);
	assert_memory_equal(blob_a + 24, a->digest, 32);
	free(blob_a);

	/* Any change of meaning changes the digest. */
	{
		struct kg_compiled_policy *c = NULL, *d = NULL;

		assert_int_equal(load_text(HDR RULE_OK, &c, &diags), 0);
		assert_int_equal(load_text(HDR "rules:\n  - {name: r, operations: [exec], require: deny}\n", &d, &diags), 0);
		assert_memory_not_equal(c->digest, d->digest, 32);
		kg_policy_free(c);
		kg_policy_free(d);
	}
	kg_policy_free(a);
	kg_policy_free(b);
	kg_diagnostics_free(&diags);
}

static void mkdir_p(const char *path)
{
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void test_dropins(void **state)
{
	char dir[4200], path[4300], expected[9000];
	const char *args[1] = { dir };
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;
	char *got;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/dropin", tmp_dir);
	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/policy.d", dir);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	write_text(path, HDR "anchors:\n  - {name: sys, system: builtin}\n"
			 "rules:\n  - {name: base, operations: [exec], require: signed, anchors: [sys]}\n");
	/* Sorted by name, not by creation order; non-.yaml files ignored. */
	snprintf(path, sizeof(path), "%s/policy.d/20-second.yaml", dir);
	write_text(path, "keygate: 1\nrules:\n  - {name: second, operations: [kexec], require: deny}\n");
	snprintf(path, sizeof(path), "%s/policy.d/10-first.yaml", dir);
	write_text(path, "keygate: 1\nanchors:\n  - {name: local, certificates: [../../../../" "@CERTS@/apps.pem]}\n"
			 "rules:\n  - {name: first, operations: [open_read], require: signed, anchors: [local], paths: [/etc/app/]}\n");
	snprintf(path, sizeof(path), "%s/policy.d/README", dir);
	write_text(path, "not policy\n");
	snprintf(path, sizeof(path), "%s/policy.d/.30-hidden.yaml", dir);
	write_text(path, "garbage: [\n");

	assert_int_equal(kg_policy_load(args, 1, &p, &diags), 0);
	if (diags.count)
		kg_diagnostics_print(&diags, stderr);
	assert_int_equal(diags.count, 0);
	assert_int_equal(p->n_sources, 3);
	assert_non_null(strstr(p->sources[1], "10-first.yaml"));
	assert_int_equal(p->n_rules, 3);
	assert_string_equal(p->rule_info[0].name, "base");
	assert_string_equal(p->rule_info[1].name, "first");
	assert_string_equal(p->rule_info[2].name, "second");
	assert_ptr_equal(p->rule_info[1].src.file, p->sources[1]);
	assert_int_equal(p->rule_info[1].src.line, 5);
	assert_int_equal(p->anchor_info[1].n_certs, 1);
	kg_policy_free(p);
	kg_diagnostics_free(&diags);

	/* A header key defined twice: both places are named. */
	snprintf(path, sizeof(path), "%s/policy.d/40-bump.yaml", dir);
	write_text(path, "keygate: 1\npolicy:\n  version: 2\n");
	assert_int_equal(kg_policy_load(args, 1, &p, &diags), -EINVAL);
	got = format_diag(&diags.items[0]);
	snprintf(expected, sizeof(expected),
		 "%s/policy.d/40-bump.yaml:3:12: error: 'policy.version' is already defined at %s/policy.yaml:4:12",
		 dir, dir);
	assert_string_equal(got, expected);
	free(got);
	kg_diagnostics_free(&diags);
	unlink(path);

	/* Duplicate rule across files names the first file. */
	snprintf(path, sizeof(path), "%s/policy.d/50-dup.yaml", dir);
	write_text(path, "keygate: 1\nrules:\n  - {name: base, operations: [exec], require: allow}\n");
	assert_int_equal(kg_policy_load(args, 1, &p, &diags), -EINVAL);
	got = format_diag(&diags.items[0]);
	snprintf(expected, sizeof(expected),
		 "%s/policy.d/50-dup.yaml:3:5: error: rule 'base' is already defined at %s/policy.yaml:8:5",
		 dir, dir);
	assert_string_equal(got, expected);
	free(got);
	kg_diagnostics_free(&diags);
	unlink(path);

	/* A directory with nothing in it, and a missing file. */
	snprintf(dir, sizeof(dir), "%s/empty", tmp_dir);
	mkdir_p(dir);
	assert_int_equal(kg_policy_load(args, 1, &p, &diags), -EINVAL);
	got = format_diag(&diags.items[0]);
	snprintf(expected, sizeof(expected),
		 "%s: error: directory has no policy.yaml and no policy.d/*.yaml", dir);
	assert_string_equal(got, expected);
	free(got);
	kg_diagnostics_free(&diags);
	snprintf(dir, sizeof(dir), "%s/nope.yaml", tmp_dir);
	assert_int_equal(kg_policy_load(args, 1, &p, &diags), -EINVAL);
	got = format_diag(&diags.items[0]);
	snprintf(expected, sizeof(expected), "%s: error: cannot open: No such file or directory", dir);
	assert_string_equal(got, expected);
	free(got);
	kg_diagnostics_free(&diags);
}

static void test_examples(void **state)
{
	static const char *const examples[] = {
		"policy/examples/signed-apps",
		"policy/examples/module-signing.yaml",
		"policy/examples/protected-config.yaml",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[4200];
		const char *args[1] = { path };
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;

		snprintf(path, sizeof(path), "%s/%s", source_root, examples[i]);
		if (kg_policy_load(args, 1, &p, &diags) != 0 || diags.count != 0) {
			kg_diagnostics_print(&diags, stderr);
			fail_msg("example %s does not check clean", examples[i]);
		}
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
}

static void test_names_and_sha256(void **state)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t two_blocks[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
		0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1,
	};
	uint8_t out[32];

	(void)state;
	kg_sha256("abc", 3, out);
	assert_memory_equal(out, abc, 32);
	kg_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	assert_memory_equal(out, two_blocks, 32);
	for (uint32_t op = 0; op < KG_OP_COUNT; op++)
		assert_int_equal(kg_op_from_name(kg_op_name(op)), (int)op);
	assert_null(kg_op_name(KG_OP_COUNT));
	assert_int_equal(kg_op_from_name("all"), -EINVAL);
	assert_string_equal(kg_verdict_name(KG_VERDICT_AUDIT), "audit");
	assert_null(kg_verdict_name(3));
	assert_string_equal(kg_reason_name(KG_REASON_UNKNOWN_SIGNER), "unknown-signer");
	assert_null(kg_reason_name(KG_REASON_COUNT));
	for (uint32_t r = 1; r < KG_REASON_COUNT; r++)
		assert_non_null(kg_reason_name(r));
	assert_string_equal(kg_requirement_name(KG_REQ_SIGNED), "signed");
	assert_null(kg_requirement_name(0));
	assert_string_equal(kg_anchor_kind_name(KG_ANCHOR_KEYRING), "keyring");
	assert_null(kg_anchor_kind_name(4));
	assert_string_equal(kg_mode_name(KG_MODE_ENFORCE), "enforce");
	assert_string_equal(kg_mode_name(KG_MODE_AUDIT), "audit");
	assert_null(kg_mode_name(0));
	assert_null(kg_mode_name(3));
	assert_string_equal(kg_default_action_name(KG_DEFAULT_ALLOW), "allow");
	assert_string_equal(kg_default_action_name(KG_DEFAULT_DENY), "deny");
	assert_string_equal(kg_default_action_name(KG_DEFAULT_AUDIT), "audit");
	assert_null(kg_default_action_name(0));
	assert_null(kg_default_action_name(4));
	assert_string_equal(kg_system_keyring_name(KG_SYSTEM_BUILTIN), "builtin");
	assert_string_equal(kg_system_keyring_name(KG_SYSTEM_SECONDARY), "secondary");
	assert_string_equal(kg_system_keyring_name(KG_SYSTEM_PLATFORM), "platform");
	assert_null(kg_system_keyring_name(3));
}

static void test_hex(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
	char text[2 * sizeof(bytes) + 1];

	(void)state;
	memset(text, 'x', sizeof(text));
	kg_hex_encode(text, bytes, sizeof(bytes));
	assert_string_equal(text, "000fa5ff");
	kg_hex_encode(text, bytes, 0);
	assert_string_equal(text, "");
	assert_int_equal(kg_hex_value('0'), 0);
	assert_int_equal(kg_hex_value('9'), 9);
	assert_int_equal(kg_hex_value('a'), 10);
	assert_int_equal(kg_hex_value('F'), 15);
	assert_int_equal(kg_hex_value('g'), -1);
	assert_int_equal(kg_hex_value('/'), -1);
	assert_int_equal(kg_hex_value(':'), -1);
	assert_int_equal(kg_hex_value('@'), -1);
	assert_int_equal(kg_hex_value('`'), -1);
}

static void test_diagnostics_print(void **state)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *p = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	(void)state;
	assert_int_equal(load_text(HDR "  mode: x\n", &p, &diags), -EINVAL);
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	kg_diagnostics_print(&diags, f);
	fclose(f);
	assert_string_equal(buf, "t.yaml:5:9: error: unknown mode 'x' (expected enforce or audit)\n");
	assert_int_equal(diags.errors, 1);
	assert_int_equal(diags.warnings, 0);
	free(buf);
	kg_diagnostics_free(&diags);
	assert_int_equal(diags.count, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism_and_blob),
		cmocka_unit_test(test_dropins),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_names_and_sha256),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_diagnostics_print),
	};

	return policy_tests_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
				 scratch_setup);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_policy.c - the policy library's diagnostics: exact messages for
 * invalid policies, limits (and how fast hostile input is refused), keyring
 * forms, signature xattr names, warnings. The map images of valid policies:
 * test_policy_compile.c; files, drop-ins, the blob and the examples:
 * test_policy_io.c.
 *
 * Usage: test_policy SOURCE_ROOT
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "keygate_policy.h"
#include "policy_fixture.h"

struct invalid_case {
	const char *yaml;
	const char *message; /* one of the diagnostics, exactly */
};

static const struct invalid_case invalid_cases[] = {
	/* YAML itself */
	{ "keygate: 1\nrules: [\n", "t.yaml:3:1: error: YAML syntax error: did not find expected node content while parsing a flow node" },
	{ "keygate: 1\n  bad: indent\n", "t.yaml:2:6: error: YAML syntax error: mapping values are not allowed in this context" },
	{ "", "t.yaml:1:1: error: empty document: expected a keygate policy" },
	{ HDR RULE_OK "---\nkeygate: 1\n", "t.yaml:7:1: error: a policy file holds one YAML document; use drop-in files for more" },
	{ HDR "x: &a [1]\n", "t.yaml:5:1: error: unknown key 'x' in the policy file" },
	{ HDR "rules:\n  - &r {name: a, operations: [exec], require: allow}\n  - *r\n", "t.yaml:6:3: error: YAML aliases are not supported in keygate policy" },
	/* nesting: the root mapping is level 1, so the 32nd bracket is level 33 */
#define OPEN8 "[[[[[[[["
#define CLOSE8 "]]]]]]]]"
	{ "keygate: 1\nx: " OPEN8 OPEN8 OPEN8 "[[[[[[[]]]]]]]" CLOSE8 CLOSE8 CLOSE8 "\n", "t.yaml:2:1: error: unknown key 'x' in the policy file" },
	{ "keygate: 1\nx: " OPEN8 OPEN8 OPEN8 OPEN8 "\n", "t.yaml:2:35: error: mappings and lists are nested more than 32 levels deep" },
	{ "keygate: 1\nx: " OPEN8 OPEN8 OPEN8 OPEN8 "]]]\n", "t.yaml:2:35: error: mappings and lists are nested more than 32 levels deep" },
#define MAP8 "{a: {a: {a: {a: {a: {a: {a: {a: "
	{ "keygate: 1\nx: " MAP8 MAP8 MAP8 MAP8 "1", "t.yaml:2:128: error: mappings and lists are nested more than 32 levels deep" },
#define DASH8 "- - - - - - - - "
	{ "keygate: 1\nx:\n" DASH8 DASH8 DASH8 DASH8 "1\n", "t.yaml:3:63: error: mappings and lists are nested more than 32 levels deep" },
	/* the limit holds in a second document too, which is otherwise an error of its own */
	{ HDR RULE_OK "---\n" OPEN8 OPEN8 OPEN8 OPEN8 OPEN8 "\n", "t.yaml:8:33: error: mappings and lists are nested more than 32 levels deep" },
	/* top level and header */
	{ "- a\n", "t.yaml:1:1: error: the policy file must be a mapping, not a list" },
	{ "policy: {name: t, version: 1}\n" RULE_OK, "t.yaml:1:1: error: missing 'keygate: 1' (the schema version) at the top level" },
	{ "keygate: 2\n", "t.yaml:1:10: error: unsupported schema version 2: this keygate reads version 1" },
	{ "keygate: one\n", "t.yaml:1:10: error: 'keygate' must be an unsigned integer, not 'one'" },
	{ HDR "rulez: []\n", "t.yaml:5:1: error: unknown key 'rulez' in the policy file; did you mean 'rules'?" },
	{ "{[a]: 1}\n", "t.yaml:1:1: error: missing 'keygate: 1' (the schema version) at the top level" },
	{ "keygate: 1\n" RULE_OK, "t.yaml:1:1: error: missing 'policy' section (with name and version)" },
	{ "keygate: 1\npolicy: {name: t}\n" RULE_OK, "t.yaml:1:1: error: 'policy' has no 'version'" },
	{ "keygate: 1\npolicy: {version: 1}\n" RULE_OK, "t.yaml:1:1: error: 'policy' has no 'name'" },
	{ "keygate: 1\npolicy: [name]\n", "t.yaml:2:9: error: 'policy' must be a mapping, not a list" },
	{ HDR "  version: 2\n", "t.yaml:5:3: error: duplicate key 'version' in 'policy' (first at line 4)" },
	{ HDR "  mdoe: audit\n", "t.yaml:5:3: error: unknown key 'mdoe' in 'policy'; did you mean 'mode'?" },
	{ "keygate: 1\npolicy:\n  name: t\n  version: x\n", "t.yaml:4:12: error: 'version' must be an unsigned integer, not 'x'" },
	{ "keygate: 1\npolicy:\n  name: t\n  version: -1\n", "t.yaml:4:12: error: 'version' must be an unsigned integer, not '-1'" },
	{ "keygate: 1\npolicy:\n  name: t\n  version: \"3\"\n", "t.yaml:4:12: error: 'version' must be an unsigned integer, not '3'" },
	{ "keygate: 1\npolicy:\n  name: t\n  version: 18446744073709551616\n", "t.yaml:4:12: error: 'version' is too large (at most 18446744073709551615)" },
	{ "keygate: 1\npolicy:\n  name: my policy\n  version: 1\n", "t.yaml:3:9: error: policy name 'my policy' is invalid: use letters, digits, '-', '_' and '.' (at most 63)" },
	{ "keygate: 1\npolicy:\n  name: [a]\n  version: 1\n", "t.yaml:3:9: error: policy name must be a string, not a list" },
	{ "keygate: 1\npolicy:\n  name:\n  version: 1\n", "t.yaml:3:8: error: policy name must be a string, not empty" },
	{ "keygate: 1\npolicy:\n  name: \"a\\0b\"\n  version: 1\n", "t.yaml:3:9: error: policy name contains a NUL byte" },
	{ HDR "  mode: enforcing\n", "t.yaml:5:9: error: unknown mode 'enforcing'; did you mean 'enforce'?" },
	{ HDR "  default: {module_buffers: deny}\n", "t.yaml:5:13: error: unknown key 'module_buffers' in 'default'; did you mean 'module_buffer'?" },
	{ HDR RULE_OK "revocations:\n  certificate: []\n", "t.yaml:8:3: error: unknown key 'certificate' in 'revocations'; did you mean 'certificates'?" },
	{ HDR "  mode: strict\n", "t.yaml:5:9: error: unknown mode 'strict' (expected enforce or audit)" },
	{ HDR "  default: permit\n", "t.yaml:5:12: error: unknown default action 'permit' (expected allow, deny or audit)" },
	{ HDR "  default: [deny]\n", "t.yaml:5:12: error: 'default' must be allow, deny, audit or a mapping of operations, not a list" },
	{ HDR "  default: {exce: deny}\n", "t.yaml:5:13: error: unknown key 'exce' in 'default'; did you mean 'exec'?" },
	{ HDR "  default: {exec: dney}\n", "t.yaml:5:19: error: unknown default action 'dney'; did you mean 'deny'?" },
	{ HDR "  signature_xattr: security.ima\n", "t.yaml:5:20: error: signature_xattr 'security.ima' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)" },
	{ HDR "  signature_xattr: user.\n", "t.yaml:5:20: error: signature_xattr 'user.' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)" },
	{ HDR "  signature_xattr: security.bpf.\n", "t.yaml:5:20: error: signature_xattr 'security.bpf.' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)" },
	{ HDR "  signature_xattr: security.bpfx.sig\n", "t.yaml:5:20: error: signature_xattr 'security.bpfx.sig' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)" },
	{ HDR "  signature_xattr: trusted.keygate.sig\n", "t.yaml:5:20: error: signature_xattr 'trusted.keygate.sig' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)" },
	{ HDR "  signature_xattr: user.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "t.yaml:5:20: error: signature_xattr 'user.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is longer than 63 bytes" },
	{ HDR RULE_OK, NULL }, /* sanity: valid (see test) */
	{ "keygate: 1\npolicy:\n  name: t\n  version: 1\nrules: []\n", "t.yaml:1:1: error: policy has no rules" },
	/* anchors */
	{ HDR "anchors: {name: a}\n", "t.yaml:5:10: error: 'anchors' must be a list, not a mapping" },
	{ HDR "anchors:\n  - system: builtin\n", "t.yaml:6:5: error: an anchor has no 'name'" },
	{ HDR "anchors:\n  - name: a\n", "t.yaml:6:5: error: anchor 'a' needs one of 'certificates', 'keyring' or 'system'" },
	{ HDR "anchors:\n  - {name: a, system: builtin, keyring: 5}\n", "t.yaml:6:5: error: anchor 'a' gives more than one of 'certificates', 'keyring' and 'system'" },
	{ HDR "anchors:\n  - {name: a, system: builtn}\n", "t.yaml:6:23: error: unknown system keyring 'builtn'; did you mean 'builtin'?" },
	{ HDR "anchors:\n  - {name: a, system: machine}\n", "t.yaml:6:23: error: unknown system keyring 'machine' (expected builtin, secondary or platform)" },
	{ HDR "anchors:\n  - {name: a, keyring: 0}\n", "t.yaml:6:24: error: keyring serial must not be 0" },
	{ HDR "anchors:\n  - {name: a, keyring: 4294967296}\n", "t.yaml:6:24: error: keyring serial is too large (at most 2147483647)" },
	{ HDR "anchors:\n  - {name: a, keyring: [1]}\n", "t.yaml:6:24: error: 'keyring' must be a string, not a list" },
	{ HDR "anchors:\n  - {name: a, keyring: \"%user:ops\"}\n", "t.yaml:6:24: error: keyring '%user:ops' names a key of type 'user'; a trust anchor is a keyring ('%keyring:NAME')" },
	{ HDR "anchors:\n  - {name: a, keyring: \"%ops\"}\n", "t.yaml:6:24: error: keyring '%ops' is not '%keyring:NAME' or '%:NAME'" },
	{ HDR "anchors:\n  - {name: a, keyring: \"%keyring:\"}\n", "t.yaml:6:24: error: keyring description is empty" },
	{ HDR "anchors:\n  - {name: a, keyring: \"\"}\n", "t.yaml:6:24: error: keyring description is empty" },
	{ HDR "anchors:\n  - {name: a, certificates: []}\n", "t.yaml:6:29: error: 'certificates' is empty" },
	{ HDR "anchors:\n  - {name: a, certificates: x.pem}\n", "t.yaml:6:29: error: 'certificates' must be a list, not a scalar" },
	{ HDR "anchors:\n  - {name: a, certs: [x.pem]}\n", "t.yaml:6:15: error: unknown key 'certs' in anchor 'a'" },
	{ HDR "anchors:\n  - {name: a, certificate: [x.pem]}\n", "t.yaml:6:15: error: unknown key 'certificate' in anchor 'a'; did you mean 'certificates'?" },
	{ HDR "anchors:\n  - {name: a/b, system: builtin}\n", "t.yaml:6:12: error: anchor name 'a/b' is invalid: use letters, digits, '-', '_' and '.' (at most 63)" },
	{ HDR "anchors:\n  - {name: a, system: builtin}\n  - {name: a, system: secondary}\n"
	  "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [a]}\n",
	  "t.yaml:7:5: error: anchor 'a' is already defined at t.yaml:6:5" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/missing.pem]}\n" RULE_OK,
	  "t.yaml:6:30: error: cannot read certificate '@TMP@/missing.pem': No such file or directory" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/garbage.pem]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/garbage.pem': neither PEM nor DER" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/key.pem]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/key.pem': holds a PEM 'PRIVATE KEY' block, not a CERTIFICATE" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/truncated.der]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/truncated.der': not a DER SEQUENCE" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/notcert.der]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/notcert.der': not an X.509 Certificate (SEQUENCE of tbsCertificate, algorithm, signature)" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/trailing.der]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/trailing.der': 1 trailing bytes after the certificate" },
	{ HDR "anchors:\n  - {name: a, certificates: [@TMP@/unterminated.pem]}\n" RULE_OK,
	  "t.yaml:6:30: error: invalid certificate '@TMP@/unterminated.pem': PEM certificate block without an END line" },
	/* rules */
	{ HDR "rules: {name: r}\n", "t.yaml:5:8: error: 'rules' must be a list, not a mapping" },
	{ HDR "rules:\n  - {operations: [exec], require: allow}\n", "t.yaml:6:5: error: a rule has no 'name'" },
	{ HDR "rules:\n  - {name: r, require: allow}\n", "t.yaml:6:5: error: rule 'r' has no 'operations'" },
	{ HDR "rules:\n  - {name: r, operations: [exec]}\n", "t.yaml:6:5: error: rule 'r' has no 'require' (signed, allow or deny)" },
	{ HDR "rules:\n  - {name: r, operations: [], require: allow}\n", "t.yaml:6:27: error: 'operations' is empty" },
	{ HDR "rules:\n  - {name: r, operations: exec, require: allow}\n", "t.yaml:6:27: error: 'operations' must be a list, not a scalar" },
	{ HDR "rules:\n  - {name: r, operations: [exce], require: allow}\n", "t.yaml:6:28: error: unknown operation 'exce'; did you mean 'exec'?" },
	{ HDR "rules:\n  - {name: r, operations: [read], require: allow}\n", "t.yaml:6:28: error: unknown operation 'read' (expected exec, mmap_exec, mprotect_exec, open_read, module_file, module_buffer, firmware, kexec or all)" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: sign}\n", "t.yaml:6:44: error: unknown requirement 'sign'; did you mean 'signed'?" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, mode: permissive}\n", "t.yaml:6:57: error: unknown mode 'permissive' (expected enforce or audit)" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, log: everything}\n", "t.yaml:6:56: error: unknown log setting 'everything' (expected failures or all)" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, path: [/opt/]}\n", "t.yaml:6:51: error: unknown key 'path' in rule 'r'; did you mean 'paths'?" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: signed}\n", "t.yaml:6:5: error: rule 'r' requires a signature but names no 'anchors'" },
	{ HDR "anchors:\n  - {name: a, system: builtin}\n"
	  "rules:\n  - {name: r, operations: [exec], require: allow, anchors: [a]}\n",
	  "t.yaml:8:60: error: 'anchors' is only valid with 'require: signed'" },
	{ HDR "anchors:\n  - {name: org-apps, system: builtin}\n"
	  "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [orgapps]}\n",
	  "t.yaml:8:62: error: rule 'r' names undefined anchor 'orgapps'; did you mean 'org-apps'?" },
	{ HDR "anchors:\n  - {name: a, system: builtin}\n"
	  "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [zzz]}\n",
	  "t.yaml:8:62: error: rule 'r' names undefined anchor 'zzz'" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow}\n  - {name: r, operations: [kexec], require: deny}\n",
	  "t.yaml:7:5: error: rule 'r' is already defined at t.yaml:6:5" },
	/* scopes */
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: [opt/]}\n", "t.yaml:6:59: error: path 'opt/' is not absolute" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: [/a//b]}\n", "t.yaml:6:59: error: path '/a//b' is not normalised: it contains '//'" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: [/a/./b]}\n", "t.yaml:6:59: error: path '/a/./b' is not normalised: it contains '.'" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: [/a/..]}\n", "t.yaml:6:59: error: path '/a/..' is not normalised: it contains '..'" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: []}\n", "t.yaml:6:58: error: 'paths' is empty" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, files: [/etc/]}\n", "t.yaml:6:59: error: file '/etc/' ends with '/': list directories under 'paths'" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, files: [/]}\n", "t.yaml:6:59: error: file '/' ends with '/': list directories under 'paths'" },
	{ HDR "rules:\n  - {name: r, operations: [module_buffer], require: deny, paths: [/lib/]}\n",
	  "t.yaml:6:28: error: module_buffer has no file, so it cannot be scoped by 'paths' or 'files': put it in a rule without them" },
	{ HDR "rules:\n  - {name: r, operations: [exec], require: allow, paths: [/" /* 256 bytes with the '/' */
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]}\n",
	  "t.yaml:6:59: error: path '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is 256 bytes; the kernel matches at most 255 (KG_PATH_MAX)" },
	/* revocations */
	{ HDR RULE_OK "revocations:\n  digests: [\"sha256:abc\"]\n",
	  "t.yaml:8:13: error: revoked digest 'sha256:abc' must be 'sha256:' and 64 hex digits or 'sha512:' and 128 hex digits" },
	{ HDR RULE_OK "revocations:\n  digests: [\"md5:00\"]\n",
	  "t.yaml:8:13: error: revoked digest 'md5:00' must be 'sha256:' and 64 hex digits or 'sha512:' and 128 hex digits" },
	{ HDR RULE_OK "revocations:\n  digest: []\n", "t.yaml:8:3: error: unknown key 'digest' in 'revocations'; did you mean 'digests'?" },
	{ HDR RULE_OK "revocations:\n  certificates: [@TMP@/garbage.pem]\n",
	  "t.yaml:8:18: error: invalid certificate '@TMP@/garbage.pem': neither PEM nor DER" },
};

static void make_cert_fixtures(void)
{
	static const uint8_t not_cert[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	char path[4200], src[4200];
	uint8_t *der;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/garbage.pem", tmp_dir);
	write_file(path, "hello\n", 6);
	snprintf(path, sizeof(path), "%s/key.pem", tmp_dir);
	write_text(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	snprintf(path, sizeof(path), "%s/unterminated.pem", tmp_dir);
	write_text(path, "-----BEGIN CERTIFICATE-----\nMIIB\n");
	snprintf(path, sizeof(path), "%s/notcert.der", tmp_dir);
	write_file(path, not_cert, sizeof(not_cert));
	/* Real DER cut short, and with a byte appended. */
	snprintf(src, sizeof(src), "%s/modules.der", certs_dir);
	f = fopen(src, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	der = malloc((size_t)len + 1);
	assert_non_null(der);
	assert_int_equal(fread(der, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	snprintf(path, sizeof(path), "%s/truncated.der", tmp_dir);
	write_file(path, der, (size_t)len - 10);
	der[len] = 0;
	snprintf(path, sizeof(path), "%s/trailing.der", tmp_dir);
	write_file(path, der, (size_t)len + 1);
	free(der);
}

static void test_invalid_table(void **state)
{
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *policy = NULL;
		int err = load_text(c->yaml, &policy, &diags);

		if (!c->message) {
			if (err) {
				kg_diagnostics_print(&diags, stderr);
				fail_msg("case %zu should be valid", i);
			}
		} else {
			char *expected = expand(c->message), *got;

			if (err != -EINVAL || diags.count == 0 || policy) {
				print_error("case %zu: err %d, %zu diagnostics\n", i, err, diags.count);
				fail();
			}
			got = NULL;
			for (size_t k = 0; k < diags.count; k++) {
				free(got);
				got = format_diag(&diags.items[k]);
				if (strcmp(got, expected) == 0)
					break;
			}
			if (strcmp(got, expected) != 0) {
				print_error("case %zu:\n  expected: %s\n  first:    %s\n", i, expected,
					    format_diag(&diags.items[0]));
				failures++;
			}
			free(got);
			free(expected);
		}
		kg_policy_free(policy);
		kg_diagnostics_free(&diags);
	}
	assert_int_equal(failures, 0);
}

/* Generates "count" items of a kind to hit a map limit. */
static char *generate(const char *kind, size_t count)
{
	size_t cap = 256 + count * 128, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap, HDR "anchors:\n  - {name: sys, system: builtin}\n");
	if (strcmp(kind, "anchors") == 0)
		for (size_t i = 0; i < count; i++)
			len += (size_t)snprintf(s + len, cap - len, "  - {name: a%zu, system: builtin}\n", i);
	len += (size_t)snprintf(s + len, cap - len,
				"rules:\n  - {name: base, operations: [exec], require: signed, anchors: [sys]}\n");
	if (strcmp(kind, "rules") == 0)
		for (size_t i = 0; i < count; i++)
			len += (size_t)snprintf(s + len, cap - len,
						"  - {name: r%zu, operations: [exec], require: allow, files: [/f%zu]}\n",
						i, i);
	if (strcmp(kind, "paths") == 0) {
		len += (size_t)snprintf(s + len, cap - len,
					"  - name: many\n    operations: [exec]\n    require: allow\n    paths:\n");
		for (size_t i = 0; i < count; i++)
			len += (size_t)snprintf(s + len, cap - len, "      - /d%zu/\n", i);
	}
	if (strcmp(kind, "revoked") == 0) {
		len += (size_t)snprintf(s + len, cap - len, "revocations:\n  digests:\n");
		for (size_t i = 0; i < count; i++)
			len += (size_t)snprintf(s + len, cap - len, "    - sha256:%064zx\n", i);
	}
	assert_true(len < cap);
	return s;
}

static void expect_first_error(const char *yaml, const char *expected)
{
	struct kg_diagnostics diags = { 0 };
	struct kg_compiled_policy *policy = NULL;
	char *got = NULL;

	assert_int_equal(load_text(yaml, &policy, &diags), -EINVAL);
	assert_null(policy);
	for (size_t i = 0; i < diags.count && !got; i++)
		if (diags.items[i].severity == KG_SEV_ERROR)
			got = format_diag(&diags.items[i]);
	assert_non_null(got);
	assert_string_equal(got, expected);
	free(got);
	kg_diagnostics_free(&diags);
}

/* Both names bpf_get_file_xattr can read are accepted as they are. */
static void test_signature_xattr_names(void **state)
{
	static const char *const names[] = { "user.keygate.sig", "security.bpf.keygate.sig",
					     "security.bpf.x" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;
		char yaml[256];

		snprintf(yaml, sizeof(yaml), HDR "  signature_xattr: %s\n" RULE_OK, names[i]);
		assert_int_equal(load_text(yaml, &p, &diags), 0);
		assert_int_equal(diags.count, 0);
		assert_string_equal(p->sig_xattr, names[i]);
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
}

static void test_limits(void **state)
{
	char expected[256];
	char *yaml;

	(void)state;
	/* base rule + KG_MAX_RULES: the one too many starts line 8 + KG_MAX_RULES. */
	yaml = generate("rules", KG_MAX_RULES);
	snprintf(expected, sizeof(expected),
		 "t.yaml:%d:5: error: too many rules: %d (the kernel map holds KG_MAX_RULES = %d)",
		 8 + KG_MAX_RULES, KG_MAX_RULES + 1, KG_MAX_RULES);
	expect_first_error(yaml, expected);
	free(yaml);
	/* sys + 64 = 65 anchors: anchor 65 is at line 6 + 64. */
	yaml = generate("anchors", KG_MAX_ANCHORS);
	expect_first_error(yaml, "t.yaml:70:5: error: too many anchors: 65 (rules refer to anchors with a 64-bit mask, KG_MAX_ANCHORS = 64)");
	free(yaml);
	/* "everything" + KG_MAX_PATHS directories: the last directory overflows. */
	yaml = generate("paths", KG_MAX_PATHS);
	snprintf(expected, sizeof(expected),
		 "t.yaml:%d:9: error: too many distinct scopes: %d (the kernel map holds KG_MAX_PATHS = %d)",
		 12 + KG_MAX_PATHS, KG_MAX_PATHS + 1, KG_MAX_PATHS);
	expect_first_error(yaml, expected);
	free(yaml);
	yaml = generate("revoked", KG_MAX_REVOKED + 1);
	expect_first_error(yaml, "t.yaml:4107:7: error: too many revoked digests: 4097 (the kernel map holds KG_MAX_REVOKED = 4096)");
	free(yaml);
	/* Exactly at the limits is fine. */
	yaml = generate("paths", KG_MAX_PATHS - 1);
	{
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *policy = NULL;

		assert_int_equal(load_text(yaml, &policy, &diags), 0);
		assert_int_equal(policy->n_paths, KG_MAX_PATHS);
		kg_policy_free(policy);
		kg_diagnostics_free(&diags);
	}
	free(yaml);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 100,000 levels of flow lists, flow mappings and compact block lists are
 * rejected where level 33 opens, in well under a second: before the depth
 * limit libyaml's scanner took 13 s (time quadratic in the depth) on the
 * flow forms. The bound is CPU time, generous enough for an unoptimised
 * build on a loaded machine and far below what a quadratic walk needs.
 */
static void test_deep_nesting_is_rejected_quickly(void **state)
{
	static const struct {
		const char *head, *open, *close, *expected;
	} forms[] = {
		{ "keygate: 1\nx: ", "[", "]", "t.yaml:2:35: error: mappings and lists are nested more than 32 levels deep" },
		{ "keygate: 1\nx: ", "{a: ", "}", "t.yaml:2:128: error: mappings and lists are nested more than 32 levels deep" },
		{ "keygate: 1\nx:\n", "- ", "", "t.yaml:3:63: error: mappings and lists are nested more than 32 levels deep" },
	};
	const size_t depth = 100000;

	(void)state;
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		size_t lo = strlen(forms[f].open), lc = strlen(forms[f].close);
		char *yaml = malloc(strlen(forms[f].head) + depth * (lo + lc) + 2);
		size_t len = (size_t)sprintf(yaml, "%s", forms[f].head);
		double start;

		for (size_t i = 0; i < depth; i++, len += lo)
			memcpy(yaml + len, forms[f].open, lo);
		yaml[len++] = '1';
		for (size_t i = 0; i < depth; i++, len += lc)
			memcpy(yaml + len, forms[f].close, lc);
		yaml[len] = '\0';
		start = cpu_seconds();
		expect_first_error(yaml, forms[f].expected);
		if (cpu_seconds() - start >= 1.0)
			fail_msg("form %zu: %.2f s of CPU time for %zu levels", f,
				 cpu_seconds() - start, depth);
		free(yaml);
	}
}

/*
 * 100,000 scopes in one rule, anchors or revoked digests are rejected for
 * the kernel's limits in time linear in their number: the checks for
 * repeats used to compare every pair (minutes for these files).
 */
static void test_wide_policies_are_rejected_quickly(void **state)
{
	const size_t n = 100000;
	static const char *const kinds[] = { "paths", "anchors", "revoked" };
	char expected[3][256];

	(void)state;
	snprintf(expected[0], sizeof(expected[0]),
		 "t.yaml:%d:9: error: too many distinct scopes: %zu (the kernel map holds KG_MAX_PATHS = %d)",
		 12 + KG_MAX_PATHS, n + 1, KG_MAX_PATHS);
	snprintf(expected[1], sizeof(expected[1]),
		 "t.yaml:70:5: error: too many anchors: %zu (rules refer to anchors with a 64-bit mask, KG_MAX_ANCHORS = 64)",
		 n + 1);
	snprintf(expected[2], sizeof(expected[2]),
		 "t.yaml:4107:7: error: too many revoked digests: %zu (the kernel map holds KG_MAX_REVOKED = 4096)",
		 n);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *yaml = generate(kinds[i], n);
		double start = cpu_seconds();

		expect_first_error(yaml, expected[i]);
		if (cpu_seconds() - start >= 3.0)
			fail_msg("%zu %s: %.2f s of CPU time", n, kinds[i], cpu_seconds() - start);
		free(yaml);
	}
}

/* The keyring forms keygate-policy(5) documents, its example as written. */
static void test_keyring_forms(void **state)
{
	static const char *const forms[][2] = {
		{ "ops", "ops" },
		{ "\"%keyring:ops\"", "ops" },
		{ "\"%:ops\"", "ops" },
		{ "\"%keyring:%:x\"", "%:x" },
		{ "\"12a\"", "12a" },
		{ NULL, "ops" }, /* the man page's example */
	};
	char path[4096], *man, *example, *end, yaml[512];
	size_t len;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/policy/keygate-policy.5", source_root);
	f = fopen(path, "rb");
	assert_non_null(f);
	man = calloc(1, 1 << 20);
	assert_non_null(man);
	len = fread(man, 1, (1 << 20) - 1, f);
	fclose(f);
	man[len] = '\0';
	example = strstr(man, "e.g.\n\\fB\"%keyring:");
	assert_non_null(example);
	example += 8;
	end = strstr(example, "\\fR");
	assert_non_null(end);
	*end = '\0';
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *p = NULL;

		snprintf(yaml, sizeof(yaml),
			 HDR "anchors:\n  - {name: ring, keyring: %s}\n"
			     "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [ring]}\n",
			 forms[i][0] ? forms[i][0] : example);
		if (load_text(yaml, &p, &diags)) {
			kg_diagnostics_print(&diags, stderr);
			fail_msg("form %s", forms[i][0] ? forms[i][0] : example);
		}
		assert_string_equal(p->anchor_info[0].keyring_description, forms[i][1]);
		kg_policy_free(p);
		kg_diagnostics_free(&diags);
	}
	free(man);
}

/* Warnings leave the policy valid. */
struct warning_case {
	const char *yaml;
	const char *message;
};

static const struct warning_case warning_cases[] = {
	{ HDR "rules:\n  - {name: a, operations: [exec, mmap_exec], require: allow, paths: [/opt]}\n"
	      "  - {name: b, operations: [exec, open_read], require: deny, paths: [/opt/]}\n",
	  "t.yaml:7:69: warning: rule 'b' is shadowed by rule 'a' (t.yaml:6) for exec in /opt/" },
	{ HDR "rules:\n  - {name: a, operations: [all], require: allow}\n  - {name: b, operations: [kexec], require: deny}\n",
	  "t.yaml:7:5: warning: rule 'b' is shadowed by rule 'a' (t.yaml:6) for kexec in the scope 'everything'" },
	{ HDR "rules:\n  - {name: boot, operations: [exec, kexec], require: deny, paths: [/boot/]}\n",
	  "t.yaml:6:37: warning: kexec from a buffer (kexec_load) has no path: it is decided by the strictest rule covering kexec in any scope, which may be this one, and a buffer fails 'signed'" },
	{ HDR "anchors:\n  - {name: unused, system: platform}\n" RULE_OK,
	  "t.yaml:6:5: warning: anchor 'unused' is not used by any rule" },
	{ HDR "rules:\n  - {name: a, operations: [exec], require: allow, paths: [/opt/, /opt]}\n",
	  "t.yaml:6:66: warning: '/opt/' is listed twice in rule 'a'" },
	{ HDR RULE_OK "revocations:\n  digests:\n    - sha256:0000000000000000000000000000000000000000000000000000000000000001\n"
	  "    - sha256:0000000000000000000000000000000000000000000000000000000000000001\n",
	  "t.yaml:10:7: warning: digest 'sha256:0000000000000000000000000000000000000000000000000000000000000001' is already revoked" },
	{ HDR "anchors:\n  - {name: apps, certificates: [@CERTS@/apps.pem]}\n"
	  "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [apps]}\n"
	  "revocations:\n  certificates: [@CERTS@/apps.pem]\n",
	  "t.yaml:10:18: warning: certificate '@CERTS@/apps.pem' is both trusted by anchor 'apps' and revoked: the agent leaves it out of that anchor's keyring" },
	{ HDR "anchors:\n  - {name: distro, system: builtin}\n"
	  "rules:\n  - {name: r, operations: [exec], require: signed, anchors: [distro]}\n"
	  "revocations:\n  certificates: [@CERTS@/old-apps.pem]\n",
	  "t.yaml:10:18: warning: revoking certificate '@CERTS@/old-apps.pem' only affects certificate anchors: keyring and system anchors such as 'distro' may still trust it" },
};

static void test_warnings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(warning_cases) / sizeof(warning_cases[0]); i++) {
		struct kg_diagnostics diags = { 0 };
		struct kg_compiled_policy *policy = NULL;
		char *expected = expand(warning_cases[i].message), *got;

		if (load_text(warning_cases[i].yaml, &policy, &diags) != 0) {
			kg_diagnostics_print(&diags, stderr);
			fail_msg("warning case %zu should be valid", i);
		}
		assert_int_equal(diags.errors, 0);
		assert_int_equal(diags.warnings, 1);
		got = format_diag(&diags.items[0]);
		if (strcmp(got, expected) != 0) {
			print_error("warning case %zu:\n  expected: %s\n  got:      %s\n", i, expected, got);
			fail();
		}
		free(got);
		free(expected);
		kg_policy_free(policy);
		kg_diagnostics_free(&diags);
	}
}

static int setup(void **state)
{
	if (scratch_setup(state))
		return -1;
	/* Needs certs_dir, which policy_tests_main sets before the group. */
	make_cert_fixtures();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_deep_nesting_is_rejected_quickly),
		cmocka_unit_test(test_wide_policies_are_rejected_quickly),
		cmocka_unit_test(test_keyring_forms),
		cmocka_unit_test(test_signature_xattr_names),
		cmocka_unit_test(test_warnings),
	};

	return policy_tests_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), setup);
}

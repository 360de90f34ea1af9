// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_keyrings.c - lib/keyrings.c against the running kernel's keyrings
 * (no root needed: everything lives in this process's keyring).
 */
#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <keyutils.h>

#include "keyrings.h"
#include "log.h"
#include "test_cert.h"

static char last_error[1024];

/* The library's logging sink: the last error, for the messages' checks. */
static void keep_error(enum kg_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == KG_LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

/* A compiled policy with one anchor, built by hand. */
struct one_anchor {
	struct kg_compiled_policy policy;
	struct kg_anchor anchor;
	struct kg_anchor_info info;
	struct kg_certificate cert;
};

static void one_anchor_init(struct one_anchor *p, uint32_t kind)
{
	memset(p, 0, sizeof(*p));
	p->policy.name = "unit";
	p->policy.anchors = &p->anchor;
	p->policy.anchor_info = &p->info;
	p->policy.n_anchors = 1;
	p->anchor.kind = kind;
	p->info.name = "org";
	p->info.kind = kind;
	p->cert.path = "test_cert.der";
	p->cert.der = (uint8_t *)test_cert_der;
	p->cert.der_len = test_cert_der_len;
	if (kind == KG_ANCHOR_CERTS) {
		p->info.certs = &p->cert;
		p->info.n_certs = 1;
	}
}

/* Number of keys linked in keyring `ring`, or -errno. */
static long keys_in(key_serial_t ring)
{
	long size = keyctl_read(ring, NULL, 0);

	return size < 0 ? -errno : size / (long)sizeof(key_serial_t);
}

static bool process_keyring_links(key_serial_t serial)
{
	key_serial_t links[256];
	long size = keyctl_read(KEY_SPEC_PROCESS_KEYRING, (char *)links, sizeof(links));

	for (long i = 0; i < size / (long)sizeof(key_serial_t) && i < 256; i++)
		if (links[i] == serial)
			return true;
	return false;
}

static void test_certs_anchor_gets_a_keyring_with_the_certificate(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;
	char *description = NULL;
	key_serial_t ring;

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_CERTS);
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	ring = (key_serial_t)p.anchor.id;
	assert_true(ring > 0);
	assert_int_equal(k.n_created, 1);
	assert_true(keyctl_describe_alloc(ring, &description) > 0);
	assert_non_null(strstr(description, "keyring;"));
	assert_non_null(strstr(description, ";keygate:unit:org:"));
	free(description);
	assert_int_equal(keys_in(ring), 1);
	assert_true(process_keyring_links(ring));

	kg_keyrings_release(&k);
	assert_false(process_keyring_links(ring));
	assert_int_equal(k.n_created, 0);
}

static void test_each_resolve_makes_a_new_keyring(void **state)
{
	struct one_anchor a, b;
	struct kg_keyrings ka, kb;

	(void)state;
	one_anchor_init(&a, KG_ANCHOR_CERTS);
	one_anchor_init(&b, KG_ANCHOR_CERTS);
	assert_int_equal(kg_keyrings_resolve(&a.policy, &ka), 0);
	assert_int_equal(kg_keyrings_resolve(&b.policy, &kb), 0);
	/* The old policy's keyring must survive the new one's creation. */
	assert_int_not_equal(a.anchor.id, b.anchor.id);
	assert_true(process_keyring_links((key_serial_t)a.anchor.id));
	assert_true(process_keyring_links((key_serial_t)b.anchor.id));
	kg_keyrings_release(&ka);
	kg_keyrings_release(&kb);
}

static void test_revoked_certificate_is_left_out(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;
	uint8_t revoked[1][32];

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_CERTS);
	memset(p.cert.sha256, 0x5a, sizeof(p.cert.sha256));
	memcpy(revoked[0], p.cert.sha256, 32);
	p.policy.revoked_certs = revoked;
	p.policy.n_revoked_certs = 1;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(keys_in((key_serial_t)p.anchor.id), 0);
	kg_keyrings_release(&k);
}

static void test_invalid_certificate_is_reported_and_nothing_stays(void **state)
{
	static const uint8_t garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct one_anchor p;
	struct kg_keyrings k = { 0 };
	key_serial_t before;
	int err;

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_CERTS);
	p.cert.der = (uint8_t *)garbage;
	p.cert.der_len = sizeof(garbage);
	before = (key_serial_t)keys_in(KEY_SPEC_PROCESS_KEYRING);
	err = kg_keyrings_resolve(&p.policy, &k);
	assert_int_equal(err, -EBADMSG);
	assert_non_null(strstr(last_error, "anchor org"));
	assert_non_null(strstr(last_error, "test_cert.der"));
	assert_int_equal(k.n_created, 0);
	assert_int_equal(keys_in(KEY_SPEC_PROCESS_KEYRING), before);
}

static void test_keyring_by_description_is_found(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;
	key_serial_t ring;

	(void)state;
	ring = add_key("keyring", "keygate-unit-existing", NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	assert_true(ring > 0);
	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	p.info.keyring_description = "keygate-unit-existing";
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(p.anchor.id, (uint64_t)ring);
	assert_int_equal(k.n_created, 0); /* not ours: never unlinked */
	kg_keyrings_release(&k);
	keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
}

static void test_missing_keyring_description_is_reported(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	p.info.keyring_description = "keygate-unit-no-such-ring";
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), -ENOKEY);
	assert_non_null(strstr(last_error, "keygate-unit-no-such-ring"));
}

static void test_keyring_serial_is_checked(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;
	key_serial_t ring, user_key;

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	ring = add_key("keyring", "keygate-unit-by-serial", NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	assert_true(ring > 0);
	p.anchor.id = (uint32_t)ring;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(p.anchor.id, (uint64_t)ring);

	/* A typo'd serial is reported at start, not at the first decision. */
	keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
	p.anchor.id = 0x7ffffff0;
	assert_true(kg_keyrings_resolve(&p.policy, &k) < 0);
	assert_non_null(strstr(last_error, "keyring serial 2147483632"));

	user_key = add_key("user", "keygate-unit-not-a-ring", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	assert_true(user_key > 0);
	p.anchor.id = (uint32_t)user_key;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), -EINVAL);
	assert_non_null(strstr(last_error, "not a keyring"));
	keyctl_unlink(user_key, KEY_SPEC_PROCESS_KEYRING);
}

/* The owner and permission rule, case by case (no root needed). */
static void test_untrusted_keyring_rule(void **state)
{
	static const struct {
		uint32_t uid, perm, agent_uid;
		const char *why; /* NULL: may be an anchor */
	} cases[] = {
		/* keyctl newring by root: possessor all, owner view */
		{ 0, 0x3f010000, 0, NULL },
		{ 0, KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_VIEW | KEY_GRP_READ | KEY_GRP_SEARCH |
			     KEY_OTH_VIEW | KEY_OTH_READ | KEY_OTH_SEARCH, 0, NULL },
		/* a user's keyring, however locked down */
		{ 1000, 0x3f010000, 0, "it is not owned by root" },
		{ 1000, KEY_POS_ALL | KEY_USR_ALL | KEY_OTH_VIEW, 0, "it is not owned by root" },
		{ 65534, 0, 0, "it is not owned by root" },
		/* an agent run as another user trusts its own keyrings too */
		{ 1000, 0x3f010000, 1000, NULL },
		{ 1001, 0x3f010000, 1000, "it is not owned by root" },
		/* root's, but others may change it */
		{ 0, 0x3f010000 | KEY_OTH_WRITE, 0, "everyone may write, link or change it" },
		{ 0, 0x3f010000 | KEY_OTH_LINK, 0, "everyone may write, link or change it" },
		{ 0, 0x3f010000 | KEY_OTH_SETATTR, 0, "everyone may write, link or change it" },
		{ 0, 0x3f010000 | KEY_OTH_ALL, 0, "everyone may write, link or change it" },
		{ 0, 0x3f010000 | KEY_GRP_WRITE, 0, "its group may write, link or change it" },
		{ 0, 0x3f010000 | KEY_GRP_LINK, 0, "its group may write, link or change it" },
		{ 0, 0x3f010000 | KEY_GRP_SETATTR, 0, "its group may write, link or change it" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = kg_keyring_untrusted(cases[i].uid, cases[i].perm,
						       cases[i].agent_uid);

		if (!cases[i].why && why)
			fail_msg("case %zu: refused (%s)", i, why);
		if (cases[i].why && (!why || strcmp(why, cases[i].why) != 0))
			fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].why,
				 why ? why : "accepted");
	}
}

/* A keyring others may change is refused, by description and by serial. */
static void test_keyring_others_may_change_is_refused(void **state)
{
	static const key_perm_t loose[] = { KEY_OTH_WRITE, KEY_OTH_LINK, KEY_OTH_SETATTR,
					    KEY_GRP_WRITE, KEY_GRP_LINK, KEY_GRP_SETATTR };
	struct one_anchor p;
	struct kg_keyrings k;
	key_serial_t ring;

	(void)state;
	ring = add_key("keyring", "keygate-unit-loose", NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	assert_true(ring > 0);
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(keyctl_setperm(ring, KEY_POS_ALL | KEY_USR_ALL | KEY_OTH_VIEW | loose[i]), 0);
		one_anchor_init(&p, KG_ANCHOR_KEYRING);
		p.info.src = (struct kg_source_ref){ "p.yaml", 7, 5 };
		p.info.keyring_description = "keygate-unit-loose";
		assert_int_equal(kg_keyrings_resolve(&p.policy, &k), -EPERM);
		assert_int_equal(p.anchor.id, 0);
		assert_non_null(strstr(last_error, "p.yaml:7:5: anchor org: keyring 'keygate-unit-loose' in the agent's process keyring (serial "));
		assert_non_null(strstr(last_error, "cannot be a trust anchor: "));
		assert_non_null(strstr(last_error, loose[i] & 0xff ? "everyone may" : "its group may"));

		one_anchor_init(&p, KG_ANCHOR_KEYRING);
		p.anchor.id = (uint32_t)ring;
		assert_int_equal(kg_keyrings_resolve(&p.policy, &k), -EPERM);
		assert_non_null(strstr(last_error, "anchor org: keyring serial "));
	}
	/* The same keyring, locked down again, is an anchor. */
	assert_int_equal(keyctl_setperm(ring, KEY_POS_ALL | KEY_USR_ALL | KEY_OTH_VIEW), 0);
	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	p.info.keyring_description = "keygate-unit-loose";
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(p.anchor.id, (uint64_t)ring);
	keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
}

/*
 * A keyring outside the agent's keyrings is not found, even when the agent
 * may view it: keyutils' find-by-description (keyctl's "%:NAME") scans
 * /proc/keys and takes it, which is how another user's keyring became an
 * anchor. Here another process holds it in its own process keyring.
 */
static void test_keyring_elsewhere_is_not_found(void **state)
{
	static char description[] = "keygate-unit-elsewhere";
	int ready[2], done[2];
	key_serial_t theirs;
	struct one_anchor p;
	struct kg_keyrings k;
	pid_t child;
	int status;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;
		key_serial_t ring = add_key("keyring", description, NULL, 0,
					    KEY_SPEC_PROCESS_KEYRING);

		if (ring < 0 || keyctl_setperm(ring, KEY_POS_ALL | KEY_USR_ALL | KEY_OTH_VIEW) < 0)
			ring = 0;
		if (write(ready[1], &ring, sizeof(ring)) != sizeof(ring))
			_exit(1);
		_exit(read(done[0], &c, 1) < 0);
	}
	assert_int_equal(read(ready[0], &theirs, sizeof(theirs)), sizeof(theirs));
	assert_true(theirs > 0);
	/* Control: the scan finds it. */
	assert_int_equal(find_key_by_type_and_desc("keyring", description, 0), theirs);

	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	p.info.keyring_description = description;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), -ENOKEY);
	assert_int_equal(p.anchor.id, 0);
	assert_non_null(strstr(last_error, "keyring 'keygate-unit-elsewhere' not found"));

	assert_int_equal(write(done[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
}

static void test_keyring_in_user_keyring_is_found(void **state)
{
	char description[64];
	struct one_anchor p;
	struct kg_keyrings k;
	key_serial_t ring;

	(void)state;
	snprintf(description, sizeof(description), "keygate-unit-user-%d", (int)getpid());
	ring = add_key("keyring", description, NULL, 0, KEY_SPEC_USER_KEYRING);
	assert_true(ring > 0);
	one_anchor_init(&p, KG_ANCHOR_KEYRING);
	p.info.keyring_description = description;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(p.anchor.id, (uint64_t)ring);
	keyctl_unlink(ring, KEY_SPEC_USER_KEYRING);
}

static void test_system_anchor_is_left_to_the_kernel(void **state)
{
	struct one_anchor p;
	struct kg_keyrings k;

	(void)state;
	one_anchor_init(&p, KG_ANCHOR_SYSTEM);
	p.anchor.id = KG_SYSTEM_SECONDARY;
	assert_int_equal(kg_keyrings_resolve(&p.policy, &k), 0);
	assert_int_equal(p.anchor.id, KG_SYSTEM_SECONDARY);
	assert_int_equal(k.n_created, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certs_anchor_gets_a_keyring_with_the_certificate),
		cmocka_unit_test(test_each_resolve_makes_a_new_keyring),
		cmocka_unit_test(test_revoked_certificate_is_left_out),
		cmocka_unit_test(test_invalid_certificate_is_reported_and_nothing_stays),
		cmocka_unit_test(test_keyring_by_description_is_found),
		cmocka_unit_test(test_missing_keyring_description_is_reported),
		cmocka_unit_test(test_keyring_serial_is_checked),
		cmocka_unit_test(test_untrusted_keyring_rule),
		cmocka_unit_test(test_keyring_others_may_change_is_refused),
		cmocka_unit_test(test_keyring_elsewhere_is_not_found),
		cmocka_unit_test(test_keyring_in_user_keyring_is_found),
		cmocka_unit_test(test_system_anchor_is_left_to_the_kernel),
	};

	kg_log_set_sink(keep_error, NULL, KG_LOG_ERROR);
	/* The process keyring is this test's alone: counts are exact. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * test_module.c - kernel modules (fixtures: scenarios/inproc-module.prep.sh,
 * two small modules of the guest kernel): finit_module of a file, plain
 * and compressed (MODULE_INIT_COMPRESSED_FILE), decided by its fs-verity
 * signature; init_module of a buffer, which has no file to verify, so a
 * `signed` rule refuses it (no_file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define POLICY                                                                                \
	"keygate: 1\n"                                                                        \
	"policy: {name: inproc-module, version: 1, mode: enforce, default: allow}\n"          \
	"anchors:\n"                                                                          \
	"  - {name: org, certificates: [@D@/keys/org.pem]}\n"                                 \
	"rules:\n"                                                                            \
	"  - {name: modules, operations: [module_file], paths: [@D@/mod/], require: signed,\n" \
	"     anchors: [org], log: all}\n"                                                    \
	"  - {name: buffers, operations: [module_buffer], require: signed, anchors: [org]}\n"

static bool module_loaded(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strncmp(line, name, len) == 0 && line[len] == ' ';
	if (f)
		fclose(f);
	return found;
}

static int finit_expect(struct kgi *t, const char *file, int flags, const char *module,
			int want_errno, uint32_t verdict, uint32_t reason)
{
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_finit_module(t, file, flags), want_errno);
	KGI_EXPECT_EVENT(t, file, KG_OP_MODULE_FILE, verdict, reason, "modules", NULL);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[verdict], 1);
	KGI_ASSERT(t, module_loaded(module) == !want_errno, "%s %s in /proc/modules", module,
		   want_errno ? "is" : "is not");
	if (!want_errno)
		KGI_EXPECT_ERRNO(t, kgi_remove_module(module), 0);
	return 0;
}

/* Control: the kernel itself loads these modules (its own signature check
 * is not enforced), and nothing of ours is in force. */
static int no_policy(struct kgi *t)
{
	char enforce = 'N';
	int fd = open("/sys/module/module/parameters/sig_enforce", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &enforce, 1) != 1)
			enforce = '?';
		close(fd);
	}
	KGI_ASSERT(t, enforce == 'N', "module.sig_enforce is %c: the kernel would decide first",
		   enforce);
	KGI_ASSERT(t, !module_loaded("ts_kmp") && !module_loaded("crc_itu_t"),
		   "ts_kmp or crc_itu_t is loaded before the test");
	KGI_EXPECT_ERRNO(t, kgi_finit_module(t, "mod/unsigned/ts_kmp.ko", 0), 0);
	KGI_EXPECT_ERRNO(t, kgi_remove_module("ts_kmp"), 0);
	KGI_EXPECT_ERRNO(t, kgi_init_module(t, "mod/unsigned/ts_kmp.ko"), 0);
	KGI_EXPECT_ERRNO(t, kgi_remove_module("ts_kmp"), 0);
	return kgi_policy(t, POLICY);
}

static int file_unsigned(struct kgi *t)
{
	return finit_expect(t, "mod/unsigned/ts_kmp.ko", 0, "ts_kmp", EPERM, KG_VERDICT_DENY,
			    KG_REASON_NO_SIGNATURE);
}

static int file_not_verity(struct kgi *t)
{
	return finit_expect(t, "mod/plain/ts_kmp.ko", 0, "ts_kmp", EPERM, KG_VERDICT_DENY,
			    KG_REASON_NOT_VERITY);
}

static int file_signed(struct kgi *t)
{
	return finit_expect(t, "mod/signed/ts_kmp.ko", 0, "ts_kmp", 0, KG_VERDICT_ALLOW,
			    KG_REASON_VERIFIED);
}

/* A compressed module is decided as the file handed over: the .ko.xz. */
static int compressed_unsigned(struct kgi *t)
{
	return finit_expect(t, "mod/unsigned/crc-itu-t.ko.xz", MODULE_INIT_COMPRESSED_FILE,
			    "crc_itu_t", EPERM, KG_VERDICT_DENY, KG_REASON_NO_SIGNATURE);
}

static int compressed_signed(struct kgi *t)
{
	return finit_expect(t, "mod/signed/crc-itu-t.ko.xz", MODULE_INIT_COMPRESSED_FILE,
			    "crc_itu_t", 0, KG_VERDICT_ALLOW, KG_REASON_VERIFIED);
}

/* The same signed module from a buffer: nothing to verify, refused; the
 * event names the module from its own struct module. */
static int buffer_no_file(struct kgi *t)
{
	const struct kg_event *ev;
	struct kg_counters d;

	KGI_CHECK(kgi_mark(t));
	KGI_EXPECT_ERRNO(t, kgi_init_module(t, "mod/signed/ts_kmp.ko"), EPERM);
	KGI_EXPECT_EVENT(t, NULL, KG_OP_MODULE_BUFFER, KG_VERDICT_DENY, KG_REASON_NO_FILE, "buffers",
			 &ev);
	KGI_ASSERT(t, strncmp(ev->module, "ts_kmp", KG_MODULE_NAME_LEN) == 0,
		   "event names module '%.*s', want ts_kmp", KG_MODULE_NAME_LEN, ev->module);
	KGI_CHECK(kgi_delta(t, &d));
	KGI_EXPECT_COUNT(t, d, decisions[KG_VERDICT_DENY], 1);
	KGI_ASSERT(t, !module_loaded("ts_kmp"), "ts_kmp is in /proc/modules");
	return 0;
}

static const struct kgi_case cases[] = {
	{ "no-policy-control", no_policy },
	{ "file-unsigned", file_unsigned },
	{ "file-not-verity", file_not_verity },
	{ "file-signed", file_signed },
	{ "compressed-unsigned", compressed_unsigned },
	{ "compressed-signed", compressed_signed },
	{ "buffer-no-file", buffer_no_file },
};

int main(int argc, char **argv)
{
	return kgi_main(argc, argv, "module", cases, sizeof(cases) / sizeof(cases[0]));
}

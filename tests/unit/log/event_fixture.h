/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/* event_fixture.h - a compiled policy and decision events for the sink tests. */
#ifndef KEYGATE_TEST_EVENT_FIXTURE_H
#define KEYGATE_TEST_EVENT_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "keygate_abi.h"
#include "keygate_policy.h"

static struct kg_rule_info rule_info[2] = {
	{ .name = "signed-bin", .src = { .file = "/etc/keygate/policy.yaml", .line = 12, .col = 3 } },
	{ .name = "libs", .src = { .file = "/etc/keygate/policy.d/10-libs.yaml", .line = 4, .col = 3 } },
};
static struct kg_certificate corp_cert = { .subject = "CN=Corp Release 2026" };
static struct kg_anchor_info anchor_info[1] = {
	{ .name = "corp", .kind = KG_ANCHOR_CERTS, .certs = &corp_cert, .n_certs = 1 },
};
static struct kg_compiled_policy policy = {
	.name = "base",
	.version = 7,
	.mode = KG_MODE_ENFORCE,
	.rule_info = rule_info,
	.n_rules = 2,
	.anchor_info = anchor_info,
	.n_anchors = 1,
	.digest = { 0xde, 0xad, 0xbe, 0xef },
};

static uint64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void make_event(struct kg_event *ev, uint32_t pid, const char *path)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_boot_ns = boot_now_ns();
	ev->dev = (8ull << 20) | 1;
	ev->ino = 4242;
	ev->generation = 1;
	ev->op = KG_OP_EXEC;
	ev->verdict = KG_VERDICT_DENY;
	ev->reason = KG_REASON_UNKNOWN_SIGNER;
	ev->rule = 0;
	ev->anchor = 0;
	ev->error = -ENOKEY;
	ev->pid = pid;
	ev->tgid = pid;
	ev->uid = 1000;
	ev->digest_algo = 1;
	ev->digest_size = 32;
	for (int i = 0; i < 32; i++)
		ev->digest[i] = (uint8_t)i;
	memcpy(ev->comm, "evil-tool-name16", KG_COMM_LEN); /* no NUL: all 16 used */
	ev->path_len = (uint32_t)strlen(path);
	memcpy(ev->path, path, ev->path_len);
}

#endif /* KEYGATE_TEST_EVENT_FIXTURE_H */

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit-bench.c - feeds kg_audit_decision() as fast as it can (the agent's
 * ring-buffer consumer at its worst) and reports records per second into
 * the JSON lines log and how many were lost. The log it leaves behind,
 * with varied verdicts, operations, rules, paths and times spread over
 * SPAN hours, is the input of the `keygate log` filtering benchmark.
 *
 * Usage: audit-bench LOG COUNT [QUEUE_BYTES] [SPAN_HOURS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

static struct kg_rule_info rules[4] = {
	{ .name = "signed-binaries", .src = { .file = "/etc/keygate/policy.yaml", .line = 10 } },
	{ .name = "signed-libraries", .src = { .file = "/etc/keygate/policy.yaml", .line = 22 } },
	{ .name = "modules", .src = { .file = "/etc/keygate/policy.d/20-modules.yaml", .line = 3 } },
	{ .name = "secrets", .src = { .file = "/etc/keygate/policy.d/30-secrets.yaml", .line = 5 } },
};
static struct kg_anchor_info anchors[1] = { { .name = "corp", .kind = KG_ANCHOR_CERTS } };
static struct kg_compiled_policy policy = {
	.name = "bench", .version = 1, .mode = KG_MODE_ENFORCE,
	.rule_info = rules, .n_rules = 4, .anchor_info = anchors, .n_anchors = 1,
};

static const char *const dirs[] = { "/usr/bin/", "/usr/lib/x86_64-linux-gnu/", "/opt/app/bin/",
				    "/tmp/", "/home/user/.local/bin/", "/lib/modules/6.12.0/extra/" };
static const char *const comms[] = { "bash", "python3", "sh", "cron", "systemd", "modprobe" };

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct kg_audit_options opts = { 0 };
	struct kg_audit_stats stats;
	struct timespec t0, boot;
	struct kg_audit *a;
	uint64_t count, span_ns, now_ns;
	double produce_s, total_s;
	struct kg_event ev;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: %s LOG COUNT [QUEUE_BYTES] [SPAN_HOURS]\n", argv[0]);
		return 2;
	}
	opts.log_path = argv[1];
	count = strtoull(argv[2], NULL, 10);
	opts.queue_bytes = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	span_ns = (argc > 4 ? strtoull(argv[4], NULL, 10) : 48) * 3600ull * 1000000000ull;
	err = kg_audit_open(&a, &opts);
	if (err) {
		fprintf(stderr, "audit-bench: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_BOOTTIME, &boot);
	now_ns = (uint64_t)boot.tv_sec * 1000000000ull + (uint64_t)boot.tv_nsec;
	if (span_ns > now_ns)
		span_ns = now_ns; /* boot time cannot go below zero */

	memset(&ev, 0, sizeof(ev));
	ev.dev = (8ull << 20) | 1;
	ev.generation = 1;
	ev.digest_algo = 1;
	ev.digest_size = 32;
	kg_audit_agent_start(a, &policy);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t r = i * 2654435761u;
		int n;

		ev.time_boot_ns = now_ns - span_ns + span_ns / (count ? count : 1) * i;
		ev.op = (uint32_t)(r % 3 == 0 ? KG_OP_MMAP_EXEC : KG_OP_EXEC);
		ev.verdict = (uint32_t)(r % 10 < 6 ? KG_VERDICT_DENY : r % 10 < 8 ? KG_VERDICT_AUDIT : KG_VERDICT_ALLOW);
		ev.reason = ev.verdict == KG_VERDICT_ALLOW ? KG_REASON_VERIFIED : KG_REASON_NO_SIGNATURE;
		ev.rule = (uint32_t)(r % 5 == 4 ? KG_RULE_NONE : r % 4);
		ev.anchor = ev.verdict == KG_VERDICT_ALLOW ? 0 : KG_ANCHOR_NONE;
		ev.pid = ev.tgid = (uint32_t)(1000 + r % 30000);
		ev.uid = (uint32_t)(r % 7 == 0 ? 0 : 1000 + r % 3);
		ev.ino = 100000 + r % 5000;
		ev.digest[0] = (uint8_t)r;
		snprintf(ev.comm, sizeof(ev.comm), "%s", comms[r % 6]);
		n = snprintf(ev.path, sizeof(ev.path), "%sfile-%" PRIu64, dirs[(r >> 3) % 6], r % 5000);
		ev.path_len = (uint32_t)n;
		kg_audit_decision(a, &ev, &policy);
	}
	produce_s = seconds_since(&t0);
	kg_audit_flush(a);
	total_s = seconds_since(&t0);
	kg_audit_get_stats(a, &stats);
	kg_audit_agent_stop(a, &policy);
	kg_audit_close(a);

	printf("records: %" PRIu64 "\n", count);
	printf("producer: %.3f s, %.0f records/s offered\n", produce_s, (double)count / produce_s);
	printf("to disk: %.3f s, %.0f records/s written\n", total_s, (double)stats.written / total_s);
	printf("written: %" PRIu64 ", lost (queue full): %" PRIu64 ", lost (write errors): %" PRIu64 "\n",
	       stats.written, stats.queue_dropped, stats.write_failed);
	return 0;
}

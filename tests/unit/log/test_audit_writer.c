// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* Unit tests for the JSON lines sink: records are valid and complete,
 * reopen after rotation loses nothing, a full queue and failed writes are
 * counted and reported as loss records. No root, no BPF. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "event_fixture.h"
#include "log_reader.h"

static char tmpdir[64];
static char log_path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-audit-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* a directory that does not exist yet: the sink creates it */
	snprintf(log_path, sizeof(log_path), "%s/log/keygate/audit.log", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static struct kg_audit *open_sink(const char *path, size_t queue_bytes)
{
	struct kg_audit_options opts = { .log_path = path, .queue_bytes = queue_bytes };
	struct kg_audit *a = NULL;

	assert_int_equal(kg_audit_open(&a, &opts), 0);
	assert_non_null(a);
	return a;
}

struct lines {
	char **items;
	size_t n;
};

static void read_lines(const char *path, struct lines *out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[n - 1], '\n');
		line[n - 1] = '\0';
		out->items = realloc(out->items, (out->n + 1) * sizeof(*out->items));
		out->items[out->n++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

static void parse(struct kg_log_record *r, const char *line)
{
	const char *why = NULL;

	if (kg_log_parse_line(r, line, strlen(line), &why))
		fail_msg("invalid record (%s): %s", why, line);
}

static void test_decision_record(void **state)
{
	struct kg_log_record r = { 0 };
	struct kg_event ev;
	struct lines l;
	struct stat st;
	struct kg_audit *a;
	int64_t before_us, after_us;
	char dir[160];

	(void)state;
	before_us = kg_log_now_us();
	a = open_sink(log_path, 0);
	make_event(&ev, 4321, "/opt/app dir/\"quoted\"\n\x01\xff");
	kg_audit_decision(a, &ev, &policy);
	kg_audit_close(a);
	after_us = kg_log_now_us();

	assert_int_equal(stat(log_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	snprintf(dir, sizeof(dir), "%s/log/keygate", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);

	read_lines(log_path, &l);
	assert_int_equal(l.n, 1);
	parse(&r, l.items[0]);
	assert_string_equal(r.type, "decision");
	assert_int_equal(r.schema, KG_LOG_SCHEMA_VERSION);
	assert_string_equal(r.policy_name, "base");
	assert_non_null(strstr(l.items[0], "\"policy\":{\"name\":\"base\",\"version\":7,\"digest\":\"sha256:deadbeef00"));
	assert_string_equal(r.op, "exec");
	assert_string_equal(r.verdict, "deny");
	assert_string_equal(r.reason, "unknown-signer");
	assert_string_equal(r.rule, "signed-bin");
	assert_int_equal(r.rule_id, 0);
	assert_string_equal(r.source, "/etc/keygate/policy.yaml:12");
	assert_string_equal(r.anchor, "corp");
	assert_string_equal(r.signer, "CN=Corp Release 2026");
	assert_string_equal(r.error, "ENOKEY");
	assert_non_null(strstr(l.items[0], "\"errno\":126"));
	assert_int_equal(r.pid, 4321);
	assert_int_equal(r.tgid, 4321);
	assert_int_equal(r.uid, 1000);
	assert_string_equal(r.comm, "evil-tool-name16");
	/* every path byte comes back exactly */
	assert_string_equal(r.path, "/opt/app dir/\"quoted\"\n\x01\xff");
	assert_string_equal(r.dev, "8:1");
	assert_int_equal(r.ino, 4242);
	assert_string_equal(r.digest, "sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	/* Wall clock from CLOCK_BOOTTIME, microseconds, UTC. The writer reads
	 * REALTIME then BOOTTIME for the offset: a pause between the two reads
	 * (at most the whole window) moves the result earlier by its length. */
	assert_int_equal(strlen(r.time), strlen("2026-11-21T19:33:09.123456Z"));
	assert_true(r.time_us >= before_us - (after_us - before_us) - 10);
	assert_true(r.time_us <= after_us + 10);
	free_lines(&l);
	kg_log_record_free(&r);
}

static void test_decision_without_rule(void **state)
{
	struct kg_log_record r = { 0 };
	char line[4096] = "";
	struct json_writer w;
	struct kg_event ev;
	FILE *out;

	(void)state;
	make_event(&ev, 1, "/x");
	ev.rule = KG_RULE_NONE;
	ev.anchor = KG_ANCHOR_NONE;
	ev.error = 0;
	ev.digest_size = 0;
	ev.reason = KG_REASON_NO_RULE;
	out = fmemopen(line, sizeof(line) - 1, "w");
	json_init(&w, out, false);
	kg_event_write_json(&w, &ev, NULL, "host1");
	fclose(out);
	*strchr(line, '\n') = '\0';
	parse(&r, line);
	assert_null(r.rule);
	assert_int_equal(r.rule_id, KG_LOG_UNSET);
	assert_null(r.anchor);
	assert_null(r.signer);
	assert_null(r.error);
	assert_null(r.digest);
	assert_null(r.policy_name);
	assert_string_equal(r.host, "host1");
	assert_string_equal(r.reason, "no-rule");
	kg_log_record_free(&r);
}

/* Loads without a file: the module's name and signature marker, and the
 * kernel's id for a purpose keygate does not know. */
static void test_load_fields(void **state)
{
	char line[4096] = "", human[1024];
	struct json_writer w;
	struct kg_event ev;
	FILE *out;

	(void)state;
	make_event(&ev, 5, "");
	ev.op = KG_OP_MODULE_BUFFER;
	ev.reason = KG_REASON_DENIED_BY_RULE;
	ev.flags = KG_EVENT_MODULE_SIG;
	memset(ev.module, 0, sizeof(ev.module));
	memcpy(ev.module, "crc_itu_t", 9);
	out = fmemopen(line, sizeof(line) - 1, "w");
	json_init(&w, out, false);
	kg_event_write_json(&w, &ev, NULL, "host1");
	fclose(out);
	assert_non_null(strstr(line, "\"module\":\"crc_itu_t\",\"module_signature\":true"));
	assert_null(strstr(line, "kernel_id"));
	kg_event_format_human(human, sizeof(human), &ev, NULL);
	assert_non_null(strstr(human, " module=crc_itu_t module_signature=yes"));

	ev.op = KG_OP_FIRMWARE;
	ev.reason = KG_REASON_UNKNOWN_READ;
	ev.flags = 0;
	ev.kernel_id = 9;
	memset(ev.module, 0, sizeof(ev.module));
	memset(line, 0, sizeof(line));
	out = fmemopen(line, sizeof(line) - 1, "w");
	json_init(&w, out, false);
	kg_event_write_json(&w, &ev, NULL, "host1");
	fclose(out);
	assert_non_null(strstr(line, "\"reason\":\"unknown-read\""));
	assert_non_null(strstr(line, "\"kernel_id\":9"));
	assert_null(strstr(line, "\"module"));
	kg_event_format_human(human, sizeof(human), &ev, NULL);
	assert_non_null(strstr(human, " kernel_id=9"));
}

static void test_lifecycle_records(void **state)
{
	struct kg_compiled_policy next = policy;
	struct kg_log_record r = { 0 };
	struct kg_audit *a;
	struct lines l;

	(void)state;
	next.version = 8;
	next.digest[0] = 0x11;
	next.mode = KG_MODE_AUDIT;
	a = open_sink(log_path, 0);
	kg_audit_policy_change(a, NULL, &policy, NULL);
	kg_audit_agent_start(a, &policy);
	kg_audit_policy_change(a, &policy, &next, "applied");
	kg_audit_policy_change(a, &next, NULL, "rejected: invalid policy; the old policy stays in force");
	kg_audit_agent_stop(a, &next);
	kg_audit_agent_start_failed(a, &next, "loading keygate's BPF programs failed: Invalid argument");
	kg_audit_close(a);

	read_lines(log_path, &l);
	assert_int_equal(l.n, 6);
	parse(&r, l.items[0]);
	assert_string_equal(r.type, "policy_load");
	parse(&r, l.items[1]);
	assert_string_equal(r.type, "agent_start");
	assert_non_null(strstr(l.items[1], "\"mode\":\"enforce\""));
	parse(&r, l.items[2]);
	assert_string_equal(r.type, "policy_reload");
	assert_non_null(strstr(l.items[2], "\"old_policy\":{\"name\":\"base\",\"version\":7,\"digest\":\"sha256:deadbeef"));
	assert_non_null(strstr(l.items[2], "\"policy\":{\"name\":\"base\",\"version\":8,\"digest\":\"sha256:11adbeef"));
	assert_non_null(strstr(l.items[2], "\"applied\":true"));
	assert_non_null(strstr(l.items[2], "\"mode\":\"audit\""));
	parse(&r, l.items[3]);
	assert_string_equal(r.type, "policy_reload");
	assert_non_null(strstr(l.items[3], "\"applied\":false"));
	/* the policy in force is still version 8 */
	assert_non_null(strstr(l.items[3], "\"policy\":{\"name\":\"base\",\"version\":8"));
	assert_string_equal(r.result, "rejected: invalid policy; the old policy stays in force");
	parse(&r, l.items[4]);
	assert_string_equal(r.type, "agent_stop");
	/* A failed start: nothing in force, the candidate and the reason. */
	parse(&r, l.items[5]);
	assert_string_equal(r.type, "agent_start_failed");
	assert_non_null(strstr(l.items[5], "\"policy\":null"));
	assert_non_null(strstr(l.items[5], "\"rejected_policy\":{\"name\":\"base\",\"version\":8"));
	assert_string_equal(r.result, "loading keygate's BPF programs failed: Invalid argument");
	free_lines(&l);
	kg_log_record_free(&r);
}

static void test_ring_losses(void **state)
{
	struct kg_log_record r = { 0 };
	struct kg_audit_stats stats;
	struct kg_audit *a;
	struct lines l;

	(void)state;
	a = open_sink(log_path, 0);
	kg_audit_agent_start(a, &policy);
	kg_audit_ring_losses(a, 0);
	kg_audit_ring_losses(a, 5);
	kg_audit_ring_losses(a, 5); /* unchanged: no record */
	kg_audit_ring_losses(a, 8);
	kg_audit_get_stats(a, &stats);
	assert_int_equal(stats.ring_dropped, 8);
	kg_audit_close(a);

	read_lines(log_path, &l);
	assert_int_equal(l.n, 3);
	parse(&r, l.items[1]);
	assert_string_equal(r.type, "loss");
	assert_string_equal(r.loss_source, "ring");
	assert_int_equal(r.count, 5);
	assert_int_equal(r.total, 5);
	assert_string_equal(r.policy_name, "base");
	parse(&r, l.items[2]);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.total, 8);
	free_lines(&l);
	kg_log_record_free(&r);
}

/* logrotate: rename, then reopen; every record lands in one of the files. */
static void test_reopen(void **state)
{
	struct kg_audit_stats stats;
	struct lines before, after;
	struct kg_event ev;
	struct kg_audit *a;
	char rotated[160];

	(void)state;
	snprintf(rotated, sizeof(rotated), "%s.1", log_path);
	a = open_sink(log_path, 0);
	make_event(&ev, 1, "/bin/x");
	for (int i = 0; i < 500; i++)
		kg_audit_decision(a, &ev, &policy);
	kg_audit_flush(a);
	assert_int_equal(rename(log_path, rotated), 0);
	/* between rename and reopen: either file, never lost */
	for (int i = 0; i < 500; i++)
		kg_audit_decision(a, &ev, &policy);
	assert_int_equal(kg_audit_reopen(a), 0);
	for (int i = 0; i < 300; i++)
		kg_audit_decision(a, &ev, &policy);
	kg_audit_flush(a);
	kg_audit_get_stats(a, &stats);
	kg_audit_close(a);

	assert_int_equal(stats.queued, 1300);
	assert_int_equal(stats.written, 1300);
	assert_int_equal(stats.queue_dropped, 0);
	read_lines(rotated, &before);
	read_lines(log_path, &after);
	assert_int_equal(before.n + after.n, 1300);
	assert_true(before.n >= 500);
	assert_true(after.n >= 300); /* queued after reopen: the new file */
	free_lines(&before);
	free_lines(&after);
}

struct drain {
	int fd;
	char *data;
	size_t len;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	char buf[65536];
	ssize_t n;

	/* Blocking reads: 0 once the sink closed its end. */
	while ((n = read(d->fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		d->data = realloc(d->data, d->len + (size_t)n + 1);
		memcpy(d->data + d->len, buf, (size_t)n);
		d->len += (size_t)n;
		d->data[d->len] = '\0';
	}
	return NULL;
}

static void producer_blocked(int sig)
{
	static const char msg[] = "test_queue_full: kg_audit_decision blocked on the stuck writer\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Bytes in the FIFO, polled until the writer has filled it. */
static int wait_fifo_full(int fd, int capacity)
{
	int queued = 0;

	/* Generous bound: only a broken writer takes this long. */
	for (int i = 0; i < 60000; i++) {
		assert_int_equal(ioctl(fd, FIONREAD, &queued), 0);
		if (queued >= capacity)
			break;
		usleep(1000);
	}
	return queued;
}

/* A writer stuck on a FIFO nobody reads: the producer must not block,
 * drops are counted, and the loss records tell how many. */
static void test_queue_full(void **state)
{
	struct kg_log_record r = { 0 };
	struct kg_audit_stats stats;
	struct drain d = { 0 };
	char fifo[160], *line, *save = NULL;
	struct kg_event ev;
	struct kg_audit *a;
	size_t decisions = 0, losses = 0;
	pthread_t drainer;
	int capacity;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	d.fd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(d.fd >= 0);
	/* One page: a known capacity the writer fills with its first chunk. */
	capacity = fcntl(d.fd, F_SETPIPE_SZ, 4096);
	assert_true(capacity >= 4096);
	a = open_sink(fifo, 16384);
	make_event(&ev, 9, "/tmp/flood");
	/* The writer's end is open: blocking reads now end only at its close. */
	assert_int_equal(fcntl(d.fd, F_SETFL, 0), 0);

	/* A producer that waited for the writer would never return: the
	 * alarm turns that hang into a failure with a message. */
	signal(SIGALRM, producer_blocked);
	alarm(120);
	/* Fill the FIFO, then check the writer is stuck in write(): the
	 * producer calls below all run while it cannot consume anything. */
	for (int i = 0; i < 64; i++)
		kg_audit_decision(a, &ev, &policy);
	assert_int_equal(wait_fifo_full(d.fd, capacity), capacity);
	for (int i = 64; i < 5000; i++)
		kg_audit_decision(a, &ev, &policy);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	kg_audit_get_stats(a, &stats);
	assert_int_equal(stats.queued + stats.queue_dropped, 5000);
	/* 16 KiB of queue and 4 KiB of FIFO cannot hold 5000 records. */
	assert_true(stats.queue_dropped > 0);

	assert_int_equal(pthread_create(&drainer, NULL, drain_main, &d), 0);
	kg_audit_close(a); /* flushes, then reports the drops */
	pthread_join(drainer, NULL);
	close(d.fd);

	for (line = strtok_r(d.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		parse(&r, line);
		if (strcmp(r.type, "decision") == 0) {
			decisions++;
		} else {
			assert_string_equal(r.type, "loss");
			assert_string_equal(r.loss_source, "queue");
			losses += (size_t)r.count;
		}
	}
	assert_int_equal(decisions, stats.queued);
	assert_int_equal(losses, stats.queue_dropped);
	free(d.data);
	kg_log_record_free(&r);
}

/* ENOSPC: records are counted as lost, the agent goes on, and once the
 * log is writable again a loss record says how many and why. */
static void test_write_failure(void **state)
{
	struct kg_log_record r = { 0 };
	struct kg_audit_stats stats;
	struct kg_event ev;
	struct kg_audit *a;
	char link_path[160];
	struct lines l;
	bool found_loss = false;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	snprintf(link_path, sizeof(link_path), "%s/audit.log", tmpdir);
	assert_int_equal(symlink("/dev/full", link_path), 0);
	a = open_sink(link_path, 0);
	make_event(&ev, 5, "/bin/y");
	for (int i = 0; i < 10; i++)
		kg_audit_decision(a, &ev, &policy);
	kg_audit_flush(a);
	kg_audit_get_stats(a, &stats);
	assert_int_equal(stats.write_failed, 10);
	assert_int_equal(stats.written, 0);

	assert_int_equal(unlink(link_path), 0);
	assert_int_equal(kg_audit_reopen(a), 0);
	kg_audit_decision(a, &ev, &policy);
	kg_audit_flush(a);
	kg_audit_close(a);

	read_lines(link_path, &l);
	assert_int_equal(l.n, 2);
	for (size_t i = 0; i < l.n; i++) {
		parse(&r, l.items[i]);
		if (strcmp(r.type, "loss") == 0) {
			assert_string_equal(r.loss_source, "write");
			assert_int_equal(r.count, 10);
			assert_string_equal(r.error, "ENOSPC");
			found_loss = true;
		}
	}
	assert_true(found_loss);
	free_lines(&l);
	kg_log_record_free(&r);
}

/* Linux audit and journald on whatever this host has (auditing off, no
 * audit socket without root, no journald): the JSON log is unaffected and
 * nothing blocks. */
static void test_side_sinks(void **state)
{
	struct kg_audit_options opts = { .log_path = log_path, .linux_audit = true, .journald = true };
	struct kg_audit_stats stats;
	struct kg_audit *a = NULL;
	struct kg_event ev;
	struct lines l;

	(void)state;
	setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef", 1);
	assert_int_equal(kg_audit_open(&a, &opts), 0);
	make_event(&ev, 3, "/usr/bin/side");
	kg_audit_agent_start(a, &policy);
	for (int i = 0; i < 100; i++)
		kg_audit_decision(a, &ev, &policy);
	kg_audit_policy_change(a, &policy, &policy, "applied");
	kg_audit_flush(a);
	kg_audit_get_stats(a, &stats);
	kg_audit_agent_stop(a, &policy);
	kg_audit_close(a);
	unsetenv("INVOCATION_ID");
	assert_int_equal(stats.written, 102);
	assert_int_equal(stats.side_dropped, 0);
	read_lines(log_path, &l);
	assert_int_equal(l.n, 103);
	free_lines(&l);
}

static void test_no_file_sink(void **state)
{
	struct kg_audit_options opts = { .log_path = "-" };
	struct kg_audit_stats stats;
	struct kg_audit *a = NULL;
	struct kg_event ev;

	(void)state;
	assert_int_equal(kg_audit_open(&a, &opts), 0);
	make_event(&ev, 1, "/x");
	kg_audit_decision(a, &ev, &policy);
	kg_audit_flush(a);
	kg_audit_get_stats(a, &stats);
	assert_int_equal(stats.queued, 0);
	kg_audit_close(a);
}

static void test_open_failure(void **state)
{
	struct kg_audit_options opts = { .log_path = "/proc/keygate-cannot-exist/audit.log" };
	struct kg_audit *a = NULL;

	(void)state;
	assert_true(kg_audit_open(&a, &opts) < 0);
	assert_null(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decision_record, setup, teardown),
		cmocka_unit_test(test_decision_without_rule),
		cmocka_unit_test(test_load_fields),
		cmocka_unit_test_setup_teardown(test_lifecycle_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_losses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_side_sinks, setup, teardown),
		cmocka_unit_test(test_no_file_sink),
		cmocka_unit_test(test_open_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* Unit tests for the audit log reader: scanner, corrupt input, time
 * parsing, filters, the rotated file set (plain and gzip) and summaries. */
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
#include <zlib.h>

#include <cmocka.h>

#include "log_reader.h"

#define DECISION(time, verdict, op, rule, pid, uid, comm, path)                                    \
	"{\"schema\":1,\"type\":\"decision\",\"time\":\"" time "\",\"host\":\"h\","              \
	"\"policy\":{\"name\":\"base\",\"version\":3,\"digest\":\"sha256:00\"},"                   \
	"\"op\":\"" op "\",\"verdict\":\"" verdict "\",\"reason\":\"no-signature\","             \
	"\"rule\":" rule ",\"rule_id\":0,\"source\":\"p.yaml:3\",\"anchor\":\"corp\","             \
	"\"pid\":" #pid ",\"tgid\":" #pid ",\"uid\":" #uid ",\"comm\":\"" comm "\","            \
	"\"path\":\"" path "\",\"dev\":\"8:1\",\"ino\":12,\"digest\":null}"

static const char *const good_line =
	DECISION("2026-11-21T10:00:01.000250Z", "deny", "exec", "\"signed-bin\"", 42, 1000, "sh",
		 "/tmp/a \\\"b\\\"\\u00e9\\n\\u4e2d");

static struct kg_log_record rec;

static int teardown_record(void **state)
{
	(void)state;
	kg_log_record_free(&rec);
	return 0;
}

static void parse_ok(const char *line)
{
	const char *why = NULL;
	int err = kg_log_parse_line(&rec, line, strlen(line), &why);

	if (err)
		fail_msg("parse failed: %s: %s", why, line);
}

static void test_parse_decision(void **state)
{
	(void)state;
	parse_ok(good_line);
	assert_int_equal(rec.schema, 1);
	assert_string_equal(rec.type, "decision");
	assert_string_equal(rec.verdict, "deny");
	assert_string_equal(rec.op, "exec");
	assert_string_equal(rec.rule, "signed-bin");
	assert_string_equal(rec.source, "p.yaml:3");
	assert_string_equal(rec.anchor, "corp");
	assert_string_equal(rec.policy_name, "base");
	assert_string_equal(rec.comm, "sh");
	/* \u00e9 is the byte 0xe9 (how the writer encodes raw path bytes),
	 * \u4e2d a UTF-8 character. */
	assert_string_equal(rec.path, "/tmp/a \"b\"\xe9\n\xe4\xb8\xad");
	assert_int_equal(rec.pid, 42);
	assert_int_equal(rec.uid, 1000);
	assert_int_equal(rec.ino, 12);
	assert_int_equal(rec.rule_id, 0);
	assert_null(rec.digest);   /* null */
	assert_null(rec.signer);   /* absent */
	assert_int_equal(rec.time_us, 1795255201000250LL);
	assert_ptr_equal(rec.line, good_line);
}

static void test_parse_loss(void **state)
{
	(void)state;
	parse_ok("{\"schema\":1,\"type\":\"loss\",\"time\":\"2026-11-21T10:00:03Z\",\"host\":\"h\","
		 "\"policy\":null,\"source\":\"ring\",\"count\":5,\"total\":9}");
	assert_string_equal(rec.type, "loss");
	assert_string_equal(rec.loss_source, "ring");
	assert_null(rec.source);
	assert_int_equal(rec.count, 5);
	assert_int_equal(rec.total, 9);
	assert_null(rec.policy_name);
}

/* Members keygate does not read are skipped whatever their shape. */
static void test_skip_unknown_members(void **state)
{
	(void)state;
	parse_ok("{\"schema\":1,\"x\":[],\"y\":[ 1 , [true,false,null], {\"a\":[ ]}, \"s\" ],"
		 "\"z\":{ },\"w\":{\"k\":{\"l\":[{}]}},\"type\":\"loss\",\"time\":\"2026-11-21T10:00:03Z\","
		 "\"count\":2}");
	assert_string_equal(rec.type, "loss");
	assert_int_equal(rec.count, 2);
}

static const struct {
	const char *line;
	const char *why;
} corrupt_cases[] = {
	{ "", "empty line" },
	{ "   ", "empty line" },
	{ "not json", "not a JSON object" },
	{ "[1,2]", "not a JSON object" },
	{ "{", "truncated" },
	{ "{\"schema\":1,\"type\":\"decision\",\"time\":\"2026-11-21T1", "truncated" },
	{ "{\"schema\":1,\"type\":\"decision\",\"time\":\"2026-11-21T10:00:00Z\"", "truncated" },
	{ "{\"schema\":1}", "missing" },
	{ "{\"type\":\"decision\",\"time\":\"2026-11-21T10:00:00Z\"}", "missing" },
	{ "{\"schema\":2,\"type\":\"decision\",\"time\":\"2026-11-21T10:00:00Z\"}", "unsupported schema" },
	{ "{\"schema\":1,\"type\":\"decision\",\"time\":\"yesterday\"}", "invalid time" },
	{ "{\"schema\":1,\"type\":\"decision\",\"time\":\"2026-11-21T10:00:00\"}", "invalid time" },
	{ "{\"schema\":1,\"type\":\"decision\",\"time\":\"2026-11-21T10:00:00Z\"} x", "trailing" },
	{ "{\"schema\":1,\"type\":\"d\\q\",\"time\":\"2026-11-21T10:00:00Z\"}", "invalid escape" },
	{ "{\"schema\":1,\"type\":\"d\\u12G4\",\"time\":\"2026-11-21T10:00:00Z\"}", "invalid \\u" },
	{ "{\"schema\":1,\"type\":\"d\\ud800\",\"time\":\"2026-11-21T10:00:00Z\"}", "surrogate" },
	{ "{\"schema\":1,\"type\":\"a\tb\",\"time\":\"2026-11-21T10:00:00Z\"}", "control byte" },
	{ "{\"schema\":1,\"type\":\"\xff\",\"time\":\"2026-11-21T10:00:00Z\"}", "UTF-8" },
	{ "{\"schema\":01,\"type\":\"d\",\"time\":\"2026-11-21T10:00:00Z\"}", "invalid number" },
	{ "{\"schema\":1,\"pid\":-,\"type\":\"d\",\"time\":\"2026-11-21T10:00:00Z\"}", "invalid number" },
	{ "{\"schema\":1 \"type\":\"d\"}", "expected ','" },
	{ "{\"schema\" 1}", "expected ':'" },
	{ "{\"schema\":1,\"x\":{\"a\":1 \"b\":2},\"type\":\"d\"}", "expected ',' or '}'" },
	{ "{\"schema\":1,\"x\":[1 2],\"type\":\"d\"}", "expected ',' or ']'" },
	{ "{\"schema\":1,\"x\":[1,", "truncated record" },
	{ "{\"schema\":1,\"x\":[[],{}", "truncated record" },
	{ "{\"schema\":1,\"x\":[[],{}]", "truncated record" },
	{ "{schema:1}", "expected a key" },
	{ "{\"schema\":1,\"x\":tru,\"type\":\"d\",\"time\":\"2026-11-21T10:00:00Z\"}", "literal" },
	{ "{\"schema\":1,\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]],\"type\":\"d\"}", "nested" },
};

static void test_corrupt_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		const char *why = NULL;
		int err = kg_log_parse_line(&rec, corrupt_cases[i].line, strlen(corrupt_cases[i].line), &why);

		if (err != -EINVAL || !why || !strstr(why, corrupt_cases[i].why))
			fail_msg("case %zu '%s': err %d why '%s', expected '%s'", i, corrupt_cases[i].line, err,
				 why ? why : "(null)", corrupt_cases[i].why);
	}
}

/* Garbage and mutated records: the scanner must reject or accept, never
 * read out of bounds (run under ASan/valgrind to see it). */
static void test_fuzzish(void **state)
{
	size_t len = strlen(good_line);
	char *buf = malloc(len + 1);
	unsigned seed = 12345;
	size_t accepted = 0;

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 50000; i++) {
		const char *why;
		size_t n = len;

		memcpy(buf, good_line, len);
		seed = seed * 1103515245 + 12345;
		if (i % 3 == 0) {
			n = seed % (len + 1); /* truncation */
		} else {
			for (int k = 0; k < 1 + (int)(seed % 4); k++) {
				seed = seed * 1103515245 + 12345;
				buf[(seed >> 8) % len] = (char)(seed >> 16);
			}
		}
		/* exact-size heap copy so ASan sees overreads */
		{
			char *exact = malloc(n ? n : 1);

			assert_non_null(exact);
			memcpy(exact, buf, n);
			if (kg_log_parse_line(&rec, exact, n, &why) == 0)
				accepted++;
			else
				assert_non_null(why);
			free(exact);
		}
	}
	for (int i = 0; i < 20000; i++) {
		char garbage[64];
		const char *why;

		for (size_t k = 0; k < sizeof(garbage); k++) {
			seed = seed * 1103515245 + 12345;
			garbage[k] = (char)(seed >> 16);
		}
		garbage[0] = '{';
		kg_log_parse_line(&rec, garbage, (size_t)(seed % sizeof(garbage)), &why);
	}
	/* The untouched record is always accepted; most mutants are not. */
	assert_true(accepted < 50000);
	parse_ok(good_line);
	free(buf);
}

static void test_parse_time(void **state)
{
	const int64_t now = 1795255200000000LL; /* 2026-11-21T10:00:00Z */
	int64_t t;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(kg_log_parse_time("2026-11-21T10:00:00Z", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(kg_log_parse_time("2026-11-21T10:00:00.5Z", now, &t), 0);
	assert_int_equal(t, now + 500000);
	assert_int_equal(kg_log_parse_time("2026-11-21T12:00:00+02:00", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(kg_log_parse_time("2026-11-21T09:30:00-00:30", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(kg_log_parse_time("2026-11-21 10:00", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(kg_log_parse_time("2026-11-21 10:00:30", now, &t), 0);
	assert_int_equal(t, now + 30000000);
	assert_int_equal(kg_log_parse_time("2026-11-21", now, &t), 0);
	assert_int_equal(t, now - 10 * 3600 * 1000000LL);
	assert_int_equal(kg_log_parse_time("1970-01-01T00:00:00Z", now, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(kg_log_parse_time("2000-02-29T00:00:00Z", now, &t), 0);
	assert_int_equal(t, 951782400000000LL);

	assert_int_equal(kg_log_parse_time("90s", now, &t), 0);
	assert_int_equal(t, now - 90 * 1000000LL);
	assert_int_equal(kg_log_parse_time("30m", now, &t), 0);
	assert_int_equal(t, now - 1800 * 1000000LL);
	assert_int_equal(kg_log_parse_time("1h", now, &t), 0);
	assert_int_equal(t, now - 3600 * 1000000LL);
	assert_int_equal(kg_log_parse_time("2d", now, &t), 0);
	assert_int_equal(t, now - 2 * 86400 * 1000000LL);
	assert_int_equal(kg_log_parse_time("1w", now, &t), 0);
	assert_int_equal(t, now - 7 * 86400 * 1000000LL);
	assert_int_equal(kg_log_parse_time("now", now, &t), 0);
	assert_int_equal(t, now);

	static const char *const bad[] = {
		"", "h", "1", "1x", "1hh", "-1h", "2026-13-01", "2026-11-32", "2026-11-21T25:00:00Z",
		"2026-11-21T10:00:00Zjunk", "2026/11/21", "tomorrow", "99999999999999999999h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kg_log_parse_time(bad[i], now, &t) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

static const char *const filter_lines[] = {
	DECISION("2026-11-21T10:00:00Z", "deny", "exec", "\"r1\"", 10, 1000, "sh", "/tmp/x"),
	DECISION("2026-11-21T11:00:00Z", "audit", "mmap_exec", "\"r2\"", 11, 0, "python3", "/usr/lib/a.so"),
	DECISION("2026-11-21T12:00:00Z", "allow", "exec", "null", 12, 0, "ls", "/usr/bin/ls"),
	"{\"schema\":1,\"type\":\"agent_start\",\"time\":\"2026-11-21T09:00:00Z\",\"host\":\"h\",\"policy\":null}",
};

/* Bitmask of the filter_lines a filter keeps. */
static unsigned matches(const struct kg_log_filter *f)
{
	unsigned mask = 0;

	for (size_t i = 0; i < sizeof(filter_lines) / sizeof(filter_lines[0]); i++) {
		parse_ok(filter_lines[i]);
		if (kg_log_filter_match(f, &rec))
			mask |= 1u << i;
	}
	return mask;
}

static void test_filters(void **state)
{
	struct kg_log_filter f;

	(void)state;
	kg_log_filter_init(&f);
	assert_int_equal(matches(&f), 0xf);

	f.verdict = "deny";
	assert_int_equal(matches(&f), 0x1);
	kg_log_filter_init(&f);
	f.verdict = "audit";
	assert_int_equal(matches(&f), 0x2);

	kg_log_filter_init(&f);
	f.op = "exec";
	assert_int_equal(matches(&f), 0x5);

	kg_log_filter_init(&f);
	f.rule = "r2";
	assert_int_equal(matches(&f), 0x2);

	kg_log_filter_init(&f);
	f.anchor = "corp";
	assert_int_equal(matches(&f), 0x7);
	f.anchor = "other";
	assert_int_equal(matches(&f), 0);

	kg_log_filter_init(&f);
	f.path_glob = "/usr/*";
	assert_int_equal(matches(&f), 0x6);
	f.path_glob = "*.so";
	assert_int_equal(matches(&f), 0x2);
	f.path_glob = "/tmp/?";
	assert_int_equal(matches(&f), 0x1);

	kg_log_filter_init(&f);
	f.pid = 11;
	assert_int_equal(matches(&f), 0x2);
	kg_log_filter_init(&f);
	f.uid = 0;
	assert_int_equal(matches(&f), 0x6);

	/* time filters apply to every record type, inclusive bounds */
	kg_log_filter_init(&f);
	f.since_us = 1795258800000000LL; /* 11:00 */
	assert_int_equal(matches(&f), 0x6);
	f.until_us = 1795258800000000LL;
	assert_int_equal(matches(&f), 0x2);
	kg_log_filter_init(&f);
	f.until_us = 1795255200000000LL; /* 10:00 */
	assert_int_equal(matches(&f), 0x9);

	/* combined */
	kg_log_filter_init(&f);
	f.op = "exec";
	f.uid = 0;
	assert_int_equal(matches(&f), 0x4);
}

static char tmpdir[] = "/tmp/kg-log-test-XXXXXX";

static void write_file(const char *name, const char *text, bool gz)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (gz) {
		gzFile f = gzopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
		assert_int_equal(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
}

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/kg-log-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[300];

	(void)state;
	kg_log_record_free(&rec);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static void test_rotation_order(void **state)
{
	const char *const names[] = { "audit.log", "audit.log.1", "audit.log.2.gz", "audit.log.10.gz",
				      "audit.log.bak", "audit.logx", "other.log", "audit.log.3" };
	char **files;
	size_t n;
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		write_file(names[i], "", false);
	snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
	assert_int_equal(kg_log_list_files(path, &files, &n), 0);
	assert_int_equal(n, 5);
	assert_true(strstr(files[0], "/audit.log.10.gz") != NULL);
	assert_true(strstr(files[1], "/audit.log.3") != NULL);
	assert_true(strstr(files[2], "/audit.log.2.gz") != NULL);
	assert_true(strstr(files[3], "/audit.log.1") != NULL);
	assert_string_equal(files[4], path);
	assert_null(files[5]);
	kg_log_free_files(files);

	snprintf(path, sizeof(path), "%s/missing.log", tmpdir);
	assert_int_equal(kg_log_list_files(path, &files, &n), -ENOENT);
}

struct collected {
	char text[4096];
	size_t records;
	char corrupt[1024];
	size_t n_corrupt;
};

static int collect_record(void *ctx, const struct kg_log_record *r)
{
	struct collected *c = ctx;

	c->records++;
	strncat(c->text, r->comm ? r->comm : r->type, sizeof(c->text) - strlen(c->text) - 2);
	strcat(c->text, ",");
	return 0;
}

static void collect_corrupt(void *ctx, const char *file, uint64_t line, const char *why)
{
	struct collected *c = ctx;
	const char *base = strrchr(file, '/');
	size_t used = strlen(c->corrupt);

	c->n_corrupt++;
	snprintf(c->corrupt + used, sizeof(c->corrupt) - used, "%s:%llu:%s;", base ? base + 1 : file,
		 (unsigned long long)line, why);
}

static void test_read_gzip_and_corrupt(void **state)
{
	struct collected c = { 0 };
	struct kg_log_reader_cb cb = { collect_record, collect_corrupt, &c };
	char text[4096], path[256];
	char **files;
	size_t n;

	(void)state;
	/* oldest: gzip with a corrupt line 2 */
	snprintf(text, sizeof(text), "%s\ngarbage\n%s\n", filter_lines[0], filter_lines[1]);
	write_file("audit.log.2.gz", text, true);
	snprintf(text, sizeof(text), "%s\n\n%s\n", filter_lines[2], filter_lines[3]);
	write_file("audit.log.1", text, false);
	/* live file: last record cut short (no newline) */
	snprintf(text, sizeof(text), "%s\n{\"schema\":1,\"type\":\"dec", filter_lines[0]);
	write_file("audit.log", text, false);

	snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
	assert_int_equal(kg_log_list_files(path, &files, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kg_log_read_file(files[i], NULL, &cb, NULL), 0);
	kg_log_free_files(files);

	assert_int_equal(c.records, 5);
	assert_string_equal(c.text, "sh,python3,ls,agent_start,sh,");
	assert_int_equal(c.n_corrupt, 2);
	assert_string_equal(c.corrupt, "audit.log.2.gz:2:not a JSON object;audit.log:2:truncated record;");
}

static void test_read_with_filter_and_stop(void **state)
{
	struct collected c = { 0 };
	struct kg_log_reader_cb cb = { collect_record, collect_corrupt, &c };
	struct kg_log_filter f;
	char text[4096], path[256];

	(void)state;
	snprintf(text, sizeof(text), "%s\n%s\n%s\n", filter_lines[0], filter_lines[1], filter_lines[2]);
	write_file("f.log", text, false);
	snprintf(path, sizeof(path), "%s/f.log", tmpdir);
	kg_log_filter_init(&f);
	f.verdict = "audit";
	assert_int_equal(kg_log_read_file(path, &f, &cb, NULL), 0);
	assert_string_equal(c.text, "python3,");

	snprintf(path, sizeof(path), "%s/nope.log", tmpdir);
	assert_true(kg_log_read_file(path, NULL, &cb, NULL) < 0);
}

static void test_truncated_gzip(void **state)
{
	struct collected c = { 0 };
	struct kg_log_reader_cb cb = { collect_record, collect_corrupt, &c };
	char text[8192] = "", path[256];
	struct stat st;

	(void)state;
	for (int i = 0; i < 20; i++) {
		strcat(text, filter_lines[i % 3]);
		strcat(text, "\n");
	}
	write_file("t.log.gz", text, true);
	snprintf(path, sizeof(path), "%s/t.log.gz", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	assert_int_equal(kg_log_read_file(path, NULL, &cb, NULL), 0);
	/* Some records may come out, then the damage is reported, no crash. */
	assert_true(c.records < 20);
	assert_true(c.n_corrupt >= 1);
}

static void test_summary(void **state)
{
	struct kg_log_summary *s = kg_log_summary_new();
	static const char *const lines[] = {
		DECISION("2026-11-21T10:00:00Z", "deny", "exec", "\"r1\"", 10, 1000, "sh", "/tmp/x"),
		DECISION("2026-11-21T10:00:01Z", "deny", "exec", "\"r1\"", 11, 1000, "sh", "/tmp/x"),
		DECISION("2026-11-21T10:00:02Z", "deny", "exec", "\"r1\"", 12, 1000, "bash", "/tmp/y"),
		DECISION("2026-11-21T10:00:03Z", "audit", "mmap_exec", "\"r2\"", 13, 0, "python3", "/tmp/x"),
		DECISION("2026-11-21T10:00:04Z", "allow", "exec", "null", 14, 0, "ls", "/usr/bin/ls"),
		"{\"schema\":1,\"type\":\"loss\",\"time\":\"2026-11-21T10:00:05Z\",\"host\":\"h\",\"policy\":null,"
		"\"source\":\"ring\",\"count\":5,\"total\":5}",
		"{\"schema\":1,\"type\":\"loss\",\"time\":\"2026-11-21T10:00:06Z\",\"host\":\"h\",\"policy\":null,"
		"\"source\":\"ring\",\"count\":2,\"total\":7}",
		"{\"schema\":1,\"type\":\"loss\",\"time\":\"2026-11-21T10:00:07Z\",\"host\":\"h\",\"policy\":null,"
		"\"source\":\"write\",\"count\":40,\"error\":\"ENOSPC\",\"errno\":28}",
	};
	char *json = NULL;
	size_t json_len = 0;
	FILE *out;

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		parse_ok(lines[i]);
		kg_log_summary_add(s, &rec);
	}
	kg_log_summary_corrupt(s, "audit.log", 7, "truncated record");
	assert_int_equal(kg_log_summary_records(s), 8);
	assert_int_equal(kg_log_summary_count(s, "verdict", "deny"), 3);
	assert_int_equal(kg_log_summary_count(s, "verdict", "audit"), 1);
	assert_int_equal(kg_log_summary_count(s, "verdict", "allow"), 1);
	assert_int_equal(kg_log_summary_count(s, "op", "exec"), 4);
	assert_int_equal(kg_log_summary_count(s, "rule", "r1"), 3);
	assert_int_equal(kg_log_summary_count(s, "rule", "(default action)"), 1);
	assert_int_equal(kg_log_summary_count(s, "denied_path", "/tmp/x"), 3);
	assert_int_equal(kg_log_summary_count(s, "denied_path", "/usr/bin/ls"), 0);
	assert_int_equal(kg_log_summary_count(s, "denied_comm", "sh"), 2);
	assert_int_equal(kg_log_summary_count(s, "loss", "ring"), 7);
	assert_int_equal(kg_log_summary_count(s, "loss", "write"), 40);
	assert_int_equal(kg_log_summary_count(s, "type", "loss"), 3);
	assert_int_equal(kg_log_summary_corrupt_lines(s), 1);

	out = open_memstream(&json, &json_len);
	assert_non_null(out);
	kg_log_summary_print(s, out, true, false);
	fclose(out);
	assert_non_null(strstr(json, "\"losses\":{\"ring\":7,\"queue\":0,\"write\":40,\"side\":0,\"ring_kernel_total\":7}"));
	assert_non_null(strstr(json, "\"top_denied_paths\":[{\"path\":\"/tmp/x\",\"count\":3},"));
	assert_non_null(strstr(json, "\"corrupt\":[{\"file\":\"audit.log\",\"line\":7,\"reason\":\"truncated record\"}]"));
	free(json);

	json = NULL;
	out = open_memstream(&json, &json_len);
	kg_log_summary_print(s, out, false, false);
	fclose(out);
	assert_non_null(strstr(json, "ring buffer 7, writer queue 0, write errors 40"));
	assert_non_null(strstr(json, "audit.log:7: truncated record"));
	free(json);
	kg_log_summary_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_decision, teardown_record),
		cmocka_unit_test_teardown(test_parse_loss, teardown_record),
		cmocka_unit_test_teardown(test_skip_unknown_members, teardown_record),
		cmocka_unit_test_teardown(test_corrupt_lines, teardown_record),
		cmocka_unit_test_teardown(test_fuzzish, teardown_record),
		cmocka_unit_test_teardown(test_parse_time, teardown_record),
		cmocka_unit_test_teardown(test_filters, teardown_record),
		cmocka_unit_test_setup_teardown(test_rotation_order, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_gzip_and_corrupt, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_with_filter_and_stop, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_truncated_gzip, setup_dir, teardown_dir),
		cmocka_unit_test_teardown(test_summary, teardown_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

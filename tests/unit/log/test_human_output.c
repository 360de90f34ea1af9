// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* Unit tests for the human-readable sinks: the agent's decision line
 * (stdout) and the journald MESSAGE built from it, and the escaper both
 * and keygate log use. A hostile path or process name must not add a line
 * or a field, move the cursor or reorder the text. No root, no BPF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "audit_internal.h"
#include "event_fixture.h"
#include "text_escape.h"

static void test_human_line(void **state)
{
	struct kg_event ev;
	char line[1024];

	(void)state;
	make_event(&ev, 77, "/usr/local/bin/tool");
	kg_event_format_human(line, sizeof(line), &ev, &policy);
	assert_non_null(strstr(line, "deny"));
	assert_non_null(strstr(line, "exec"));
	assert_non_null(strstr(line, "/usr/local/bin/tool"));
	assert_non_null(strstr(line, "reason=unknown-signer"));
	assert_non_null(strstr(line, "rule=signed-bin (/etc/keygate/policy.yaml:12)"));
	assert_non_null(strstr(line, "pid=77"));
	assert_non_null(strstr(line, "error=ENOKEY"));
}

/* A file name that carries a whole fake decision line after a newline, a
 * space-separated fake field, a backslash, a right-to-left override; a
 * process name that clears the screen and moves the cursor. */
#define FORGED_PATH "/tmp/x\n2026-11-29T10:00:00.000000Z allow exec /usr/bin/ok reason=verified" \
		    " \\x0a\xe2\x80\xae"
#define FORGED_COMM "\x1b[2J\x1b[H\x1b]0;ok\x07\r"

static void make_forged_event(struct kg_event *ev)
{
	make_event(ev, 66, FORGED_PATH);
	memset(ev->comm, 0, KG_COMM_LEN);
	memcpy(ev->comm, FORGED_COMM, strlen(FORGED_COMM));
}

static void assert_unforgeable(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	assert_null(strstr(line, "\xe2\x80\xae"));
	/* One reason= field and no allow verdict: spaces in the path are
	 * escaped, so it added no field of its own. */
	assert_non_null(strstr(line, " reason="));
	assert_null(strstr(strstr(line, " reason=") + 1, " reason="));
	assert_null(strstr(line, " allow "));
	assert_non_null(strstr(line, "/tmp/x\\x0a2026-11-29T10:00:00.000000Z\\x20allow\\x20exec"
				     "\\x20/usr/bin/ok\\x20reason=verified\\x20\\x5cx0a"
				     "\\xe2\\x80\\xae reason=unknown-signer"));
	assert_non_null(strstr(line, "comm=\\x1b[2J\\x1b[H\\x1b]0;ok\\x07\\x0d"));
}

static void test_human_line_escapes_path_and_comm(void **state)
{
	char line[KG_EVENT_HUMAN_MAX];
	struct kg_event ev;

	(void)state;
	make_forged_event(&ev);
	kg_event_format_human(line, sizeof(line), &ev, &policy);
	assert_unforgeable(line);
}

#if HAVE_LIBSYSTEMD
/* The journald MESSAGE is the same escaped line; the KEYGATE_PATH and
 * KEYGATE_COMM fields keep the exact bytes (the journal is binary-safe). */
static void test_journal_message_escapes_path_and_comm(void **state)
{
	struct journal_fields f;
	struct kg_event ev;
	bool saw_path = false;

	(void)state;
	make_forged_event(&ev);
	journal_decision_fields(&f, &ev, &policy);
	assert_int_equal(strncmp(f.buf, "MESSAGE=", 8), 0);
	assert_unforgeable(f.buf + 8);
	for (size_t off = 0; off < f.len; off += strlen(f.buf + off) + 1)
		if (strncmp(f.buf + off, "KEYGATE_PATH=", 13) == 0) {
			assert_string_equal(f.buf + off + 13, FORGED_PATH);
			saw_path = true;
		}
	assert_true(saw_path);
}
#endif

/* An event of a generation the agent no longer holds (policy NULL) says
 * so and names no rule. */
static void test_human_line_unknown_generation(void **state)
{
	char line[KG_EVENT_HUMAN_MAX];
	struct kg_event ev;

	(void)state;
	make_event(&ev, 5, "/usr/bin/old");
	ev.generation = 3;
	kg_event_format_human(line, sizeof(line), &ev, NULL);
	assert_non_null(strstr(line, " policy=unknown generation=3 "));
	assert_null(strstr(line, "rule="));
}

static void test_escape_text(void **state)
{
	char out[64];
	size_t columns;

	(void)state;
	/* UTF-8 text stays; an invalid byte, an overlong NUL and a C1 CSI
	 * (U+009B) do not. */
	kg_escape_text(out, sizeof(out), "caf\xc3\xa9 \xff\xc0\x80\xc2\x9b", 12, 0, &columns);
	assert_string_equal(out, "caf\xc3\xa9 \\xff\\xc0\\x80\\xc2\\x9b");
	assert_int_equal(columns, 5 + 4 * 5);
	kg_escape_text(out, sizeof(out), "a b", 3, KG_ESCAPE_SPACE, NULL);
	assert_string_equal(out, "a\\x20b");
	/* Too small: whole escapes only. */
	kg_escape_text(out, 6, "ab\ncd", 5, 0, NULL);
	assert_string_equal(out, "ab");
	kg_escape_text(out, 8, "ab\ncd", 5, 0, NULL);
	assert_string_equal(out, "ab\\x0ac");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_line),
		cmocka_unit_test(test_human_line_escapes_path_and_comm),
#if HAVE_LIBSYSTEMD
		cmocka_unit_test(test_journal_message_escapes_path_and_comm),
#endif
		cmocka_unit_test(test_human_line_unknown_generation),
		cmocka_unit_test(test_escape_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit_journal.c - the journald sink (built with libsystemd, used when the
 * agent runs under systemd): the human line as MESSAGE plus KEYGATE_*
 * fields, sent by the side thread.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "audit_internal.h"

bool journal_available(void)
{
	return getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM");
}

/* Appends one KEY=value field (NUL-terminated); too long ones are cut. */
static void field_add(struct journal_fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field_add(struct journal_fields *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->len >= sizeof(f->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(f->buf + f->len, sizeof(f->buf) - f->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	f->len += (size_t)n < sizeof(f->buf) - f->len ? (size_t)n + 1 : sizeof(f->buf) - f->len;
}

void journal_decision_fields(struct journal_fields *f, const struct kg_event *ev,
			     const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = kg_event_rule(ev, policy);
	const struct kg_anchor_info *anchor = kg_event_anchor(ev, policy);
	char human[KG_EVENT_HUMAN_MAX], f1[32], f2[32], f3[32];

	f->len = 0;
	/* The human line, escaped; KEYGATE_PATH and KEYGATE_COMM keep the
	 * exact bytes (the journal stores fields binary-safe). */
	kg_event_format_human(human, sizeof(human), ev, policy);
	field_add(f, "MESSAGE=%s", human);
	field_add(f, "PRIORITY=%d", ev->verdict == KG_VERDICT_DENY ? 4 : 5);
	field_add(f, "SYSLOG_IDENTIFIER=keygate");
	field_add(f, "KEYGATE_TYPE=decision");
	field_add(f, "KEYGATE_OP=%s", kg_name_or(kg_op_name(ev->op), f1, sizeof(f1), ev->op));
	field_add(f, "KEYGATE_VERDICT=%s", kg_name_or(kg_verdict_name(ev->verdict), f2, sizeof(f2), ev->verdict));
	field_add(f, "KEYGATE_REASON=%s", kg_name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason));
	field_add(f, "KEYGATE_RULE=%s", rule && rule->name ? rule->name : "");
	field_add(f, "KEYGATE_ANCHOR=%s", anchor && anchor->name ? anchor->name : "");
	field_add(f, "KEYGATE_PID=%" PRIu32, ev->pid);
	field_add(f, "KEYGATE_UID=%" PRIu32, ev->uid);
	field_add(f, "KEYGATE_COMM=%.*s", (int)strnlen(ev->comm, KG_COMM_LEN), ev->comm);
	field_add(f, "KEYGATE_PATH=%.*s", (int)kg_event_path_len(ev), ev->path);
	if (kg_event_module_len(ev))
		field_add(f, "KEYGATE_MODULE=%.*s", (int)kg_event_module_len(ev), ev->module);
	if (ev->reason == KG_REASON_UNKNOWN_READ)
		field_add(f, "KEYGATE_KERNEL_ID=%" PRIu32, ev->kernel_id);
	field_add(f, "KEYGATE_POLICY=%s", policy && policy->name ? policy->name : "");
}

void journal_decision(struct kg_audit *a, const struct kg_event *ev,
		      const struct kg_compiled_policy *policy)
{
	struct journal_fields f;

	if (!a->journald)
		return;
	journal_decision_fields(&f, ev, policy);
	side_queue_push(a, SIDE_JOURNAL, 0, 0, f.buf, f.len);
}

void journal_text(struct kg_audit *a, const char *type, const char *message)
{
	struct journal_fields f = { .len = 0 };

	if (!a->journald)
		return;
	field_add(&f, "MESSAGE=%s", message);
	field_add(&f, "PRIORITY=5");
	field_add(&f, "SYSLOG_IDENTIFIER=keygate");
	field_add(&f, "KEYGATE_TYPE=%s", type);
	side_queue_push(a, SIDE_JOURNAL, 0, 0, f.buf, f.len);
}

void journal_deliver(const struct side_msg *m)
{
	struct iovec iov[32];
	size_t n = 0;

	for (size_t off = 0; off < m->len && n < sizeof(iov) / sizeof(iov[0]);) {
		size_t field_len = strnlen(m->text + off, m->len - off);

		iov[n].iov_base = (void *)(m->text + off);
		iov[n++].iov_len = field_len;
		off += field_len + 1;
	}
	sd_journal_sendv(iov, (int)n);
}

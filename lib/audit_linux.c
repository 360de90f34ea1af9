// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit_linux.c - the Linux audit sink (built with libaudit): decisions and
 * lifecycle records as user-space audit messages, sent by the side thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libaudit.h>

#include "audit_internal.h"

/* Decisions are AUDIT_MAC_CHECK ("user space MAC decision results"): that
 * is what they are, the type has a name ausearch -m and aureport know, and
 * unlike USER_AVC no SELinux tool tries to parse it. Policy loads and
 * agent start/stop are USER_MAC_POLICY_LOAD / USER_MAC_STATUS, which
 * `aureport --mac` lists. */
#define KG_AUDIT_TYPE_DECISION AUDIT_MAC_CHECK
#define KG_AUDIT_TYPE_POLICY AUDIT_USER_MAC_POLICY_LOAD
#define KG_AUDIT_TYPE_STATUS AUDIT_USER_MAC_STATUS

static bool audit_wanted(struct kg_audit *a)
{
	return __atomic_load_n(&a->audit_fd, __ATOMIC_RELAXED) >= 0;
}

struct audit_msg {
	char buf[4096];
	size_t len;
};

static void msg_add(struct audit_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(struct audit_msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len >= sizeof(m->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, sizeof(m->buf) - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len = m->len + (size_t)n < sizeof(m->buf) ? m->len + (size_t)n : sizeof(m->buf) - 1;
}

/* Untrusted text goes through audit_encode_nv_string: quoted when plain,
 * hex when it has spaces, quotes or control bytes, as the kernel does. */
static void msg_add_str(struct audit_msg *m, const char *key, const char *value, size_t len)
{
	char *copy = strndup(value ? value : "?", value ? len : 1);
	char *field = copy ? audit_encode_nv_string(key, copy, 0) : NULL;

	if (field)
		msg_add(m, "%s%s", m->len ? " " : "", field);
	free(field);
	free(copy);
}

static void audit_send(struct kg_audit *a, int type, const struct audit_msg *m, int success)
{
	side_queue_push(a, SIDE_AUDIT, type, success, m->buf, m->len + 1);
}

/* Side thread: with auditd running and its backlog full, the kernel may
 * hold the sender for up to backlog_wait_time; the event loop goes on. */
void linux_audit_deliver(struct kg_audit *a, const struct side_msg *m)
{
	int fd = __atomic_load_n(&a->audit_fd, __ATOMIC_RELAXED);

	if (fd < 0)
		return;
	if (audit_log_user_message(fd, m->type, m->text, NULL, NULL, NULL, m->success) <= 0) {
		kg_log_warning("linux audit: sending a record failed: %s; "
			"continuing without audit records", strerror(errno));
		__atomic_store_n(&a->audit_fd, -1, __ATOMIC_RELAXED);
		audit_close(fd);
	}
}

static void msg_add_policy(struct audit_msg *m, const char *prefix, const struct kg_compiled_policy *p)
{
	char key[32], hex[2 * KG_POLICY_DIGEST_LEN + 1];

	snprintf(key, sizeof(key), "%spolicy", prefix);
	msg_add_str(m, key, p->name, p->name ? strlen(p->name) : 0);
	kg_hex_encode(hex, p->digest, KG_POLICY_DIGEST_LEN);
	msg_add(m, " %spolicy_version=%" PRIu64 " %spolicy_digest=sha256:%s", prefix, p->version, prefix, hex);
}

void linux_audit_decision(struct kg_audit *a, const struct kg_event *ev,
			  const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = kg_event_rule(ev, policy);
	const struct kg_anchor_info *anchor = kg_event_anchor(ev, policy);
	struct audit_msg m = { .len = 0 };
	char text[300], f1[32], f2[32], f3[32];

	if (!audit_wanted(a))
		return;
	msg_add(&m, "op=%s verdict=%s reason=%s",
		kg_name_or(kg_op_name(ev->op), f1, sizeof(f1), ev->op),
		kg_name_or(kg_verdict_name(ev->verdict), f2, sizeof(f2), ev->verdict),
		kg_name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason));
	if (rule) {
		msg_add_str(&m, "rule", rule->name, rule->name ? strlen(rule->name) : 0);
		msg_add(&m, " rule_id=%" PRIu32, ev->rule);
		kg_format_rule_source(text, sizeof(text), rule);
		msg_add_str(&m, "src", text, strlen(text));
	}
	if (anchor)
		msg_add_str(&m, "anchor", anchor->name, anchor->name ? strlen(anchor->name) : 0);
	if (ev->error) {
		const char *name = strerrorname_np(ev->error < 0 ? -ev->error : ev->error);

		msg_add(&m, " error=%s", name ? name : "unknown");
	}
	/* The record's own pid/uid are the agent's: the process the decision
	 * is about is the object here (opid/ouid, as for signals). */
	msg_add(&m, " opid=%" PRIu32 " otgid=%" PRIu32 " ouid=%" PRIu32, ev->pid, ev->tgid, ev->uid);
	msg_add_str(&m, "ocomm", ev->comm, strnlen(ev->comm, KG_COMM_LEN));
	msg_add_str(&m, "path", ev->path, kg_event_path_len(ev));
	if (kg_event_module_len(ev))
		msg_add_str(&m, "module", ev->module, kg_event_module_len(ev));
	if (ev->op == KG_OP_MODULE_BUFFER)
		msg_add(&m, " module_sig=%s", ev->flags & KG_EVENT_MODULE_SIG ? "yes" : "no");
	if (ev->reason == KG_REASON_UNKNOWN_READ)
		msg_add(&m, " kernel_id=%" PRIu32, ev->kernel_id);
	kg_format_dev(text, sizeof(text), ev->dev);
	msg_add(&m, " dev=%s ino=%" PRIu64, text, (uint64_t)ev->ino);
	if (kg_format_digest(text, sizeof(text), ev))
		msg_add(&m, " digest=%s", text);
	if (policy)
		msg_add_policy(&m, "", policy);
	audit_send(a, KG_AUDIT_TYPE_DECISION, &m, ev->verdict == KG_VERDICT_DENY ? 0 : 1);
}

void linux_audit_lifecycle(struct kg_audit *a, enum lifecycle_kind kind, const char *op,
			   const struct kg_compiled_policy *old_policy,
			   const struct kg_compiled_policy *new_policy, const char *result,
			   const char *signer, bool success)
{
	int type = kind == LIFECYCLE_POLICY ? KG_AUDIT_TYPE_POLICY : KG_AUDIT_TYPE_STATUS;
	struct audit_msg m = { .len = 0 };

	if (!audit_wanted(a))
		return;
	msg_add(&m, "op=%s", op);
	if (old_policy)
		msg_add_policy(&m, "old_", old_policy);
	if (new_policy)
		msg_add_policy(&m, "", new_policy);
	if (kind == LIFECYCLE_POLICY)
		msg_add_str(&m, "signer", signer ? signer : "none", strlen(signer ? signer : "none"));
	if (result)
		msg_add_str(&m, "result", result, strlen(result));
	msg_add(&m, " agent_pid=%d", (int)getpid());
	audit_send(a, type, &m, success);
}

void linux_audit_open(struct kg_audit *a)
{
	a->audit_fd = audit_open();
	if (a->audit_fd < 0)
		kg_log_warning("linux audit: cannot open the audit socket: %s; "
			"continuing without audit records", strerror(errno));
}

void linux_audit_close(struct kg_audit *a)
{
	if (a->audit_fd >= 0)
		audit_close(a->audit_fd);
	a->audit_fd = -1;
}

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * audit.h - where decisions go: the JSON lines log, Linux audit records
 * (libaudit) and journald. The agent's event loop hands every ring-buffer
 * record to kg_audit_decision(); sinks must never block the loop for long
 * (a writer thread with a bounded queue owns the disk).
 */
#ifndef KEYGATE_AUDIT_H
#define KEYGATE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "keygate_abi.h"
#include "keygate_policy.h"

#define KG_LOG_SCHEMA_VERSION 1
#define KG_DEFAULT_LOG_PATH "/var/log/keygate/audit.log"

struct kg_audit_options {
	const char *log_path;  /* NULL: KG_DEFAULT_LOG_PATH; "-" or "" : no file */
	bool linux_audit;      /* send records through libaudit when built with it */
	bool journald;         /* structured journald records when under systemd */
};

struct kg_audit;

int kg_audit_open(struct kg_audit **out, const struct kg_audit_options *opts);
/* Queues one decision; never blocks on the disk. The policy is the one in
 * force for ev->generation (for rule names, source file:line, anchors). */
void kg_audit_decision(struct kg_audit *a, const struct kg_event *ev,
		       const struct kg_compiled_policy *policy);
/* Agent lifecycle and policy changes (old may be NULL on first load). */
void kg_audit_agent_start(struct kg_audit *a, const struct kg_compiled_policy *policy);
void kg_audit_agent_stop(struct kg_audit *a, const struct kg_compiled_policy *policy);
void kg_audit_policy_change(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result);
/* Total ring-buffer drops reported by the kernel so far; a record is
 * written when the count grows. */
void kg_audit_ring_losses(struct kg_audit *a, uint64_t dropped_total);
/* Reopen the log file (logrotate: SIGHUP / SIGUSR1). */
int kg_audit_reopen(struct kg_audit *a);
/* Flushes queued records and closes every sink. */
void kg_audit_close(struct kg_audit *a);

/* One decision as a JSON object (the log schema), also used by
 * `keygate run -j` for its foreground output. */
void kg_event_write_json(struct json_writer *w, const struct kg_event *ev,
			 const struct kg_compiled_policy *policy, const char *host);
/* One decision as a human line for the agent's foreground output. */
void kg_event_format_human(char *buf, size_t size, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy);

#endif /* KEYGATE_AUDIT_H */

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

#include "event_format.h"
#include "json_writer.h"
#include "keygate_abi.h"
#include "keygate_policy.h"

#define KG_DEFAULT_LOG_PATH "/var/log/keygate/audit.log"

struct kg_audit_options {
	const char *log_path;  /* NULL: KG_DEFAULT_LOG_PATH; "-" or "" : no file */
	bool linux_audit;      /* send records through libaudit when built with it */
	bool journald;         /* structured journald records when under systemd */
	size_t queue_bytes;    /* writer queue capacity; 0: KG_AUDIT_QUEUE_DEFAULT */
};

#define KG_AUDIT_QUEUE_DEFAULT (16u << 20)

/* Counters since kg_audit_open (records = JSON lines). */
struct kg_audit_stats {
	uint64_t queued;        /* records accepted into the writer queue */
	uint64_t written;       /* records written to the log file */
	uint64_t queue_dropped; /* queue full: dropped, never blocked for long */
	uint64_t write_failed;  /* lost to write errors (ENOSPC, EIO...) */
	uint64_t ring_dropped;  /* kernel ring-buffer drops reported to us */
	uint64_t side_dropped;  /* audit/journald messages lost: their queue was full */
};

struct kg_audit;

int kg_audit_open(struct kg_audit **out, const struct kg_audit_options *opts);
/* Queues one decision; never blocks on the disk. The policy is the one in
 * force for ev->generation (for rule names, source file:line, anchors). */
void kg_audit_decision(struct kg_audit *a, const struct kg_event *ev,
		       const struct kg_compiled_policy *policy);
/* Agent lifecycle and policy changes (old may be NULL on first load).
 * result NULL or "applied": new_policy is now in force. Anything else
 * (e.g. "rejected: invalid policy") means the change failed and
 * old_policy stays in force; new_policy, if not NULL, is the rejected
 * candidate and is recorded as such. */
void kg_audit_agent_start(struct kg_audit *a, const struct kg_compiled_policy *policy);
/* The agent could not start enforcing: nothing is in force. candidate
 * (may be NULL) is the policy it tried; why says what failed. Linux audit
 * gets a USER_MAC_STATUS record with res=failed. */
void kg_audit_agent_start_failed(struct kg_audit *a, const struct kg_compiled_policy *candidate,
				 const char *why);
void kg_audit_agent_stop(struct kg_audit *a, const struct kg_compiled_policy *policy);
void kg_audit_policy_change(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result);
/* The same with the candidate's signer (the signing certificate's subject,
 * or its issuer and serial); NULL: an unsigned policy. Records say
 * "signer": null and signer=none then. */
void kg_audit_policy_load(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			  const struct kg_compiled_policy *new_policy, const char *result,
			  const char *signer);
/* Total ring-buffer drops reported by the kernel so far; a record is
 * written when the count grows. */
void kg_audit_ring_losses(struct kg_audit *a, uint64_t dropped_total);
/* Reopen the log file (logrotate: SIGHUP / SIGUSR1). Call it from the
 * event loop, not from a signal handler. */
int kg_audit_reopen(struct kg_audit *a);
/* Flushes queued records and closes every sink. */
void kg_audit_close(struct kg_audit *a);
/* Waits until the writer queue is empty (tests, benchmarks, shutdown). */
void kg_audit_flush(struct kg_audit *a);
void kg_audit_get_stats(struct kg_audit *a, struct kg_audit_stats *out);

#endif /* KEYGATE_AUDIT_H */

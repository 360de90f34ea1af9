/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * audit_internal.h - the pieces of struct kg_audit (audit.h) and how they
 * meet: audit.c (the API) formats records and hands them to the log file
 * writer (audit_writer.c: a thread behind a bounded byte queue) and to the
 * side queue (audit_side.c: a thread that does the Linux audit and journald
 * sends, which may wait on other daemons). The Linux audit sink
 * (audit_linux.c) and the journald sink (audit_journal.c) are built only
 * with libaudit and libsystemd; without them the no-op versions below
 * stand in.
 */
#ifndef KEYGATE_AUDIT_INTERNAL_H
#define KEYGATE_AUDIT_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "audit.h"
#include "config.h"
#include "event_format.h"
#include "log.h"

#define KG_SIDE_SLOTS 512
#define KG_SIDE_TEXT 4096

enum side_sink { SIDE_AUDIT = 1, SIDE_JOURNAL = 2 };

struct side_msg {
	int sink;
	int type; /* audit record type */
	int success;
	size_t len; /* audit: the message; journal: NUL-separated KEY=value fields */
	char text[KG_SIDE_TEXT];
};

/* Lifecycle records: the agent's own state, or a policy change. */
enum lifecycle_kind { LIFECYCLE_STATUS, LIFECYCLE_POLICY };

struct kg_audit {
	char *log_path; /* NULL: no file sink */
	char host[HOST_NAME_MAX + 1];

	/* Queue: bytes [head, head + len) of ring (mod cap), whole lines. */
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* writer: data, reopen or stop */
	pthread_cond_t space; /* producers and flush: the writer consumed */
	char *ring;
	size_t cap, head, len;
	bool stopping;
	bool dropping;     /* last record was dropped: do not wait again */
	int pending_fd;    /* reopened file, swapped in by the writer */
	bool writer_busy;  /* a chunk is being written outside the lock */
	bool writer_idle;  /* waiting on wake */
	struct kg_audit_stats stats;
	uint64_t queue_dropped_reported;
	uint64_t write_failed_reported;
	uint64_t ring_total_seen;
	struct kg_policy_identity current;

	/* Writer thread only. */
	pthread_t writer;
	bool writer_started;
	int fd;
	int write_errno;
	bool write_failing;
	bool partial_line; /* a failed write left half a line in the file */
	FILE *loss_stream;
	char *loss_buf;
	size_t loss_size;

	/* Producer-side formatting, one caller at a time. */
	pthread_mutex_t fmt_lock;
	FILE *fmt_stream;
	char *fmt_buf;
	size_t fmt_size;

	int audit_fd; /* -1: no Linux audit records; owned by the side thread */
	bool journald;

	/* Linux audit and journald sends wait on other daemons: a side
	 * thread does them, fed by a bounded queue of formatted messages. */
	pthread_mutex_t side_lock;
	pthread_cond_t side_wake, side_done;
	struct side_msg *side;
	size_t side_head, side_len;
	bool side_stopping, side_busy, side_started;
	uint64_t side_dropped, side_dropped_reported;
	pthread_t side_thread;
};

/* audit_writer.c: the JSON lines file. */
int log_writer_start(struct kg_audit *a, const char *path, size_t queue_bytes);
/* Copies one line into the queue; false (counted lost) when it stays full. */
bool log_writer_enqueue(struct kg_audit *a, const char *line, size_t n);
void log_writer_flush(struct kg_audit *a);
/* Stops the thread after the queue is written, then reports late losses. */
void log_writer_stop(struct kg_audit *a);

/* audit_side.c: the queue in front of the Linux audit and journald sends. */
int side_queue_start(struct kg_audit *a);
/* Never waits: a full side queue counts the message as lost. */
void side_queue_push(struct kg_audit *a, int sink, int type, int success, const char *text,
		     size_t len);
void side_queue_flush(struct kg_audit *a);
void side_queue_stop(struct kg_audit *a);

#if HAVE_LIBAUDIT
/* audit_linux.c */
void linux_audit_open(struct kg_audit *a);
void linux_audit_close(struct kg_audit *a);
void linux_audit_decision(struct kg_audit *a, const struct kg_event *ev,
			  const struct kg_compiled_policy *policy);
void linux_audit_lifecycle(struct kg_audit *a, enum lifecycle_kind kind, const char *op,
			   const struct kg_compiled_policy *old_policy,
			   const struct kg_compiled_policy *new_policy, const char *result,
			   const char *signer, bool success);
/* Side thread. */
void linux_audit_deliver(struct kg_audit *a, const struct side_msg *m);
#else
static inline void linux_audit_open(struct kg_audit *a)
{
	kg_log_warning("linux audit: built without libaudit; no audit records");
	a->audit_fd = -1;
}

static inline void linux_audit_close(struct kg_audit *a)
{
	(void)a;
}

static inline void linux_audit_decision(struct kg_audit *a, const struct kg_event *ev,
					const struct kg_compiled_policy *policy)
{
	(void)a, (void)ev, (void)policy;
}

static inline void linux_audit_lifecycle(struct kg_audit *a, enum lifecycle_kind kind,
					 const char *op,
					 const struct kg_compiled_policy *old_policy,
					 const struct kg_compiled_policy *new_policy,
					 const char *result, const char *signer, bool success)
{
	(void)a, (void)kind, (void)op, (void)old_policy, (void)new_policy, (void)result,
		(void)signer, (void)success;
}

static inline void linux_audit_deliver(struct kg_audit *a, const struct side_msg *m)
{
	(void)a, (void)m;
}
#endif

#if HAVE_LIBSYSTEMD
/* audit_journal.c */
struct journal_fields {
	char buf[KG_SIDE_TEXT]; /* KEY=value fields, each NUL-terminated */
	size_t len;
};

bool journal_available(void);
/* A decision's fields: MESSAGE (the human line), PRIORITY, KEYGATE_*. */
void journal_decision_fields(struct journal_fields *f, const struct kg_event *ev,
			     const struct kg_compiled_policy *policy);
void journal_decision(struct kg_audit *a, const struct kg_event *ev,
		      const struct kg_compiled_policy *policy);
void journal_text(struct kg_audit *a, const char *type, const char *message);
/* Side thread. */
void journal_deliver(const struct side_msg *m);
#else
static inline bool journal_available(void)
{
	return false;
}

static inline void journal_decision(struct kg_audit *a, const struct kg_event *ev,
				    const struct kg_compiled_policy *policy)
{
	(void)a, (void)ev, (void)policy;
}

static inline void journal_text(struct kg_audit *a, const char *type, const char *message)
{
	(void)a, (void)type, (void)message;
}

static inline void journal_deliver(const struct side_msg *m)
{
	(void)m;
}
#endif

#endif /* KEYGATE_AUDIT_INTERNAL_H */

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit_side.c - the side queue: a bounded ring of formatted Linux audit
 * and journald messages and the thread that sends them. With auditd's
 * backlog full the kernel may hold a sender for backlog_wait_time; the
 * agent's event loop only ever pushes, and a full ring counts a loss.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

void side_queue_push(struct kg_audit *a, int sink, int type, int success, const char *text,
		     size_t len)
{
	struct side_msg *m;

	if (!a->side_started || len > KG_SIDE_TEXT)
		return;
	pthread_mutex_lock(&a->side_lock);
	if (a->side_len == KG_SIDE_SLOTS) {
		a->side_dropped++;
		pthread_mutex_unlock(&a->side_lock);
		return;
	}
	m = &a->side[(a->side_head + a->side_len) % KG_SIDE_SLOTS];
	m->sink = sink;
	m->type = type;
	m->success = success;
	m->len = len;
	memcpy(m->text, text, len);
	a->side_len++;
	pthread_cond_signal(&a->side_wake);
	pthread_mutex_unlock(&a->side_lock);
}

static void side_deliver(struct kg_audit *a, struct side_msg *m)
{
	if (m->sink == SIDE_AUDIT)
		linux_audit_deliver(a, m);
	else
		journal_deliver(m);
}

static void *side_main(void *arg)
{
	struct kg_audit *a = arg;

	pthread_mutex_lock(&a->side_lock);
	for (;;) {
		struct side_msg *m;

		while (!a->side_len && !a->side_stopping)
			pthread_cond_wait(&a->side_wake, &a->side_lock);
		if (!a->side_len)
			break;
		/* The head slot stays ours until side_head moves. */
		m = &a->side[a->side_head];
		a->side_busy = true;
		pthread_mutex_unlock(&a->side_lock);
		side_deliver(a, m);
		pthread_mutex_lock(&a->side_lock);
		a->side_head = (a->side_head + 1) % KG_SIDE_SLOTS;
		a->side_len--;
		a->side_busy = false;
		pthread_cond_broadcast(&a->side_done);
	}
	pthread_mutex_unlock(&a->side_lock);
	return NULL;
}

int side_queue_start(struct kg_audit *a)
{
	int err;

	a->side = malloc(KG_SIDE_SLOTS * sizeof(*a->side));
	if (!a->side)
		return -ENOMEM;
	err = -pthread_create(&a->side_thread, NULL, side_main, a);
	if (err) {
		kg_log_error("audit: cannot start the audit/journal thread: %s", strerror(-err));
		return err;
	}
	a->side_started = true;
	return 0;
}

void side_queue_flush(struct kg_audit *a)
{
	if (!a->side_started)
		return;
	pthread_mutex_lock(&a->side_lock);
	while (a->side_len || a->side_busy)
		pthread_cond_wait(&a->side_done, &a->side_lock);
	pthread_mutex_unlock(&a->side_lock);
}

void side_queue_stop(struct kg_audit *a)
{
	if (!a->side_started)
		return;
	pthread_mutex_lock(&a->side_lock);
	a->side_stopping = true;
	pthread_cond_signal(&a->side_wake);
	pthread_mutex_unlock(&a->side_lock);
	pthread_join(a->side_thread, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit.c - the decision sinks' API (audit.h): renders each record once and
 * hands it to the JSON lines log (audit_writer.c), Linux audit
 * (audit_linux.c) and journald (audit_journal.c); the last two go through
 * the side queue (audit_side.c). See audit_internal.h for how they meet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_internal.h"

int kg_audit_open(struct kg_audit **out, const struct kg_audit_options *opts)
{
	const char *path = opts && opts->log_path ? opts->log_path : KG_DEFAULT_LOG_PATH;
	struct kg_audit *a;
	int err = 0;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = -1;
	a->pending_fd = -1;
	a->audit_fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->fmt_lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->space, NULL);
	pthread_mutex_init(&a->side_lock, NULL);
	pthread_cond_init(&a->side_wake, NULL);
	pthread_cond_init(&a->side_done, NULL);
	if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "localhost");

	a->fmt_stream = open_memstream(&a->fmt_buf, &a->fmt_size);
	a->loss_stream = open_memstream(&a->loss_buf, &a->loss_size);
	if (!a->fmt_stream || !a->loss_stream) {
		err = -ENOMEM;
		goto out;
	}
	/* Each stream has one user at a time (fmt_lock, the writer thread):
	 * per-character stdio locking would dominate formatting. */
	__fsetlocking(a->fmt_stream, FSETLOCKING_BYCALLER);
	__fsetlocking(a->loss_stream, FSETLOCKING_BYCALLER);
	if (path[0] && strcmp(path, "-") != 0) {
		err = log_writer_start(a, path, opts ? opts->queue_bytes : 0);
		if (err)
			goto out;
	}
	if (opts && opts->linux_audit)
		linux_audit_open(a);
	a->journald = opts && opts->journald && journal_available();
	if (a->audit_fd >= 0 || a->journald)
		err = side_queue_start(a);
out:
	if (err) {
		kg_audit_close(a);
		return err;
	}
	*out = a;
	return 0;
}

/* Renders one record with fn into the shared memstream and queues it. */
static void queue_record(struct kg_audit *a, void (*fn)(struct json_writer *w, void *ctx), void *ctx)
{
	struct json_writer w;

	if (!a->writer_started)
		return;
	pthread_mutex_lock(&a->fmt_lock);
	rewind(a->fmt_stream);
	json_init(&w, a->fmt_stream, false);
	fn(&w, ctx);
	fflush(a->fmt_stream);
	log_writer_enqueue(a, a->fmt_buf, a->fmt_size);
	pthread_mutex_unlock(&a->fmt_lock);
}

struct decision_ctx {
	const struct kg_event *ev;
	const struct kg_compiled_policy *policy;
	const char *host;
};

static void render_decision(struct json_writer *w, void *ctx)
{
	struct decision_ctx *d = ctx;

	kg_event_write_json(w, d->ev, d->policy, d->host);
}

void kg_audit_decision(struct kg_audit *a, const struct kg_event *ev,
		       const struct kg_compiled_policy *policy)
{
	struct decision_ctx d = { ev, policy, a->host };

	queue_record(a, render_decision, &d);
	linux_audit_decision(a, ev, policy);
	journal_decision(a, ev, policy);
}

struct lifecycle_ctx {
	struct kg_audit *a;
	const char *type;
	const struct kg_compiled_policy *old_policy;
	const struct kg_compiled_policy *policy;    /* in force afterwards */
	const struct kg_compiled_policy *candidate; /* rejected one, or NULL */
	const char *result;
	const char *signer; /* policy records: the candidate's signer, NULL unsigned */
	bool applied;
};

static void render_lifecycle(struct json_writer *w, void *ctx)
{
	struct lifecycle_ctx *l = ctx;
	struct kg_policy_identity id;
	char time[64];

	kg_policy_identity_set(&id, l->policy);
	kg_format_now(time, sizeof(time));
	json_object_begin(w);
	kg_write_record_header(w, l->type, time, l->a->host, &id);
	if (strcmp(l->type, "policy_reload") == 0) {
		kg_policy_identity_set(&id, l->old_policy);
		kg_write_policy_identity(w, "old_policy", &id);
	}
	if (l->candidate) {
		kg_policy_identity_set(&id, l->candidate);
		kg_write_policy_identity(w, "rejected_policy", &id);
	}
	if (strncmp(l->type, "policy_", 7) == 0) {
		json_kv_bool(w, "applied", l->applied);
		json_kv_string(w, "signer", l->signer);
	}
	if (l->result)
		json_kv_string(w, "result", l->result);
	if (l->policy)
		json_kv_string(w, "mode", kg_mode_name(l->policy->mode));
	json_kv_int(w, "agent_pid", getpid());
	json_kv_string(w, "version", KEYGATE_VERSION);
	json_object_end(w);
}

static void set_current_policy(struct kg_audit *a, const struct kg_compiled_policy *policy)
{
	struct kg_policy_identity id;

	kg_policy_identity_set(&id, policy);
	pthread_mutex_lock(&a->lock);
	a->current = id;
	pthread_mutex_unlock(&a->lock);
}

static void lifecycle(struct kg_audit *a, enum lifecycle_kind kind, struct lifecycle_ctx *l)
{
	char message[512];

	queue_record(a, render_lifecycle, l);
	linux_audit_lifecycle(a, kind, l->type, l->old_policy,
			      l->applied ? l->policy : l->candidate, l->result, l->signer, l->applied);
	snprintf(message, sizeof(message), "keygate %s: policy %s%s%s", l->type,
		 l->policy && l->policy->name ? l->policy->name : "-", l->result ? ": " : "",
		 l->result ? l->result : "");
	journal_text(a, l->type, message);
}

void kg_audit_agent_start(struct kg_audit *a, const struct kg_compiled_policy *policy)
{
	struct lifecycle_ctx l = { .a = a, .type = "agent_start", .policy = policy, .applied = true };

	set_current_policy(a, policy);
	lifecycle(a, LIFECYCLE_STATUS, &l);
}

void kg_audit_agent_start_failed(struct kg_audit *a, const struct kg_compiled_policy *candidate,
				 const char *why)
{
	struct lifecycle_ctx l = {
		.a = a, .type = "agent_start_failed", .candidate = candidate, .result = why,
	};

	lifecycle(a, LIFECYCLE_STATUS, &l);
}

void kg_audit_agent_stop(struct kg_audit *a, const struct kg_compiled_policy *policy)
{
	struct lifecycle_ctx l = { .a = a, .type = "agent_stop", .policy = policy, .applied = true };

	lifecycle(a, LIFECYCLE_STATUS, &l);
}

void kg_audit_policy_change(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result)
{
	kg_audit_policy_load(a, old_policy, new_policy, result, NULL);
}

void kg_audit_policy_load(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			  const struct kg_compiled_policy *new_policy, const char *result,
			  const char *signer)
{
	bool applied = new_policy && (!result || strcmp(result, "applied") == 0);
	struct lifecycle_ctx l = {
		.a = a,
		.type = old_policy ? "policy_reload" : "policy_load",
		.old_policy = old_policy,
		.policy = applied ? new_policy : old_policy,
		.candidate = applied ? NULL : new_policy,
		.result = result,
		.signer = signer,
		.applied = applied,
	};

	set_current_policy(a, l.policy);
	lifecycle(a, LIFECYCLE_POLICY, &l);
}

struct ring_loss_ctx {
	struct kg_audit *a;
	uint64_t count, total;
};

static void render_ring_loss(struct json_writer *w, void *ctx)
{
	struct ring_loss_ctx *r = ctx;
	struct kg_policy_identity id;
	char time[64];

	pthread_mutex_lock(&r->a->lock);
	id = r->a->current;
	pthread_mutex_unlock(&r->a->lock);
	kg_format_now(time, sizeof(time));
	json_object_begin(w);
	kg_write_record_header(w, "loss", time, r->a->host, &id);
	json_kv_string(w, "source", "ring");
	json_kv_uint(w, "count", r->count);
	json_kv_uint(w, "total", r->total);
	json_object_end(w);
}

void kg_audit_ring_losses(struct kg_audit *a, uint64_t dropped_total)
{
	struct ring_loss_ctx r = { a, 0, dropped_total };
	char message[128];

	pthread_mutex_lock(&a->lock);
	if (dropped_total <= a->ring_total_seen) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	r.count = dropped_total - a->ring_total_seen;
	a->ring_total_seen = dropped_total;
	a->stats.ring_dropped = dropped_total;
	pthread_mutex_unlock(&a->lock);

	queue_record(a, render_ring_loss, &r);
	snprintf(message, sizeof(message), "keygate: kernel ring buffer dropped %" PRIu64
		 " events (%" PRIu64 " in total)", r.count, r.total);
	journal_text(a, "loss", message);
}

void kg_audit_flush(struct kg_audit *a)
{
	side_queue_flush(a);
	log_writer_flush(a);
}

void kg_audit_get_stats(struct kg_audit *a, struct kg_audit_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_lock(&a->side_lock);
	out->side_dropped = a->side_dropped;
	pthread_mutex_unlock(&a->side_lock);
}

void kg_audit_close(struct kg_audit *a)
{
	if (!a)
		return;
	log_writer_stop(a);
	side_queue_stop(a);
	if (a->pending_fd >= 0)
		close(a->pending_fd);
	if (a->fd >= 0)
		close(a->fd);
	linux_audit_close(a);
	if (a->fmt_stream)
		fclose(a->fmt_stream);
	if (a->loss_stream)
		fclose(a->loss_stream);
	free(a->fmt_buf);
	free(a->loss_buf);
	free(a->ring);
	free(a->log_path);
	free(a->side);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->space);
	pthread_cond_destroy(&a->side_wake);
	pthread_cond_destroy(&a->side_done);
	pthread_mutex_destroy(&a->side_lock);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->fmt_lock);
	free(a);
}

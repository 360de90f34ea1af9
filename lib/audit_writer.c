// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit_writer.c - the JSON lines log file: a writer thread behind a
 * bounded byte queue, so the ring-buffer consumer never waits on the disk
 * for more than KG_AUDIT_WAIT_MS. Losses (queue full, write errors) are
 * counted and written as "loss" records once writing works again; a
 * reopen (logrotate) swaps the file between two records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "audit_internal.h"

/* Longest a producer waits for queue space before counting a loss. */
#define KG_AUDIT_WAIT_MS 2
/* The writer waits this long for a small batch to grow. */
#define KG_AUDIT_BATCH_MS 1
#define KG_AUDIT_BATCH_BYTES (64u << 10)
#define KG_LOG_FILE_MODE 0640
#define KG_LOG_DIR_MODE 0750

/* Creates missing directories of path's parent, mode 0750 (mkdir -p). */
static int make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		struct stat st;

		*p = '\0';
		/* EACCES/EROFS on a directory that exists is fine too. */
		if (mkdir(dir, KG_LOG_DIR_MODE) < 0 && errno != EEXIST &&
		    (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
			return -errno;
		*p = '/';
	}
	return 0;
}

static int open_log(const char *path)
{
	int fd, err;

	err = make_parent_dirs(path);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, KG_LOG_FILE_MODE);
	return fd < 0 ? -errno : fd;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))); p++)
		n++;
	return n;
}

/* Writes whole lines; on failure counts the lines that did not make it. */
static int write_lines(struct kg_audit *a, const char *buf, size_t len, uint64_t *lost)
{
	size_t done = 0;

	*lost = 0;
	if (a->partial_line) {
		/* Terminate the torn line so the next record starts clean; the
		 * reader reports the torn one as corrupt. */
		if (write(a->fd, "\n", 1) != 1) {
			*lost = count_lines(buf, len);
			return -errno;
		}
		a->partial_line = false;
	}
	while (done < len) {
		ssize_t n = write(a->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;
			const char *line_start = done ? memrchr(buf, '\n', done) : NULL;

			/* The line being written when it failed is lost too. */
			*lost = count_lines(buf + done, len - done);
			a->partial_line = done > 0 && (!line_start || line_start != buf + done - 1);
			return err;
		}
		done += (size_t)n;
	}
	return 0;
}

static void writer_report_error(struct kg_audit *a, int err)
{
	if (a->write_failing && a->write_errno == err)
		return;
	a->write_failing = true;
	a->write_errno = err;
	kg_log_warning("audit log %s: write failed: %s; counting lost records",
		a->log_path, strerror(-err));
}

/* Loss records, written by the writer itself once a write succeeded. */
static void writer_write_loss(struct kg_audit *a, const char *source, uint64_t count,
			      uint64_t total, int err, const struct kg_policy_identity *id)
{
	struct json_writer w;
	char time[64];
	uint64_t lost;

	rewind(a->loss_stream);
	json_init(&w, a->loss_stream, false);
	kg_format_now(time, sizeof(time));
	json_object_begin(&w);
	kg_write_record_header(&w, "loss", time, a->host, id);
	json_kv_string(&w, "source", source);
	json_kv_uint(&w, "count", count);
	if (total)
		json_kv_uint(&w, "total", total);
	if (err) {
		const char *name = strerrorname_np(-err);

		json_kv_string(&w, "error", name ? name : "unknown");
		json_kv_int(&w, "errno", -err);
	}
	json_object_end(&w);
	fflush(a->loss_stream);
	if (write_lines(a, a->loss_buf, a->loss_size, &lost) == 0) {
		pthread_mutex_lock(&a->lock);
		a->stats.written++;
		pthread_mutex_unlock(&a->lock);
	}
}

static void writer_report_losses(struct kg_audit *a)
{
	struct kg_policy_identity id;
	uint64_t queue_new, write_new, side_new;
	int err = a->write_errno;

	pthread_mutex_lock(&a->side_lock);
	side_new = a->side_dropped - a->side_dropped_reported;
	a->side_dropped_reported = a->side_dropped;
	pthread_mutex_unlock(&a->side_lock);

	pthread_mutex_lock(&a->lock);
	queue_new = a->stats.queue_dropped - a->queue_dropped_reported;
	write_new = a->stats.write_failed - a->write_failed_reported;
	a->queue_dropped_reported = a->stats.queue_dropped;
	a->write_failed_reported = a->stats.write_failed;
	id = a->current;
	pthread_mutex_unlock(&a->lock);
	if (write_new) {
		kg_log(KG_LOG_INFO, "audit log %s: writing works again; %" PRIu64 " records lost",
			a->log_path, write_new);
		writer_write_loss(a, "write", write_new, 0, err, &id);
	}
	if (queue_new)
		writer_write_loss(a, "queue", queue_new, 0, 0, &id);
	if (side_new)
		writer_write_loss(a, "side", side_new, 0, 0, &id);
}

static void deadline_after_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static bool losses_unreported(struct kg_audit *a)
{
	bool side;

	pthread_mutex_lock(&a->side_lock);
	side = a->side_dropped != a->side_dropped_reported;
	pthread_mutex_unlock(&a->side_lock);
	return side || a->stats.queue_dropped != a->queue_dropped_reported ||
	       a->stats.write_failed != a->write_failed_reported;
}

static void *writer_main(void *arg)
{
	struct kg_audit *a = arg;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		size_t chunk, lines;
		bool at_boundary;
		uint64_t lost = 0;
		int err;

		while (!a->len && a->pending_fd < 0 && !a->stopping) {
			a->writer_idle = true;
			pthread_cond_wait(&a->wake, &a->lock);
			a->writer_idle = false;
		}
		/* Batch before looking at pending_fd: whatever is queued after
		 * kg_audit_reopen() returns goes to the new file. */
		if (a->len && a->len < KG_AUDIT_BATCH_BYTES && !a->stopping && a->pending_fd < 0) {
			struct timespec deadline;

			/* Let a burst gather: fewer, larger writes and no wake-up
			 * per record. Producers do not signal a batching writer. */
			deadline_after_ms(&deadline, KG_AUDIT_BATCH_MS);
			pthread_cond_timedwait(&a->wake, &a->lock, &deadline);
		}
		if (a->pending_fd >= 0) {
			close(a->fd);
			a->fd = a->pending_fd;
			a->pending_fd = -1;
			a->partial_line = false;
			pthread_cond_broadcast(&a->space);
		}
		if (!a->len) {
			if (a->stopping)
				break;
			continue;
		}
		/* [head, head + chunk) stays ours until head moves. */
		chunk = a->len < a->cap - a->head ? a->len : a->cap - a->head;
		a->writer_busy = true;
		pthread_mutex_unlock(&a->lock);

		lines = count_lines(a->ring + a->head, chunk);
		/* A chunk ends at the end of the ring, maybe mid-record: loss
		 * records may only go in between whole lines. */
		at_boundary = a->ring[a->head + chunk - 1] == '\n';
		err = write_lines(a, a->ring + a->head, chunk, &lost);
		if (err)
			writer_report_error(a, err);

		pthread_mutex_lock(&a->lock);
		a->head = (a->head + chunk) % a->cap;
		a->len -= chunk;
		a->stats.written += lines - lost;
		a->stats.write_failed += lost;
		if (!err && at_boundary && losses_unreported(a)) {
			pthread_mutex_unlock(&a->lock);
			writer_report_losses(a);
			pthread_mutex_lock(&a->lock);
		}
		if (!err)
			a->write_failing = false;
		a->writer_busy = false;
		pthread_cond_broadcast(&a->space);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

bool log_writer_enqueue(struct kg_audit *a, const char *line, size_t n)
{
	size_t tail, first;

	pthread_mutex_lock(&a->lock);
	if (a->cap - a->len < n && !a->dropping) {
		struct timespec deadline;

		deadline_after_ms(&deadline, KG_AUDIT_WAIT_MS);
		while (a->cap - a->len < n &&
		       pthread_cond_timedwait(&a->space, &a->lock, &deadline) != ETIMEDOUT)
			;
	}
	if (a->cap - a->len < n) {
		a->stats.queue_dropped++;
		a->dropping = true;
		pthread_mutex_unlock(&a->lock);
		return false;
	}
	a->dropping = false;
	tail = (a->head + a->len) % a->cap;
	first = n < a->cap - tail ? n : a->cap - tail;
	memcpy(a->ring + tail, line, first);
	memcpy(a->ring, line + first, n - first);
	a->len += n;
	a->stats.queued++;
	/* Only an idle writer needs waking: a busy one comes back for more. */
	if (a->writer_idle)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	return true;
}

int log_writer_start(struct kg_audit *a, const char *path, size_t queue_bytes)
{
	int err;

	a->log_path = strdup(path);
	a->cap = queue_bytes ? queue_bytes : KG_AUDIT_QUEUE_DEFAULT;
	a->ring = malloc(a->cap);
	if (!a->log_path || !a->ring)
		return -ENOMEM;
	a->fd = open_log(path);
	if (a->fd < 0) {
		err = a->fd;
		kg_log_error("audit log %s: cannot open: %s", path, strerror(-err));
		return err;
	}
	err = -pthread_create(&a->writer, NULL, writer_main, a);
	if (err) {
		kg_log_error("audit log %s: cannot start the writer thread: %s", path,
			     strerror(-err));
		return err;
	}
	a->writer_started = true;
	return 0;
}

int kg_audit_reopen(struct kg_audit *a)
{
	int fd;

	if (!a->writer_started)
		return 0;
	fd = open_log(a->log_path);
	if (fd < 0) {
		kg_log_warning("audit log %s: cannot reopen: %s; still writing to the old file",
			       a->log_path, strerror(-fd));
		return fd;
	}
	pthread_mutex_lock(&a->lock);
	if (a->pending_fd >= 0)
		close(a->pending_fd);
	a->pending_fd = fd;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

void log_writer_flush(struct kg_audit *a)
{
	if (!a->writer_started)
		return;
	pthread_mutex_lock(&a->lock);
	while (a->len || a->writer_busy || a->pending_fd >= 0)
		pthread_cond_wait(&a->space, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

void log_writer_stop(struct kg_audit *a)
{
	if (!a->writer_started)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->writer, NULL);
	/* Losses counted after the last successful write. */
	if (losses_unreported(a))
		writer_report_losses(a);
}

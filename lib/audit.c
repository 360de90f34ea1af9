// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * audit.c - decision sinks: the JSON lines log (a writer thread behind a
 * bounded byte queue, so the ring-buffer consumer never waits on the disk
 * for more than KG_AUDIT_WAIT_MS), Linux audit records through libaudit and
 * journald records. Losses (queue full, write errors, kernel ring drops) are
 * counted and written as "loss" records once writing works again.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#if HAVE_LIBAUDIT
#include <libaudit.h>
#endif
#if HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

/* Longest a producer waits for queue space before counting a loss. */
#define KG_AUDIT_WAIT_MS 2
/* The writer waits this long for a small batch to grow. */
#define KG_AUDIT_BATCH_MS 1
#define KG_AUDIT_BATCH_BYTES (64u << 10)
#define KG_LOG_FILE_MODE 0640
#define KG_LOG_DIR_MODE 0750

struct policy_identity {
	char name[128];
	uint64_t version;
	char digest[8 + 2 * KG_POLICY_DIGEST_LEN]; /* "sha256:<hex>" */
	bool known;
};

enum side_sink { SIDE_AUDIT = 1, SIDE_JOURNAL = 2 };

#define KG_SIDE_SLOTS 512
#define KG_SIDE_TEXT 4096

struct side_msg {
	int sink;
	int type; /* audit record type */
	int success;
	size_t len; /* audit: the message; journal: NUL-separated KEY=value fields */
	char text[KG_SIDE_TEXT];
};

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
	struct policy_identity current;

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

static const char *name_or(const char *name, char *buf, size_t size, uint32_t value)
{
	if (name)
		return name;
	snprintf(buf, size, "unknown-%" PRIu32, value);
	return buf;
}

static const char *hash_alg_name(uint16_t alg)
{
	switch (alg) {
	case 1: return "sha256"; /* FS_VERITY_HASH_ALG_SHA256 */
	case 2: return "sha512"; /* FS_VERITY_HASH_ALG_SHA512 */
	default: return "unknown";
	}
}

static void format_realtime(char *buf, size_t size, const struct timespec *ts)
{
	struct tm tm;
	char date[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06uZ", date, (unsigned)(ts->tv_nsec / 1000) % 1000000u);
}

/* CLOCK_BOOTTIME -> wall clock through the current offset between the two
 * clocks (BOOTTIME keeps counting in suspend, so the offset is stable
 * unless someone sets the wall clock). */
void kg_format_boot_time(char *buf, size_t size, uint64_t time_boot_ns)
{
	struct timespec real, boot, wall;
	int64_t offset_ns, wall_ns;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	offset_ns = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000 + (real.tv_nsec - boot.tv_nsec);
	wall_ns = (int64_t)time_boot_ns + offset_ns;
	wall.tv_sec = wall_ns / 1000000000;
	wall.tv_nsec = wall_ns % 1000000000;
	format_realtime(buf, size, &wall);
}

static void format_now(char *buf, size_t size)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	format_realtime(buf, size, &now);
}

static void identity_from_policy(struct policy_identity *id, const struct kg_compiled_policy *policy)
{
	memset(id, 0, sizeof(*id));
	if (!policy)
		return;
	snprintf(id->name, sizeof(id->name), "%s", policy->name ? policy->name : "");
	id->version = policy->version;
	memcpy(id->digest, "sha256:", 7);
	kg_hex_encode(id->digest + 7, policy->digest, KG_POLICY_DIGEST_LEN);
	id->known = true;
}

static void write_identity(struct json_writer *w, const char *key, const struct policy_identity *id)
{
	json_key(w, key);
	if (!id->known) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "name", id->name);
	json_kv_uint(w, "version", id->version);
	json_kv_string(w, "digest", id->digest);
	json_object_end(w);
}

static void write_header(struct json_writer *w, const char *type, const char *time,
			 const char *host, const struct policy_identity *id)
{
	json_kv_int(w, "schema", KG_LOG_SCHEMA_VERSION);
	json_kv_string(w, "type", type);
	json_kv_string(w, "time", time);
	json_kv_string(w, "host", host);
	write_identity(w, "policy", id);
}

static const struct kg_rule_info *event_rule(const struct kg_event *ev,
					     const struct kg_compiled_policy *policy)
{
	if (!policy || ev->rule == KG_RULE_NONE || ev->rule >= policy->n_rules || !policy->rule_info)
		return NULL;
	return &policy->rule_info[ev->rule];
}

static const struct kg_anchor_info *event_anchor(const struct kg_event *ev,
						 const struct kg_compiled_policy *policy)
{
	if (!policy || ev->anchor == KG_ANCHOR_NONE || ev->anchor >= policy->n_anchors ||
	    !policy->anchor_info)
		return NULL;
	return &policy->anchor_info[ev->anchor];
}

/* The kernel names the keyring, not the certificate that verified; the
 * signer is known when the anchor holds exactly one certificate. */
static const char *event_signer(const struct kg_anchor_info *anchor)
{
	if (!anchor || anchor->n_certs != 1 || !anchor->certs)
		return NULL;
	return anchor->certs[0].subject;
}

static size_t event_path_len(const struct kg_event *ev)
{
	size_t len = ev->path_len < KG_EVENT_PATH_MAX ? ev->path_len : KG_EVENT_PATH_MAX;

	return strnlen(ev->path, len);
}

/* dev is the superblock's s_dev in the kernel's internal encoding
 * (major << 20 | minor). */
static void format_dev(char *buf, size_t size, uint64_t dev)
{
	snprintf(buf, size, "%" PRIu64 ":%" PRIu64, dev >> 20, dev & ((1u << 20) - 1));
}

static bool format_digest(char *buf, size_t size, const struct kg_event *ev)
{
	const char *alg = hash_alg_name(ev->digest_algo);
	size_t n = ev->digest_size < KG_DIGEST_MAX ? ev->digest_size : KG_DIGEST_MAX;
	size_t prefix = strlen(alg) + 1;

	if (n == 0 || size < prefix + 2 * n + 1)
		return false;
	snprintf(buf, size, "%s:", alg);
	kg_hex_encode(buf + prefix, ev->digest, n);
	return true;
}

static void format_source(char *buf, size_t size, const struct kg_rule_info *rule)
{
	snprintf(buf, size, "%s:%" PRIu32, rule->src.file ? rule->src.file : "?", rule->src.line);
}

static void write_error(struct json_writer *w, int32_t error)
{
	int err = error < 0 ? -error : error;
	const char *name = strerrorname_np(err);

	json_kv_string(w, "error", name ? name : "unknown");
	json_kv_int(w, "errno", err);
}

static void write_decision(struct json_writer *w, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy, const char *host)
{
	const struct kg_rule_info *rule = event_rule(ev, policy);
	const struct kg_anchor_info *anchor = event_anchor(ev, policy);
	struct policy_identity id;
	char time[64], text[48 + 2 * KG_DIGEST_MAX], fallback[32];

	identity_from_policy(&id, policy);
	kg_format_boot_time(time, sizeof(time), ev->time_boot_ns);
	json_object_begin(w);
	write_header(w, "decision", time, host, &id);
	json_kv_uint(w, "generation", ev->generation);
	json_kv_string(w, "op", name_or(kg_op_name(ev->op), fallback, sizeof(fallback), ev->op));
	json_kv_string(w, "verdict",
		       name_or(kg_verdict_name(ev->verdict), fallback, sizeof(fallback), ev->verdict));
	json_kv_string(w, "reason",
		       name_or(kg_reason_name(ev->reason), fallback, sizeof(fallback), ev->reason));
	json_key(w, "rule");
	json_string(w, rule ? rule->name : NULL);
	json_key(w, "rule_id");
	if (ev->rule == KG_RULE_NONE)
		json_null(w);
	else
		json_uint(w, ev->rule);
	json_key(w, "source");
	if (rule) {
		format_source(text, sizeof(text), rule);
		json_string(w, text);
	} else {
		json_null(w);
	}
	json_key(w, "anchor");
	json_string(w, anchor ? anchor->name : NULL);
	if (event_signer(anchor))
		json_kv_string(w, "signer", event_signer(anchor));
	if (ev->error)
		write_error(w, ev->error);
	json_kv_uint(w, "pid", ev->pid);
	json_kv_uint(w, "tgid", ev->tgid);
	json_kv_uint(w, "uid", ev->uid);
	json_key(w, "comm");
	json_string_len(w, ev->comm, strnlen(ev->comm, KG_COMM_LEN));
	json_key(w, "path");
	json_string_len(w, ev->path, event_path_len(ev));
	format_dev(text, sizeof(text), ev->dev);
	json_kv_string(w, "dev", text);
	json_kv_uint(w, "ino", ev->ino);
	json_key(w, "digest");
	if (format_digest(text, sizeof(text), ev))
		json_string(w, text);
	else
		json_null(w);
	json_object_end(w);
}

void kg_event_write_json(struct json_writer *w, const struct kg_event *ev,
			 const struct kg_compiled_policy *policy, const char *host)
{
	write_decision(w, ev, policy, host);
}

void kg_event_format_human(char *buf, size_t size, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = event_rule(ev, policy);
	const struct kg_anchor_info *anchor = event_anchor(ev, policy);
	char time[64], source[300] = "", err[48] = "", f1[32], f2[32], f3[32];
	int path_len = (int)event_path_len(ev);

	kg_format_boot_time(time, sizeof(time), ev->time_boot_ns);
	if (rule) {
		snprintf(source, sizeof(source), " rule=%s (", rule->name ? rule->name : "?");
		format_source(source + strlen(source), sizeof(source) - strlen(source), rule);
		strncat(source, ")", sizeof(source) - strlen(source) - 1);
	}
	if (ev->error) {
		const char *name = strerrorname_np(ev->error < 0 ? -ev->error : ev->error);

		snprintf(err, sizeof(err), " error=%s", name ? name : "unknown");
	}
	snprintf(buf, size, "%s %-5s %-13s %.*s reason=%s%s%s%s pid=%" PRIu32 " uid=%" PRIu32 " comm=%.*s",
		 time, name_or(kg_verdict_name(ev->verdict), f1, sizeof(f1), ev->verdict),
		 name_or(kg_op_name(ev->op), f2, sizeof(f2), ev->op), path_len, ev->path,
		 name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason), source,
		 anchor && anchor->name ? " anchor=" : "", anchor && anchor->name ? anchor->name : "",
		 ev->pid, ev->uid, (int)strnlen(ev->comm, KG_COMM_LEN), ev->comm);
	if (err[0])
		strncat(buf, err, size - strlen(buf) - 1);
}

/* ---- the writer thread and its queue ---- */

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
			      uint64_t total, int err, const struct policy_identity *id)
{
	struct json_writer w;
	char time[64];
	uint64_t lost;

	rewind(a->loss_stream);
	json_init(&w, a->loss_stream, false);
	format_now(time, sizeof(time));
	json_object_begin(&w);
	write_header(&w, "loss", time, a->host, id);
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
	struct policy_identity id;
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

/* Copies one line into the queue; counts it lost when the queue stays full. */
static bool enqueue_line(struct kg_audit *a, const char *line, size_t n)
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

/* ---- the side thread: Linux audit and journald ---- */

/* (Unused in a build with neither libaudit nor libsystemd.) */
__attribute__((unused)) static bool audit_wanted(struct kg_audit *a)
{
	return __atomic_load_n(&a->audit_fd, __ATOMIC_RELAXED) >= 0;
}

/* Never waits: a full side queue counts the message as lost. */
__attribute__((unused)) static void side_push(struct kg_audit *a, int sink, int type, int success, const char *text, size_t len)
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

static void side_deliver(struct kg_audit *a, struct side_msg *m);

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

/* ---- Linux audit ---- */

#if HAVE_LIBAUDIT
/* Decisions are AUDIT_MAC_CHECK ("user space MAC decision results"): that
 * is what they are, the type has a name ausearch -m and aureport know, and
 * unlike USER_AVC no SELinux tool tries to parse it. Policy loads and
 * agent start/stop are USER_MAC_POLICY_LOAD / USER_MAC_STATUS, which
 * `aureport --mac` lists. */
#define KG_AUDIT_TYPE_DECISION AUDIT_MAC_CHECK
#define KG_AUDIT_TYPE_POLICY AUDIT_USER_MAC_POLICY_LOAD
#define KG_AUDIT_TYPE_STATUS AUDIT_USER_MAC_STATUS

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
	side_push(a, SIDE_AUDIT, type, success, m->buf, m->len + 1);
}

/* Side thread: with auditd running and its backlog full, the kernel may
 * hold the sender for up to backlog_wait_time; the event loop goes on. */
static void audit_deliver(struct kg_audit *a, const struct side_msg *m)
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

static void audit_decision(struct kg_audit *a, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = event_rule(ev, policy);
	const struct kg_anchor_info *anchor = event_anchor(ev, policy);
	struct audit_msg m = { .len = 0 };
	char text[300], f1[32], f2[32], f3[32];

	if (!audit_wanted(a))
		return;
	msg_add(&m, "op=%s verdict=%s reason=%s",
		name_or(kg_op_name(ev->op), f1, sizeof(f1), ev->op),
		name_or(kg_verdict_name(ev->verdict), f2, sizeof(f2), ev->verdict),
		name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason));
	if (rule) {
		msg_add_str(&m, "rule", rule->name, rule->name ? strlen(rule->name) : 0);
		msg_add(&m, " rule_id=%" PRIu32, ev->rule);
		format_source(text, sizeof(text), rule);
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
	msg_add_str(&m, "path", ev->path, event_path_len(ev));
	format_dev(text, sizeof(text), ev->dev);
	msg_add(&m, " dev=%s ino=%" PRIu64, text, (uint64_t)ev->ino);
	if (format_digest(text, sizeof(text), ev))
		msg_add(&m, " digest=%s", text);
	if (policy)
		msg_add_policy(&m, "", policy);
	audit_send(a, KG_AUDIT_TYPE_DECISION, &m, ev->verdict == KG_VERDICT_DENY ? 0 : 1);
}

static void audit_lifecycle(struct kg_audit *a, int type, const char *op,
			    const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result, bool success)
{
	struct audit_msg m = { .len = 0 };

	if (!audit_wanted(a))
		return;
	msg_add(&m, "op=%s", op);
	if (old_policy)
		msg_add_policy(&m, "old_", old_policy);
	if (new_policy)
		msg_add_policy(&m, "", new_policy);
	if (result)
		msg_add_str(&m, "result", result, strlen(result));
	msg_add(&m, " agent_pid=%d", (int)getpid());
	audit_send(a, type, &m, success);
}

static void audit_open_socket(struct kg_audit *a)
{
	a->audit_fd = audit_open();
	if (a->audit_fd < 0)
		kg_log_warning("linux audit: cannot open the audit socket: %s; "
			"continuing without audit records", strerror(errno));
}

static void audit_close_socket(struct kg_audit *a)
{
	if (a->audit_fd >= 0)
		audit_close(a->audit_fd);
	a->audit_fd = -1;
}
#else
#define KG_AUDIT_TYPE_POLICY 0
#define KG_AUDIT_TYPE_STATUS 0
static void audit_decision(struct kg_audit *a, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy)
{
	(void)a, (void)ev, (void)policy;
}

static void audit_lifecycle(struct kg_audit *a, int type, const char *op,
			    const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result, bool success)
{
	(void)a, (void)type, (void)op, (void)old_policy, (void)new_policy, (void)result, (void)success;
}

static void audit_open_socket(struct kg_audit *a)
{
	kg_log_warning("linux audit: built without libaudit; no audit records");
	a->audit_fd = -1;
}

static void audit_close_socket(struct kg_audit *a)
{
	(void)a;
}

static void audit_deliver(struct kg_audit *a, const struct side_msg *m)
{
	(void)a, (void)m;
}
#endif

/* ---- journald ---- */

#if HAVE_LIBSYSTEMD
static bool under_systemd(void)
{
	return getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM");
}

struct journal_fields {
	char buf[KG_SIDE_TEXT];
	size_t len;
};

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

static void journal_decision(struct kg_audit *a, const struct kg_event *ev,
			     const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = event_rule(ev, policy);
	const struct kg_anchor_info *anchor = event_anchor(ev, policy);
	struct journal_fields f = { .len = 0 };
	char human[1024], f1[32], f2[32], f3[32];

	if (!a->journald)
		return;
	kg_event_format_human(human, sizeof(human), ev, policy);
	field_add(&f, "MESSAGE=%s", human);
	field_add(&f, "PRIORITY=%d", ev->verdict == KG_VERDICT_DENY ? 4 : 5);
	field_add(&f, "SYSLOG_IDENTIFIER=keygate");
	field_add(&f, "KEYGATE_TYPE=decision");
	field_add(&f, "KEYGATE_OP=%s", name_or(kg_op_name(ev->op), f1, sizeof(f1), ev->op));
	field_add(&f, "KEYGATE_VERDICT=%s", name_or(kg_verdict_name(ev->verdict), f2, sizeof(f2), ev->verdict));
	field_add(&f, "KEYGATE_REASON=%s", name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason));
	field_add(&f, "KEYGATE_RULE=%s", rule && rule->name ? rule->name : "");
	field_add(&f, "KEYGATE_ANCHOR=%s", anchor && anchor->name ? anchor->name : "");
	field_add(&f, "KEYGATE_PID=%" PRIu32, ev->pid);
	field_add(&f, "KEYGATE_UID=%" PRIu32, ev->uid);
	field_add(&f, "KEYGATE_COMM=%.*s", (int)strnlen(ev->comm, KG_COMM_LEN), ev->comm);
	field_add(&f, "KEYGATE_PATH=%.*s", (int)event_path_len(ev), ev->path);
	field_add(&f, "KEYGATE_POLICY=%s", policy && policy->name ? policy->name : "");
	side_push(a, SIDE_JOURNAL, 0, 0, f.buf, f.len);
}

static void journal_text(struct kg_audit *a, const char *type, const char *message)
{
	struct journal_fields f = { .len = 0 };

	if (!a->journald)
		return;
	field_add(&f, "MESSAGE=%s", message);
	field_add(&f, "PRIORITY=5");
	field_add(&f, "SYSLOG_IDENTIFIER=keygate");
	field_add(&f, "KEYGATE_TYPE=%s", type);
	side_push(a, SIDE_JOURNAL, 0, 0, f.buf, f.len);
}

static void journal_deliver(const struct side_msg *m)
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
#else
static bool under_systemd(void)
{
	return false;
}

static void journal_decision(struct kg_audit *a, const struct kg_event *ev,
			     const struct kg_compiled_policy *policy)
{
	(void)a, (void)ev, (void)policy;
}

static void journal_text(struct kg_audit *a, const char *type, const char *message)
{
	(void)a, (void)type, (void)message;
}

static void journal_deliver(const struct side_msg *m)
{
	(void)m;
}
#endif

static void side_deliver(struct kg_audit *a, struct side_msg *m)
{
	if (m->sink == SIDE_AUDIT)
		audit_deliver(a, m);
	else
		journal_deliver(m);
}

/* ---- the public API ---- */

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
		a->log_path = strdup(path);
		a->cap = opts && opts->queue_bytes ? opts->queue_bytes : KG_AUDIT_QUEUE_DEFAULT;
		a->ring = malloc(a->cap);
		if (!a->log_path || !a->ring) {
			err = -ENOMEM;
			goto out;
		}
		a->fd = open_log(path);
		if (a->fd < 0) {
			err = a->fd;
			kg_log_error("audit log %s: cannot open: %s", path, strerror(-err));
			goto out;
		}
		err = -pthread_create(&a->writer, NULL, writer_main, a);
		if (err) {
			kg_log_error("audit log %s: cannot start the writer thread: %s",
				path, strerror(-err));
			goto out;
		}
		a->writer_started = true;
	}
	if (opts && opts->linux_audit)
		audit_open_socket(a);
	a->journald = opts && opts->journald && under_systemd();
	if (a->audit_fd >= 0 || a->journald) {
		a->side = malloc(KG_SIDE_SLOTS * sizeof(*a->side));
		if (!a->side) {
			err = -ENOMEM;
			goto out;
		}
		err = -pthread_create(&a->side_thread, NULL, side_main, a);
		if (err) {
			kg_log_error("audit: cannot start the audit/journal thread: %s",
				strerror(-err));
			goto out;
		}
		a->side_started = true;
	}
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
	enqueue_line(a, a->fmt_buf, a->fmt_size);
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

	write_decision(w, d->ev, d->policy, d->host);
}

void kg_audit_decision(struct kg_audit *a, const struct kg_event *ev,
		       const struct kg_compiled_policy *policy)
{
	struct decision_ctx d = { ev, policy, a->host };

	queue_record(a, render_decision, &d);
	audit_decision(a, ev, policy);
	journal_decision(a, ev, policy);
}

struct lifecycle_ctx {
	struct kg_audit *a;
	const char *type;
	const struct kg_compiled_policy *old_policy;
	const struct kg_compiled_policy *policy;    /* in force afterwards */
	const struct kg_compiled_policy *candidate; /* rejected one, or NULL */
	const char *result;
	bool applied;
};

static void render_lifecycle(struct json_writer *w, void *ctx)
{
	struct lifecycle_ctx *l = ctx;
	struct policy_identity id;
	char time[64];

	identity_from_policy(&id, l->policy);
	format_now(time, sizeof(time));
	json_object_begin(w);
	write_header(w, l->type, time, l->a->host, &id);
	if (strcmp(l->type, "policy_reload") == 0) {
		identity_from_policy(&id, l->old_policy);
		write_identity(w, "old_policy", &id);
	}
	if (l->candidate) {
		identity_from_policy(&id, l->candidate);
		write_identity(w, "rejected_policy", &id);
	}
	if (strncmp(l->type, "policy_", 7) == 0)
		json_kv_bool(w, "applied", l->applied);
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
	struct policy_identity id;

	identity_from_policy(&id, policy);
	pthread_mutex_lock(&a->lock);
	a->current = id;
	pthread_mutex_unlock(&a->lock);
}

static void lifecycle(struct kg_audit *a, int audit_type, struct lifecycle_ctx *l)
{
	char message[512];

	queue_record(a, render_lifecycle, l);
	audit_lifecycle(a, audit_type, l->type, l->old_policy, l->applied ? l->policy : l->candidate,
			l->result, l->applied);
	snprintf(message, sizeof(message), "keygate %s: policy %s%s%s", l->type,
		 l->policy && l->policy->name ? l->policy->name : "-", l->result ? ": " : "",
		 l->result ? l->result : "");
	journal_text(a, l->type, message);
}

void kg_audit_agent_start(struct kg_audit *a, const struct kg_compiled_policy *policy)
{
	struct lifecycle_ctx l = { .a = a, .type = "agent_start", .policy = policy, .applied = true };

	set_current_policy(a, policy);
	lifecycle(a, KG_AUDIT_TYPE_STATUS, &l);
}

void kg_audit_agent_stop(struct kg_audit *a, const struct kg_compiled_policy *policy)
{
	struct lifecycle_ctx l = { .a = a, .type = "agent_stop", .policy = policy, .applied = true };

	lifecycle(a, KG_AUDIT_TYPE_STATUS, &l);
}

void kg_audit_policy_change(struct kg_audit *a, const struct kg_compiled_policy *old_policy,
			    const struct kg_compiled_policy *new_policy, const char *result)
{
	bool applied = new_policy && (!result || strcmp(result, "applied") == 0);
	struct lifecycle_ctx l = {
		.a = a,
		.type = old_policy ? "policy_reload" : "policy_load",
		.old_policy = old_policy,
		.policy = applied ? new_policy : old_policy,
		.candidate = applied ? NULL : new_policy,
		.result = result,
		.applied = applied,
	};

	set_current_policy(a, l.policy);
	lifecycle(a, KG_AUDIT_TYPE_POLICY, &l);
}

struct ring_loss_ctx {
	struct kg_audit *a;
	uint64_t count, total;
};

static void render_ring_loss(struct json_writer *w, void *ctx)
{
	struct ring_loss_ctx *r = ctx;
	struct policy_identity id;
	char time[64];

	pthread_mutex_lock(&r->a->lock);
	id = r->a->current;
	pthread_mutex_unlock(&r->a->lock);
	format_now(time, sizeof(time));
	json_object_begin(w);
	write_header(w, "loss", time, r->a->host, &id);
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

static void side_flush(struct kg_audit *a)
{
	if (!a->side_started)
		return;
	pthread_mutex_lock(&a->side_lock);
	while (a->side_len || a->side_busy)
		pthread_cond_wait(&a->side_done, &a->side_lock);
	pthread_mutex_unlock(&a->side_lock);
}

void kg_audit_flush(struct kg_audit *a)
{
	side_flush(a);
	if (!a->writer_started)
		return;
	pthread_mutex_lock(&a->lock);
	while (a->len || a->writer_busy || a->pending_fd >= 0)
		pthread_cond_wait(&a->space, &a->lock);
	pthread_mutex_unlock(&a->lock);
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
	if (a->writer_started) {
		pthread_mutex_lock(&a->lock);
		a->stopping = true;
		pthread_cond_signal(&a->wake);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->writer, NULL);
		/* Losses counted after the last successful write. */
		if (losses_unreported(a))
			writer_report_losses(a);
	}
	if (a->side_started) {
		pthread_mutex_lock(&a->side_lock);
		a->side_stopping = true;
		pthread_cond_signal(&a->side_wake);
		pthread_mutex_unlock(&a->side_lock);
		pthread_join(a->side_thread, NULL);
	}
	if (a->pending_fd >= 0)
		close(a->pending_fd);
	if (a->fd >= 0)
		close(a->fd);
	audit_close_socket(a);
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

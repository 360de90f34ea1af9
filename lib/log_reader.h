/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * log_reader.h - reading keygate's JSON lines audit log (schema
 * KG_LOG_SCHEMA_VERSION, see keygate-log(8)): records parsed with the JSON
 * reader (log_record.c), times (log_time.c), filters (log_record.c), the
 * rotated file set, plain or gzip (log_files.c), and the summary
 * `keygate log summary` prints (log_summary.c).
 */
#ifndef KEYGATE_LOG_READER_H
#define KEYGATE_LOG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KG_LOG_UNSET INT64_MIN

/* One parsed line. Strings point into the record's own scratch buffer and
 * are NUL-terminated (path bytes written as \u00XX come back as bytes);
 * absent or null fields are NULL / KG_LOG_UNSET. Valid until the next
 * kg_log_parse_line on the same record. */
struct kg_log_record {
	const char *line; /* the raw JSON object, validated */
	size_t line_len;

	int64_t schema;
	const char *type; /* decision, agent_start, agent_start_failed, agent_stop, policy_load, policy_reload, loss */
	const char *time;
	int64_t time_us;  /* microseconds since the epoch (UTC) */
	const char *host;
	const char *policy_name;

	const char *op, *verdict, *reason, *rule, *source, *anchor, *signer, *error;
	const char *comm, *path, *dev, *digest;
	int64_t rule_id, pid, tgid, uid, ino;

	const char *loss_source; /* "source" of a loss record: ring, queue, write */
	int64_t count, total;
	const char *result;

	char *scratch;
	size_t scratch_cap;
};

void kg_log_record_free(struct kg_log_record *r);

/* 0 or -EINVAL with *why set to a static description of the problem
 * ("truncated record", "invalid JSON string"...). */
int kg_log_parse_line(struct kg_log_record *r, const char *line, size_t len, const char **why);

/* RFC 3339 ("2026-11-21T19:33:09.5Z", "+02:00" offsets), "YYYY-MM-DD
 * HH:MM[:SS]" and "YYYY-MM-DD" (local time), or relative to now_us:
 * "90s", "30m", "1h", "2d", "1w"; "now". 0 or -EINVAL. */
int kg_log_parse_time(const char *text, int64_t now_us, int64_t *out_us);
int64_t kg_log_now_us(void);
/* A record's "time": RFC 3339 with a zone. 0 or -EINVAL. */
int kg_log_parse_record_time(const char *text, int64_t *out_us);

struct kg_log_filter {
	int64_t since_us, until_us; /* KG_LOG_UNSET: open */
	const char *verdict, *op, *rule, *anchor;
	const char *path_glob;      /* fnmatch(3) pattern; '*' crosses '/' */
	int64_t pid, uid;           /* KG_LOG_UNSET: any */
};

void kg_log_filter_init(struct kg_log_filter *f);
/* Time filters apply to every record; the others select decisions only. */
bool kg_log_filter_match(const struct kg_log_filter *f, const struct kg_log_record *r);

/* The live file and its rotated siblings (PATH.N, PATH.N.gz, PATH-DATE,
 * PATH-DATE.gz), oldest first, the live file last. *files is a NULL
 * terminated array; free with kg_log_free_files. 0 or -errno (-ENOENT
 * when none exists). */
int kg_log_list_files(const char *path, char ***files, size_t *n_files);
void kg_log_free_files(char **files);

struct kg_log_reader_cb {
	/* Called for each record the filter keeps; nonzero stops reading. */
	int (*record)(void *ctx, const struct kg_log_record *r);
	void (*corrupt)(void *ctx, const char *file, uint64_t line, const char *why);
	void *ctx;
};

/* Reads one file (gzip or plain, detected by content). Returns 0, the
 * callback's nonzero value, or -errno when the file cannot be read.
 * *offset (optional) receives the bytes consumed from a plain file, for
 * --follow. */
int kg_log_read_file(const char *file, const struct kg_log_filter *f,
		     const struct kg_log_reader_cb *cb, uint64_t *offset);

/* Bytes read from one log file, turned into records line by line: the
 * buffer keeps a partial last line until the rest is read. Used by
 * kg_log_read_file and by `keygate log --follow`. */
struct kg_log_feeder {
	const char *file;  /* for corrupt-line reports */
	char *buf;
	size_t cap, have;  /* have: bytes not yet consumed */
	uint64_t line_no;  /* lines consumed */
	uint64_t consumed; /* bytes consumed */
	struct kg_log_record record;
};

void kg_log_feeder_init(struct kg_log_feeder *fd, const char *file);
/* Free space of at least min bytes for the next read, at *dst (room bytes).
 * 0 or -ENOMEM. */
int kg_log_feeder_reserve(struct kg_log_feeder *fd, size_t min, char **dst, size_t *room);
/* n bytes were read into the reserved space: hands every complete line to
 * the filter and callbacks. Returns 0 or the callback's nonzero value. */
int kg_log_feeder_feed(struct kg_log_feeder *fd, size_t n, const struct kg_log_filter *f,
		       const struct kg_log_reader_cb *cb);
/* End of the file: a last line without a newline is handled too. */
int kg_log_feeder_finish(struct kg_log_feeder *fd, const struct kg_log_filter *f,
			 const struct kg_log_reader_cb *cb);
/* The file was replaced (rotation): start over at its first line. */
void kg_log_feeder_restart(struct kg_log_feeder *fd);
void kg_log_feeder_free(struct kg_log_feeder *fd);

/* Counts for `keygate log summary`. */
struct kg_log_summary;
struct kg_log_summary *kg_log_summary_new(void);
void kg_log_summary_free(struct kg_log_summary *s);
void kg_log_summary_add(struct kg_log_summary *s, const struct kg_log_record *r);
void kg_log_summary_corrupt(struct kg_log_summary *s, const char *file, uint64_t line, const char *why);
void kg_log_summary_print(const struct kg_log_summary *s, FILE *out, bool json, bool pretty);
/* Accessors for tests: count of a key in a table ("verdict", "op", "rule",
 * "reason", "denied_path", "denied_comm", "type", "loss"). */
uint64_t kg_log_summary_count(const struct kg_log_summary *s, const char *table, const char *key);
uint64_t kg_log_summary_corrupt_lines(const struct kg_log_summary *s);
uint64_t kg_log_summary_records(const struct kg_log_summary *s);

#endif /* KEYGATE_LOG_READER_H */

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * log_files.c - the audit log's file set (the live file and its rotated
 * siblings, plain or gzip) and feeding their lines to the record parser.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log_reader.h"

struct rotated {
	char *path;
	int kind;      /* 0: dated (older than numbered), 1: numbered */
	long number;
	char *suffix;  /* for dated ones */
};

/* Oldest first: dated ascending, then numbered descending. */
static int rotated_cmp(const void *pa, const void *pb)
{
	const struct rotated *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind - b->kind;
	if (a->kind == 1)
		return a->number < b->number ? 1 : a->number > b->number ? -1 : 0;
	return strcmp(a->suffix, b->suffix);
}

/* ".N" / ".N.gz" -> numbered; "-X" / "-X.gz" with X starting with a digit -> dated. */
static bool classify_sibling(const char *suffix, struct rotated *out)
{
	char *end;
	size_t len = strlen(suffix);

	if (len > 3 && strcmp(suffix + len - 3, ".gz") == 0)
		len -= 3;
	if (suffix[0] == '.' && suffix[1] >= '0' && suffix[1] <= '9') {
		long n = strtol(suffix + 1, &end, 10);

		if ((size_t)(end - suffix) != len)
			return false;
		out->kind = 1;
		out->number = n;
		return true;
	}
	if (suffix[0] == '-' && suffix[1] >= '0' && suffix[1] <= '9') {
		out->kind = 0;
		out->suffix = strndup(suffix, len);
		return out->suffix != NULL;
	}
	return false;
}

int kg_log_list_files(const char *path, char ***files_out, size_t *n_out)
{
	char dir[PATH_MAX];
	const char *base;
	struct rotated *list = NULL;
	size_t n = 0, cap = 0, base_len;
	char **files = NULL;
	struct dirent *de;
	bool live = false;
	DIR *d = NULL;
	int err = 0;

	base = strrchr(path, '/');
	if (base) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base > path ? base - path : 1), path);
		base++;
	} else {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	}
	base_len = strlen(base);
	d = opendir(dir);
	if (!d) {
		err = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		struct rotated r = { 0 };

		if (strncmp(de->d_name, base, base_len) != 0)
			continue;
		if (de->d_name[base_len] == '\0') {
			live = true;
			continue;
		}
		if (!classify_sibling(de->d_name + base_len, &r))
			continue;
		if (n == cap) {
			struct rotated *grown = realloc(list, (cap = cap ? 2 * cap : 16) * sizeof(*list));

			if (!grown) {
				free(r.suffix);
				err = -ENOMEM;
				goto out;
			}
			list = grown;
		}
		if (asprintf(&r.path, "%s/%s", dir, de->d_name) < 0) {
			free(r.suffix);
			err = -ENOMEM;
			goto out;
		}
		list[n++] = r;
	}
	if (!n && !live) {
		err = -ENOENT;
		goto out;
	}
	qsort(list, n, sizeof(*list), rotated_cmp);
	files = calloc(n + 2, sizeof(*files));
	if (!files) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		files[i] = list[i].path;
		list[i].path = NULL;
	}
	if (live) {
		files[n] = strdup(path);
		if (!files[n]) {
			err = -ENOMEM;
			goto out;
		}
	}
	*files_out = files;
	*n_out = n + (live ? 1 : 0);
	files = NULL;
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		free(list[i].path);
		free(list[i].suffix);
	}
	free(list);
	kg_log_free_files(files);
	return err;
}

void kg_log_free_files(char **files)
{
	if (!files)
		return;
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
}

static int handle_line(const char *file, uint64_t line_no, const char *line, size_t len,
		       struct kg_log_record *r, const struct kg_log_filter *f,
		       const struct kg_log_reader_cb *cb)
{
	const char *why = NULL;

	if (len == 0)
		return 0; /* blank lines are not records */
	if (kg_log_parse_line(r, line, len, &why) < 0) {
		if (cb->corrupt)
			cb->corrupt(cb->ctx, file, line_no, why);
		return 0;
	}
	if (f && !kg_log_filter_match(f, r))
		return 0;
	return cb->record ? cb->record(cb->ctx, r) : 0;
}

void kg_log_feeder_init(struct kg_log_feeder *fd, const char *file)
{
	memset(fd, 0, sizeof(*fd));
	fd->file = file;
}

int kg_log_feeder_reserve(struct kg_log_feeder *fd, size_t min, char **dst, size_t *room)
{
	if (fd->cap - fd->have < min) {
		size_t cap = fd->cap ? fd->cap : min;
		char *grown;

		while (cap - fd->have < min)
			cap *= 2;
		grown = realloc(fd->buf, cap);
		if (!grown)
			return -ENOMEM;
		fd->buf = grown;
		fd->cap = cap;
	}
	*dst = fd->buf + fd->have;
	*room = fd->cap - fd->have;
	return 0;
}

int kg_log_feeder_feed(struct kg_log_feeder *fd, size_t n, const struct kg_log_filter *f,
		       const struct kg_log_reader_cb *cb)
{
	size_t done = 0;
	int stop = 0;

	fd->have += n;
	while (done < fd->have && !stop) {
		const char *nl = memchr(fd->buf + done, '\n', fd->have - done);
		size_t line_len;

		if (!nl)
			break;
		line_len = (size_t)(nl - (fd->buf + done));
		fd->line_no++;
		stop = handle_line(fd->file, fd->line_no, fd->buf + done, line_len, &fd->record, f, cb);
		done += line_len + 1;
	}
	memmove(fd->buf, fd->buf + done, fd->have - done);
	fd->have -= done;
	fd->consumed += done;
	return stop;
}

int kg_log_feeder_finish(struct kg_log_feeder *fd, const struct kg_log_filter *f,
			 const struct kg_log_reader_cb *cb)
{
	size_t len = fd->have;

	if (!len)
		return 0;
	/* Last line without a newline: a record cut short by a crash or a
	 * full disk, unless it happens to be complete. */
	fd->have = 0;
	fd->line_no++;
	return handle_line(fd->file, fd->line_no, fd->buf, len, &fd->record, f, cb);
}

void kg_log_feeder_restart(struct kg_log_feeder *fd)
{
	fd->have = 0;
	fd->line_no = 0;
	fd->consumed = 0;
}

void kg_log_feeder_free(struct kg_log_feeder *fd)
{
	free(fd->buf);
	kg_log_record_free(&fd->record);
	memset(fd, 0, sizeof(*fd));
}

#define KG_READ_CHUNK (1u << 20)

int kg_log_read_file(const char *file, const struct kg_log_filter *f,
		     const struct kg_log_reader_cb *cb, uint64_t *offset)
{
	struct kg_log_feeder feeder;
	int stop = 0, err = 0;
	gzFile gz;

	gz = gzopen(file, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	gzbuffer(gz, KG_READ_CHUNK);
	kg_log_feeder_init(&feeder, file);
	for (;;) {
		size_t room;
		char *dst;
		int n;

		err = kg_log_feeder_reserve(&feeder, KG_READ_CHUNK, &dst, &room);
		if (err)
			goto out;
		n = gzread(gz, dst, KG_READ_CHUNK);
		if (n < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);

			/* A truncated or damaged gzip stream: report it like a
			 * corrupt line and keep what was read. */
			if (cb->corrupt)
				cb->corrupt(cb->ctx, file, feeder.line_no + 1, msg ? msg : "gzip error");
			break;
		}
		if (n == 0)
			break;
		stop = kg_log_feeder_feed(&feeder, (size_t)n, f, cb);
		if (stop)
			goto out;
	}
	stop = kg_log_feeder_finish(&feeder, f, cb);
out:
	if (offset)
		*offset = feeder.consumed;
	gzclose(gz);
	kg_log_feeder_free(&feeder);
	return err ? err : stop;
}

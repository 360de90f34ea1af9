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

size_t kg_log_feed(const char *file, uint64_t *line_no, const char *buf, size_t len,
		   struct kg_log_record *r, const struct kg_log_filter *f,
		   const struct kg_log_reader_cb *cb, int *stop)
{
	size_t done = 0;

	*stop = 0;
	while (done < len) {
		const char *nl = memchr(buf + done, '\n', len - done);
		size_t line_len;

		if (!nl)
			break;
		line_len = (size_t)(nl - (buf + done));
		(*line_no)++;
		*stop = handle_line(file, *line_no, buf + done, line_len, r, f, cb);
		done += line_len + 1;
		if (*stop)
			break;
	}
	return done;
}

#define KG_READ_CHUNK (1u << 20)

int kg_log_read_file(const char *file, const struct kg_log_filter *f,
		     const struct kg_log_reader_cb *cb, uint64_t *offset)
{
	struct kg_log_record r = { 0 };
	size_t cap = 2 * KG_READ_CHUNK, have = 0;
	uint64_t line_no = 0, consumed_total = 0;
	char *buf = NULL;
	int stop = 0, err = 0;
	gzFile gz;

	gz = gzopen(file, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	gzbuffer(gz, KG_READ_CHUNK);
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t used;
		int n;

		if (cap - have < KG_READ_CHUNK) {
			char *grown = realloc(buf, cap * 2);

			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			buf = grown;
			cap *= 2;
		}
		n = gzread(gz, buf + have, KG_READ_CHUNK);
		if (n < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);

			/* A truncated or damaged gzip stream: report it like a
			 * corrupt line and keep what was read. */
			if (cb->corrupt)
				cb->corrupt(cb->ctx, file, line_no + 1, msg ? msg : "gzip error");
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		used = kg_log_feed(file, &line_no, buf, have, &r, f, cb, &stop);
		memmove(buf, buf + used, have - used);
		have -= used;
		consumed_total += used;
		if (stop)
			goto out;
	}
	if (have) {
		/* Last line without a newline: a record cut short by a crash
		 * or a full disk, unless it happens to be complete. */
		line_no++;
		stop = handle_line(file, line_no, buf, have, &r, f, cb);
	}
out:
	if (offset)
		*offset = consumed_total;
	gzclose(gz);
	free(buf);
	kg_log_record_free(&r);
	return err ? err : stop;
}

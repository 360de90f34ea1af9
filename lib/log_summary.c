// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * log_summary.c - what `keygate log summary` counts (records by type,
 * verdict, op, rule, reason; the most denied paths and programs; losses;
 * corrupt lines) and its table and JSON forms.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "log_reader.h"

struct counter {
	char *key;
	uint64_t count;
};

struct counter_table {
	struct counter *slots;
	size_t cap, n;
};

enum {
	T_TYPE, T_VERDICT, T_OP, T_RULE, T_REASON, T_DENIED_PATH, T_DENIED_COMM, T_LOSS, T_COUNT
};

static const char *const table_names[T_COUNT] = {
	"type", "verdict", "op", "rule", "reason", "denied_path", "denied_comm", "loss",
};

#define KG_SUMMARY_CORRUPT_KEPT 20

struct corrupt_line {
	char *file;
	uint64_t line;
	const char *why;
};

struct kg_log_summary {
	struct counter_table tables[T_COUNT];
	uint64_t records, decisions, corrupt;
	int64_t first_us, last_us;
	char first[64], last[64];
	int64_t ring_kernel_total;
	struct corrupt_line kept[KG_SUMMARY_CORRUPT_KEPT];
	size_t n_kept;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct counter *table_slot(const struct counter_table *t, const char *key)
{
	size_t i = hash_str(key) & (t->cap - 1);

	while (t->slots[i].key && strcmp(t->slots[i].key, key) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static void table_add(struct counter_table *t, const char *key, uint64_t count)
{
	struct counter *slot;

	if (!key)
		return;
	if (2 * (t->n + 1) > t->cap) {
		struct counter_table grown = { .cap = t->cap ? 2 * t->cap : 64 };

		grown.slots = calloc(grown.cap, sizeof(*grown.slots));
		if (!grown.slots)
			return;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].key)
				*table_slot(&grown, t->slots[i].key) = t->slots[i];
		grown.n = t->n;
		free(t->slots);
		*t = grown;
	}
	slot = table_slot(t, key);
	if (!slot->key) {
		slot->key = strdup(key);
		if (!slot->key)
			return;
		t->n++;
	}
	slot->count += count;
}

static uint64_t table_get(const struct counter_table *t, const char *key)
{
	struct counter *slot;

	if (!t->cap)
		return 0;
	slot = table_slot(t, key);
	return slot->key ? slot->count : 0;
}

/* Entries by count descending, then key. */
static int counter_cmp(const void *pa, const void *pb)
{
	const struct counter *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->key, b->key);
}

static struct counter *table_sorted(const struct counter_table *t)
{
	struct counter *out = calloc(t->n ? t->n : 1, sizeof(*out));
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			out[k++] = t->slots[i];
	qsort(out, k, sizeof(*out), counter_cmp);
	return out;
}

struct kg_log_summary *kg_log_summary_new(void)
{
	struct kg_log_summary *s = calloc(1, sizeof(*s));

	if (s) {
		s->first_us = s->last_us = KG_LOG_UNSET;
		s->ring_kernel_total = KG_LOG_UNSET;
	}
	return s;
}

void kg_log_summary_free(struct kg_log_summary *s)
{
	if (!s)
		return;
	for (int t = 0; t < T_COUNT; t++) {
		for (size_t i = 0; i < s->tables[t].cap; i++)
			free(s->tables[t].slots[i].key);
		free(s->tables[t].slots);
	}
	for (size_t i = 0; i < s->n_kept; i++)
		free(s->kept[i].file);
	free(s);
}

void kg_log_summary_add(struct kg_log_summary *s, const struct kg_log_record *r)
{
	s->records++;
	if (s->first_us == KG_LOG_UNSET || r->time_us < s->first_us) {
		s->first_us = r->time_us;
		snprintf(s->first, sizeof(s->first), "%s", r->time);
	}
	if (s->last_us == KG_LOG_UNSET || r->time_us > s->last_us) {
		s->last_us = r->time_us;
		snprintf(s->last, sizeof(s->last), "%s", r->time);
	}
	table_add(&s->tables[T_TYPE], r->type, 1);
	if (strcmp(r->type, "loss") == 0) {
		table_add(&s->tables[T_LOSS], r->loss_source ? r->loss_source : "unknown",
			  r->count > 0 ? (uint64_t)r->count : 0);
		if (r->loss_source && strcmp(r->loss_source, "ring") == 0 && r->total > s->ring_kernel_total)
			s->ring_kernel_total = r->total;
		return;
	}
	if (strcmp(r->type, "decision") != 0)
		return;
	s->decisions++;
	table_add(&s->tables[T_VERDICT], r->verdict ? r->verdict : "unknown", 1);
	table_add(&s->tables[T_OP], r->op ? r->op : "unknown", 1);
	table_add(&s->tables[T_RULE], r->rule ? r->rule : "(default action)", 1);
	table_add(&s->tables[T_REASON], r->reason ? r->reason : "unknown", 1);
	if (r->verdict && strcmp(r->verdict, "allow") != 0) {
		table_add(&s->tables[T_DENIED_PATH], r->path ? r->path : "?", 1);
		table_add(&s->tables[T_DENIED_COMM], r->comm ? r->comm : "?", 1);
	}
}

void kg_log_summary_corrupt(struct kg_log_summary *s, const char *file, uint64_t line, const char *why)
{
	s->corrupt++;
	if (s->n_kept < KG_SUMMARY_CORRUPT_KEPT) {
		struct corrupt_line *c = &s->kept[s->n_kept];

		c->file = strdup(file);
		if (!c->file)
			return;
		c->line = line;
		c->why = why;
		s->n_kept++;
	}
}

uint64_t kg_log_summary_count(const struct kg_log_summary *s, const char *table, const char *key)
{
	for (int t = 0; t < T_COUNT; t++)
		if (strcmp(table_names[t], table) == 0)
			return table_get(&s->tables[t], key);
	return 0;
}

uint64_t kg_log_summary_corrupt_lines(const struct kg_log_summary *s)
{
	return s->corrupt;
}

uint64_t kg_log_summary_records(const struct kg_log_summary *s)
{
	return s->records;
}

#define KG_SUMMARY_TOP 10

static void json_table(struct json_writer *w, const char *key, const struct counter_table *t)
{
	struct counter *sorted = table_sorted(t);

	json_key(w, key);
	json_object_begin(w);
	for (size_t i = 0; sorted && i < t->n; i++)
		json_kv_uint(w, sorted[i].key, sorted[i].count);
	json_object_end(w);
	free(sorted);
}

static void json_top(struct json_writer *w, const char *key, const char *name,
		     const struct counter_table *t)
{
	struct counter *sorted = table_sorted(t);

	json_key(w, key);
	json_array_begin(w);
	for (size_t i = 0; sorted && i < t->n && i < KG_SUMMARY_TOP; i++) {
		json_object_begin(w);
		json_kv_string(w, name, sorted[i].key);
		json_kv_uint(w, "count", sorted[i].count);
		json_object_end(w);
	}
	json_array_end(w);
	free(sorted);
}

static void print_inline(FILE *out, const char *label, const struct counter_table *t)
{
	struct counter *sorted = table_sorted(t);

	fprintf(out, "%-12s", label);
	if (!t->n)
		fprintf(out, "-");
	for (size_t i = 0; sorted && i < t->n; i++)
		fprintf(out, "%s%s %" PRIu64, i ? ", " : "", sorted[i].key, sorted[i].count);
	fputc('\n', out);
	free(sorted);
}

static void print_column(FILE *out, const char *title, const struct counter_table *t, size_t limit)
{
	struct counter *sorted = table_sorted(t);

	fprintf(out, "\n%s:\n", title);
	if (!t->n)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; sorted && i < t->n && i < limit; i++)
		fprintf(out, "  %8" PRIu64 "  %s\n", sorted[i].count, sorted[i].key);
	if (t->n > limit)
		fprintf(out, "  ... %zu more\n", t->n - limit);
	free(sorted);
}

void kg_log_summary_print(const struct kg_log_summary *s, FILE *out, bool json, bool pretty)
{
	const struct counter_table *loss = &s->tables[T_LOSS];

	if (json) {
		struct json_writer w;

		json_init(&w, out, pretty);
		json_object_begin(&w);
		json_kv_uint(&w, "records", s->records);
		json_kv_uint(&w, "decisions", s->decisions);
		json_kv_string(&w, "first", s->records ? s->first : NULL);
		json_kv_string(&w, "last", s->records ? s->last : NULL);
		json_table(&w, "by_type", &s->tables[T_TYPE]);
		json_table(&w, "by_verdict", &s->tables[T_VERDICT]);
		json_table(&w, "by_op", &s->tables[T_OP]);
		json_table(&w, "by_rule", &s->tables[T_RULE]);
		json_table(&w, "by_reason", &s->tables[T_REASON]);
		json_top(&w, "top_denied_paths", "path", &s->tables[T_DENIED_PATH]);
		json_top(&w, "top_denied_comms", "comm", &s->tables[T_DENIED_COMM]);
		json_key(&w, "losses");
		json_object_begin(&w);
		json_kv_uint(&w, "ring", table_get(loss, "ring"));
		json_kv_uint(&w, "queue", table_get(loss, "queue"));
		json_kv_uint(&w, "write", table_get(loss, "write"));
		json_kv_uint(&w, "side", table_get(loss, "side"));
		json_key(&w, "ring_kernel_total");
		if (s->ring_kernel_total == KG_LOG_UNSET)
			json_null(&w);
		else
			json_int(&w, s->ring_kernel_total);
		json_object_end(&w);
		json_kv_uint(&w, "corrupt_lines", s->corrupt);
		json_key(&w, "corrupt");
		json_array_begin(&w);
		for (size_t i = 0; i < s->n_kept; i++) {
			json_object_begin(&w);
			json_kv_string(&w, "file", s->kept[i].file);
			json_kv_uint(&w, "line", s->kept[i].line);
			json_kv_string(&w, "reason", s->kept[i].why);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_object_end(&w);
		return;
	}

	fprintf(out, "Records:    %" PRIu64 " (%" PRIu64 " decisions)", s->records, s->decisions);
	if (s->records)
		fprintf(out, " from %s to %s", s->first, s->last);
	fputc('\n', out);
	print_inline(out, "Types:", &s->tables[T_TYPE]);
	print_inline(out, "Verdicts:", &s->tables[T_VERDICT]);
	print_inline(out, "Operations:", &s->tables[T_OP]);
	print_column(out, "Decisions by rule", &s->tables[T_RULE], SIZE_MAX);
	print_column(out, "Decisions by reason", &s->tables[T_REASON], SIZE_MAX);
	print_column(out, "Top denied paths (deny and audit-mode would-deny)", &s->tables[T_DENIED_PATH],
		     KG_SUMMARY_TOP);
	print_column(out, "Top denied executables (comm)", &s->tables[T_DENIED_COMM], KG_SUMMARY_TOP);
	fprintf(out, "\nLosses:     ");
	if (!loss->n) {
		fprintf(out, "none recorded\n");
	} else {
		fprintf(out, "ring buffer %" PRIu64 ", writer queue %" PRIu64 ", write errors %" PRIu64,
			table_get(loss, "ring"), table_get(loss, "queue"), table_get(loss, "write"));
		if (table_get(loss, "side"))
			fprintf(out, ", audit/journal messages %" PRIu64, table_get(loss, "side"));
		if (s->ring_kernel_total != KG_LOG_UNSET)
			fprintf(out, " (kernel drop total %" PRId64 ")", s->ring_kernel_total);
		fputc('\n', out);
	}
	fprintf(out, "Corrupt:    %" PRIu64 " lines\n", s->corrupt);
	for (size_t i = 0; i < s->n_kept; i++)
		fprintf(out, "  %s:%" PRIu64 ": %s\n", s->kept[i].file, s->kept[i].line, s->kept[i].why);
	if (s->corrupt > s->n_kept)
		fprintf(out, "  ... %" PRIu64 " more\n", s->corrupt - s->n_kept);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* diag.c - diagnostics (file:line:col: message) and "did you mean" suggestions. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int kg_grow(void **array, size_t *cap, size_t count, size_t elem_size)
{
	size_t new_cap;
	void *p;

	if (count < *cap)
		return 0;
	new_cap = *cap ? *cap * 2 : 8;
	p = realloc(*array, new_cap * elem_size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = new_cap;
	return 0;
}

static void diag_vadd(struct kg_diagnostics *d, enum kg_severity sev, const char *file,
		      uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
	struct kg_diag *item;
	char *message = NULL;
	char *file_copy;

	if (kg_grow((void **)&d->items, &d->capacity, d->count, sizeof(*d->items)))
		return;
	if (vasprintf(&message, fmt, ap) < 0)
		return;
	file_copy = strdup(file ? file : "<unknown>");
	if (!file_copy) {
		free(message);
		return;
	}
	item = &d->items[d->count++];
	item->severity = sev;
	item->file = file_copy;
	item->line = line;
	item->col = col;
	item->message = message;
	if (sev == KG_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void kg_diag_add_file(struct kg_diagnostics *d, enum kg_severity sev, const char *file,
		      uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, file, line, col, fmt, ap);
	va_end(ap);
}

void kg_diag_add(struct kg_diagnostics *d, const struct kg_source_policy *src,
		 enum kg_severity sev, struct kg_loc loc, const char *fmt, ...)
{
	const char *file = loc.file < src->n_sources ? src->sources[loc.file] : NULL;
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, file, loc.line, loc.col, fmt, ap);
	va_end(ap);
}

void kg_diagnostics_free(struct kg_diagnostics *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void kg_diagnostics_print(const struct kg_diagnostics *d, FILE *out)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct kg_diag *item = &d->items[i];
		const char *sev = item->severity == KG_SEV_ERROR ? "error" : "warning";

		if (item->line)
			fprintf(out, "%s:%u:%u: %s: %s\n", item->file, item->line, item->col, sev,
				item->message);
		else
			fprintf(out, "%s: %s: %s\n", item->file, sev, item->message);
	}
}

/* Optimal string alignment distance: a swap of two letters counts as one. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][65];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = prev[j] + 1;

			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		size_t *tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[lb];
}

const char *kg_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	size_t best_distance = (size_t)-1;
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, candidates[i]);
		size_t len = strlen(candidates[i]);
		/* Allow one edit per three letters, at most two. */
		size_t limit = len < 6 ? 1 : 2;

		if (dist <= limit && dist < best_distance) {
			best_distance = dist;
			best = candidates[i];
		}
	}
	if (best)
		return best;
	/* Another form of the same word: "enforcing" for "enforce". */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(candidates[i]), common = 0;

		while (word[common] && word[common] == candidates[i][common])
			common++;
		if (common >= 4 && common + 2 >= len)
			return candidates[i];
	}
	return NULL;
}

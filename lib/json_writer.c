// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#include "json_writer.h"

#include <inttypes.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

static void indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->out);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Separator before a value or key at the current depth. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->need_comma[w->depth])
		fputc(',', w->out);
	if (w->depth > 0)
		indent(w);
	w->need_comma[w->depth] = true;
}

static void open_scope(struct json_writer *w, char c)
{
	before_value(w);
	fputc(c, w->out);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_scope(struct json_writer *w, char c)
{
	bool had_items = w->need_comma[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had_items)
		indent(w);
	fputc(c, w->out);
	if (w->depth == 0)
		fputc('\n', w->out);
}

void json_object_begin(struct json_writer *w) { open_scope(w, '{'); }
void json_object_end(struct json_writer *w) { close_scope(w, '}'); }
void json_array_begin(struct json_writer *w) { open_scope(w, '['); }
void json_array_end(struct json_writer *w) { close_scope(w, ']'); }

void json_escape(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			/* Control bytes and bytes that are not UTF-8 text become
			 * \u00XX so the output stays valid JSON for any path. */
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
}

void json_key(struct json_writer *w, const char *key)
{
	before_value(w);
	fputc('"', w->out);
	json_escape(w->out, key, strlen(key));
	fputs(w->pretty ? "\": " : "\":", w->out);
	w->after_key = true;
}

void json_string_len(struct json_writer *w, const char *s, size_t len)
{
	before_value(w);
	fputc('"', w->out);
	json_escape(w->out, s, len);
	fputc('"', w->out);
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_string_len(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
	before_value(w);
	fprintf(w->out, "%" PRId64, v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->out, "%" PRIu64, v);
}

void json_bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->out);
}

void json_hex(struct json_writer *w, const uint8_t *bytes, size_t len)
{
	before_value(w);
	fputc('"', w->out);
	for (size_t i = 0; i < len; i++)
		fprintf(w->out, "%02x", bytes[i]);
	fputc('"', w->out);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s) { json_key(w, key); json_string(w, s); }
void json_kv_int(struct json_writer *w, const char *key, int64_t v) { json_key(w, key); json_int(w, v); }
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v) { json_key(w, key); json_uint(w, v); }
void json_kv_bool(struct json_writer *w, const char *key, bool v) { json_key(w, key); json_bool(w, v); }
void json_kv_hex(struct json_writer *w, const char *key, const uint8_t *bytes, size_t len) { json_key(w, key); json_hex(w, bytes, len); }

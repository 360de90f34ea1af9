// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * json_reader.c - the validating JSON scanner (json_reader.h). The audit
 * log reader runs it over every line, so plain strings (the common case)
 * take a word-at-a-time fast path.
 */
#include "json_reader.h"

#include <string.h>

#include "keygate_policy.h"

void json_skip_ws(struct json_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

bool json_scan_fail(struct json_scan *s, const char *why)
{
	if (!s->why)
		s->why = s->p >= s->end ? "truncated record" : why;
	return false;
}

static bool read_hex4(struct json_scan *s, unsigned *out)
{
	unsigned v = 0;

	if (s->end - s->p < 4)
		return json_scan_fail(s, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = kg_hex_value(s->p[i]);

		if (h < 0)
			return json_scan_fail(s, "invalid \\u escape");
		v = v << 4 | (unsigned)h;
	}
	s->p += 4;
	*out = v;
	return true;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Length of a valid UTF-8 sequence starting at p, or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Decodes a string at s->p (after the quote is checked) into the scratch;
 * \u00XX below 0x100 becomes that byte, which is how the writer encodes
 * path bytes that are not printable ASCII. */
/* The closing quote of a string starting after s->p's quote when the
 * bytes in between need no decoding (the common case), else NULL. */
static const char *plain_string_end(const struct json_scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const char *q = memchr(p, '"', (size_t)(s->end - (const char *)p));
	unsigned bad = 0;

	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	const unsigned char *c = p;

	if (!q)
		return NULL;
	/* Eight bytes at a time: any byte >= 0x80, < 0x20 or == '\\'? */
	for (; c + 8 <= (const unsigned char *)q; c += 8) {
		uint64_t w, x;

		memcpy(&w, c, 8);
		x = w ^ (ones * '\\');
		if ((w | ((w - ones * 0x20) & ~w) | ((x - ones) & ~x)) & highs)
			return NULL;
	}
	for (; c < (const unsigned char *)q; c++)
		bad |= (unsigned)(*c < 0x20) | (unsigned)(*c >= 0x80) | (unsigned)(*c == '\\');
	return bad ? NULL : q;
}

bool json_scan_string(struct json_scan *s, const char **decoded)
{
	const char *plain_end = plain_string_end(s);
	char *start = s->out, *o = s->out;

	if (plain_end) {
		size_t n = (size_t)(plain_end - s->p - 1);

		if (decoded) {
			memcpy(o, s->p + 1, n);
			o[n] = '\0';
			s->out = o + n + 1;
			*decoded = start;
		}
		s->p = plain_end + 1;
		return true;
	}
	s->p++; /* opening quote */
	for (;;) {
		const char *run = s->p;

		while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (unsigned char)*s->p >= 0x20 &&
		       (unsigned char)*s->p < 0x80)
			s->p++;
		memcpy(o, run, (size_t)(s->p - run));
		o += s->p - run;
		if (s->p >= s->end)
			return json_scan_fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			break;
		}
		if ((unsigned char)*s->p < 0x20)
			return json_scan_fail(s, "control byte in string");
		if ((unsigned char)*s->p >= 0x80) {
			size_t n = utf8_len((const unsigned char *)s->p, (const unsigned char *)s->end);

			if (!n)
				return json_scan_fail(s, "invalid UTF-8 in string");
			memcpy(o, s->p, n);
			o += n;
			s->p += n;
			continue;
		}
		/* backslash */
		s->p++;
		if (s->p >= s->end)
			return json_scan_fail(s, "truncated escape");
		switch (*s->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, low;

			if (!read_hex4(s, &cp))
				return false;
			if (cp < 0x100) {
				*o++ = (char)cp;
			} else if (cp >= 0xd800 && cp < 0xdc00) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
					return json_scan_fail(s, "unpaired surrogate");
				s->p += 2;
				if (!read_hex4(s, &low))
					return false;
				if (low < 0xdc00 || low > 0xdfff)
					return json_scan_fail(s, "unpaired surrogate");
				o = put_utf8(o, 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00));
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return json_scan_fail(s, "unpaired surrogate");
			} else {
				o = put_utf8(o, cp);
			}
			break;
		}
		default:
			return json_scan_fail(s, "invalid escape");
		}
	}
	*o++ = '\0';
	if (decoded) {
		s->out = o;
		*decoded = start;
	}
	return true;
}

bool json_scan_number(struct json_scan *s, int64_t *value, bool *is_int)
{
	bool neg = false;
	uint64_t v = 0;
	bool overflow = false;

	*is_int = true;
	if (*s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return json_scan_fail(s, "invalid number");
	if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')
		return json_scan_fail(s, "invalid number");
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			overflow = true;
		v = v * 10 + (uint64_t)(*s->p - '0');
		s->p++;
	}
	if (s->p < s->end && *s->p == '.') {
		*is_int = false;
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return json_scan_fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		*is_int = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return json_scan_fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (overflow || v > (uint64_t)INT64_MAX)
		*is_int = false;
	if (*is_int)
		*value = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool scan_literal(struct json_scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return json_scan_fail(s, "invalid literal");
	s->p += n;
	return true;
}

#define JSON_SCAN_MAX_DEPTH 16

/* Past an opening '{' or '[': true (and past CLOSE too) when the container
 * is empty. */
static bool scan_empty(struct json_scan *s, char close)
{
	s->p++;
	json_skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	return false;
}

/* After an object member or array element: past ',' with *more set, or past
 * CLOSE with *more clear. */
static bool scan_separator(struct json_scan *s, char close, const char *why, bool *more)
{
	json_skip_ws(s);
	if (s->p >= s->end)
		return json_scan_fail(s, "truncated record");
	if (*s->p != ',' && *s->p != close)
		return json_scan_fail(s, why);
	*more = *s->p++ == ',';
	return true;
}

bool json_scan_members(struct json_scan *s, int depth, json_member_fn on_member, void *ctx)
{
	bool more = !scan_empty(s, '}');

	while (more) {
		const char *key, *key_start, *end;
		size_t key_len;

		json_skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			return json_scan_fail(s, "expected a key");
		key_start = s->p + 1;
		end = plain_string_end(s);
		if (end) {
			/* Keys keygate writes need no decoding: compare in place. */
			key = key_start;
			key_len = (size_t)(end - key_start);
			s->p = end + 1;
		} else {
			if (!json_scan_string(s, &key))
				return false;
			key_len = strlen(key);
		}
		json_skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return json_scan_fail(s, "expected ':'");
		s->p++;
		json_skip_ws(s);
		if (on_member) {
			if (!on_member(s, ctx, key, key_len))
				return false;
		} else if (!json_scan_value(s, depth + 1)) {
			return false;
		}
		if (!scan_separator(s, '}', "expected ',' or '}'", &more))
			return false;
	}
	return true;
}

/* Array elements after '['. */
static bool scan_elements(struct json_scan *s, int depth)
{
	bool more = !scan_empty(s, ']');

	while (more)
		if (!json_scan_value(s, depth + 1) || !scan_separator(s, ']', "expected ',' or ']'", &more))
			return false;
	return true;
}

bool json_scan_value(struct json_scan *s, int depth)
{
	int64_t v;
	bool is_int;

	if (depth > JSON_SCAN_MAX_DEPTH)
		return json_scan_fail(s, "nested too deeply");
	json_skip_ws(s);
	if (s->p >= s->end)
		return json_scan_fail(s, "truncated record");
	switch (*s->p) {
	case '"':
		return json_scan_string(s, NULL);
	case '{':
		return json_scan_members(s, depth, NULL, NULL);
	case '[':
		return scan_elements(s, depth);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return json_scan_number(s, &v, &is_int);
		return json_scan_fail(s, "unexpected character");
	}
}

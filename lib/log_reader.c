// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * log_reader.c - scanner, filters, rotated file set and summary for the
 * JSON lines audit log. The scanner validates a whole line as JSON (so -j
 * can pass lines through verbatim) and decodes only the fields keygate
 * writes; it never builds a tree.
 */
#include "log_reader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "audit.h"
#include "json_writer.h"

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "YYYY-MM-DD" then 'T' or ' ' and "HH:MM[:SS[.frac]]" then an optional
 * zone (Z or +hh:mm); *has_zone tells whether one was given. Returns the
 * characters consumed or 0. */
static size_t parse_datetime(const char *s, int64_t *us_out, bool *has_zone, bool *date_only)
{
	int year, mon, day, hour = 0, min = 0, sec = 0, zh, zm;
	int64_t frac_us = 0, offset_s = 0, scale = 100000;
	size_t i = 10;

	*has_zone = false;
	*date_only = false;
	if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &day) || mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	if (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
		if (!digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min))
			return 0;
		i = 16;
		if (s[i] == ':') {
			if (!digits(s + i + 1, 2, &sec))
				return 0;
			i += 3;
			if (s[i] == '.') {
				i++;
				if (s[i] < '0' || s[i] > '9')
					return 0;
				for (; s[i] >= '0' && s[i] <= '9'; i++) {
					frac_us += (s[i] - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (hour > 23 || min > 59 || sec > 60)
			return 0;
		if (s[i] == 'Z' || s[i] == 'z') {
			*has_zone = true;
			i++;
		} else if ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &zh) && s[i + 3] == ':' &&
			   digits(s + i + 4, 2, &zm)) {
			offset_s = (zh * 3600 + zm * 60) * (s[i] == '-' ? -1 : 1);
			*has_zone = true;
			i += 6;
		}
	} else {
		*date_only = true;
	}
	*us_out = ((days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 + min * 60 + sec -
		    offset_s) * 1000000) + frac_us;
	return i;
}

int64_t kg_log_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A zone-less time is local: find the UTC instant whose local reading is
 * the given one. */
static int64_t local_to_utc(int64_t naive_us)
{
	time_t t = (time_t)(naive_us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000000 + naive_us % 1000000;
}

int kg_log_parse_time(const char *text, int64_t now_us, int64_t *out_us)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	bool has_zone, date_only;
	int64_t us;
	size_t n;
	char *end;

	if (!text || !*text)
		return -EINVAL;
	if (strcmp(text, "now") == 0) {
		*out_us = now_us;
		return 0;
	}
	n = parse_datetime(text, &us, &has_zone, &date_only);
	if (n) {
		if (text[n] != '\0')
			return -EINVAL;
		*out_us = has_zone ? us : local_to_utc(us);
		return 0;
	}
	if (text[0] >= '0' && text[0] <= '9') {
		unsigned long long v;

		errno = 0;
		v = strtoull(text, &end, 10);
		if (errno || end[0] == '\0' || end[1] != '\0' || v > 100ull * 365 * 86400)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (units[i].unit == end[0]) {
				*out_us = now_us - (int64_t)v * units[i].seconds * 1000000;
				return 0;
			}
		}
	}
	return -EINVAL;
}

/* ---- the line scanner ---- */

struct scan {
	const char *p, *end;
	char *out; /* next free byte of the record's scratch */
	const char *why;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static bool fail(struct scan *s, const char *why)
{
	if (!s->why)
		s->why = s->p >= s->end ? "truncated record" : why;
	return false;
}

static bool read_hex4(struct scan *s, unsigned *out)
{
	unsigned v = 0;

	if (s->end - s->p < 4)
		return fail(s, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = kg_hex_value(s->p[i]);

		if (h < 0)
			return fail(s, "invalid \\u escape");
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
static const char *plain_string_end(const struct scan *s)
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

/* decoded NULL: validate only. */
static bool scan_string(struct scan *s, const char **decoded)
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
			return fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			break;
		}
		if ((unsigned char)*s->p < 0x20)
			return fail(s, "control byte in string");
		if ((unsigned char)*s->p >= 0x80) {
			size_t n = utf8_len((const unsigned char *)s->p, (const unsigned char *)s->end);

			if (!n)
				return fail(s, "invalid UTF-8 in string");
			memcpy(o, s->p, n);
			o += n;
			s->p += n;
			continue;
		}
		/* backslash */
		s->p++;
		if (s->p >= s->end)
			return fail(s, "truncated escape");
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
					return fail(s, "unpaired surrogate");
				s->p += 2;
				if (!read_hex4(s, &low))
					return false;
				if (low < 0xdc00 || low > 0xdfff)
					return fail(s, "unpaired surrogate");
				o = put_utf8(o, 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00));
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return fail(s, "unpaired surrogate");
			} else {
				o = put_utf8(o, cp);
			}
			break;
		}
		default:
			return fail(s, "invalid escape");
		}
	}
	*o++ = '\0';
	if (decoded) {
		s->out = o;
		*decoded = start;
	}
	return true;
}

/* Validates a JSON number; *value is set when it is an integer that fits. */
static bool scan_number(struct scan *s, int64_t *value, bool *is_int)
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
		return fail(s, "invalid number");
	if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')
		return fail(s, "invalid number");
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
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		*is_int = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (overflow || v > (uint64_t)INT64_MAX)
		*is_int = false;
	if (*is_int)
		*value = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid literal");
	s->p += n;
	return true;
}

#define KG_SCAN_MAX_DEPTH 16

static bool scan_value(struct scan *s, int depth);

/* Past an opening '{' or '[': true (and past CLOSE too) when the container
 * is empty. */
static bool scan_empty(struct scan *s, char close)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	return false;
}

/* After an object member or array element: past ',' with *more set, or past
 * CLOSE with *more clear. */
static bool scan_separator(struct scan *s, char close, const char *why, bool *more)
{
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, "truncated record");
	if (*s->p != ',' && *s->p != close)
		return fail(s, why);
	*more = *s->p++ == ',';
	return true;
}

/* Object members after '{'; on_member sees each key/value at depth 1. */
static bool scan_members(struct scan *s, int depth,
			 bool (*on_member)(struct scan *s, void *ctx, const char *key, size_t key_len),
			 void *ctx)
{
	bool more = !scan_empty(s, '}');

	while (more) {
		const char *key, *key_start, *end;
		size_t key_len;

		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			return fail(s, "expected a key");
		key_start = s->p + 1;
		end = plain_string_end(s);
		if (end) {
			/* Keys keygate writes need no decoding: compare in place. */
			key = key_start;
			key_len = (size_t)(end - key_start);
			s->p = end + 1;
		} else {
			if (!scan_string(s, &key))
				return false;
			key_len = strlen(key);
		}
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return fail(s, "expected ':'");
		s->p++;
		skip_ws(s);
		if (on_member) {
			if (!on_member(s, ctx, key, key_len))
				return false;
		} else if (!scan_value(s, depth + 1)) {
			return false;
		}
		if (!scan_separator(s, '}', "expected ',' or '}'", &more))
			return false;
	}
	return true;
}

/* Array elements after '['. */
static bool scan_elements(struct scan *s, int depth)
{
	bool more = !scan_empty(s, ']');

	while (more)
		if (!scan_value(s, depth + 1) || !scan_separator(s, ']', "expected ',' or ']'", &more))
			return false;
	return true;
}

static bool scan_value(struct scan *s, int depth)
{
	int64_t v;
	bool is_int;

	if (depth > KG_SCAN_MAX_DEPTH)
		return fail(s, "nested too deeply");
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, "truncated record");
	switch (*s->p) {
	case '"':
		return scan_string(s, NULL);
	case '{':
		return scan_members(s, depth, NULL, NULL);
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
			return scan_number(s, &v, &is_int);
		return fail(s, "unexpected character");
	}
}

#define STR_FIELD(name, member) { name, sizeof(name) - 1, offsetof(struct kg_log_record, member), true }
#define INT_FIELD(name, member) { name, sizeof(name) - 1, offsetof(struct kg_log_record, member), false }

static const struct field_def {
	const char *name;
	size_t len;
	size_t offset;
	bool is_string;
} fields[] = {
	STR_FIELD("type", type), STR_FIELD("time", time), STR_FIELD("host", host),
	STR_FIELD("op", op), STR_FIELD("verdict", verdict), STR_FIELD("reason", reason),
	STR_FIELD("rule", rule), STR_FIELD("source", source), STR_FIELD("anchor", anchor),
	STR_FIELD("signer", signer), STR_FIELD("error", error), STR_FIELD("comm", comm),
	STR_FIELD("path", path), STR_FIELD("dev", dev), STR_FIELD("digest", digest),
	STR_FIELD("result", result),
	INT_FIELD("schema", schema), INT_FIELD("rule_id", rule_id), INT_FIELD("pid", pid),
	INT_FIELD("tgid", tgid), INT_FIELD("uid", uid), INT_FIELD("ino", ino),
	INT_FIELD("count", count), INT_FIELD("total", total),
};

static bool policy_member(struct scan *s, void *ctx, const char *key, size_t key_len)
{
	struct kg_log_record *r = ctx;

	if (key_len == 4 && memcmp(key, "name", 4) == 0 && s->p < s->end && *s->p == '"')
		return scan_string(s, &r->policy_name);
	return scan_value(s, 2);
}

static bool record_member(struct scan *s, void *ctx, const char *key, size_t key_len)
{
	struct kg_log_record *r = ctx;

	if (s->p >= s->end)
		return fail(s, "truncated record");
	if (key_len == 6 && memcmp(key, "policy", 6) == 0 && *s->p == '{')
		return scan_members(s, 1, policy_member, r);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_def *f = &fields[i];
		char *slot = (char *)r + f->offset;

		if (f->len != key_len || f->name[0] != key[0] || memcmp(f->name, key, key_len) != 0)
			continue;
		if (f->is_string && *s->p == '"')
			return scan_string(s, (const char **)(void *)slot);
		if (!f->is_string && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
			int64_t v = KG_LOG_UNSET;
			bool is_int;

			if (!scan_number(s, &v, &is_int))
				return false;
			*(int64_t *)(void *)slot = is_int ? v : KG_LOG_UNSET;
			return true;
		}
		break;
	}
	return scan_value(s, 1);
}

static void record_reset(struct kg_log_record *r)
{
	char *scratch = r->scratch;
	size_t cap = r->scratch_cap;

	memset(r, 0, sizeof(*r));
	r->scratch = scratch;
	r->scratch_cap = cap;
	r->schema = r->time_us = r->rule_id = r->pid = r->tgid = r->uid = r->ino = KG_LOG_UNSET;
	r->count = r->total = KG_LOG_UNSET;
}

void kg_log_record_free(struct kg_log_record *r)
{
	free(r->scratch);
	r->scratch = NULL;
	r->scratch_cap = 0;
}

int kg_log_parse_line(struct kg_log_record *r, const char *line, size_t len, const char **why)
{
	struct scan s = { .p = line, .end = line + len };
	bool has_zone, date_only;
	size_t need = len + 64;

	record_reset(r);
	if (r->scratch_cap < need) {
		char *grown = realloc(r->scratch, need);

		if (!grown) {
			*why = "out of memory";
			return -ENOMEM;
		}
		r->scratch = grown;
		r->scratch_cap = need;
	}
	s.out = r->scratch;
	skip_ws(&s);
	if (s.p >= s.end) {
		*why = "empty line";
		return -EINVAL;
	}
	if (*s.p != '{') {
		*why = "not a JSON object";
		return -EINVAL;
	}
	if (!scan_members(&s, 0, record_member, r)) {
		*why = s.why ? s.why : "invalid JSON";
		return -EINVAL;
	}
	skip_ws(&s);
	if (s.p != s.end) {
		*why = "trailing bytes after the record";
		return -EINVAL;
	}
	if (r->schema == KG_LOG_UNSET || !r->type || !r->time) {
		*why = "missing schema, type or time";
		return -EINVAL;
	}
	if (r->schema != KG_LOG_SCHEMA_VERSION) {
		*why = "unsupported schema version";
		return -EINVAL;
	}
	if (!parse_datetime(r->time, &r->time_us, &has_zone, &date_only) || !has_zone) {
		*why = "invalid time";
		return -EINVAL;
	}
	if (strcmp(r->type, "loss") == 0) {
		r->loss_source = r->source;
		r->source = NULL;
	}
	r->line = line;
	r->line_len = len;
	return 0;
}

/* ---- filters ---- */

void kg_log_filter_init(struct kg_log_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since_us = f->until_us = f->pid = f->uid = KG_LOG_UNSET;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool kg_log_filter_match(const struct kg_log_filter *f, const struct kg_log_record *r)
{
	bool decision_filter = f->verdict || f->op || f->rule || f->anchor || f->path_glob ||
			       f->pid != KG_LOG_UNSET || f->uid != KG_LOG_UNSET;

	if (f->since_us != KG_LOG_UNSET && r->time_us < f->since_us)
		return false;
	if (f->until_us != KG_LOG_UNSET && r->time_us > f->until_us)
		return false;
	if (!decision_filter)
		return true;
	if (!str_eq(r->type, "decision"))
		return false;
	if (f->verdict && !str_eq(r->verdict, f->verdict))
		return false;
	if (f->op && !str_eq(r->op, f->op))
		return false;
	if (f->rule && !str_eq(r->rule, f->rule))
		return false;
	if (f->anchor && !str_eq(r->anchor, f->anchor))
		return false;
	if (f->path_glob && (!r->path || fnmatch(f->path_glob, r->path, 0) != 0))
		return false;
	if (f->pid != KG_LOG_UNSET && r->pid != f->pid)
		return false;
	if (f->uid != KG_LOG_UNSET && r->uid != f->uid)
		return false;
	return true;
}

/* ---- files ---- */

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

/* ---- summary ---- */

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
		if (str_eq(r->loss_source, "ring") && r->total > s->ring_kernel_total)
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

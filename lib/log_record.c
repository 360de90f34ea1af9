// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * log_record.c - one audit log line to struct kg_log_record: the whole line
 * is validated as JSON (so -j can pass lines through verbatim) and only the
 * fields keygate writes are decoded; and the filters over records.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "event_format.h"
#include "json_reader.h"
#include "log_reader.h"

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

static bool policy_member(struct json_scan *s, void *ctx, const char *key, size_t key_len)
{
	struct kg_log_record *r = ctx;

	if (key_len == 4 && memcmp(key, "name", 4) == 0 && s->p < s->end && *s->p == '"')
		return json_scan_string(s, &r->policy_name);
	return json_scan_value(s, 2);
}

static bool record_member(struct json_scan *s, void *ctx, const char *key, size_t key_len)
{
	struct kg_log_record *r = ctx;

	if (s->p >= s->end)
		return json_scan_fail(s, "truncated record");
	if (key_len == 6 && memcmp(key, "policy", 6) == 0 && *s->p == '{')
		return json_scan_members(s, 1, policy_member, r);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_def *f = &fields[i];
		char *slot = (char *)r + f->offset;

		if (f->len != key_len || f->name[0] != key[0] || memcmp(f->name, key, key_len) != 0)
			continue;
		if (f->is_string && *s->p == '"')
			return json_scan_string(s, (const char **)(void *)slot);
		if (!f->is_string && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
			int64_t v = KG_LOG_UNSET;
			bool is_int;

			if (!json_scan_number(s, &v, &is_int))
				return false;
			*(int64_t *)(void *)slot = is_int ? v : KG_LOG_UNSET;
			return true;
		}
		break;
	}
	return json_scan_value(s, 1);
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
	struct json_scan s = { .p = line, .end = line + len };
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
	json_skip_ws(&s);
	if (s.p >= s.end) {
		*why = "empty line";
		return -EINVAL;
	}
	if (*s.p != '{') {
		*why = "not a JSON object";
		return -EINVAL;
	}
	if (!json_scan_members(&s, 0, record_member, r)) {
		*why = s.why ? s.why : "invalid JSON";
		return -EINVAL;
	}
	json_skip_ws(&s);
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
	if (kg_log_parse_record_time(r->time, &r->time_us)) {
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

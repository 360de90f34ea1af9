/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * json_reader.h - a validating JSON scanner without a tree, the reading
 * counterpart of json_writer.h: it checks a whole value (strict RFC 8259:
 * UTF-8, escapes, surrogates, numbers, bounded nesting) and decodes only
 * the strings and numbers the caller asks for, into a scratch buffer at
 * least as long as the input.
 */
#ifndef KEYGATE_JSON_READER_H
#define KEYGATE_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_scan {
	const char *p, *end;
	char *out;       /* next free byte of the caller's scratch */
	const char *why; /* the first problem found, static text */
};

void json_skip_ws(struct json_scan *s);
/* Records why (or "truncated record" at the end of input); returns false. */
bool json_scan_fail(struct json_scan *s, const char *why);
/* A string at s->p; *decoded (NUL-terminated, in the scratch) unless
 * decoded is NULL. */
bool json_scan_string(struct json_scan *s, const char **decoded);
/* Validates a JSON number; *value is set when it is an integer that fits. */
bool json_scan_number(struct json_scan *s, int64_t *value, bool *is_int);
/* Any value, at nesting depth (objects and arrays deeper than 16 fail). */
bool json_scan_value(struct json_scan *s, int depth);

typedef bool (*json_member_fn)(struct json_scan *s, void *ctx, const char *key, size_t key_len);
/* The members of the object at s->p ('{'); on_member (NULL: skip) is
 * called with s at each value and must consume it. Keys without escapes
 * are compared in place and are not NUL-terminated. */
bool json_scan_members(struct json_scan *s, int depth, json_member_fn on_member, void *ctx);

#endif /* KEYGATE_JSON_READER_H */

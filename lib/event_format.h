/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * event_format.h - decision events (struct kg_event) formatted for each
 * sink: the JSON log record, the human line (stdout, journald MESSAGE),
 * and the fields the Linux audit and journald sinks build their own
 * records from.
 */
#ifndef KEYGATE_EVENT_FORMAT_H
#define KEYGATE_EVENT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_writer.h"
#include "keygate_abi.h"
#include "keygate_policy.h"

#define KG_LOG_SCHEMA_VERSION 1

/* One decision as a JSON object (the log schema), also used by
 * `keygate run -j` for its foreground output. */
void kg_event_write_json(struct json_writer *w, const struct kg_event *ev,
			 const struct kg_compiled_policy *policy, const char *host);
/* One decision as a human line: the agent's foreground output and the
 * journald MESSAGE. Path and comm are escaped (text_escape.h, spaces too);
 * policy NULL means the event's generation is no longer known, and the
 * line says so instead of naming a rule. */
#define KG_EVENT_HUMAN_MAX 3072 /* fits the longest line: a path of escapes */
void kg_event_format_human(char *buf, size_t size, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy);

/* "2026-11-21T19:33:09.123456Z" from a CLOCK_BOOTTIME timestamp. */
void kg_format_boot_time(char *buf, size_t size, uint64_t time_boot_ns);
/* The same format for the current time. */
void kg_format_now(char *buf, size_t size);

/* Which policy a record belongs to; known is false for none. */
struct kg_policy_identity {
	char name[128];
	uint64_t version;
	char digest[8 + 2 * KG_POLICY_DIGEST_LEN]; /* "sha256:<hex>" */
	bool known;
};

void kg_policy_identity_set(struct kg_policy_identity *id, const struct kg_compiled_policy *policy);
/* "key": {"name", "version", "digest"} or null. */
void kg_write_policy_identity(struct json_writer *w, const char *key,
			      const struct kg_policy_identity *id);
/* The fields every log record starts with: schema, type, time, host, policy. */
void kg_write_record_header(struct json_writer *w, const char *type, const char *time,
			    const char *host, const struct kg_policy_identity *id);

/* name, or "unknown-<value>" written into buf. */
const char *kg_name_or(const char *name, char *buf, size_t size, uint32_t value);
/* The rule and anchor an event names in its policy, or NULL. */
const struct kg_rule_info *kg_event_rule(const struct kg_event *ev,
					 const struct kg_compiled_policy *policy);
const struct kg_anchor_info *kg_event_anchor(const struct kg_event *ev,
					     const struct kg_compiled_policy *policy);
/* Bytes of ev->path that are the path (bounded by the buffer and a NUL). */
size_t kg_event_path_len(const struct kg_event *ev);
/* Bytes of ev->module that are the module's name; 0 when it has none. */
size_t kg_event_module_len(const struct kg_event *ev);
/* "major:minor" of a kernel-encoded dev_t. */
void kg_format_dev(char *buf, size_t size, uint64_t dev);
/* "sha256:<hex>"; false when the event carries no digest or buf is short. */
bool kg_format_digest(char *buf, size_t size, const struct kg_event *ev);
/* "file:line" of the rule's source. */
void kg_format_rule_source(char *buf, size_t size, const struct kg_rule_info *rule);

#endif /* KEYGATE_EVENT_FORMAT_H */

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * event_format.c - one decision event as a JSON log record (the schema of
 * keygate-log(8)) and as a human line, and the pieces every sink shares:
 * names with a fallback for unknown values, the policy identity, times.
 */
#include "event_format.h"
#include "text_escape.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *kg_name_or(const char *name, char *buf, size_t size, uint32_t value)
{
	if (name)
		return name;
	snprintf(buf, size, "unknown-%" PRIu32, value);
	return buf;
}

static const char *hash_alg_name(uint16_t alg)
{
	switch (alg) {
	case 1: return "sha256"; /* FS_VERITY_HASH_ALG_SHA256 */
	case 2: return "sha512"; /* FS_VERITY_HASH_ALG_SHA512 */
	default: return "unknown";
	}
}

static void format_realtime(char *buf, size_t size, const struct timespec *ts)
{
	struct tm tm;
	char date[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06uZ", date, (unsigned)(ts->tv_nsec / 1000) % 1000000u);
}

/* CLOCK_BOOTTIME -> wall clock through the current offset between the two
 * clocks (BOOTTIME keeps counting in suspend, so the offset is stable
 * unless someone sets the wall clock). */
void kg_format_boot_time(char *buf, size_t size, uint64_t time_boot_ns)
{
	struct timespec real, boot, wall;
	int64_t offset_ns, wall_ns;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	offset_ns = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000 + (real.tv_nsec - boot.tv_nsec);
	wall_ns = (int64_t)time_boot_ns + offset_ns;
	wall.tv_sec = wall_ns / 1000000000;
	wall.tv_nsec = wall_ns % 1000000000;
	format_realtime(buf, size, &wall);
}

void kg_format_now(char *buf, size_t size)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	format_realtime(buf, size, &now);
}

void kg_policy_identity_set(struct kg_policy_identity *id, const struct kg_compiled_policy *policy)
{
	memset(id, 0, sizeof(*id));
	if (!policy)
		return;
	snprintf(id->name, sizeof(id->name), "%s", policy->name ? policy->name : "");
	id->version = policy->version;
	memcpy(id->digest, "sha256:", 7);
	kg_hex_encode(id->digest + 7, policy->digest, KG_POLICY_DIGEST_LEN);
	id->known = true;
}

void kg_write_policy_identity(struct json_writer *w, const char *key, const struct kg_policy_identity *id)
{
	json_key(w, key);
	if (!id->known) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "name", id->name);
	json_kv_uint(w, "version", id->version);
	json_kv_string(w, "digest", id->digest);
	json_object_end(w);
}

void kg_write_record_header(struct json_writer *w, const char *type, const char *time,
			    const char *host, const struct kg_policy_identity *id)
{
	json_kv_int(w, "schema", KG_LOG_SCHEMA_VERSION);
	json_kv_string(w, "type", type);
	json_kv_string(w, "time", time);
	json_kv_string(w, "host", host);
	kg_write_policy_identity(w, "policy", id);
}

const struct kg_rule_info *kg_event_rule(const struct kg_event *ev,
					 const struct kg_compiled_policy *policy)
{
	if (!policy || ev->rule == KG_RULE_NONE || ev->rule >= policy->n_rules || !policy->rule_info)
		return NULL;
	return &policy->rule_info[ev->rule];
}

const struct kg_anchor_info *kg_event_anchor(const struct kg_event *ev,
					     const struct kg_compiled_policy *policy)
{
	if (!policy || ev->anchor == KG_ANCHOR_NONE || ev->anchor >= policy->n_anchors ||
	    !policy->anchor_info)
		return NULL;
	return &policy->anchor_info[ev->anchor];
}

/* The kernel names the keyring, not the certificate that verified; the
 * signer is known when the anchor holds exactly one certificate. */
static const char *event_signer(const struct kg_anchor_info *anchor)
{
	if (!anchor || anchor->n_certs != 1 || !anchor->certs)
		return NULL;
	return anchor->certs[0].subject;
}

size_t kg_event_module_len(const struct kg_event *ev)
{
	return strnlen(ev->module, KG_MODULE_NAME_LEN);
}

size_t kg_event_path_len(const struct kg_event *ev)
{
	size_t len = ev->path_len < KG_EVENT_PATH_MAX ? ev->path_len : KG_EVENT_PATH_MAX;

	return strnlen(ev->path, len);
}

/* dev is the superblock's s_dev in the kernel's internal encoding
 * (major << 20 | minor). */
void kg_format_dev(char *buf, size_t size, uint64_t dev)
{
	snprintf(buf, size, "%" PRIu64 ":%" PRIu64, dev >> 20, dev & ((1u << 20) - 1));
}

bool kg_format_digest(char *buf, size_t size, const struct kg_event *ev)
{
	const char *alg = hash_alg_name(ev->digest_algo);
	size_t n = ev->digest_size < KG_DIGEST_MAX ? ev->digest_size : KG_DIGEST_MAX;
	size_t prefix = strlen(alg) + 1;

	if (n == 0 || size < prefix + 2 * n + 1)
		return false;
	snprintf(buf, size, "%s:", alg);
	kg_hex_encode(buf + prefix, ev->digest, n);
	return true;
}

void kg_format_rule_source(char *buf, size_t size, const struct kg_rule_info *rule)
{
	snprintf(buf, size, "%s:%" PRIu32, rule->src.file ? rule->src.file : "?", rule->src.line);
}

static void write_error(struct json_writer *w, int32_t error)
{
	int err = error < 0 ? -error : error;
	const char *name = strerrorname_np(err);

	json_kv_string(w, "error", name ? name : "unknown");
	json_kv_int(w, "errno", err);
}

void kg_event_write_json(struct json_writer *w, const struct kg_event *ev,
			 const struct kg_compiled_policy *policy, const char *host)
{
	const struct kg_rule_info *rule = kg_event_rule(ev, policy);
	const struct kg_anchor_info *anchor = kg_event_anchor(ev, policy);
	struct kg_policy_identity id;
	char time[64], text[48 + 2 * KG_DIGEST_MAX], fallback[32];

	kg_policy_identity_set(&id, policy);
	kg_format_boot_time(time, sizeof(time), ev->time_boot_ns);
	json_object_begin(w);
	kg_write_record_header(w, "decision", time, host, &id);
	json_kv_uint(w, "generation", ev->generation);
	json_kv_string(w, "op", kg_name_or(kg_op_name(ev->op), fallback, sizeof(fallback), ev->op));
	json_kv_string(w, "verdict",
		       kg_name_or(kg_verdict_name(ev->verdict), fallback, sizeof(fallback), ev->verdict));
	json_kv_string(w, "reason",
		       kg_name_or(kg_reason_name(ev->reason), fallback, sizeof(fallback), ev->reason));
	json_key(w, "rule");
	json_string(w, rule ? rule->name : NULL);
	json_key(w, "rule_id");
	if (ev->rule == KG_RULE_NONE)
		json_null(w);
	else
		json_uint(w, ev->rule);
	json_key(w, "source");
	if (rule) {
		kg_format_rule_source(text, sizeof(text), rule);
		json_string(w, text);
	} else {
		json_null(w);
	}
	json_key(w, "anchor");
	json_string(w, anchor ? anchor->name : NULL);
	if (event_signer(anchor))
		json_kv_string(w, "signer", event_signer(anchor));
	if (ev->error)
		write_error(w, ev->error);
	json_kv_uint(w, "pid", ev->pid);
	json_kv_uint(w, "tgid", ev->tgid);
	json_kv_uint(w, "uid", ev->uid);
	json_key(w, "comm");
	json_string_len(w, ev->comm, strnlen(ev->comm, KG_COMM_LEN));
	json_key(w, "path");
	json_string_len(w, ev->path, kg_event_path_len(ev));
	if (kg_event_module_len(ev)) {
		json_key(w, "module");
		json_string_len(w, ev->module, kg_event_module_len(ev));
	}
	if (ev->op == KG_OP_MODULE_BUFFER)
		json_kv_bool(w, "module_signature", ev->flags & KG_EVENT_MODULE_SIG);
	if (ev->reason == KG_REASON_UNKNOWN_READ)
		json_kv_uint(w, "kernel_id", ev->kernel_id);
	kg_format_dev(text, sizeof(text), ev->dev);
	json_kv_string(w, "dev", text);
	json_kv_uint(w, "ino", ev->ino);
	json_key(w, "digest");
	if (kg_format_digest(text, sizeof(text), ev))
		json_string(w, text);
	else
		json_null(w);
	json_object_end(w);
}

void kg_event_format_human(char *buf, size_t size, const struct kg_event *ev,
			   const struct kg_compiled_policy *policy)
{
	const struct kg_rule_info *rule = kg_event_rule(ev, policy);
	const struct kg_anchor_info *anchor = kg_event_anchor(ev, policy);
	char time[64], source[300] = "", err[48] = "", f1[32], f2[32], f3[32], unknown[64] = "";
	char module[KG_ESCAPE_MAX_PER_BYTE * sizeof(ev->module) + 1], extra[sizeof(module) + 64] = "";
	/* Path and comm are the process's choice: escaped, spaces included,
	 * so neither can end the line or pass for another field. */
	char path[KG_ESCAPE_MAX_PER_BYTE * KG_EVENT_PATH_MAX + 1];
	char comm[KG_ESCAPE_MAX_PER_BYTE * KG_COMM_LEN + 1];

	kg_format_boot_time(time, sizeof(time), ev->time_boot_ns);
	kg_escape_text(path, sizeof(path), ev->path, kg_event_path_len(ev), KG_ESCAPE_SPACE, NULL);
	kg_escape_text(comm, sizeof(comm), ev->comm, strnlen(ev->comm, KG_COMM_LEN),
		       KG_ESCAPE_SPACE, NULL);
	if (rule) {
		snprintf(source, sizeof(source), " rule=%s (", rule->name ? rule->name : "?");
		kg_format_rule_source(source + strlen(source), sizeof(source) - strlen(source), rule);
		strncat(source, ")", sizeof(source) - strlen(source) - 1);
	}
	if (!policy)
		snprintf(unknown, sizeof(unknown), " policy=unknown generation=%" PRIu32,
			 ev->generation);
	if (ev->error) {
		const char *name = strerrorname_np(ev->error < 0 ? -ev->error : ev->error);

		snprintf(err, sizeof(err), " error=%s", name ? name : "unknown");
	}
	snprintf(buf, size, "%s %-5s %-13s %s reason=%s%s%s%s%s pid=%" PRIu32 " uid=%" PRIu32
		 " comm=%s",
		 time, kg_name_or(kg_verdict_name(ev->verdict), f1, sizeof(f1), ev->verdict),
		 kg_name_or(kg_op_name(ev->op), f2, sizeof(f2), ev->op), path,
		 kg_name_or(kg_reason_name(ev->reason), f3, sizeof(f3), ev->reason), source,
		 unknown, anchor && anchor->name ? " anchor=" : "",
		 anchor && anchor->name ? anchor->name : "", ev->pid, ev->uid, comm);
	if (err[0])
		strncat(buf, err, size - strlen(buf) - 1);
	if (kg_event_module_len(ev)) {
		/* The name comes from the module image: escaped like a path. */
		kg_escape_text(module, sizeof(module), ev->module, kg_event_module_len(ev),
			       KG_ESCAPE_SPACE, NULL);
		snprintf(extra, sizeof(extra), " module=%s", module);
	}
	if (ev->op == KG_OP_MODULE_BUFFER && (ev->flags & KG_EVENT_MODULE_SIG))
		strncat(extra, " module_signature=yes", sizeof(extra) - strlen(extra) - 1);
	if (ev->reason == KG_REASON_UNKNOWN_READ)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " kernel_id=%" PRIu32,
			 ev->kernel_id);
	strncat(buf, extra, size - strlen(buf) - 1);
}


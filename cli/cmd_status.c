// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_status.c - `keygate status`: what is in force, read from the pinned
 * state (KG_PIN_DIR) with or without a running agent: policy, generation
 * and since when, the agent or how long none ran, decision counters,
 * events lost while no agent ran, self-protection, the hooks attached and
 * the kernel memory the pinned maps hold.
 * Exit status: 0 enforcing; 1 nothing pinned, or the state is unreadable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kmem.h"
#include "loader.h"
#include "pin.h"

static void format_realtime(char *buf, size_t size, uint64_t ns)
{
	time_t secs = ns / 1000000000ull;
	struct tm tm;

	if (!ns || !gmtime_r(&secs, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "unknown");
}

/* The generation decisions use: the kernel-accepted one once signing is sealed. */
static uint32_t generation_in_force(const struct kg_status *st)
{
	return st->gate_known && st->gate.sealed ? st->gate.generation : st->active_generation;
}

static void print_signing(const struct kg_status *st)
{
	const struct kg_policy_gate *g = &st->gate;
	char digest[2 * KG_POLICY_DIGEST_LEN + 1];

	if (!st->gate_known) {
		printf("policy signing:   unknown (the pinned state has no policy gate)\n");
		return;
	}
	if (!g->sealed) {
		printf("policy signing:   unsigned (no policy-signing anchor: any valid policy "
		       "is enforced)\n");
		return;
	}
	kg_hex_encode(digest, g->digest, KG_POLICY_DIGEST_LEN);
	printf("policy signing:   signed (anchor %s %llu sealed in the kernel; version %llu, "
	       "digest %s in force; last request: %s)\n", kg_anchor_kind_name(g->anchor_kind),
	       (unsigned long long)g->anchor_id, (unsigned long long)g->version, digest,
	       kg_policy_result_name(g->result));
}

static void json_signing(struct json_writer *w, const struct kg_status *st)
{
	const struct kg_policy_gate *g = &st->gate;

	json_key(w, "policy_signing");
	if (!st->gate_known) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_bool(w, "sealed", g->sealed);
	json_kv_string(w, "anchor_kind", g->sealed ? kg_anchor_kind_name(g->anchor_kind) : NULL);
	json_kv_uint(w, "anchor_id", g->anchor_id);
	json_kv_uint(w, "version", g->version);
	json_kv_hex(w, "digest", g->digest, KG_POLICY_DIGEST_LEN);
	json_kv_string(w, "last_result", kg_policy_result_name(g->result));
	json_object_end(w);
}

/* The hook programs attached: the names of the pinned links. */
static void print_hooks_human(void)
{
	char names[KG_PIN_NAMES_MAX][KG_PIN_NAME_MAX];
	int n = kg_pin_names(KG_PIN_DIR, KG_PIN_LINKS, names, KG_PIN_NAMES_MAX);

	if (n < 0) {
		printf("hooks:            unreadable (%s)\n", strerror(-n));
		return;
	}
	printf("hooks:           ");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void print_memory_human(const struct kg_kmem *m)
{
	printf("kernel memory:    %.1f KiB in %zu maps (memlock), plus up to %llu B per task "
	       "that verified or logged (task storage, %llu tasks alive) and up to %llu B per "
	       "inode decided (inode storage)\n",
	       m->memlock_total / 1024.0, m->n_maps, (unsigned long long)m->per_task_max,
	       (unsigned long long)m->tasks, (unsigned long long)m->per_inode_max);
}

static void print_hooks_json(struct json_writer *w)
{
	char names[KG_PIN_NAMES_MAX][KG_PIN_NAME_MAX];
	int n = kg_pin_names(KG_PIN_DIR, KG_PIN_LINKS, names, KG_PIN_NAMES_MAX);

	json_key(w, "hooks");
	json_array_begin(w);
	for (int i = 0; i < n; i++)
		json_string(w, names[i]);
	json_array_end(w);
}

static void print_memory_json(struct json_writer *w, const struct kg_kmem *m)
{
	json_key(w, "kernel_memory");
	json_object_begin(w);
	json_kv_uint(w, "memlock_bytes", m->memlock_total);
	json_kv_uint(w, "per_task_max_bytes", m->per_task_max);
	json_kv_uint(w, "per_inode_max_bytes", m->per_inode_max);
	json_kv_uint(w, "tasks", m->tasks);
	json_key(w, "maps");
	json_array_begin(w);
	for (size_t i = 0; i < m->n_maps; i++) {
		const struct kg_kmem_map *map = &m->maps[i];

		json_object_begin(w);
		json_kv_string(w, "name", map->name);
		json_kv_string(w, "type", map->type);
		json_kv_uint(w, "id", map->id);
		json_kv_uint(w, "value_size", map->value_size);
		json_kv_uint(w, "max_entries", map->max_entries);
		json_kv_uint(w, "memlock_bytes", map->memlock);
		if (map->owner)
			json_kv_uint(w, map->owner == 1 ? "per_task_bytes" : "per_inode_bytes",
				     map->per_owner);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

static void print_human(const struct kg_status *st, const struct kg_kmem *mem)
{
	const struct kg_agent_state *ag = &st->agent;
	char digest[2 * KG_POLICY_DIGEST_LEN + 1], since[32], pinned[32];

	kg_hex_encode(digest, ag->digest, KG_POLICY_DIGEST_LEN);
	format_realtime(since, sizeof(since), ag->applied_ns);
	format_realtime(pinned, sizeof(pinned), ag->pinned_ns);
	printf("enforcing:        %s (%d programs pinned at %s since %s)\n",
	       st->links > 0 ? "yes" : "no", st->links > 0 ? st->links : 0, KG_PIN_DIR, pinned);
	printf("policy:           %s version %llu\n", ag->policy_name,
	       (unsigned long long)ag->policy_version);
	printf("digest:           %s\n", digest);
	if (st->layout_known)
		printf("generation:       %u (applied %s)\n", generation_in_force(st), since);
	else
		printf("generation:       %u as last applied (%s); pinned by another keygate "
		       "version (ABI %u), counters not readable by this one\n", ag->generation,
		       since, ag->abi);
	if (st->agent_running)
		printf("agent:            pid %u\n", ag->tgid);
	else
		printf("agent:            none (for %.1f s)\n", st->away_ns / 1e9);
	if (st->layout_known) {
		printf("decisions:        %llu allowed, %llu denied, %llu audited\n",
		       (unsigned long long)st->counters.decisions[KG_VERDICT_ALLOW],
		       (unsigned long long)st->counters.decisions[KG_VERDICT_DENY],
		       (unsigned long long)st->counters.decisions[KG_VERDICT_AUDIT]);
		printf("verifications:    %llu signature checks, %llu cached verdicts used\n",
		       (unsigned long long)st->counters.verifications,
		       (unsigned long long)st->counters.cache_hits);
		printf("scope walks:      %llu results kept, %llu used\n",
		       (unsigned long long)st->counters.scope_kept,
		       (unsigned long long)st->counters.scope_hits);
		printf("events lost:      %llu in total, %llu not yet reported by an agent\n",
		       (unsigned long long)st->counters.events_dropped,
		       (unsigned long long)st->lost_while_away);
	}
	printf("agents adopted:   %llu\n", (unsigned long long)ag->adoptions);
	printf("self-protection:  %s\n", st->self_protection ? "on" : "off");
	if (st->layout_known)
		print_signing(st);
	print_hooks_human();
	if (mem)
		print_memory_human(mem);
}

static void print_json(const struct kg_status *st, const struct kg_kmem *mem)
{
	const struct kg_agent_state *ag = &st->agent;
	char since[32];
	struct json_writer w;

	json_init(&w, stdout, cli.pretty);
	json_object_begin(&w);
	json_kv_bool(&w, "enforcing", st->links > 0);
	json_kv_string(&w, "pin_dir", KG_PIN_DIR);
	json_kv_int(&w, "links", st->links > 0 ? st->links : 0);
	json_kv_uint(&w, "abi", ag->abi);
	json_kv_bool(&w, "layout_known", st->layout_known);
	json_key(&w, "policy");
	json_object_begin(&w);
	json_kv_string(&w, "name", ag->policy_name);
	json_kv_uint(&w, "version", ag->policy_version);
	json_kv_hex(&w, "digest", ag->digest, KG_POLICY_DIGEST_LEN);
	json_object_end(&w);
	json_kv_uint(&w, "generation", st->layout_known ? generation_in_force(st) : ag->generation);
	format_realtime(since, sizeof(since), ag->applied_ns);
	json_kv_string(&w, "since", since);
	format_realtime(since, sizeof(since), ag->pinned_ns);
	json_kv_string(&w, "pinned_since", since);
	json_key(&w, "agent_pid");
	if (st->agent_running)
		json_uint(&w, ag->tgid);
	else
		json_null(&w);
	json_kv_uint(&w, "no_agent_ms", st->agent_running ? 0 : st->away_ns / 1000000);
	json_kv_uint(&w, "adoptions", ag->adoptions);
	if (st->layout_known) {
		json_key(&w, "decisions");
		json_object_begin(&w);
		json_kv_uint(&w, "allow", st->counters.decisions[KG_VERDICT_ALLOW]);
		json_kv_uint(&w, "deny", st->counters.decisions[KG_VERDICT_DENY]);
		json_kv_uint(&w, "audit", st->counters.decisions[KG_VERDICT_AUDIT]);
		json_object_end(&w);
		json_kv_uint(&w, "verifications", st->counters.verifications);
		json_kv_uint(&w, "cache_hits", st->counters.cache_hits);
		json_kv_uint(&w, "scope_results_kept", st->counters.scope_kept);
		json_kv_uint(&w, "scope_results_used", st->counters.scope_hits);
		json_kv_uint(&w, "events_lost", st->counters.events_dropped);
		json_kv_uint(&w, "events_lost_unreported", st->lost_while_away);
	}
	json_kv_bool(&w, "self_protection", st->self_protection);
	json_signing(&w, st);
	print_hooks_json(&w);
	if (mem)
		print_memory_json(&w, mem);
	json_object_end(&w);
	fputc('\n', stdout);
}

int cmd_status(int argc, char **argv)
{
	struct kg_status st;
	struct kg_kmem mem;
	int err, mem_err;

	(void)argv;
	if (argc > 1) {
		cli_error("status: takes no arguments");
		return KG_EXIT_USAGE;
	}
	err = kg_loader_status(&st);
	if (err == -ENOENT) {
		if (cli.json)
			printf("{\"enforcing\":false,\"pin_dir\":\"%s\"}\n", KG_PIN_DIR);
		else
			printf("enforcing:        no (nothing pinned at %s)\n", KG_PIN_DIR);
		return KG_EXIT_FAILURE;
	}
	if (err) {
		cli_error("status: reading the pinned state at %s failed: %s", KG_PIN_DIR,
			  strerror(-err));
		return KG_EXIT_FAILURE;
	}
	mem_err = kg_kmem_read(KG_PIN_DIR, &mem);
	if (mem_err)
		fprintf(stderr, "keygate: warning: status: reading the kernel memory of the maps "
			"at %s/%s failed: %s\n", KG_PIN_DIR, KG_PIN_MAPS, strerror(-mem_err));
	if (cli.json)
		print_json(&st, mem_err ? NULL : &mem);
	else
		print_human(&st, mem_err ? NULL : &mem);
	return KG_EXIT_OK;
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_run.c - `keygate run [--policy PATH]... [--log FILE|-]
 * [--no-linux-audit]`: the agent. Compiles the policy, checks the kernel,
 * resolves trust anchors, loads and attaches the LSM programs, then
 * reports decisions on stdout (a human line each, a JSON line each with
 * -j) until SIGINT/SIGTERM, when it exits 0 and leaves the pinned state
 * (KG_PIN_DIR) in force for the next agent; `keygate stop` ends it.
 * SIGHUP reloads the policy (an invalid one keeps the old in force);
 * SIGUSR1 reopens the log file. Under a Type=notify unit it reports
 * READY=1 once the programs enforce, RELOADING=1/READY=1 around a reload;
 * a SIGHUP sent by `keygate policy reload` (sigqueue with
 * KG_RELOAD_REQUEST) is answered with the reload's outcome.
 *
 * One file: these are the steps of one agent's life (start, the event
 * loop, reload, the scope and keyring rescans, stop), each a few functions
 * over one struct agent; the work itself is in the library (lib/), and
 * splitting the steps would publish struct agent to files that each read
 * only part of the story.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "keyrings.h"
#include "keystate.h"
#include "loader.h"
#include "notify.h"
#include "policy_gate.h"
#include "probe.h"
#include "scopes.h"

#define POLL_TIMEOUT_MS 100
/* How often anchor keyrings are checked for changes: the longest a
 * verdict cached against a changed or revoked keyring still counts. */
#define KEYSTATE_INTERVAL_MS 1000
/* How often scopes are bound again without a mount change: the longest
 * a scope directory created, or replaced, after the load goes unbound. */
#define RESCAN_INTERVAL_MS 5000

/* A policy in force (or just replaced) with the keyrings made for it. */
struct active_policy {
	struct kg_compiled_policy *policy;
	struct kg_keyrings keyrings;
	struct kg_scope_set scopes;
	struct kg_keystate keys;
	uint32_t generation;
	struct kg_signed_policy signature; /* read when signing is sealed */
};

struct agent {
	const char **policy_paths;
	size_t n_policy_paths;
	struct kg_loader *loader;
	struct kg_audit *audit;
	struct active_policy current;
	/* The policy replaced by the last reload: events still in the ring
	 * buffer may have been decided by it. */
	struct active_policy previous;
	/* Adopted from a pinned state: events of its generation were decided
	 * by a policy we have only if its digest equals ours. */
	uint32_t adopted_generation;
	bool adopted_same_policy;
	uint64_t drops_reported;
	int mountinfo_fd; /* POLLPRI when this mount namespace changes */
	uint64_t next_keystate_ms, next_rescan_ms;
	char host[256];
	/* What the kernel offers, probed at start; a reload is checked against it. */
	struct kg_probe_report probe;
	/* Policy signing: options, the anchor, and whether the kernel's gate
	 * is sealed (then only policies it verified take effect). */
	const char *anchor_spec, *signature_path, *floor_path;
	struct kg_policy_anchor anchor;
	bool signing;
	struct kg_policy_gate gate; /* the kernel's last answer */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: keygate [-j] [-d] run [--policy PATH]... [--log FILE|-] [--no-linux-audit]\n"
		"                        [--policy-anchor ANCHOR] [--policy-signature SIG]\n"
		"                        [--policy-floor FILE]\n"
		"\n"
		"Enforces the policy (files or directories, merged in order; the built-in\n"
		"default without --policy), pinned under %s so that it stays in\n"
		"force when the agent exits; a new agent adopts it. SIGHUP reloads the\n"
		"policy, SIGUSR1 reopens the log file, SIGINT and SIGTERM end the agent\n"
		"(`keygate stop` ends enforcement). Decisions are printed on stdout\n"
		"(JSON lines with -j) and written to the audit log (default %s;\n"
		"'-' for none).\n"
		"With a policy-signing ANCHOR (builtin, secondary, platform, keyring:SERIAL,\n"
		"cert:FILE; default: the line in %s, if any) only\n"
		"policies signed by it take effect, verified by the kernel (SIG: default\n"
		"DIR/policy.sig or FILE.sig), never below the version in FILE (default\n"
		"%s).\n",
		KG_PIN_DIR, KG_DEFAULT_LOG_PATH, KG_POLICY_ANCHOR_CONFIG, KG_POLICY_FLOOR_PATH);
}

static int load_policy(const struct agent *a, struct kg_compiled_policy **out)
{
	struct kg_diagnostics diags = { 0 };
	int err;

	if (a->n_policy_paths)
		err = kg_policy_load(a->policy_paths, a->n_policy_paths, out, &diags);
	else
		err = kg_policy_load_default(out, &diags);
	kg_diagnostics_print(&diags, stderr);
	kg_diagnostics_free(&diags);
	if (err == -EINVAL)
		cli_error("the policy is invalid (see the messages above)");
	else if (err)
		cli_error("loading the policy failed: %s", strerror(-err));
	return err;
}

static bool policy_needs_signatures(const struct kg_compiled_policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].requirement == KG_REQ_SIGNED)
			return true;
	return false;
}

/* Without it keygate's programs do not load: a required check, or a kfunc
 * (the programs reference every one of them). */
static bool blocks_loading(const struct kg_probe_check *c)
{
	return c->required || strncmp(c->name, "kfunc:", 6) == 0;
}

/*
 * The first probe check that stops this policy from being enforced: one
 * that blocks loading, or, when a rule verifies signatures, fs-verity and
 * (for a security.bpf.* signature_xattr) security-bpf-xattr. An audit-only
 * policy is still tried without those (it reports what would fail).
 */
static const struct kg_probe_check *enforcement_blocker(const struct kg_probe_report *r,
							 const struct kg_compiled_policy *p)
{
	for (int i = 0; i < r->count; i++) {
		const struct kg_probe_check *c = &r->checks[i];

		if (c->ok)
			continue;
		if (blocks_loading(c) ||
		    (strcmp(c->name, "fs-verity") == 0 && policy_needs_signatures(p)) ||
		    (strcmp(c->name, "security-bpf-xattr") == 0 && policy_needs_signatures(p) &&
		     strncmp(p->sig_xattr, "security.bpf.", 13) == 0)) {
			if (!blocks_loading(c) && kg_policy_is_audit_only(p)) {
				fprintf(stderr, "keygate: warning: %s: %s; the policy is audit-only, "
						"trying anyway\n", c->name, c->detail);
				continue;
			}
			return c;
		}
	}
	return NULL;
}

/* why: what stops enforcement, for the start-failure records. */
static int check_kernel(struct agent *a, const struct kg_compiled_policy *p, char *why,
			size_t why_size)
{
	const struct kg_probe_check *blocker;
	int err;

	err = kg_probe_run(&a->probe, cli.debug);
	if (err) {
		snprintf(why, why_size, "probing the kernel failed: %s", strerror(-err));
		cli_error("%s", why);
		return KG_EXIT_CANNOT_ENFORCE;
	}
	blocker = enforcement_blocker(&a->probe, p);
	if (!blocker)
		return 0;
	snprintf(why, why_size, "this kernel cannot enforce policy %s: %s: %s", p->name,
		 blocker->name, blocker->detail);
	cli_error("%s", why);
	return KG_EXIT_CANNOT_ENFORCE;
}

static void active_policy_free(struct active_policy *ap)
{
	kg_signed_policy_free(&ap->signature);
	kg_scopes_free(&ap->scopes);
	kg_keyrings_release(&ap->keyrings);
	kg_policy_free(ap->policy);
	memset(ap, 0, sizeof(*ap));
}

/* The policy that decided an event: the one in force or the one it
 * replaced. NULL for an older generation (two reloads in quick
 * succession): its rules are gone, and records say the generation is
 * unknown rather than name a rule of another policy. */
static const struct kg_compiled_policy *policy_for(const struct agent *a, uint32_t generation)
{
	if (a->current.policy && a->current.generation == generation)
		return a->current.policy;
	if (a->previous.policy && a->previous.generation == generation)
		return a->previous.policy;
	if (a->adopted_generation && a->adopted_generation == generation)
		return a->adopted_same_policy ? a->current.policy : NULL;
	return NULL;
}

static int on_event(void *ctx, const struct kg_event *ev)
{
	struct agent *a = ctx;
	const struct kg_compiled_policy *p = policy_for(a, ev->generation);

	kg_audit_decision(a->audit, ev, p);
	if (cli.json) {
		struct json_writer w;

		json_init(&w, stdout, false);
		kg_event_write_json(&w, ev, p, a->host); /* one line, newline included */
	} else {
		char line[KG_EVENT_HUMAN_MAX];

		kg_event_format_human(line, sizeof(line), ev, p);
		printf("%s\n", line);
	}
	fflush(stdout);
	return 0;
}

static void print_enforcing(const struct agent *a)
{
	const struct kg_compiled_policy *p = a->current.policy;
	char digest[2 * KG_POLICY_DIGEST_LEN + 1];

	kg_hex_encode(digest, p->digest, KG_POLICY_DIGEST_LEN);
	fprintf(stderr,
		"keygate: enforcing policy %s version %llu (digest %s), %d programs attached; %s%s\n",
		p->name, (unsigned long long)p->version, digest, kg_loader_attached(a->loader),
		a->signing ? "signature verified by the kernel, signer " : "unsigned",
		a->signing ? a->current.signature.signer : "");
}

/* The anti-rollback floor follows the policy the kernel accepted. */
static void raise_floor(struct agent *a, const struct kg_compiled_policy *p)
{
	uint8_t digest[KG_POLICY_DIGEST_LEN];
	uint64_t version;
	int err;

	if (kg_policy_floor_read(a->floor_path, &version, digest) == 0 && version == p->version &&
	    memcmp(digest, p->digest, KG_POLICY_DIGEST_LEN) == 0)
		return;
	err = kg_policy_floor_write(a->floor_path, p->version, p->digest);
	if (err)
		fprintf(stderr, "keygate: warning: recording version %llu in %s failed: %s; after a "
			"reboot an older signed policy would be accepted\n",
			(unsigned long long)p->version, a->floor_path, strerror(-err));
}

/*
 * Puts AP's policy in force with SCOPES. Signing sealed: only after the
 * kernel verified its signature and version (why says what it refused).
 */
static int apply_policy(struct agent *a, struct active_policy *ap, const struct kg_scope_set *scopes,
			char *why, size_t why_len)
{
	int err;

	why[0] = '\0';
	if (!a->signing)
		return kg_loader_apply(a->loader, ap->policy, scopes, &ap->generation);
	if (!ap->signature.data) {
		err = kg_signed_policy_load(ap->policy, a->policy_paths, a->n_policy_paths,
					    a->signature_path, &ap->signature, why, why_len);
		if (err)
			return err;
	}
	if (!ap->signature.sig) {
		snprintf(why, why_len, "unsigned: a policy-signing anchor is sealed and %s%.300s",
			 ap->signature.sig_path[0] ? "there is no signature at " :
						     "the built-in policy has no signature",
			 ap->signature.sig_path);
		return -EPERM;
	}
	a->gate.result = KG_POLICY_NONE;
	err = kg_loader_apply_signed(a->loader, ap->policy, scopes, &ap->signature,
				     &ap->generation, &a->gate);
	if (err && a->gate.result != KG_POLICY_NONE)
		snprintf(why, why_len, "%s: %s (version %llu; kernel error %d)",
			 kg_policy_result_name(a->gate.result), kg_policy_result_text(a->gate.result),
			 (unsigned long long)ap->policy->version, a->gate.error);
	if (!err)
		raise_floor(a, ap->policy);
	return err;
}

/* Seals the policy-signing anchor in the kernel (once per pinned state)
 * when one is configured; adopts a seal an earlier agent made. */
static int setup_signing(struct agent *a, char *why, size_t why_len)
{
	uint8_t floor_digest[KG_POLICY_DIGEST_LEN] = { 0 };
	uint64_t floor_version = 0;
	int found = 1, err;

	err = kg_loader_gate(a->loader, &a->gate);
	if (err) {
		snprintf(why, why_len, "reading the policy gate failed: %s", strerror(-err));
		return err;
	}
	if (a->anchor_spec)
		err = kg_policy_anchor_parse(a->anchor_spec, &a->anchor, why, why_len);
	else
		err = kg_policy_anchor_config(&a->anchor, &found, why, why_len);
	if (err)
		return err;
	if (!found) {
		a->signing = a->gate.sealed;
		if (a->signing)
			fprintf(stderr, "keygate: policy signing was sealed earlier (anchor %s %llu, "
				"version %llu in force): only signed policies take effect\n",
				kg_anchor_kind_name(a->gate.anchor_kind),
				(unsigned long long)a->gate.anchor_id,
				(unsigned long long)a->gate.version);
		return 0;
	}
	err = kg_policy_floor_read(a->floor_path, &floor_version, floor_digest);
	if (err && err != -ENOENT) {
		snprintf(why, why_len, "reading the policy floor %s failed: %s (remove it only to "
			 "give up anti-rollback deliberately)", a->floor_path,
			 err == -EINVAL ? "not 'version N digest HEX'" : strerror(-err));
		return err;
	}
	err = kg_policy_anchor_resolve(&a->anchor, why, why_len);
	if (err)
		return err;
	err = kg_loader_seal(a->loader, &a->anchor, floor_version, floor_digest, &a->gate);
	if (err) {
		snprintf(why, why_len, "sealing the policy-signing anchor failed: %s",
			 err == -ETIME ? "the kernel's verifier did not answer" : strerror(-err));
		kg_policy_anchor_release(&a->anchor);
		return err;
	}
	if (a->gate.result == KG_POLICY_ALREADY_SEALED) {
		if (a->gate.anchor_kind != a->anchor.kind || a->gate.anchor_id != a->anchor.id)
			fprintf(stderr, "keygate: policy signing was sealed earlier with anchor %s "
				"%llu; it stays until keygate stop or a reboot (%s ignored)\n",
				kg_anchor_kind_name(a->gate.anchor_kind),
				(unsigned long long)a->gate.anchor_id, a->anchor.spec);
		kg_policy_anchor_release(&a->anchor); /* the sealed keyring is the earlier one */
	} else if (a->gate.result != KG_POLICY_SEALED) {
		snprintf(why, why_len, "sealing the policy-signing anchor %s failed: %s: %s",
			 a->anchor.spec, kg_policy_result_name(a->gate.result),
			 kg_policy_result_text(a->gate.result));
		kg_policy_anchor_release(&a->anchor);
		return kg_policy_result_errno(a->gate.result);
	} else {
		fprintf(stderr, "keygate: policy signing sealed: anchor %s, lowest version %llu "
			"(%s)\n", a->anchor.spec, (unsigned long long)floor_version, a->floor_path);
	}
	a->signing = true;
	return 0;
}

/* READY=1 with the policy in force (after a start or any reload). */
static void notify_ready(const struct agent *a, const char *prefix)
{
	const struct kg_compiled_policy *p = a->current.policy;
	char status[256];

	snprintf(status, sizeof(status), "%spolicy %s version %llu in force (%s)", prefix,
		 p->name, (unsigned long long)p->version, kg_mode_name(p->mode));
	kg_notify_ready(status);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Scopes of a policy that bind to nothing yet, and with -d what bound. */
static void report_scopes(const struct active_policy *ap)
{
	if (ap->scopes.n_unresolved)
		fprintf(stderr,
			"keygate: %zu scope(s) of policy %s do not exist (e.g. %s); the enclosing "
			"scope decides there until they do (checked every %d s and on mount changes)\n",
			ap->scopes.n_unresolved, ap->policy->name, ap->scopes.first_unresolved,
			RESCAN_INTERVAL_MS / 1000);
	if (cli.debug)
		fprintf(stderr, "keygate: scopes bound: %zu directories, %zu mount roots, %zu files on "
			"%zu file systems\n", ap->scopes.n_dirs - ap->scopes.n_mount_roots,
			ap->scopes.n_mount_roots, ap->scopes.n_files, ap->scopes.n_devs);
}

static int resolve_scopes(struct active_policy *ap)
{
	int err = kg_scopes_resolve(ap->policy, &ap->scopes);

	if (err) {
		cli_error("binding the scopes of policy %s to files failed: %s", ap->policy->name,
			  strerror(-err));
		return err;
	}
	report_scopes(ap);
	return 0;
}

/* Mounts changed, or the periodic check: binds the scopes again and, when
 * an identity changed, puts the same policy in force with the new ones. */
static void rescan_scopes(struct agent *a)
{
	struct active_policy *cur = &a->current;
	struct kg_scope_set scopes;
	char why[512];
	int err;

	err = kg_scopes_resolve(cur->policy, &scopes);
	if (err) {
		fprintf(stderr, "keygate: binding scopes again failed: %s; the previous binding "
			"stays in force\n", strerror(-err));
		return;
	}
	if (kg_scopes_equal(&scopes, &cur->scopes)) {
		kg_scopes_free(&scopes);
		return;
	}
	err = apply_policy(a, cur, &scopes, why, sizeof(why));
	if (err) {
		fprintf(stderr, "keygate: scopes changed but could not be written: %s; the previous "
			"binding stays in force\n", why[0] ? why : strerror(-err));
		kg_scopes_free(&scopes);
		return;
	}
	kg_scopes_free(&cur->scopes);
	cur->scopes = scopes;
	fprintf(stderr, "keygate: scopes bound again (%zu directories and mount roots, %zu files, "
		"%zu not present)\n", scopes.n_dirs, scopes.n_files, scopes.n_unresolved);
}

static void check_keyrings(struct agent *a)
{
	struct active_policy *cur = &a->current;
	uint64_t changed = kg_keystate_changes(&cur->keys, cur->policy);

	for (uint32_t i = 0; changed && i < KG_MAX_ANCHORS; i++) {
		if (!(changed & (1ULL << i)))
			continue;
		if (kg_loader_anchor_changed(a->loader, i) == 0)
			fprintf(stderr, "keygate: keyring of anchor %s changed; verdicts cached "
				"against it no longer count\n", cur->policy->anchor_info[i].name);
	}
}

/* SIGHUP: the new policy replaces the old only when all of it is ready.
 * Returns 0 or the -errno that made the new policy be rejected. */
static int reload(struct agent *a)
{
	const struct kg_probe_check *blocker = NULL;
	struct active_policy next = { 0 };
	char result[1024], why[512] = "";
	int err;

	err = load_policy(a, &next.policy);
	if (!err)
		blocker = enforcement_blocker(&a->probe, next.policy);
	if (blocker) {
		snprintf(result, sizeof(result),
			 "rejected: this kernel cannot enforce policy %s: %s: %s; the old policy "
			 "stays in force", next.policy->name, blocker->name, blocker->detail);
		fprintf(stderr, "keygate: reload %s\n", result);
		kg_audit_policy_load(a->audit, a->current.policy, next.policy, result, NULL);
		active_policy_free(&next);
		return -EOPNOTSUPP;
	}
	if (!err)
		err = kg_keyrings_resolve(next.policy, &next.keyrings);
	if (!err)
		err = resolve_scopes(&next);
	if (!err)
		err = apply_policy(a, &next, &next.scopes, why, sizeof(why));
	if (err) {
		snprintf(result, sizeof(result), "rejected: %s; the old policy stays in force",
			 why[0] ? why : err == -EINVAL ? "invalid policy" : strerror(-err));
		fprintf(stderr, "keygate: reload %s\n", result);
		kg_audit_policy_load(a->audit, a->current.policy, next.policy, result,
				     next.signature.sig ? next.signature.signer : NULL);
		active_policy_free(&next);
		return err;
	}
	kg_keystate_init(&next.keys, next.policy);
	kg_audit_policy_load(a->audit, a->current.policy, next.policy, "applied",
			     next.signature.sig ? next.signature.signer : NULL);
	/* The replaced policy keeps its keyrings until the next reload: a
	 * decision that read the old generation just before the flip may
	 * still look them up. */
	active_policy_free(&a->previous);
	a->previous = a->current;
	a->current = next;
	print_enforcing(a);
	return 0;
}

/* A reload asked for by `keygate policy reload` gets its outcome back. */
static void answer_reload_request(const struct signalfd_siginfo *si, int err)
{
	union sigval outcome = { .sival_int = err };

	if (si->ssi_code != SI_QUEUE || si->ssi_int != KG_RELOAD_REQUEST)
		return;
	if (sigqueue((pid_t)si->ssi_pid, KG_RELOAD_REPLY_SIGNAL, outcome))
		fprintf(stderr, "keygate: cannot answer the reload request of pid %u: %s\n",
			si->ssi_pid, strerror(errno));
}

static void report_drops(struct agent *a)
{
	struct kg_counters counters;

	if (kg_loader_counters(a->loader, &counters) || counters.events_dropped == a->drops_reported)
		return;
	kg_audit_ring_losses(a->audit, counters.events_dropped);
	fprintf(stderr, "keygate: %llu decision events lost so far (ring buffer full)\n",
		(unsigned long long)counters.events_dropped);
	a->drops_reported = counters.events_dropped;
}

static void print_counters(struct agent *a)
{
	struct kg_counters c;

	if (kg_loader_counters(a->loader, &c))
		return;
	fprintf(stderr,
		"keygate: agent exiting, enforcement stays pinned: %llu allowed, %llu denied, %llu audited; %llu signature "
		"checks, %llu cache hits, %llu events lost\n",
		(unsigned long long)c.decisions[KG_VERDICT_ALLOW],
		(unsigned long long)c.decisions[KG_VERDICT_DENY],
		(unsigned long long)c.decisions[KG_VERDICT_AUDIT],
		(unsigned long long)c.verifications, (unsigned long long)c.cache_hits,
		(unsigned long long)c.events_dropped);
}

/* The state this agent took over: what was in force, for how long no
 * agent ran, and the decisions lost meanwhile (the ring's contents are
 * reported as events by the first polls). */
static void report_adoption(struct agent *a, const struct kg_adoption *ad)
{
	const struct kg_agent_state *prev = &ad->previous;
	char digest[2 * KG_POLICY_DIGEST_LEN + 1];

	a->adopted_generation = prev->generation;
	a->adopted_same_policy = memcmp(prev->digest, a->current.policy->config.digest,
					KG_POLICY_DIGEST_LEN) == 0;
	a->drops_reported = prev->drops_reported;
	kg_hex_encode(digest, prev->digest, KG_POLICY_DIGEST_LEN);
	fprintf(stderr,
		"keygate: adopted the pinned state: policy %s version %llu (digest %s), "
		"generation %u; no agent for %.1f s, %llu decision events lost meanwhile\n",
		prev->policy_name, (unsigned long long)prev->policy_version, digest,
		prev->generation, ad->away_ns / 1e9, (unsigned long long)ad->lost_while_away);
	report_drops(a);
}

static void report_pinning(const struct agent *a, const struct kg_adoption *ad)
{
	const char *step;
	int err = kg_loader_pin_error(a->loader, &step);

	if (err)
		fprintf(stderr, "keygate: warning: pinning the state under %s failed (%s): %s; "
			"enforcement ends with this agent\n", KG_PIN_DIR, step, strerror(-err));
	else if (ad->replaced)
		fprintf(stderr, "keygate: replaced a pinned state of another version "
			"(ABI %u) after attaching this one\n", ad->previous_abi);
}

/* The adopted policy's certificate keyrings become "the previous
 * policy's": released at the next reload, like a replaced policy's. */
static void take_adopted_keyrings(struct agent *a)
{
	int32_t serials[KG_MAX_ANCHORS];
	size_t n;
	int err;

	a->previous.generation = a->adopted_generation;
	err = kg_loader_cert_keyrings(a->loader, a->adopted_generation, serials, KG_MAX_ANCHORS, &n);
	if (!err)
		err = kg_keyrings_adopt(&a->previous.keyrings, serials, n);
	if (err)
		fprintf(stderr, "keygate: warning: the adopted policy's keyrings stay linked in "
			"the user keyring: %s\n", strerror(-err));
}

/* Returns true when the agent should stop. */
static bool handle_signals(struct agent *a, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP: {
			int err;

			kg_notify_reloading();
			err = reload(a);
			notify_ready(a, err ? "reload rejected, " : "");
			answer_reload_request(&si, err);
			break;
		}
		case SIGUSR1:
			kg_audit_reopen(a->audit);
			break;
		default:
			return true;
		}
	}
	return false;
}

static bool mounts_changed(const struct agent *a)
{
	struct pollfd pfd = { .fd = a->mountinfo_fd, .events = POLLPRI };

	return a->mountinfo_fd >= 0 && poll(&pfd, 1, 0) > 0 &&
	       (pfd.revents & (POLLPRI | POLLERR));
}

static int event_loop(struct agent *a, int sfd)
{
	uint64_t now;
	int err;

	for (;;) {
		err = kg_loader_poll(a->loader, POLL_TIMEOUT_MS, on_event, a);
		if (err && err != -EINTR)
			return KG_EXIT_FAILURE;
		report_drops(a);
		kg_loader_heartbeat(a->loader, a->drops_reported);
		if (handle_signals(a, sfd))
			return KG_EXIT_OK;
		now = now_ms();
		if (now >= a->next_keystate_ms) {
			check_keyrings(a);
			a->next_keystate_ms = now + KEYSTATE_INTERVAL_MS;
		}
		/* The poll itself marks the change as seen. */
		if (mounts_changed(a) || now >= a->next_rescan_ms) {
			rescan_scopes(a);
			a->next_rescan_ms = now + RESCAN_INTERVAL_MS;
		}
	}
}

static int parse_args(struct agent *a, struct kg_audit_options *opts, int argc, char **argv)
{
	enum { OPT_POLICY = 256, OPT_LOG, OPT_NO_LINUX_AUDIT, OPT_ANCHOR, OPT_SIGNATURE, OPT_FLOOR };
	static const struct option options[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "policy-anchor", required_argument, NULL, OPT_ANCHOR },
		{ "policy-signature", required_argument, NULL, OPT_SIGNATURE },
		{ "policy-floor", required_argument, NULL, OPT_FLOOR },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "no-linux-audit", no_argument, NULL, OPT_NO_LINUX_AUDIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_POLICY:
			a->policy_paths[a->n_policy_paths++] = optarg;
			break;
		case OPT_LOG:
			opts->log_path = optarg;
			break;
		case OPT_NO_LINUX_AUDIT:
			opts->linux_audit = false;
			break;
		case OPT_ANCHOR:
			a->anchor_spec = optarg;
			break;
		case OPT_SIGNATURE:
			a->signature_path = optarg;
			break;
		case OPT_FLOOR:
			a->floor_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return KG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("run: unexpected argument '%s'", argv[optind]);
		return KG_EXIT_USAGE;
	}
	return 0;
}

/*
 * The agent could not start enforcing: the reason goes to the JSON log and
 * Linux audit (when they could be opened) and to the service manager; the
 * failing step has already printed its own message on stderr.
 */
static void start_failed(const struct agent *a, const char *why, int err)
{
	if (a->audit)
		kg_audit_agent_start_failed(a->audit, a->current.policy, why);
	kg_notify_failed(why, err > 0 ? err : -err);
}

int cmd_run(int argc, char **argv)
{
	struct kg_audit_options audit_opts = { .linux_audit = true, .journald = true };
	struct kg_adoption adoption;
	struct agent a = { .mountinfo_fd = -1, .floor_path = KG_POLICY_FLOOR_PATH };
	char why[1024], reason[512];
	sigset_t signals;
	int sfd = -1;
	int ret, err, audit_err;

	cli.errors_to_stderr = true;
	a.policy_paths = calloc(argc, sizeof(*a.policy_paths));
	if (!a.policy_paths)
		return KG_EXIT_FAILURE;
	ret = parse_args(&a, &audit_opts, argc, argv);
	if (ret) {
		ret = ret < 0 ? KG_EXIT_OK : ret;
		goto out;
	}
	if (gethostname(a.host, sizeof(a.host) - 1))
		snprintf(a.host, sizeof(a.host), "unknown");

	/* Signals arrive through a descriptor: no work in signal handlers. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	sfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
	ret = KG_EXIT_FAILURE;
	if (sfd < 0) {
		cli_error("run: signalfd failed: %s", strerror(errno));
		goto out;
	}

	/* The audit sinks first, so that a start that fails is recorded too;
	 * when they cannot be opened, a policy or kernel problem is still
	 * reported first. */
	audit_err = kg_audit_open(&a.audit, &audit_opts);
	err = load_policy(&a, &a.current.policy);
	if (err) {
		snprintf(why, sizeof(why), "loading the policy failed: %s",
			 err == -EINVAL ? "invalid policy" : strerror(-err));
		start_failed(&a, why, err);
		goto out;
	}
	ret = check_kernel(&a, a.current.policy, why, sizeof(why));
	if (ret) {
		start_failed(&a, why, 0);
		goto out;
	}
	ret = KG_EXIT_FAILURE;
	if (audit_err) {
		start_failed(&a, "opening the audit log failed", audit_err);
		goto out;
	}
	err = kg_keyrings_resolve(a.current.policy, &a.current.keyrings);
	if (err) {
		snprintf(why, sizeof(why), "resolving the trust anchors failed: %s",
			 strerror(-err));
		start_failed(&a, why, err);
		goto out;
	}
	err = kg_loader_open(&a.loader, a.current.policy->sig_xattr, &adoption);
	if (!err && adoption.adopted)
		report_adoption(&a, &adoption);
	if (err) {
		snprintf(why, sizeof(why), "loading keygate's BPF programs failed: %s",
			 strerror(-err));
		start_failed(&a, why, err);
		goto out;
	}
	err = kg_scopes_resolve(a.current.policy, &a.current.scopes);
	if (err) {
		snprintf(why, sizeof(why), "binding the scopes of policy %s to files failed: %s",
			 a.current.policy->name, strerror(-err));
		start_failed(&a, why, err);
		goto out;
	}
	report_scopes(&a.current);
	err = setup_signing(&a, why, sizeof(why));
	if (err) {
		cli_error("%s", why);
		start_failed(&a, why, err);
		goto out;
	}
	/* An adopting agent puts its policy and scopes in force as a reload
	 * does: the pinned maps keep deciding until the new generation flips. */
	err = apply_policy(&a, &a.current, &a.current.scopes, reason, sizeof(reason));
	snprintf(why, sizeof(why), "rejected: %s", reason[0] ? reason : strerror(-err));
	kg_audit_policy_load(a.audit, NULL, a.current.policy, err ? why : "applied",
			     a.current.signature.sig ? a.current.signature.signer : NULL);
	if (err) {
		if (reason[0])
			snprintf(why, sizeof(why), "policy %s refused: %s", a.current.policy->name,
				 reason);
		else
			snprintf(why, sizeof(why), "loading keygate's BPF programs failed: %s",
				 strerror(-err));
		cli_error("%s", why);
		start_failed(&a, why, err);
		goto out;
	}
	report_pinning(&a, &adoption);
	if (adoption.adopted)
		take_adopted_keyrings(&a);
	kg_keystate_init(&a.current.keys, a.current.policy);
	a.mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (a.mountinfo_fd < 0)
		fprintf(stderr, "keygate: warning: /proc/self/mountinfo: %s; scopes are bound again "
			"every %d s only\n", strerror(errno), RESCAN_INTERVAL_MS / 1000);
	a.next_keystate_ms = now_ms() + KEYSTATE_INTERVAL_MS;
	a.next_rescan_ms = now_ms() + RESCAN_INTERVAL_MS;
	kg_audit_agent_start(a.audit, a.current.policy);
	print_enforcing(&a);
	notify_ready(&a, "");

	ret = event_loop(&a, sfd);

	kg_notify_stopping();
	/* Decisions made before the stop are logged, not lost. */
	kg_loader_drain(a.loader, on_event, &a);
	report_drops(&a);
	print_counters(&a);
	if (!kg_loader_pin_error(a.loader, NULL))
		kg_keyrings_keep(&a.current.keyrings); /* the pinned policy uses them */
	kg_loader_close(a.loader);
	a.loader = NULL;
	kg_audit_agent_stop(a.audit, a.current.policy);
out:
	kg_loader_close(a.loader);
	if (a.audit)
		kg_audit_close(a.audit);
	active_policy_free(&a.previous);
	active_policy_free(&a.current);
	if (sfd >= 0)
		close(sfd);
	if (a.mountinfo_fd >= 0)
		close(a.mountinfo_fd);
	free(a.policy_paths);
	return ret;
}

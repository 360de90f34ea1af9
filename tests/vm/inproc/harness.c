// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * harness.c - the in-process BPF test tier's runner (see harness.h): load
 * keygate through the agent library, apply policies, trigger hooks from
 * this process, collect counters and events.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fsverity.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "pin.h"

#define STOP_TIMEOUT_MS 10000

int kgi_fail(struct kgi *t, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (line > 0)
		n = snprintf(t->why, sizeof(t->why), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(t->why + n, sizeof(t->why) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *kgi_errname(int err)
{
	const char *name;

	if (err == 0)
		return "success";
	name = strerrorname_np(err);
	return name ? name : "unknown errno";
}

const char *kgi_path(const struct kgi *t, const char *rel)
{
	static char bufs[4][4096];
	static unsigned next;
	char *buf = bufs[next++ % 4];

	if (rel[0] == '/')
		snprintf(buf, sizeof(bufs[0]), "%s", rel);
	else
		snprintf(buf, sizeof(bufs[0]), "%s/%s", t->data, rel);
	return buf;
}

static void log_to_stderr(enum kg_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "keygate%s: %s\n", level == KG_LOG_ERROR ? " error" : "", msg);
}

/* --- policies ------------------------------------------------------------ */

/* TEXT with every "@D@" replaced by the fixture directory. */
static char *expand(const struct kgi *t, const char *text)
{
	size_t dlen = strlen(t->data), n = 0;
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, "@D@")); p += 3)
		n++;
	out = malloc(strlen(text) + n * dlen + 1);
	if (!out)
		return NULL;
	for (o = out, p = text; *p;) {
		if (strncmp(p, "@D@", 3) == 0) {
			memcpy(o, t->data, dlen);
			o += dlen;
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	return out;
}

static void diags_to_why(struct kgi *t, const struct kg_diagnostics *diags)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	kg_diagnostics_print(diags, f);
	fclose(f);
	kgi_fail(t, 0, "the test policy does not compile: %s", text ? text : "");
	free(text);
}

static int prepare(struct kgi *t, struct kgi_prepared *out, const char *fmt, va_list ap)
{
	struct kg_diagnostics diags = { 0 };
	char *text = NULL, *yaml = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	err = vasprintf(&text, fmt, ap);
	if (err < 0)
		return kgi_fail(t, 0, "out of memory");
	yaml = expand(t, text);
	free(text);
	if (!yaml)
		return kgi_fail(t, 0, "out of memory");
	err = kg_policy_load_buffer("inproc.yaml", yaml, strlen(yaml), &out->policy, &diags);
	free(yaml);
	if (err) {
		diags_to_why(t, &diags);
		kg_diagnostics_free(&diags);
		return -1;
	}
	kg_diagnostics_free(&diags);
	err = kg_keyrings_resolve(out->policy, &out->keyrings);
	if (err) {
		kgi_prepared_free(out);
		return kgi_fail(t, 0, "resolving the policy's anchors failed: %s", strerror(-err));
	}
	err = kg_scopes_resolve(out->policy, &out->scopes);
	if (err) {
		kgi_prepared_free(out);
		return kgi_fail(t, 0, "resolving the policy's scopes failed: %s", strerror(-err));
	}
	return 0;
}

int kgi_prepare(struct kgi *t, struct kgi_prepared *out, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = prepare(t, out, fmt, ap);
	va_end(ap);
	return err;
}

void kgi_prepared_free(struct kgi_prepared *p)
{
	kg_keyrings_release(&p->keyrings);
	kg_scopes_free(&p->scopes);
	kg_policy_free(p->policy);
	p->policy = NULL;
}

int kgi_policy(struct kgi *t, const char *fmt, ...)
{
	struct kgi_prepared next;
	uint32_t generation;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = prepare(t, &next, fmt, ap);
	va_end(ap);
	if (err)
		return -1;
	err = kg_loader_apply(t->loader, next.policy, &next.scopes, &generation);
	if (err) {
		kgi_prepared_free(&next);
		return kgi_fail(t, 0, "kg_loader_apply failed: %s", strerror(-err));
	}
	kgi_prepared_free(&t->current);
	t->current = next;
	t->policy = next.policy;
	t->generation = generation;
	return 0;
}

uint32_t kgi_rule(const struct kgi *t, const char *name)
{
	for (size_t i = 0; t->policy && i < t->policy->n_rules; i++)
		if (strcmp(t->policy->rule_info[i].name, name) == 0)
			return (uint32_t)i;
	return KG_RULE_NONE;
}

/* --- counters and events ----------------------------------------------------- */

static int discard_event(void *ctx, const struct kg_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static int keep_event(void *ctx, const struct kg_event *ev)
{
	struct kgi *t = ctx;

	if (t->n_events == t->cap_events) {
		size_t cap = t->cap_events ? t->cap_events * 2 : 64;
		struct kg_event *bigger = realloc(t->events, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		t->events = bigger;
		t->cap_events = cap;
	}
	t->events[t->n_events++] = *ev;
	return 0;
}

int kgi_mark(struct kgi *t)
{
	int err = kg_loader_drain(t->loader, discard_event, NULL);

	if (!err)
		err = kg_loader_counters(t->loader, &t->mark);
	if (err)
		return kgi_fail(t, 0, "reading keygate's events or counters failed: %s", strerror(-err));
	t->n_events = 0;
	return 0;
}

int kgi_delta(struct kgi *t, struct kg_counters *out)
{
	struct kg_counters now;
	int err = kg_loader_counters(t->loader, &now);

	if (err)
		return kgi_fail(t, 0, "kg_loader_counters failed: %s", strerror(-err));
	for (int i = 0; i < 3; i++)
		out->decisions[i] = now.decisions[i] - t->mark.decisions[i];
	out->events_dropped = now.events_dropped - t->mark.events_dropped;
	out->cache_hits = now.cache_hits - t->mark.cache_hits;
	out->verifications = now.verifications - t->mark.verifications;
	return 0;
}

int kgi_collect(struct kgi *t)
{
	int err = kg_loader_drain(t->loader, keep_event, t);

	if (err)
		return kgi_fail(t, 0, "draining keygate's ring buffer failed: %s", strerror(-err));
	return 0;
}

/* The event is about PATH: by its recorded path, or (no path: too deep
 * for bpf_d_path) by the inode PATH names now. */
static bool event_is_about(const struct kg_event *ev, const char *path, const struct stat *st)
{
	uint64_t dev;

	if (!path)
		return true;
	/* A path of KG_EVENT_PATH_MAX - 1 bytes may be truncated. */
	if (ev->path_len > 0 && ev->path_len < KG_EVENT_PATH_MAX - 1)
		return strncmp(ev->path, path, KG_EVENT_PATH_MAX) == 0;
	if (!st)
		return false;
	dev = ((uint64_t)major(st->st_dev) << 20) | minor(st->st_dev);
	return ev->dev == dev && ev->ino == st->st_ino;
}

size_t kgi_events_for(struct kgi *t, const char *file, uint32_t op, const struct kg_event **only)
{
	const char *path = file ? kgi_path(t, file) : NULL;
	const struct kg_event *last = NULL;
	struct stat st;
	bool have_st = path && stat(path, &st) == 0;
	size_t n = 0;

	for (size_t i = 0; i < t->n_events; i++) {
		const struct kg_event *ev = &t->events[i];

		if (ev->op == op && event_is_about(ev, path, have_st ? &st : NULL)) {
			n++;
			last = ev;
		}
	}
	if (only)
		*only = n == 1 ? last : NULL;
	return n;
}

static const char *name_or_num(const char *name, uint32_t value)
{
	static char bufs[4][16];
	static unsigned next;
	char *buf;

	if (name)
		return name;
	buf = bufs[next++ % 4];
	snprintf(buf, sizeof(bufs[0]), "#%u", value);
	return buf;
}

int kgi_expect_event(struct kgi *t, int line, const char *file, uint32_t op, uint32_t verdict,
		     uint32_t reason, const char *rule, const struct kg_event **evp)
{
	uint32_t want_rule = rule ? kgi_rule(t, rule) : KG_RULE_NONE;
	const struct kg_event *ev;
	size_t n;

	if (rule && want_rule == KG_RULE_NONE)
		return kgi_fail(t, line, "the policy has no rule %s", rule);
	if (kgi_collect(t))
		return -1;
	n = kgi_events_for(t, file, op, &ev);
	if (n != 1)
		return kgi_fail(t, line, "%zu %s events about %s (of %zu since the mark), want 1", n,
				kg_op_name(op), file ? kgi_path(t, file) : "no file", t->n_events);
	if (ev->verdict != verdict || ev->reason != reason || ev->rule != want_rule ||
	    ev->generation != t->generation)
		return kgi_fail(t, line,
				"event about %s: verdict %s reason %s rule %s generation %u error %d; "
				"want verdict %s reason %s rule %s generation %u",
				file ? kgi_path(t, file) : "no file",
				name_or_num(kg_verdict_name(ev->verdict), ev->verdict),
				name_or_num(kg_reason_name(ev->reason), ev->reason),
				ev->rule == KG_RULE_NONE ? "none" : name_or_num(NULL, ev->rule),
				ev->generation, ev->error, kg_verdict_name(verdict),
				kg_reason_name(reason), rule ? rule : "none", t->generation);
	if (evp)
		*evp = ev;
	return 0;
}

/* --- fixtures ---------------------------------------------------------------- */

int kgi_digest(const struct kgi *t, const char *rel, char *out, size_t size)
{
	union {
		struct fsverity_digest d;
		uint8_t raw[sizeof(struct fsverity_digest) + KG_DIGEST_MAX];
	} buf = { .d.digest_size = KG_DIGEST_MAX };
	const char *path = kgi_path(t, rel);
	int fd, err = 0;
	size_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, FS_IOC_MEASURE_VERITY, &buf) != 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err || buf.d.digest_algorithm != FS_VERITY_HASH_ALG_SHA256 ||
	    size < 8 + 2 * (size_t)buf.d.digest_size) {
		fprintf(stderr, "measuring %s: %s\n", path, err ? strerror(err) : "not SHA-256");
		return -1;
	}
	n = (size_t)snprintf(out, size, "sha256:");
	kg_hex_encode(out + n, buf.d.digest, buf.d.digest_size);
	return 0;
}

/* fs-verity on the files the host listed (it can only be enabled here). */
static int enable_verity(const char *data)
{
	char list[4096], line[4096], path[8192];
	struct fsverity_enable_arg arg = {
		.version = 1,
		.hash_algorithm = FS_VERITY_HASH_ALG_SHA256,
		.block_size = 4096,
	};
	FILE *f;
	int err = 0;

	snprintf(list, sizeof(list), "%s/verity.list", data);
	f = fopen(list, "re");
	if (!f) {
		fprintf(stderr, "kg: FAIL: fixture list %s: %s\n", list, strerror(errno));
		return -1;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		int fd;

		line[strcspn(line, "\n")] = 0;
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", data, line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) != 0 && errno != EEXIST)) {
			fprintf(stderr, "kg: FAIL: enabling fs-verity on %s: %s\n", path,
				strerror(errno));
			err = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
	return err;
}

/* --- operations -------------------------------------------------------------- */

/* Runs a child that calls execve (or execveat on dirfd); its errno comes
 * back through a close-on-exec pipe. */
static int run_child(struct kgi *t, int dirfd, const char *path, uid_t uid)
{
	char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
	int pipefd[2], child_errno = 0, status;
	ssize_t got;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return kgi_fail(t, 0, "pipe2: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return kgi_fail(t, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pipefd[0]);
		if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			    setresuid(uid, uid, uid)))
			_exit(125);
		if (dirfd >= 0)
			syscall(SYS_execveat, dirfd, path, argv, envp, 0);
		else
			execve(path, argv, envp);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	got = read(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return kgi_fail(t, 0, "waitpid: %s", strerror(errno));
	if (got == (ssize_t)sizeof(child_errno))
		return child_errno ? child_errno : kgi_fail(t, 0, "execve failed without errno");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 125)
		return kgi_fail(t, 0, "the child could not become uid %u", (unsigned)uid);
	return kgi_fail(t, 0, "%s ran but ended with status %d", path, status);
}

int kgi_exec(struct kgi *t, const char *rel)
{
	return run_child(t, -1, kgi_path(t, rel), 0);
}

int kgi_exec_as(struct kgi *t, uid_t uid, const char *rel)
{
	return run_child(t, -1, kgi_path(t, rel), uid);
}

int kgi_exec_at(struct kgi *t, int dirfd, const char *name)
{
	return run_child(t, dirfd, name, 0);
}

int kgi_open_read(struct kgi *t, const char *rel)
{
	int fd = open(kgi_path(t, rel), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int open_sized(struct kgi *t, const char *rel, size_t *len)
{
	const char *path = kgi_path(t, rel);
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kgi_fail(t, 0, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || st.st_size == 0) {
		close(fd);
		return kgi_fail(t, 0, "%s: empty or unreadable", path);
	}
	*len = (size_t)st.st_size;
	return fd;
}

int kgi_mmap_exec(struct kgi *t, const char *rel)
{
	size_t len;
	void *addr;
	int fd = open_sized(t, rel, &len), err = 0;

	if (fd < 0)
		return -1;
	addr = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (addr == MAP_FAILED)
		err = errno;
	else
		munmap(addr, len);
	close(fd);
	return err;
}

int kgi_map(struct kgi *t, const char *rel, void **addr, size_t *len)
{
	int fd = open_sized(t, rel, len), err = 0;

	if (fd < 0)
		return -1;
	*addr = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*addr == MAP_FAILED)
		err = errno;
	close(fd);
	return err ? kgi_fail(t, 0, "mmap(PROT_READ) of %s: %s", rel, strerror(err)) : 0;
}

int kgi_mprotect_exec(void *addr, size_t len)
{
	return mprotect(addr, len, PROT_READ | PROT_EXEC) ? errno : 0;
}

void kgi_unmap(void *addr, size_t len)
{
	munmap(addr, len);
}

int kgi_finit_module(struct kgi *t, const char *rel, int flags)
{
	const char *path = kgi_path(t, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return kgi_fail(t, 0, "open %s: %s", path, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", flags) != 0)
		err = errno;
	close(fd);
	return err;
}

int kgi_init_module(struct kgi *t, const char *rel)
{
	size_t len;
	void *image;
	int fd = open_sized(t, rel, &len), err = 0;

	if (fd < 0)
		return -1;
	image = malloc(len);
	if (!image || read(fd, image, len) != (ssize_t)len) {
		free(image);
		close(fd);
		return kgi_fail(t, 0, "reading %s failed", rel);
	}
	close(fd);
	if (syscall(SYS_init_module, image, (unsigned long)len, "") != 0)
		err = errno;
	free(image);
	return err;
}

int kgi_remove_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? errno : 0;
}

/* --- the runner -------------------------------------------------------------- */

static int stop_pinned(void)
{
	struct kg_agent_state was;
	bool agent_stopped;
	int err = kg_pin_stop(&was, &agent_stopped, STOP_TIMEOUT_MS);

	if (err && err != -ENOENT) {
		fprintf(stderr, "kg: FAIL: ending enforcement (%s) failed: %s\n", KG_PIN_DIR,
			strerror(-err));
		return 1;
	}
	return 0;
}

int kgi_main(int argc, char **argv, const char *area, const struct kgi_case *cases, size_t n)
{
	struct kgi t = { 0 };
	struct kg_adoption ad;
	size_t passed = 0, failed = 0;
	struct stat st;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kg_log_set_sink(log_to_stderr, NULL, KG_LOG_WARNING);
	if (argc == 2 && strcmp(argv[1], "--stop") == 0)
		return stop_pinned();
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR | --stop\n", argv[0]);
		return 2;
	}
	t.data = argv[1];
	if (stat(t.data, &st) || !S_ISDIR(st.st_mode)) {
		printf("kg: FAIL: fixture directory %s: %s\n", t.data, strerror(errno ? errno : ENOTDIR));
		return 1;
	}
	if (enable_verity(t.data))
		return 1;
	err = kg_loader_open(&t.loader, KG_DEFAULT_SIG_XATTR, &ad);
	if (err) {
		printf("kg: FAIL: loading keygate's BPF object failed: %s\n", strerror(-err));
		return 1;
	}
	if (ad.adopted || ad.replaced) {
		printf("kg: FAIL: a pinned keygate state was in force before the test\n");
		kg_loader_close(t.loader);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		t.why[0] = 0;
		if (cases[i].run(&t) == 0) {
			passed++;
			printf("kg: PASS %s/%s\n", area, cases[i].name);
		} else {
			failed++;
			printf("kg: FAIL %s/%s: %s\n", area, cases[i].name, t.why);
		}
	}
	kg_loader_close(t.loader);
	if (stop_pinned())
		failed++;
	kgi_prepared_free(&t.current);
	free(t.events);
	printf("kg: %s: %zu cases passed, %zu failed\n", area, passed, failed);
	return failed || !passed ? 1 : 0;
}

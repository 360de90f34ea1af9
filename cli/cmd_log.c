// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cmd_log.c - `keygate log [show|summary] [FILTERS]`: read the JSON lines
 * audit log with its rotated (and gzipped) siblings, filter, print an
 * aligned table, a JSON array or a summary; --follow keeps reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "log_reader.h"
#include "text_escape.h"

#define KG_FOLLOW_POLL_US 200000

enum log_action { LOG_SHOW, LOG_SUMMARY };

struct log_args {
	enum log_action action;
	const char *file;
	struct kg_log_filter filter;
	bool follow;
};

struct show_ctx {
	bool json;
	bool json_lines; /* --follow -j: one object per line */
	bool colour;
	uint64_t shown;
	struct kg_log_summary *summary;
	const struct kg_log_filter *filter;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: keygate [-j] log [show] [OPTIONS]\n"
		"       keygate [-j] log summary [OPTIONS]\n"
		"\n"
		"Reads the audit log (default " KG_DEFAULT_LOG_PATH ") and its rotated\n"
		"siblings (.1, .2.gz, ...), oldest first.\n"
		"\n"
		"Options:\n"
		"  -f, --file PATH     log file to read\n"
		"  -S, --since TIME    records at or after TIME\n"
		"  -U, --until TIME    records at or before TIME\n"
		"      --verdict V     allow, deny or audit\n"
		"      --op OP         exec, mmap_exec, mprotect_exec, open_read, module_file, ...\n"
		"      --rule NAME     decisions of this rule\n"
		"      --path GLOB     target path matches GLOB ('*' crosses '/')\n"
		"      --pid N, --uid N, --anchor NAME\n"
		"  -F, --follow        keep printing new records (show only)\n"
		"\n"
		"TIME: RFC 3339 (2026-11-21T19:33:09Z), \"YYYY-MM-DD HH:MM\" (local time),\n"
		"or relative: 90s, 30m, 1h, 2d, 1w. See keygate-log(8).\n");
}

/* Human output must not let a hostile path or name drive the terminal or
 * start a line of its own (text_escape.h), padded to width characters. */
static void print_safe(FILE *out, const char *s, size_t width)
{
	size_t len = strlen(s), columns = 0;
	char *escaped = malloc(KG_ESCAPE_MAX_PER_BYTE * len + 1);

	if (!escaped) {
		fputs("?", out);
		return;
	}
	kg_escape_text(escaped, KG_ESCAPE_MAX_PER_BYTE * len + 1, s, len, 0, &columns);
	fputs(escaped, out);
	for (; columns < width; columns++)
		fputc(' ', out);
	free(escaped);
}

static const char *verdict_colour(const char *verdict)
{
	if (!verdict)
		return "";
	if (strcmp(verdict, "deny") == 0)
		return "\033[1;31m";
	if (strcmp(verdict, "audit") == 0)
		return "\033[33m";
	return "\033[32m";
}

static void print_human(struct show_ctx *c, const struct kg_log_record *r)
{
	char when[20];

	/* "2026-11-21T19:33:09.123456Z" -> "2026-11-21 19:33:09" (UTC) */
	snprintf(when, sizeof(when), "%s", r->time);
	if (strlen(when) > 10)
		when[10] = ' ';
	if (strcmp(r->type, "decision") != 0) {
		const char *colour = strcmp(r->type, "loss") == 0 && c->colour ? "\033[1;31m" : "";

		printf("%-19s  %s%-13s%s ", when, colour, r->type, c->colour && *colour ? "\033[0m" : "");
		if (strcmp(r->type, "loss") == 0) {
			printf("%" PRId64 " records lost (%s)", r->count > 0 ? r->count : 0,
			       r->loss_source ? r->loss_source : "?");
			if (r->error)
				printf(" %s", r->error);
			if (r->total > 0)
				printf(", kernel total %" PRId64, r->total);
		} else {
			printf("policy ");
			print_safe(stdout, r->policy_name ? r->policy_name : "-", 0);
			if (r->result) {
				printf(": ");
				print_safe(stdout, r->result, 0);
			}
		}
		putchar('\n');
		return;
	}
	printf("%-19s  %s%-7s%s %-13s %-20s ", when, c->colour ? verdict_colour(r->verdict) : "",
	       r->verdict ? r->verdict : "?", c->colour ? "\033[0m" : "", r->op ? r->op : "?",
	       r->reason ? r->reason : "?");
	print_safe(stdout, r->rule ? r->rule : "-", 18);
	printf(" %7" PRId64 " %6" PRId64 " ", r->pid, r->uid);
	print_safe(stdout, r->comm ? r->comm : "-", 16);
	putchar(' ');
	print_safe(stdout, r->path ? r->path : "-", 0);
	putchar('\n');
}

static void print_header(void)
{
	printf("%-19s  %-7s %-13s %-20s %-18s %7s %6s %-16s %s\n", "TIME (UTC)", "VERDICT", "OP",
	       "REASON", "RULE", "PID", "UID", "COMM", "PATH");
}

static int on_record(void *ctx, const struct kg_log_record *r)
{
	struct show_ctx *c = ctx;

	if (c->summary) {
		/* Decision filters select decisions; losses and lifecycle
		 * records only need to be in the time range. */
		struct kg_log_filter time_only;

		kg_log_filter_init(&time_only);
		time_only.since_us = c->filter->since_us;
		time_only.until_us = c->filter->until_us;
		if (kg_log_filter_match(strcmp(r->type, "decision") == 0 ? c->filter : &time_only, r))
			kg_log_summary_add(c->summary, r);
		return 0;
	}
	if (c->json_lines) {
		fwrite(r->line, 1, r->line_len, stdout);
		putchar('\n');
		fflush(stdout);
	} else if (c->json) {
		fputs(c->shown ? ",\n" : "\n", stdout);
		fwrite(r->line, 1, r->line_len, stdout);
	} else {
		print_human(c, r);
	}
	c->shown++;
	return 0;
}

static void on_corrupt(void *ctx, const char *file, uint64_t line, const char *why)
{
	struct show_ctx *c = ctx;

	if (c->summary)
		kg_log_summary_corrupt(c->summary, file, line, why);
	else
		fprintf(stderr, "keygate: %s:%" PRIu64 ": skipped: %s\n", file, line, why);
}

static int parse_number_arg(const char *name, const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 0) {
		cli_error("log: --%s: '%s' is not a number", name, text);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_time_arg(const char *name, const char *text, int64_t *out)
{
	if (kg_log_parse_time(text, kg_log_now_us(), out) < 0) {
		cli_error("log: --%s: cannot read '%s' as a time (RFC 3339, \"YYYY-MM-DD HH:MM\" or 1h/30m/2d)",
			  name, text);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct log_args *args)
{
	enum { OPT_VERDICT = 256, OPT_OP, OPT_RULE, OPT_PATH, OPT_PID, OPT_UID, OPT_ANCHOR };
	static const struct option options[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "verdict", required_argument, NULL, OPT_VERDICT },
		{ "op", required_argument, NULL, OPT_OP },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "anchor", required_argument, NULL, OPT_ANCHOR },
		{ "follow", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kg_log_filter *f = &args->filter;
	int opt;

	optind = 0; /* re-initialise getopt: main() already used it */
	while ((opt = getopt_long(argc, argv, "f:S:U:Fh", options, NULL)) != -1) {
		switch (opt) {
		case 'f': args->file = optarg; break;
		case 'S':
			if (parse_time_arg("since", optarg, &f->since_us))
				return -EINVAL;
			break;
		case 'U':
			if (parse_time_arg("until", optarg, &f->until_us))
				return -EINVAL;
			break;
		case OPT_VERDICT:
			if (strcmp(optarg, "allow") && strcmp(optarg, "deny") && strcmp(optarg, "audit")) {
				cli_error("log: --verdict: '%s' is not allow, deny or audit", optarg);
				return -EINVAL;
			}
			f->verdict = optarg;
			break;
		case OPT_OP: f->op = optarg; break;
		case OPT_RULE: f->rule = optarg; break;
		case OPT_PATH: f->path_glob = optarg; break;
		case OPT_ANCHOR: f->anchor = optarg; break;
		case OPT_PID:
			if (parse_number_arg("pid", optarg, &f->pid))
				return -EINVAL;
			break;
		case OPT_UID:
			if (parse_number_arg("uid", optarg, &f->uid))
				return -EINVAL;
			break;
		case 'F': args->follow = true; break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		cli_error("log: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (args->follow && args->action == LOG_SUMMARY) {
		cli_error("log: --follow works with show only");
		return -EINVAL;
	}
	return 0;
}

/* Reads what was appended to the live file since *offset; starts over on a
 * new file after rotation (new inode) or truncation. Runs until killed. */
static int follow(const char *path, uint64_t offset, const struct kg_log_filter *f,
		  const struct kg_log_reader_cb *cb)
{
	struct kg_log_feeder feeder;
	struct stat st, now;
	int fd = -1, stop = 0;

	/* Line numbers in reports count from the offset. */
	kg_log_feeder_init(&feeder, path);
	for (;;) {
		size_t room;
		char *dst;
		ssize_t n;

		if (fd < 0) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) < 0 || lseek(fd, (off_t)offset, SEEK_SET) < 0) {
				if (fd >= 0)
					close(fd);
				fd = -1;
				usleep(KG_FOLLOW_POLL_US);
				continue;
			}
		}
		if (kg_log_feeder_reserve(&feeder, 65536, &dst, &room))
			break;
		n = read(fd, dst, room);
		if (n > 0) {
			uint64_t before = feeder.consumed;

			stop = kg_log_feeder_feed(&feeder, (size_t)n, f, cb);
			offset += feeder.consumed - before;
			if (stop)
				break;
			continue;
		}
		/* At the end: has the file been rotated or truncated? */
		if (stat(path, &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
					      (uint64_t)now.st_size < offset)) {
			close(fd);
			fd = -1;
			offset = 0;
			kg_log_feeder_restart(&feeder);
			continue;
		}
		usleep(KG_FOLLOW_POLL_US);
	}
	if (fd >= 0)
		close(fd);
	kg_log_feeder_free(&feeder);
	return stop;
}

static int run_log(int argc, char **argv, enum log_action action)
{
	struct log_args args = { .action = action, .file = KG_DEFAULT_LOG_PATH };
	struct show_ctx ctx = { .json = cli.json };
	struct kg_log_reader_cb cb = { on_record, on_corrupt, &ctx };
	uint64_t live_offset = 0;
	char **files = NULL;
	size_t n_files = 0;
	int err;

	kg_log_filter_init(&args.filter);
	ctx.filter = &args.filter;
	err = parse_args(argc, argv, &args);
	if (err)
		return err > 0 ? KG_EXIT_OK : KG_EXIT_USAGE;
	err = kg_log_list_files(args.file, &files, &n_files);
	if (err == -ENOENT && args.follow)
		err = 0; /* the agent may create it later */
	if (err) {
		cli_error("log: %s: cannot read: %s", args.file, strerror(-err));
		return KG_EXIT_FAILURE;
	}
	if (action == LOG_SUMMARY) {
		ctx.summary = kg_log_summary_new();
		if (!ctx.summary) {
			kg_log_free_files(files);
			cli_error("log: out of memory");
			return KG_EXIT_FAILURE;
		}
	}
	ctx.json_lines = args.follow && cli.json;
	ctx.colour = !cli.json && isatty(STDOUT_FILENO) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	if (action == LOG_SHOW && !cli.json)
		print_header();
	if (action == LOG_SHOW && cli.json && !ctx.json_lines)
		fputs("[", stdout);
	for (size_t i = 0; i < n_files; i++) {
		bool live = strcmp(files[i], args.file) == 0;

		err = kg_log_read_file(files[i], ctx.summary ? NULL : &args.filter, &cb,
				       live ? &live_offset : NULL);
		if (err < 0)
			fprintf(stderr, "keygate: log: %s: cannot read: %s\n", files[i], strerror(-err));
	}
	if (action == LOG_SHOW && cli.json && !ctx.json_lines)
		fputs(ctx.shown ? "\n]\n" : "]\n", stdout);
	if (ctx.summary)
		kg_log_summary_print(ctx.summary, stdout, cli.json, cli.pretty);
	fflush(stdout);
	if (args.follow)
		follow(args.file, live_offset, &args.filter, &cb);
	kg_log_summary_free(ctx.summary);
	kg_log_free_files(files);
	return KG_EXIT_OK;
}

static int cmd_log_show(int argc, char **argv)
{
	return run_log(argc, argv, LOG_SHOW);
}

static int cmd_log_summary(int argc, char **argv)
{
	return run_log(argc, argv, LOG_SUMMARY);
}

static int cmd_log_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return KG_EXIT_OK;
}

int cmd_log(int argc, char **argv)
{
	static const struct cli_command commands[] = {
		{ "show", cmd_log_show, "print records" },
		{ "summary", cmd_log_summary, "counts, top denied paths, losses" },
		{ "help", cmd_log_help, "this help" },
		{ NULL, NULL, NULL },
	};

	/* `keygate log [OPTIONS]` is `keygate log show [OPTIONS]`. */
	if (argc < 2 || argv[1][0] == '-')
		return run_log(argc, argv, LOG_SHOW);
	return cli_dispatch(commands, "log", argc - 1, argv + 1);
}

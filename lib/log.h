/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * log.h - how the agent library reports: one message per failure, at the
 * boundary where the context is known, handed to a sink the program sets.
 * The library never prints and knows nothing of the CLI's output format;
 * without a sink, messages are dropped (functions still return -errno).
 */
#ifndef KEYGATE_LOG_H
#define KEYGATE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum kg_log_level {
	KG_LOG_ERROR,   /* the operation failed */
	KG_LOG_WARNING, /* degraded but going on (a sink lost records, ...) */
	KG_LOG_INFO,    /* a state change worth a line (writing works again) */
	KG_LOG_DEBUG,   /* libbpf's and the verifier's own messages */
};

/* msg is one line without a trailing newline. Sinks may be called from the
 * audit writer threads as well as the caller's thread. */
typedef void (*kg_log_fn)(enum kg_log_level level, const char *msg, void *ctx);

/* Sets the sink and the most verbose level it receives. */
void kg_log_set_sink(kg_log_fn fn, void *ctx, enum kg_log_level max_level);
bool kg_log_enabled(enum kg_log_level level);
void kg_log(enum kg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kg_logv(enum kg_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define kg_log_error(...) kg_log(KG_LOG_ERROR, __VA_ARGS__)
#define kg_log_warning(...) kg_log(KG_LOG_WARNING, __VA_ARGS__)

#endif /* KEYGATE_LOG_H */

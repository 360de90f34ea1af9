// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* log.c - the agent library's logging sink (see log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Set once by the program before it starts any library thread. */
static kg_log_fn sink;
static void *sink_ctx;
static enum kg_log_level sink_max = KG_LOG_ERROR;

void kg_log_set_sink(kg_log_fn fn, void *ctx, enum kg_log_level max_level)
{
	sink = fn;
	sink_ctx = ctx;
	sink_max = max_level;
}

bool kg_log_enabled(enum kg_log_level level)
{
	return sink && level <= sink_max;
}

void kg_logv(enum kg_log_level level, const char *fmt, va_list ap)
{
	char buf[1024], *msg = buf;
	va_list again;
	size_t len;
	int n;

	if (!kg_log_enabled(level))
		return;
	/* A verifier log runs to many kilobytes; its last line says why. */
	va_copy(again, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf) && vasprintf(&msg, fmt, again) < 0)
		msg = buf;
	va_end(again);
	/* libbpf's messages end in a newline; sinks get bare lines. */
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	sink(level, msg, sink_ctx);
	if (msg != buf)
		free(msg);
}

void kg_log(enum kg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kg_logv(level, fmt, ap);
	va_end(ap);
}

// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* log.c - the agent library's logging sink (see log.h). */
#include <stdio.h>
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
	char msg[1024];
	size_t len;

	if (!kg_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* libbpf's messages end in a newline; sinks get bare lines. */
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	sink(level, msg, sink_ctx);
}

void kg_log(enum kg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kg_logv(level, fmt, ap);
	va_end(ap);
}

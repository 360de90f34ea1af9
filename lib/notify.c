// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* notify.c - sd_notify(3) messages for a Type=notify unit (see notify.h). */
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "notify.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

void kg_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void kg_notify_reloading(void)
{
	struct timespec now;

	/* systemd (253+) pairs RELOADING=1 with the READY=1 that follows by
	 * this timestamp; older versions ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the policy\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now.tv_sec * 1000000ULL +
			   (unsigned long long)now.tv_nsec / 1000ULL);
}

void kg_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=detaching the programs");
}

void kg_notify_failed(const char *status, int err)
{
	if (err > 0)
		sd_notifyf(0, "STATUS=%s\nERRNO=%d", status, err);
	else
		sd_notifyf(0, "STATUS=%s", status);
}
#else
void kg_notify_ready(const char *status)
{
	(void)status;
}

void kg_notify_reloading(void)
{
}

void kg_notify_stopping(void)
{
}

void kg_notify_failed(const char *status, int err)
{
	(void)status;
	(void)err;
}
#endif

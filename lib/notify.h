/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * notify.h - tells the service manager (sd_notify) what the agent is doing,
 * so that `systemctl start` and `systemctl reload` return only once
 * enforcement is real. Without libsystemd, or outside a Type=notify unit
 * (no $NOTIFY_SOCKET), every call does nothing.
 */
#ifndef KEYGATE_NOTIFY_H
#define KEYGATE_NOTIFY_H

/* The programs are attached and the policy is in force (start, or the end
 * of a reload whatever its outcome: the old policy stays in force when the
 * new one is rejected). status: one line for `systemctl status`. */
void kg_notify_ready(const char *status);
/* A reload starts; systemd waits for the next kg_notify_ready(). */
void kg_notify_reloading(void);
/* The agent is detaching its programs and exiting. */
void kg_notify_stopping(void);
/* A start failed: why, and the errno behind it (positive, 0 if none). */
void kg_notify_failed(const char *status, int err);

#endif

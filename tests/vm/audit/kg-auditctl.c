// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-auditctl.c - `kg-auditctl enable|disable`: switches kernel auditing
 * on or off for the audit-* VM scenarios (the guest has no auditctl; with
 * auditing disabled the kernel drops user-space records, and with no
 * auditd it prints them to the kernel log). Prints result=ok or
 * result=errno:NAME.
 */
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int fd, rc, enable;

	if (argc != 2 || (strcmp(argv[1], "enable") != 0 && strcmp(argv[1], "disable") != 0)) {
		fprintf(stderr, "usage: kg-auditctl enable|disable\n");
		return 2;
	}
	enable = strcmp(argv[1], "enable") == 0;
	fd = audit_open();
	if (fd < 0) {
		printf("result=errno:%s\n", strerrorname_np(errno));
		return 1;
	}
	rc = audit_set_enabled(fd, enable);
	if (rc <= 0) {
		printf("result=errno:%s\n", strerrorname_np(rc < 0 ? -rc : EIO));
		audit_close(fd);
		return 1;
	}
	audit_close(fd);
	printf("result=ok\n");
	return 0;
}

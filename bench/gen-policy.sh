#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# gen-policy.sh N CERT - prints a realistic policy with N rules: per rule a
# directory scope and, every fourth rule, an exact file; a mix of signed
# (system, keyring and certificate anchors), allow and deny rules, some in
# audit mode; plus 100 revoked digests.
set -eu
n=$1
cert=$2
cat <<HDR
keygate: 1
policy:
  name: bench-$n
  version: 1
  mode: enforce
  default: {module_buffer: deny}
anchors:
  - name: distro
    system: builtin
  - name: secondary
    system: secondary
  - name: ops
    keyring: "%keyring:bench-ops"
  - name: apps
    certificates: [$cert]
rules:
HDR
awk -v n="$n" 'BEGIN {
	split("exec, mmap_exec|open_read|exec, mmap_exec, mprotect_exec|module_file, firmware", ops, "|")
	for (i = 0; i < n; i++) {
		printf "  - name: rule-%d\n", i
		printf "    operations: [%s]\n", ops[i % 4 + 1]
		printf "    paths: [/srv/team%d/app%d/]\n", i % 50, i
		if (i % 4 == 0)
			printf "    files: [/etc/team%d/app%d.conf]\n", i % 50, i
		if (i % 10 == 9) {
			printf "    require: %s\n", (i % 20 == 19) ? "deny" : "allow"
		} else {
			printf "    require: signed\n    anchors: [%s]\n", (i % 3 == 0) ? "apps, ops" : "distro, secondary"
		}
		if (i % 7 == 0)
			printf "    mode: audit\n"
	}
	printf "revocations:\n  digests:\n"
	for (i = 0; i < 100; i++)
		printf "    - \"sha256:%064x\"\n", i + 1
}'

# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# inproc-failclosed: the fail-closed matrix, in-process
# (tests/vm/inproc/test_failclosed.c): keyring gone or revoked, scope walk
# too deep, full ring buffer, reloads between check and use, overlayfs.
# kg-timeout: 300
. /kg/scenarios/inproc-lib.sh
# overlayfs is a module in some kernels (no udev here to load it).
/usr/sbin/modprobe overlay 2>/dev/null
kgi_run kg-inproc-failclosed

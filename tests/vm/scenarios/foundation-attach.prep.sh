#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Stages keygate's stripped BPF object for the bpftool load check.
set -euo pipefail
cp "$KG_BUILD/lsm/keygate.linked.o" "$KG_STAGE/keygate.bpf.o"

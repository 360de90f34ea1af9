#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Same stage as audit-trail: the policy names this scenario's data directory.
. "$KG_SRC/tests/vm/scenarios/audit-trail.prep.sh"

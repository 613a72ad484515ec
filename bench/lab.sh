#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/lab.sh [ROUNDS] — the lab's own figures: `lab up` and `lab down` wall times,
# and the selftest's (hop wall time per transport, libvirtd restart, median of 100
# `ssh HOST true` round trips), on lab ${VTRUN_LAB_ID:-0}, which must be down.
# ROUNDS: rounds of the selftest's hops (default 3).  Prints `lab: ...` lines and the
# selftest's figure lines.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
id=${VTRUN_LAB_ID:-0}
lab=tests/lab/lab
"$lab" status --id "$id" >/dev/null 2>&1 && { echo "lab.sh: lab $id is up: take it down first" >&2; exit 1; }
now() { date +%s.%N; }
t0=$(now)
"$lab" up --id "$id" >/dev/null
up_s=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}")
trap '"$lab" down --id "$id" >/dev/null' EXIT
tests/lab/selftest --id "$id" --rounds "$rounds" --ssh-rounds 100 | grep '^selftest:'
trap - EXIT
t0=$(now)
"$lab" down --id "$id" >/dev/null
down_s=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}")
echo "lab: up_s=$up_s down_s=$down_s hosts=2 transport=ssh"

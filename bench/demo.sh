#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/demo.sh — `make demo` as a user runs it (lab up, the slice of
# examples/migrate_stress.cfg, lab down), on lab ${VTRUN_LAB_ID:-0}, which must be
# down.  Prints its wall time, each case's time, and where the time went: every phase
# of the cases (debug.log's PHASE lines; "hops" is all hops) summed over the cases.
# Exit status: make demo's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
id=${VTRUN_LAB_ID:-0}
tests/lab/lab status --id "$id" >/dev/null 2>&1 &&
    { echo "demo.sh: lab $id is up: take it down first" >&2; exit 2; }
out=$(mktemp /tmp/vtrun-bench-demo.XXXXXX)
trap 'rm -f "$out"' EXIT
now() { date +%s.%N; }
t0=$(now)
VTRUN_LAB_ID=$id make -s demo >"$out" 2>&1
rc=$?
wall=$(awk "BEGIN{printf \"%.1f\", $(now) - $t0}")
[ $rc -eq 0 ] || { tail -n 20 "$out"; echo "demo.sh: make demo exited $rc" >&2; }
up=$(sed -n 's/^lab [0-9]*: up in \([0-9.]*\) s.*/\1/p' "$out" | head -n 1)
job=$(sed -n 's/^JOB TIME *: \([0-9.]*\) s$/\1/p' "$out" | tail -n 1)
joblog=$(sed -n 's/^JOB LOG *: //p' "$out" | tail -n 1)
echo "demo: wall ${wall} s, lab up ${up:-?} s, job ${job:-?} s ($(grep -c '^([0-9]*/[0-9]*) ' "$out") cases)"
sed -n 's/^(\([0-9]*\)\/[0-9]*) .*: \([A-Z]*\) (\([0-9.]*\) s)$/demo: case \1 \2 \3 s/p' "$out"
[ -n "$joblog" ] && [ -f "$joblog" ] &&
    sed -n 's/.*\] PHASE \(.*\): \([0-9.]*\) s$/\1|\2/p' "$joblog" |
    awk -F'|' '{ n = $1; sub(/^hop [0-9]+$/, "hops", n)
                 if (!(n in s)) o[++k] = n; s[n] += $2; t += $2 }
               END { printf "demo: phases (s, all cases):"
                     for (i = 1; i <= k; i++) printf " %s %.1f", o[i], s[o[i]]
                     printf ", sum %.1f\n", t }'
exit $rc

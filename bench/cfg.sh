#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/cfg.sh — speed and memory of the Cartesian config engine on real compositions,
# beside the reference parser's figures (../shared/corpus/PERF.md).
#
# For each top file: `vtrun --list` (names only) and `vtrun --dump` (every key of every
# case, to /dev/null), run from the file's directory with a relative name as the
# reference was; prints cases, wall seconds, cases per second and peak RSS.  Then
# `vtrun --count` on composed/libvirt/tests.cfg alone (> 20 million cases) to show that
# memory stays flat.  The target (issue 2): >= 100x the reference's speed with <= 1/4
# of its peak memory.
#
# Wall time is the best of BENCH_RUNS runs (default 3: the machine may be shared); the
# CPU column is that run's user + system time (a dump expands on every CPU, see
# cfg_emit() in cfg/cfg.h; VTRUN_THREADS=1 measures one thread).
#
# Environment: VTRUN (default ./build/vtrun), CORPUS (default ../shared/corpus),
# BENCH_TIMEOUT seconds per run (default 900), BENCH_RUNS (default 3), BENCH_QUICK=1
# leaves out the count of tests.cfg.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
V=${VTRUN:-$top/build/vtrun}
C=${CORPUS:-$top/../shared/corpus}
T=${BENCH_TIMEOUT:-900}
RUNS=${BENCH_RUNS:-3}
[ -d "$C/composed" ] || { echo "bench: corpus not found at $C (set CORPUS)" >&2; exit 2; }
if [ -z "${VTRUN:-}" ]; then make -s -C "$top" >/dev/null || exit 2; fi
[ -x "$V" ] || { echo "bench: $V is not executable" >&2; exit 2; }
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
P=$C/PERF.md
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Fields of the PERF.md row whose first column contains PATTERN: cases|cli wall|canon wall|RSS
ref() {
    awk -F'|' -v pat="$1" 'index($2, pat) {
        gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4); gsub(/^ +| +$/, "", $5); gsub(/^ +| +$/, "", $6);
        split($4, cli, " "); split($5, canon, " ");
        print $3 "|" cli[1] "|" canon[1] "|" $6; exit }' "$P"
}

# run DIR OUT ARGS... : time vtrun BENCH_RUNS times; sets SECS (the best wall time),
# CPU (user + system seconds of that run), RSS_MB (the highest peak RSS), RC
run() {
    local dir=$1 out=$2 i s u y k; shift 2
    SECS=; CPU=0; RSS_KB=0; RC=0
    for i in $(seq "$RUNS"); do
        # wall time in milliseconds around the whole run (GNU time's %e has 10 ms steps),
        # start-up of time and timeout included
        local t0; t0=$(date +%s%N)
        ( cd "$C/$dir" && /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" timeout "$T" "$V" "$@" \
            >"$out" 2>"$tmp/err" )
        RC=$?
        local t1; t1=$(date +%s%N)
        read -r s u y k <"$tmp/time" 2>/dev/null || { s=0; u=0; y=0; k=0; }
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        [ "$RC" -eq 0 ] || { echo "  !! exit $RC: $(tail -n 1 "$tmp/err" 2>/dev/null)"; break; }
        if [ -z "$SECS" ] || awk -v a="$s" -v b="$SECS" 'BEGIN { exit !(a < b) }'; then
            SECS=$s; CPU=$(awk -v a="$u" -v b="$y" 'BEGIN { printf "%.2f", a + b }')
        fi
        [ "$k" -gt "$RSS_KB" ] && RSS_KB=$k
    done
    SECS=${SECS:-0}
    RSS_MB=$(awk -v k="${RSS_KB:-0}" 'BEGIN { printf "%.0f", k / 1024 }')
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.0fx", a / b; else print "-" }'; }

printf '%-34s %-6s %10s %9s %6s %11s %8s | %-30s %s\n' run mode cases seconds cpu 'cases/s' 'peak RSS' \
    'reference: cases, s, RSS' 'speed-up, RSS share'
bench() {
    local label=$1 dir=$2 pat=$3; shift 3
    local r; r=$(ref "$pat")
    local rcases=${r%%|*} rest=${r#*|}
    local rlist=${rest%%|*}; rest=${rest#*|}
    local rdump=${rest%%|*} rrss=${rest#*|}
    local rrss_mb=${rrss%% *}

    run "$dir" "$tmp/names" "$@" --list
    local cases; cases=$(wc -l <"$tmp/names")
    printf '%-34s %-6s %10s %9s %6s %11s %5s MiB | %-30s %s, %s\n' "$label" list "$cases" "$SECS" "$CPU" \
        "$(rate "$cases" "$SECS")" "$RSS_MB" "$rcases, ${rlist} s, $rrss" \
        "$(ratio "$rlist" "$SECS")" "$(awk -v a="$RSS_MB" -v b="$rrss_mb" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
    run "$dir" /dev/null "$@" --dump
    printf '%-34s %-6s %10s %9s %6s %11s %5s MiB | %-30s %s, %s\n' "$label" dump "$cases" "$SECS" "$CPU" \
        "$(rate "$cases" "$SECS")" "$RSS_MB" "$rcases, ${rdump} s, $rrss" \
        "$(ratio "$rdump" "$SECS")" "$(awk -v a="$RSS_MB" -v b="$rrss_mb" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
}

bench libvirt/avocado-default.cfg composed/libvirt 'libvirt default (' \
    --config avocado-default.cfg
bench qemu/avocado-default.cfg composed/qemu 'qemu default (' \
    --config avocado-default.cfg
bench libvirt/avocado-rhel9.cfg composed/libvirt 'largest realistic' \
    --config avocado-rhel9.cfg
bench 'libvirt/migrate_stress.cfg +qemu' composed/libvirt 'migrate_stress.cfg` + `only qemu`' \
    --config migrate_stress.cfg --only qemu

# BENCH_QUICK=1 (CI's smoke run): the compositions only, not this minute-long count
[ "${BENCH_QUICK:-0}" = 1 ] && exit 0
r=$(ref 'tests.cfg` alone')
RUNS=1 run composed/libvirt "$tmp/count" --config tests.cfg --count
printf '%-34s %-6s %10s %9s %6s %11s %5s MiB | %-30s\n' libvirt/tests.cfg count \
    "$(cat "$tmp/count" 2>/dev/null)" "$SECS" "$CPU" "$(rate "$(cat "$tmp/count" 2>/dev/null || echo 0)" "$SECS")" \
    "$RSS_MB" "reference: stopped after 18 min at 2,469,601 cases, ${r##*|}"

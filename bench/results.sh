#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/results.sh — what writing results costs per test (issue 13, part 1).
#
#  1. the results module alone (bench/res_bench.c, built by `make bench`): jobs of
#     100, 1,000 and 10,000 tests, each test with 300 params, three log lines and a
#     CANCEL; the mean per test over the job and over its first and last tenth.  Flat
#     from the first to the 10,000th test is the point: every test's end appends one
#     line to results.jsonl and the aggregate files are re-rendered at most every few
#     seconds, not after each test;
#     then the same with each job recorded in a SQLite history, into a database that
#     keeps the previous runs' jobs, and the history writer alone (bench/hist_bench,
#     one transaction per test) into a database that grows run after run;
#  2. through vtrun: examples/migrate_stress.cfg (1,312 cases) and its shard 1/4 (328)
#     on settings without hosts, so every case is a quick CANCEL and the job time is
#     the runner's and the results' overhead; the per-test time of both.
#
# Usage: bench/results.sh [SIZES...]   (default: 100 1000 10000)
# Environment: BENCH_RUNS (default 3): each figure is the median run of that many;
#   BENCH_DIR (default: a new directory under /var/tmp, on a real disk: results.jsonl
#   is fdatasync'ed per test, tmpfs would hide that), KEEP=1 keeps it.
# A test's end waits for its journal line's fdatasync, so on a disk shared with
# other work the figures move with the disk's latency; the median of a few runs
# steadies them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
cd "$top"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
runs=${BENCH_RUNS:-3}

# median LINES...: the line whose 3rd field (ms/test) is the median
median() { sort -t' ' -k3,3g | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }

make -s BUILD="$build" all bench >/dev/null
work=${BENCH_DIR:-$(mktemp -d /var/tmp/vtrun-bench-results-XXXXXX)}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

echo "== the results module alone ($build/bench/res_bench), median of $runs"
for n in "${sizes[@]}"; do
    for ((r = 0; r < runs; r++)); do
        "$build/bench/res_bench" "$n" "$work/module-$n" | sed 's/^ *//'
        rm -rf "$work/module-$n"
    done | median
done

echo "== the same, each job recorded in a SQLite history (results/res_hist.c), median of $runs"
echo "   (the database keeps every run before: the last one writes into $((runs - 1)) earlier jobs)"
for n in "${sizes[@]}"; do
    rm -f "$work/history-$n.sqlite"*
    for ((r = 0; r < runs; r++)); do
        "$build/bench/res_bench" "$n" "$work/module-$n" "$work/history-$n.sqlite" | sed 's/^ *//'
        rm -rf "$work/module-$n"
    done | median
done

echo "== the history writer alone (build/bench/hist_bench): one transaction per test (the"
echo "   worst case) and per 100 (a job writes what ended since its last render in one),"
echo "   into one database that keeps every run (median of $runs)"
rm -f "$work/hist.sqlite"*
for batch in 1 100; do
    for n in "${sizes[@]}"; do
        for ((r = 0; r < runs; r++)); do
            "$build/bench/hist_bench" "$work/hist.sqlite" "$n" "$batch"
        done | sed 's/^ *//' | sort -t: -k2,2g | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
    done
done

echo "== vtrun, every case CANCEL (no hosts): examples/migrate_stress.cfg, median of $runs"
printf 'results_dir = "%s/jobs";\nhosts = ();\n' "$work" > "$work/nohosts.conf"
for shard in "" "--shard 1/4"; do
    for ((r = 0; r < runs; r++)); do
        # VTRUN_SETTINGS unset: the lab's hosts must not make the cases run
        out=$(env -u VTRUN_SETTINGS "$build/vtrun" --settings "$work/nohosts.conf" \
                  --config examples/migrate_stress.cfg $shard --allow-empty) || {
            echo "vtrun failed" >&2; exit 1; }
        n=$(sed -n 's/^RESULTS .*CANCEL \([0-9]*\)$/\1/p' <<<"$out")
        t=$(sed -n 's/^JOB TIME   : \([0-9.]*\) s$/\1/p' <<<"$out")
        awk -v n="$n" -v t="$t" -v s="${shard:-all}" \
            'BEGIN { printf "%d cases: %.3f ms/test (%s, job %.2f s)\n", n, t * 1000 / n, s, t }'
        rm -rf "$work/jobs"
    done | median
done

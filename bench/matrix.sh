#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/matrix.sh [--quick] — what a case of the migration stress matrix costs beyond
# its VM work.  Runs a fixed slice of examples/migrate_stress.cfg on the lab (12 cases:
# orderly, simultaneous and cross migration x precopy and postcopy x stress in the
# guests or on the source host; --quick: the first one only), once with --jobs 1 and
# once with --jobs 2, and prints per case its wall time, its VM work (boot: the start
# and login phases; the hops) and the runner's overhead (the rest: setup, checks,
# stress, cleanup) as a share of the wall time, from the phases vtrun records in
# results.json; the boot and save/restore of the guest administration after the last
# hop count as boot (from its checks' times).  The last line projects the 1,312-case matrix from the slice:
#
#   matrix: overhead cold 23.5 % | overhead restore 18.0 % | speed-up 1.9x | 1312 cases cold 3.1 h, restore 1.6 h
#
# The slice runs once more with restore boots (vm_boot_mode = restore, --jobs 1): one
# case first saves the guests into the image cache (not measured: over 1,312 cases
# that one boot is noise), then the slice restores them instead of booting; the
# speed-up is cold wall / restore wall.  A line before the summary gives --jobs 2.
#
# Uses the lab of $VTRUN_SETTINGS, else lab ${VTRUN_LAB_ID:-0} (started, and stopped at
# the end, when it is not up).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = --quick ] && quick=1
id=${VTRUN_LAB_ID:-0}
settings=${VTRUN_SETTINGS:-/run/vtrun-lab$id/vtrun.conf}
started_lab=
work=$(mktemp -d /tmp/vtrun-bench-matrix.XXXXXX)
cleanup() {
    rm -rf "$work"
    [ -z "$started_lab" ] || VTRUN_LAB_ID=$id tests/lab/lab down >/dev/null
}
trap cleanup EXIT

make -s all >/dev/null
if [ ! -f "$settings" ]; then
    [ -z "${VTRUN_SETTINGS:-}" ] || { echo "matrix.sh: $settings missing" >&2; exit 1; }
    VTRUN_LAB_ID=$id tests/lab/lab up --settings v1 >/dev/null
    started_lab=1
fi

filters=(--only set_vcpu_1 --only stress.memory_stress --only "precopy,postcopy"
         --only "stress_tool_in_vms,half_memory.on_source.with_host")
[ "$quick" = 1 ] && filters+=(--only "orderly_migration..stress_tool_in_vms..precopy")
total=$(./vtrun --config examples/migrate_stress.cfg --count)
n=$(./vtrun --config examples/migrate_stress.cfg "${filters[@]}" --count)
echo "matrix slice: $n of the $total cases of examples/migrate_stress.cfg, lab settings $settings"

# run JOBS [MODE]: the slice with --jobs JOBS and vm_boot_mode MODE (cold); prints the
# per-case table; sets JOB_S (the job's wall time) and OVERHEAD (the runner's share of
# the tests' time, %)
run() {
    local jobs=$1 mode=${2:-cold} dir=$work/jobs$1-${2:-cold} out
    out=$(./vtrun --settings "$settings" --config examples/migrate_stress.cfg "${filters[@]}" \
              --set "vm_boot_mode = $mode" --jobs "$jobs" --job-results-dir "$dir" 2>&1) || true
    grep -q '^RESULTS' <<<"$out" || { echo "matrix.sh: vtrun did not finish:" >&2;
                                      tail -5 <<<"$out" >&2; exit 1; }
    JOB_S=$(sed -n 's/^JOB TIME   : \([0-9.]*\) s$/\1/p' <<<"$out")
    OVERHEAD=$(python3 - "$dir/latest/results.json" "$jobs" "$mode" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("--jobs %s, %s boots" % (sys.argv[2], sys.argv[3]), file=sys.stderr)
print("%-7s %8s %8s %8s %8s %9s  %s" % ("status", "wall s", "boot s", "hops s", "other s",
                                         "overhead", "case"), file=sys.stderr)
wall = work = 0.0
for t in d["tests"]:
    ph = t.get("phases", [])
    boot = sum(p["time"] for p in ph if p["name"] in ("start", "login"))
    # guest administration (post_migration_admin) boots each VM again and saves and
    # restores it, the VMs at once: that is VM work too, the slowest VM's share of it
    adm = {}
    for c in t.get("checks", []):
        f = c["name"].split(".")
        w = (c.get("message") or "").split()
        if f[0] == "admin" and f[1] in ("start", "login", "save", "restore") and w \
           and w[0].replace(".", "", 1).isdigit():
            adm[f[-1]] = adm.get(f[-1], 0) + float(w[0])
    boot += max(adm.values(), default=0)
    hops = sum(p["time"] for p in ph if p["name"].startswith("hop "))
    other = max(t["time"] - boot - hops, 0)
    wall += t["time"]
    work += boot + hops
    short = t["name"].replace("virsh.migrate_stress.", "").replace("run_stress_app.", "")
    print("%-7s %8.2f %8.2f %8.2f %8.2f %8.1f%%  %s" % (t["status"], t["time"], boot, hops,
          other, 100 * other / t["time"] if t["time"] else 0, short), file=sys.stderr)
bad = sum(1 for t in d["tests"] if t["status"] != "PASS")
print("%.1f %d" % (100 * (wall - work) / wall if wall else 0, bad))
EOF
)
    read -r OVERHEAD NOT_PASSED <<<"$OVERHEAD"
}

run 1 2>&1
cold_s=$JOB_S cold_over=$OVERHEAD
if [ "$quick" = 1 ]; then
    jobs2_s=0           # not run: the summary says so
else
    run 2 2>&1
    jobs2_s=$JOB_S
    # a case that did not pass took no VM work: its wall time says nothing
    if [ "$NOT_PASSED" != 0 ]; then
        echo "jobs 2: $NOT_PASSED of $n cases did not pass: no figure"
        jobs2_s=0
    fi
fi
# the guests saved once (a case of the slice, not measured), then the slice restored
./vtrun --settings "$settings" --config examples/migrate_stress.cfg "${filters[@]}" \
    --only "orderly_migration..stress_tool_in_vms..precopy" --set "vm_boot_mode = restore" \
    --job-results-dir "$work/seed" >/dev/null 2>&1 || true
run 1 restore 2>&1
rest_s=$JOB_S rest_over=$OVERHEAD
awk -v c="$cold_s" -v j="$jobs2_s" -v n="$n" -v t="$total" -v q="$quick" 'BEGIN {
    if (j > 0)
        printf "jobs 2: speed-up %.1fx over jobs 1 cold | %d cases %.1f h\n", c / j, t, j / n * t / 3600
    else if (q)
        printf "jobs 2: not run (--quick)\n" }'
awk -v c="$cold_s" -v r="$rest_s" -v o="$cold_over" -v ro="$rest_over" -v n="$n" -v t="$total" 'BEGIN {
    printf "matrix: overhead cold %.1f %% | overhead restore %.1f %% | speed-up %.1fx | %d cases cold %.1f h, restore %.1f h\n",
           o, ro, (r > 0 ? c / r : 0), t, c / n * t / 3600, r / n * t / 3600 }'

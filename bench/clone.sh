#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/clone.sh — how long vtrun's image clones take (issue 3, part 5).
#
#  1. linked clone (image_clone_mode = linked: a qcow2 overlay) of a 1 GiB and a
#     10 GiB sparse qcow2 master: the time must not grow with the master's size;
#  2. full clone (image_clone_mode = full: reflink, else copy_file_range over the data
#     extents) next to `cp` (and `cp --reflink=auto`, avocado-vt's image_clone_command)
#     of the same file: throughput in MiB/s of data in the file.
#
# The clones are made by vtrun's own C code (virt/virt_image.c) through a small
# driver, bench/clone_bench.c, built by `make bench` (which this script runs).
#
# Usage: bench/clone.sh [RUNS]     (default 5; median and min printed)
# Environment: BENCH_DIR (default: a new directory under /var/tmp; must be on a real
#   disk, not tmpfs, for the figures to mean anything), FULL_MIB (size of the data
#   file for the full-clone comparison, default 1024), KEEP=1 keeps the files.
# Page cache: every copy reads a warm cache (the file was just written or read), so
# full-clone figures compare the copy mechanisms, not the disk's read speed.
set -euo pipefail

runs=${1:-5}
full_mib=${FULL_MIB:-1024}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
cd "$top"

make -s BUILD="$build" bench >/dev/null
work=${BENCH_DIR:-$(mktemp -d /var/tmp/vtrun-bench-clone.XXXXXX)}
mkdir -p "$work"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

tool=$build/bench/clone_bench

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# median and min of the numbers on stdin
stats() { sort -g | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
                                            printf "%.4f %.4f", m, v[1]}'; }

echo "vtrun clone benchmark: $runs runs each, $(nproc) CPUs, $(df -T "$work" | awk 'NR==2 {print $2}') at $work"
echo "qemu-img: $(qemu-img --version | head -1)"
echo

# ---- 1. linked clones: independent of the master's size ------------------------------
printf '%-44s %12s %12s %10s\n' "linked clone (qcow2 overlay)" "median s" "min s" "clone KiB"
for size in 1 10; do
    master=$work/master-${size}g.qcow2
    qemu-img create -q -f qcow2 "$master" "${size}G"
    # A little real data, as a guest image has: 64 MiB written at the start.
    qemu-io -f qcow2 -c "write -P 0x5a 0 64M" "$master" >/dev/null
    times=$(for i in $(seq "$runs"); do
        rm -f "$work/clone.qcow2"
        "$tool" linked "$master" qcow2 "$work/clone.qcow2"
    done)
    kib=$(( $(stat -c %s "$work/clone.qcow2") / 1024 ))
    read -r med min <<<"$(stats <<<"$times")"
    printf '%-44s %12s %12s %10s\n' "master ${size} GiB sparse (64 MiB data)" "$med" "$min" "$kib"
    rm -f "$work/clone.qcow2"
done
echo

# ---- 2. full clones next to cp ---------------------------------------------------------
# The methods take turns within each round (vtrun, cp, cp --reflink=auto, vtrun, ...) so
# that noise from other work on the machine hits them alike; one untimed warm-up copy
# first.
data=$work/data.raw
dd if=/dev/urandom of="$data" bs=1M count="$full_mib" status=none
sparse=$work/master-10g.qcow2
one() {  # method file -> seconds
    rm -f "$work/copy"
    sync -f "$work" 2>/dev/null || true
    case $1 in
    vtrun) "$tool" full "$2" "$work/copy" ;;
    cp) t=$(now); cp "$2" "$work/copy"; calc "$(now) - $t" ;;
    cp-reflink) t=$(now); cp --reflink=auto "$2" "$work/copy"; calc "$(now) - $t" ;;
    esac
}
compare() {  # title file data-MiB method...
    local title=$1 file=$2 mib=$3; shift 3
    local m i
    declare -A times=()
    one "$1" "$file" >/dev/null
    for i in $(seq "$runs"); do
        for m in "$@"; do times[$m]+="$(one "$m" "$file") "; done
    done
    printf '%-44s %12s %12s %10s\n' "$title" "median s" "min s" "MiB/s"
    for m in "$@"; do
        read -r med min <<<"$(tr ' ' '\n' <<<"${times[$m]}" | grep . | stats)"
        case $m in
        vtrun) label="vtrun image_clone_mode=full" ;;
        cp) label="cp" ;;
        cp-reflink) label="cp --reflink=auto (avocado-vt's command)" ;;
        esac
        printf '%-44s %12s %12s %10.0f\n' "$label" "$med" "$min" "$(calc "$mib / $med")"
    done
    rm -f "$work/copy"
}
compare "full clone of ${full_mib} MiB of data" "$data" "$full_mib" vtrun cp cp-reflink
echo
used=$(( $(stat -c %b "$sparse") * $(stat -c %B "$sparse") / 1048576 ))
compare "full clone, 10 GiB sparse master (${used} MiB used)" "$sparse" "$used" vtrun cp

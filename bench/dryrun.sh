#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/dryrun.sh — how fast `vtrun --dry-run` decides every case of tp-libvirt's
# libvirt migration composition (5,025 cases): params merged with the settings,
# placeholders filled, every table parsed, every need checked.  Prints cases, wall
# seconds (best of BENCH_RUNS, default 3: the machine may be shared), cases per second
# and peak RSS, once with the output written (the params of every case: ~45 MB) and
# once with the summary only kept.
#
# The settings: two hosts nobody listens on (no host answers a version question: the
# figure is vtrun's own), the override a lab writes.
# Environment: VTRUN (default ./build/vtrun), CORPUS (default ../shared/corpus).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
V=${VTRUN:-$top/build/vtrun}
C=${CORPUS:-$top/../shared/corpus}
RUNS=${BENCH_RUNS:-3}
comp=$C/composed/libvirt-migration/avocado-default.cfg
[ -f "$comp" ] || { echo "bench: $comp not found (set CORPUS)" >&2; exit 2; }
if [ -z "${VTRUN:-}" ]; then make -s -C "$top" >/dev/null || exit 2; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/vtrun.conf" <<CONF
hosts = ( { name = "src"; uri = "qemu+tcp://127.0.0.1:9/system"; address = "192.0.2.1"; },
          { name = "dst"; uri = "qemu+tcp://127.0.0.1:9/system"; address = "192.0.2.2"; } );
override = { image_name = "/srv/guest/base"; netdst = "br0"; username = "root"; };
CONF
cases=$("$V" --config "$comp" --count)
run() {   # run OUT: best wall seconds and its peak RSS (KiB) of RUNS runs
    local best="" rss="" w r
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f "%e %M" -o "$tmp/t" env VTRUN_SETTINGS= "$V" --settings "$tmp/vtrun.conf" \
            --config "$comp" --dry-run >"$1" 2>/dev/null
        read -r w r <"$tmp/t"
        if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then best=$w rss=$r; fi
    done
    echo "$best $rss"
}
printf '%-34s %6s %8s %10s %9s\n' "dry run of libvirt-migration" cases "wall s" "cases/s" "RSS MiB"
for out in "$tmp/out" /dev/null; do
    read -r w r < <(run "$out")
    printf '%-34s %6d %8.2f %10.0f %9.1f\n' "$([ "$out" = /dev/null ] && echo "output discarded" || echo "output to a file")" \
        "$cases" "$w" "$(awk "BEGIN{print $cases / ($w > 0 ? $w : 0.001)}")" "$(awk "BEGIN{print $r / 1024}")"
done
sed -n '/^DRY RUN/p' "$tmp/out"

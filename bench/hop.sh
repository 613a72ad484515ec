#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/hop.sh [RUNS] — one migration hop of the lab's guest through vtrun's libvirt
# backend next to a bare `virsh migrate` of the same guest with the same flags
# (--live --p2p --unsafe --persistent --undefinesource, the settings' migrate URI),
# RUNS round trips each (default 10), then the same with postcopy enabled and switched
# on after the first pass.  vtrun hops as in a job: one process with both hosts
# connected once (bench/hop.c serve), each hop a be_migrate() call; vtrun-proc is a
# process per hop that connects first, as virsh does.  The tools take turns going
# first (the order rotates each round) so none always meets a guest just moved.
# Prints every hop and, per mode, the median round trip of each tool and the ratios.
#
# Uses the lab of $VTRUN_SETTINGS, else lab ${VTRUN_LAB_ID:-0} (started, and stopped
# at the end, when it is not up).  The driver, bench/hop.c, is built by `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
id=${VTRUN_LAB_ID:-0}
settings=${VTRUN_SETTINGS:-/run/vtrun-lab$id/vtrun.conf}
vm=vtrun-hop
started_lab=

make -s bench >/dev/null || { echo "hop.sh: make bench failed" >&2; exit 1; }
if [ ! -f "$settings" ]; then
    [ -z "${VTRUN_SETTINGS:-}" ] || { echo "hop.sh: $settings missing" >&2; exit 1; }
    VTRUN_LAB_ID=$id tests/lab/lab up >/dev/null
    started_lab=1
fi

# The settings file is libconfig; the lab writes one item per line.
host_field() { sed -n "/name = \"host$1\"/,/}/p" "$settings" | tr ';' '\n' |
               sed -n "s/^ *$2 = \"\([^\"]*\)\"$/\1/p" | head -1; }
param() { sed -n "s/^ *$1 = \"\([^\"]*\)\";/\1/p" "$settings" | head -1; }
uri1=$(host_field 1 uri); uri2=$(host_field 2 uri)
dest1=$(host_field 1 migrate_desturi); dest2=$(host_field 2 migrate_desturi)
# the migration stream goes to the destination's migrate_uri (each host has its own)
muri1=$(host_field 1 migrate_uri); muri2=$(host_field 2 migrate_uri)
kernel=$(param kernel); initrd=$(param initrd); kparams=$(param kernel_params)
image="$(param image_name).$(param image_format)"; key=$(param ssh_private_key)
bridge=$(param netdst); subnet=$(param guest_subnet); gw=$(param guest_gateway)
addr="${subnet%.*/*}.62"
cmdline="$kparams vtrun.ip=$addr/${subnet#*/} vtrun.gw=$gw"

# the disk and the console log live where both hosts and this script see them: the
# settings' shared directory (a lab host's /tmp is its own)
shared=$(host_field 1 shared_dir)
work=$(mktemp -d "${shared:-/tmp}/vtrun-hop-XXXXXX")
drv=$PWD/build/bench/hop
cleanup() {
    [ -z "${HOPD_PID:-}" ] || kill "$HOPD_PID" 2>/dev/null || true
    for u in "$uri1" "$uri2"; do
        [ -x "$drv" ] && "$drv" destroy "$u" "$vm" 2>/dev/null || true
    done
    rm -rf "$work"
    [ -z "$started_lab" ] || VTRUN_LAB_ID=$id tests/lab/lab down >/dev/null
}
trap cleanup EXIT


qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$work/$vm.qcow2"
"$drv" start "$uri1" "$vm" "$kernel" "$initrd" "$cmdline" "$work/$vm.qcow2" \
    "$work/serial.log" "$bridge" 52:54:00:7e:be:62
for _ in $(seq 600); do grep -q '^VTRUN-GUEST-READY' "$work/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^VTRUN-GUEST-READY' "$work/serial.log" || { echo "hop.sh: guest did not boot" >&2; exit 1; }

now() { date +%s.%N; }
ssh_up() {
    ssh -q -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "root@$addr" cat /proc/uptime |
        cut -d' ' -f1
}
echo "guest $vm at $addr, uptime $(ssh_up) s; $runs round trips per tool"
printf '%-10s %-9s %-5s %8s %9s %11s %10s %5s\n' tool mode dir wall_s total_ms downtime_ms MiB iters

declare -A trips     # "TOOL.MODE" -> round-trip seconds, one per line
# virsh's completed-job figures: the destination keeps them (cookie from the source)
virsh_stats() {
    virsh -q -c "$1" domjobinfo "$vm" --completed 2>/dev/null | awk -F: '
        /^Time elapsed:/ {split($2,a," "); t=a[1]}
        /^Total downtime:/ {split($2,a," "); d=a[1]}
        /^Data processed:/ {split($2,a," "); v=a[1]; u=a[2];
            m=(u=="KiB")?v/1024:(u=="GiB")?v*1024:(u=="MiB")?v:v/1048576}
        /^(Memory i|I)teration:/ {split($2,a," "); i=a[1]}
        END {printf "%s %s %.1f %s", t==""?"-":t, d==""?"-":d, m, i==""?"-":i}'
}
hop() {   # hop TOOL MODE FROM_URI TO_URI TO_DESTURI TO_MIGRATE_URI DIR
    local tool=$1 mode=$2 from=$3 to=$4 todest=$5 muri=$6 dir=$7 t0 t1 out wall
    t0=$(now)
    if [ "$tool" = vtrun ]; then
        echo "$mode $dir" >&"${HOPD[1]}"
        read -r out <&"${HOPD[0]}"
        t1=$(now)
        [ "${out%% *}" != FAIL ] || { echo "hop.sh: vtrun hop $dir: ${out#FAIL }" >&2; exit 1; }
        read -r _ tms dms bytes iters pc <<<"$out"
        mib=$(awk "BEGIN{printf \"%.1f\", $bytes/1048576}")
        [ "$pc" = 1 ] && iters="$iters+pc"
    elif [ "$tool" = vtrun-proc ]; then
        if [ "$mode" = postcopy ]; then
            out=$("$drv" migrate "$from" "$to" "$todest" "$muri" "$vm" postcopy)
        else
            out=$("$drv" migrate "$from" "$to" "$todest" "$muri" "$vm")
        fi
        t1=$(now)
        read -r _ tms dms bytes iters pc <<<"$out"
        mib=$(awk "BEGIN{printf \"%.1f\", $bytes/1048576}")
        [ "$pc" = 1 ] && iters="$iters+pc"
    else
        local extra=()
        [ "$mode" = postcopy ] && extra=(--postcopy --postcopy-after-precopy)
        virsh -q -c "$from" migrate --live --p2p --unsafe --persistent --undefinesource \
            "${extra[@]}" --migrateuri "$muri" "$vm" "$todest" >/dev/null
        t1=$(now)
        read -r tms dms mib iters <<<"$(virsh_stats "$to")"
    fi
    wall=$(awk "BEGIN{printf \"%.3f\", $t1 - $t0}")
    printf '%-10s %-9s %-5s %8s %9s %11s %10s %5s\n' "$tool" "$mode" "$dir" "$wall" "$tms" "$dms" "$mib" "$iters"
    trip=$(awk "BEGIN{print ${trip:-0} + $wall}")
}
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# vtrun's hops in a job: one process, the hosts connected once
coproc HOPD { "$drv" serve "$uri1" "$dest1" "$muri1" "$uri2" "$dest2" "$muri2" "$vm"; }
tools=(vtrun virsh vtrun-proc)
for mode in precopy postcopy; do
    for ((r = 1; r <= runs; r++)); do
        k=$(( r % 3 ))
        order=("${tools[@]:k}" "${tools[@]:0:k}")
        for tool in "${order[@]}"; do
            trip=0
            hop "$tool" "$mode" "$uri1" "$uri2" "$dest2" "$muri2" "1->2"
            hop "$tool" "$mode" "$uri2" "$uri1" "$dest1" "$muri1" "2->1"
            trips[$tool.$mode]+="$trip"$'\n'
        done
    done
done
echo "guest uptime after all hops: $(ssh_up) s"
exec {HOPD[1]}>&-
wait "$HOPD_PID" 2>/dev/null || true
HOPD_PID=
for mode in precopy postcopy; do
    a=$(printf '%s' "${trips[vtrun.$mode]}" | median)
    b=$(printf '%s' "${trips[virsh.$mode]}" | median)
    c=$(printf '%s' "${trips[vtrun-proc.$mode]}" | median)
    echo "$mode: median round trip vtrun $a s, virsh $b s, vtrun-proc $c s," \
         "ratio vtrun/virsh $(awk "BEGIN{printf \"%.3f\", $a / $b}")," \
         "vtrun-proc/virsh $(awk "BEGIN{printf \"%.3f\", $c / $b}")"
done

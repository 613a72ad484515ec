#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/host.sh [RUNS] [--lab K] — the overhead of a host command through vtrun's host
# transport (virt/virt_host.c): `true` RUNS times (default 100) over SSH reusing one
# session, over SSH with a new session per command, and on this machine, against a
# throwaway OpenSSH sshd on 127.0.0.1 (tests/support_sshd.h), or with --lab K against lab K's
# host1 (tests/lab: a machine of its own, up).  Prints median, p10, p90 and min per
# mode.  The throwaway sshd runs commands with this machine's /root (its shell rc
# files), a lab host with its own: on a machine whose root has a heavy ~/.bashrc the
# two differ by that rc file's cost per command.
#
# The driver, bench/host_rtt.c, is built by `make bench` (which this script runs).
# Needs root (the sshd runs in a private mount namespace) and openssh-server.
set -euo pipefail

runs=${1:-100}
lab_args=()
if [ "${2:-}" = --lab ]; then
    state=/run/vtrun-lab${3:?--lab K}
    [ -f "$state/lab.env" ] || { echo "bench/host.sh: lab ${3} is not up" >&2; exit 1; }
    lab_args=("$(sed -n 's/^host1_ip=//p' "$state/lab.env")" "$state/id_ed25519" "$state/known_hosts")
fi
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
cd "$top"

make -s BUILD="$build" bench >/dev/null
work=$(mktemp -d /tmp/vtrun-bench-host.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "vtrun host transport: \`true\` x $runs, $(nproc) CPUs, $(ssh -V 2>&1), libssh $(pkg-config --modversion libssh)"
"$build/bench/host_rtt" "$runs" "${lab_args[@]}"

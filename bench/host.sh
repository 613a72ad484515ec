#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/host.sh [RUNS] — the overhead of a host command through vtrun's host transport
# (virt/virt_host.c): `true` RUNS times (default 100) over SSH reusing one session, over
# SSH with a new session per command, and on this machine, against a throwaway OpenSSH
# sshd on 127.0.0.1 (tests/support_sshd.h).  Prints median, p10, p90 and min per mode.
#
# The driver, bench/host_rtt.c, is built by `make bench` (which this script runs).  Needs root (the sshd runs in a private mount
# namespace) and openssh-server.
set -euo pipefail

runs=${1:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
cd "$top"

make -s BUILD="$build" bench >/dev/null
work=$(mktemp -d /tmp/vtrun-bench-host.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "vtrun host transport: \`true\` x $runs, $(nproc) CPUs, $(ssh -V 2>&1), libssh $(pkg-config --modversion libssh)"
"$build/bench/host_rtt" "$runs"

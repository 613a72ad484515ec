/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_stress: load generators in guests and on hosts (avocado-vt's VMStress /
 * HostStress, without their download-and-build step).
 *
 * Params (tp-libvirt's names): `stress_tool` (stress, stress-ng), `<tool>_args` (may
 * hold one %s: the per-worker --vm-bytes), `stress_vm_bytes` (a size such as 128M,
 * or `half`, or `shortage`).
 *
 * Sizes are BYTES everywhere (the reference reads /proc/meminfo in KiB and passes the
 * result to --vm-bytes as bytes, and per worker the whole amount):
 *  - half     = (MemTotal - sum of the VMs' memory) / 2: half of what the host has
 *               beyond its guests;
 *  - shortage = MemFree - sum of the VMs' memory + 512 MiB: afterwards the host has
 *               512 MiB less free than the VMs need ("short of memory");
 *  - in a guest (no VMs inside) `shortage` would only feed the guest's OOM killer, so
 *    it is computed as `half` there;
 * and the total is divided by the number of --vm workers, since each worker
 * allocates --vm-bytes.
 *
 * Guests: the tool runs if the guest has it (`command -v`), else a busybox shell loop
 * that does the same kind of work (CPU spin, memory touch via dd, sync); nothing is
 * downloaded or built.  Started detached in its own session (setsid), its PID written
 * to /tmp/vtrun-stress-<tag>.pid, stopped by killing that process group.  The same
 * scripts serve remote hosts over ssh.
 * Local host: fork+exec of the argv in its own process group; stop kills the group.
 */
#ifndef VTRUN_VIRT_STRESS_H
#define VTRUN_VIRT_STRESS_H

#include <stdbool.h>
#include <sys/types.h>

struct strbuf;

#define VIRT_MIB (1024ULL * 1024ULL)

struct virt_meminfo {
    unsigned long long total;   /* bytes */
    unsigned long long free;    /* bytes */
};

/* /proc/meminfo text -> bytes (its "kB" are KiB).  -1 if MemTotal/MemFree missing. */
int virt_meminfo_parse(const char *text, struct virt_meminfo *mi);
int virt_meminfo_read_local(struct virt_meminfo *mi);

/* "128M", "64k", "1G", "4096", "2T" (binary units, optional trailing B/iB) -> bytes. */
int virt_size_parse(const char *s, unsigned long long *bytes);

/* The TOTAL bytes `stress_vm_bytes` asks for (see above); in_guest selects the guest
 * rule for `shortage`.  -1 with err when the spec is bad or the result is not
 * positive (e.g. the host is already short). */
int virt_stress_total_bytes(const char *spec, const struct virt_meminfo *mi,
                            unsigned long long vms_bytes, bool in_guest,
                            unsigned long long *out);

/* N of "--vm N" / "--vm=N" (or `opt` generally) in args; 1 when absent or bad. */
unsigned virt_stress_workers(const char *args, const char *opt);

/* The stress argv: tool first, args split on blanks, "%s" replaced by the per-worker
 * bytes (a plain integer: bytes).  vm_bytes_spec/mi are only used when args hold %s.
 * NULL-terminated; free with virt_stress_argv_free().  NULL + err on error. */
char **virt_stress_argv(const char *tool, const char *args, const char *vm_bytes_spec,
                        const struct virt_meminfo *mi, unsigned long long vms_bytes,
                        bool in_guest);
void virt_stress_argv_free(char **argv);

/* POSIX sh scripts (guest or remote host) to start / stop / probe the stress that
 * carries `tag` (letters, digits, - and _ only).  Start prints "started <pid>";
 * stop prints "stopped" once nothing of the group is left; probe prints "running"
 * or "gone".  Caller frees. */
char *virt_stress_start_script(char *const *argv, const char *tag);
char *virt_stress_stop_script(const char *tag);
char *virt_stress_probe_script(const char *tag);

/* A stress process on this machine. */
struct virt_stress_proc {
    pid_t pid;                  /* also the process group */
    char *cmdline;              /* for logs */
};

/* Start argv (PATH lookup) in its own process group, output to log_path (NULL =
 * /dev/null).  -1 with err if it cannot start (e.g. the tool is not installed). */
int virt_stress_local_start(char *const *argv, const char *log_path,
                            struct virt_stress_proc *p);
/* True while any process of the group is alive (zombies excepted). */
bool virt_stress_local_alive(const struct virt_stress_proc *p);
/* SIGTERM the group, SIGKILL after grace_s, reap; idempotent (pid 0 = nothing). */
int virt_stress_local_stop(struct virt_stress_proc *p, double grace_s);

/* argv to run `script` on a remote host over ssh (BatchMode, no host-key prompt);
 * user/key may be NULL, port 0 = default.  NULL-terminated; free with
 * virt_stress_argv_free(). */
char **virt_stress_ssh_argv(const char *host, const char *user, const char *key, int port,
                            const char *script);

#endif

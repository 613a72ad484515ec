/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_postcheck: what must hold for a VM after each migration hop, as one table run
 * in order, the first failure naming itself ("console: Kernel panic - not syncing").
 *
 *   state    running (virsh_migrate_dest_state) on the target; on the source gone, or
 *            shut off when the definition may stay (no --undefinesource);
 *   console  serial console output since the last scan has no kernel crash;
 *   ssh      the guest logs in; when it does not, the console is scanned again to
 *            say whether the guest died or only its network failed;
 *   uptime   not smaller than before the hop (the guest did not reboot);
 *   dmesg    guest kernel log at every level (or below guest_dmesg_level when set)
 *            has no Call Trace / Oops / BUG: / Kernel panic / ---[ end trace, minus
 *            lines matching expected_guest_dmesg; read with -c so each line is judged
 *            once;
 *   ping     the guest answers ping from the target host (unless
 *            check_network_accessibility_after_mig = no);
 *   disk     a line written to disk_check_file reads back after a cache drop.
 *
 * Checks talk to the world only through struct virt_pc_env (filled by the test type
 * from its VM set), so this file knows nothing of the runner.  Transient failures
 * (state not settled yet, a command that could not run) are retried `retries` times,
 * `retry_delay_s` apart; a crash or an offending line is never retried away.
 */
#ifndef VTRUN_VIRT_POSTCHECK_H
#define VTRUN_VIRT_POSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/be.h"

struct strbuf;

struct virt_pc_env {
    void *ud;
    int (*state)(void *ud, size_t vm, int host, enum be_state *out);
    /* 1 crash (err_msg() has the line), 0 clean, -1 error */
    int (*console_crash)(void *ud, size_t vm);
    int (*login)(void *ud, size_t vm, double timeout_s);
    int (*exec)(void *ud, size_t vm, const char *cmd, double timeout_s,
                struct strbuf *out, int *status);
    int (*uptime)(void *ud, size_t vm, double *out);
    /* 0 when the guest answered `count` pings sent from `host` */
    int (*ping)(void *ud, size_t vm, int host, unsigned count);
    bool (*should_stop)(void *ud);
};

struct virt_pc_opts {
    enum be_state dest_state;       /* virsh_migrate_dest_state; default RUNNING */
    unsigned mig_flags;             /* enum be_mig_flag of the hop */
    bool check_dmesg;
    bool check_ping;                /* also off when env->ping is NULL */
    unsigned ping_count;
    bool check_disk;
    const char *disk_file;
    const char *expected_dmesg;     /* PCRE2 or NULL */
    int dmesg_level;                /* judge levels < this; <= 0: every level */
    unsigned retries;               /* extra attempts of a transient failure */
    double retry_delay_s;
    double login_timeout_s;
    double cmd_timeout_s;
};

/* One VM after one hop.  uptime_before < 0 = unknown (e.g. rebooted on purpose):
 * the uptime check then only records the new value. */
struct virt_pc_vm {
    size_t vm;
    const char *name;
    int src, dst;
    double uptime_before;           /* updated by the uptime check */
    unsigned serial;                /* distinguishes disk check lines (hop number) */
};

enum virt_pc_verdict {
    VIRT_PC_PASS,
    VIRT_PC_FAIL,           /* definite: report */
    VIRT_PC_RETRY,          /* transient: try again */
    VIRT_PC_SKIP,           /* not judged: turned off, or not applicable to the flags */
};

struct virt_postcheck {
    const char *name;
    enum virt_pc_verdict (*run)(const struct virt_pc_env *env, const struct virt_pc_opts *o,
                                struct virt_pc_vm *vm, struct strbuf *msg);
};

extern const struct virt_postcheck virt_postchecks[];  /* NULL-name terminated */

/* Defaults for the fields above (dest running, dmesg, ping and disk on, 3 retries 1 s). */
void virt_pc_opts_default(struct virt_pc_opts *o);

/* Run the table in order for one VM.  0 when all passed; -1 with *why =
 * "<check>: <message>" for the first failure.  log (may be NULL) gets one line per
 * check result. */
int virt_postcheck_run(const struct virt_pc_env *env, const struct virt_pc_opts *o,
                       struct virt_pc_vm *vm, struct strbuf *why,
                       void (*log)(void *ud, const char *line), void *log_ud);

/* Scan dmesg text (plain or `dmesg -r` "<N>" prefixed lines) for kernel crash lines
 * at a level < max_level (<= 0: all; lines without a level always count), skipping
 * lines matching expected_re.  Offending lines are appended to bad (one per line).
 * Returns their number, or -1 + err when expected_re does not compile. */
int virt_dmesg_scan(const char *text, int max_level, const char *expected_re,
                    struct strbuf *bad);

/* Parse virsh_migrate_dest_state words: running, paused, "shut off"/shutoff. */
int virt_pc_state_parse(const char *s, enum be_state *out);

#endif

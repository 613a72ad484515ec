/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_vms: the VMs of one test, from params to running guests and back to nothing.
 * Used by every VM test type (boot, migrate, virsh_migrate_stress).
 *
 * run_vms_setup() reads `vms` and each VM's object params, resolves the backend and
 * the hosts, prepares each VM's images (clones) and spec; nothing runs yet.
 * run_vms_cleanup() destroys and undefines every VM on every host, removes clones and
 * closes connections; idempotent, safe after any partial setup.
 * Every function returns 0 or -1 with err_msg() set (VM, host and context included).
 * Functions taking a VM index may be called from one worker thread per VM at once.
 */
#ifndef VTRUN_RUN_VMS_H
#define VTRUN_RUN_VMS_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/be.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "migration/mig.h"

struct run_vm {
    char *name;                 /* the object name in `vms`, e.g. vm1 */
    char *domain;               /* the domain name used on the hosts (unique per job slot) */
    struct params *params;      /* object params of this VM */
    struct be_vm_spec *spec;
    int host;                   /* index into ctx->hosts it runs on now; -1 = not running */
    char *address;              /* guest IP address for SSH / ping, NULL = unknown */
    char *console_log;          /* serial console log file */
    long long console_scanned;  /* console bytes already scanned for kernel crashes */
    double uptime;              /* last uptime read from the guest, seconds */
    void *priv;                 /* run_vms.c's own per-VM state */
};

struct run_vms {
    struct run_ctx *ctx;
    const struct be_ops *be;
    struct be_host **hosts;     /* opened lazily, one per host */
    size_t nhosts;              /* qemu backend: 2 local "hosts"; else ctx->nhosts */
    struct run_vm *vm;
    size_t n;
    void *priv;                 /* run_vms.c's own state */
};

int run_vms_setup(struct run_ctx *ctx, struct run_vms *vms);
/* Facts of host h (backend host_info: versions, hypervisor, arch, CPU models, and
 * for this machine OS, memory); free with be_host_info_free. */
int run_vms_host_info(struct run_vms *vms, int h, struct be_host_info *out);
/* Define and start VM i on host h (index into ctx->hosts). */
int run_vms_start(struct run_vms *vms, size_t i, int h);
/* Retry SSH login until it works or timeout_s passes (or the test must stop). */
int run_vms_wait_login(struct run_vms *vms, size_t i, double timeout_s);
/* Run a command in guest i; out (may be NULL) gets stdout, *status the exit status. */
int run_vms_exec(struct run_vms *vms, size_t i, const char *cmd, double timeout_s,
                 struct strbuf *out, int *status);
/* Read /proc/uptime of guest i into vm[i].uptime. */
int run_vms_uptime(struct run_vms *vms, size_t i, double *uptime);
/* Scan new console output of VM i for kernel crashes; 1 = crash found (err_msg()
 * starts with the matched line, then VM, console file and line; the context lines go
 * to debug.log), 0 = clean, -1 = error. */
int run_vms_console_crash(struct run_vms *vms, size_t i);
/* Migrate VM i from where it runs to host `to`; metrics filled (also on failure). */
int run_vms_migrate(struct run_vms *vms, size_t i, int to,
                    const struct be_migrate_opts *opts, struct be_hop_metrics *m);
/* Record one hop of VM i (metrics from run_vms_migrate) in the test's results:
 * hops.json, results.json, the HTML timeline and debug.log. */
void run_vms_record_hop(struct run_vms *vms, size_t i, unsigned hop, int from, int to,
                        const struct be_hop_metrics *m, bool ok, const char *error);
/* The post-migration checks (migration/mig.h) over the VM set: env->ud is vms;
 * state, console, login, exec, uptime and should_stop go through run_vms; ping is NULL
 * (no ping check) until the caller sets one. */
void run_vms_postcheck_env(struct run_vms *vms, struct mig_pc_env *env);
/* Run the post-check table for VM pv->vm; each check's result goes to debug.log.
 * 0, or -1 with err_msg() = "<check>: <message>" of the first failure. */
int run_vms_postcheck(struct run_vms *vms, const struct mig_pc_env *env,
                      const struct mig_pc_opts *o, struct mig_pc_vm *pv);
/* The first checks of that table after VM i's hop to `to` (from `from`): state
 * (running on `to`, gone or shut off on `from`), console clean, SSH login (else the
 * console says whether the guest died), uptime not smaller.  0 ok, -1 with err_msg()
 * naming the failed check. */
int run_vms_check_after_hop(struct run_vms *vms, size_t i, int from, int to,
                            double login_timeout_s);
/* Shut down (graceful, then destroy) VM i. */
int run_vms_stop(struct run_vms *vms, size_t i);
void run_vms_cleanup(struct run_vms *vms);

/* Migration options of a case: virsh_migrate_options, else migrate_options (virsh
 * flag words, default "--live --p2p --persistent --undefinesource"), plus
 * virsh_migrate_timeout; the cancel flag is the test's. */
int run_migrate_opts(const struct run_ctx *ctx, struct be_migrate_opts *mo);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_mig: the declared params the migration test types share, one definition each
 * (runner/type_migrate.c, runner/type_migrate_stress.c): a row is written once here
 * and placed in each type's table with its own options struct.
 */
#ifndef VTRUN_RUN_MIG_H
#define VTRUN_RUN_MIG_H

#include "migration/mig.h"
#include "runner/run_type.h"

struct virt_vms;

/* CUSTOM parser of virsh migrate flag words into a struct be_migrate_opts
 * (mig_opts_parse; an unknown word or a combination virsh refuses is an error). */
int run_mig_options_parse(const char *text, void *field);
void run_mig_options_format(const void *field, struct strbuf *out);
void run_mig_options_release(void *field);

/* migrate_options, as tp-libvirt's virsh_migrate_stress reads it, else
 * virsh_migrate_options (avocado-vt's migration.py: params.get("migrate_options",
 * params.get("virsh_migrate_options"))); unset: MIG_OPTS_DEFAULT. */
#define RUN_MIG_OPTIONS_ROW(T, f)                                                      \
    { "migrate_options", .aliases = "virsh_migrate_options",                           \
      RUN_PARAM_CUSTOM_AT(T, f, struct be_migrate_opts, run_mig_options_parse,         \
                          run_mig_options_format),                                     \
      .release = run_mig_options_release,                                              \
      .def = MIG_OPTS_DEFAULT, .expect = "virsh migrate flag words",                   \
      .doc = "virsh migrate options: --live --offline --p2p --tunnelled --persistent " \
             "--undefinesource --unsafe --postcopy --postcopy-after-precopy "          \
             "--auto-converge --compressed --timeout N --bandwidth N --dname N ... "   \
             "(migration/mig.h)" }

/* virsh_migrate_back, the same in every migration type. */
#define RUN_MIG_BACK_ROW(T, f)                                                         \
    { "virsh_migrate_back", RUN_PARAM_BOOL_AT(T, f), .def = "no",                      \
      .doc = "migrate back to the source after each forward hop" }

/* ---- one judged hop of a tp-libvirt case (runner/run_hop.c) ------------------------ */

/* virsh migrate of VM i of vms from host `from` to `to` with mo, recorded as hop n
 * and judged by e as tp-libvirt does (status_error, err_msg, "unsupported
 * configuration" CANCELs).  1: migrated, go on with the checks; 0: failed as
 * expected (the verdict stays PASS); -1: the test's verdict is set.  The hop's figures
 * into *out when it is not NULL. */
int run_mig_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                unsigned n, const struct mig_expect *e, const struct be_migrate_opts *mo,
                struct be_hop_metrics *out);
/* The verdict on a hop run elsewhere (ok, its figures m, m->hv_error when it failed),
 * recorded as hop n and judged as run_mig_hop() does, with the same return values. */
int run_mig_hop_judge(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                      unsigned n, const struct mig_expect *e, bool ok,
                      const struct be_hop_metrics *m);
/* A virsh migrate that fails before any migration starts (virsh refusing its words or
 * a file, no such domain, a destination it cannot open), judged as a failed hop:
 * `what` for the log, msg what virsh prints ("error: " added when missing).  0 when
 * that was expected, else -1 with the verdict set (an "unsupported configuration"
 * CANCELs). */
int run_mig_refused(struct run_ctx *ctx, const struct mig_expect *e, const char *what,
                    const char *msg);
/* After a hop of VM i to `to`: its domain running there, no panic on its console, the
 * guest logged into over its network (the reference's check_dest_vm_network).  0, or
 * -1 with the test failed. */
int run_mig_landed(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int to);

/* post_migration_admin, the same in every migration type. */
#define RUN_MIG_ADMIN_ROW(T, f)                                                        \
    { "post_migration_admin", RUN_PARAM_BOOL_AT(T, f), .def = "no",                     \
      .doc = "after the last hop, on the destination: destroy, start, login, listed "   \
             "running, save, restore, suspend, resume; each step a check with its time" }

/* Guest administration (migration/mig.h mig_admin_run) of every running VM of the set
 * where it runs now, the VMs at once (one thread each), each step a check
 * "admin.<step>.<vm>" with its time, recorded in VM order, in the phase "admin".
 * 0, or -1 with the outcome FAIL ("AdminStepFailed") naming the first VM (in the
 * set's order) that failed and its step; the others' failures are logged. */
int run_mig_admin(struct run_ctx *ctx, struct virt_vms *vms);

/* On FAIL, ERROR or INTERRUPTED (else nothing): the evidence of every host the test
 * reached into its results directory (runner/run_evidence.c): per VM the QEMU log,
 * the daemon's log lines about the domain since since_wall (epoch seconds), the last
 * completed job, the domain XML.  Call before the VM set's cleanup (which ends the
 * domains and their job figures). */
void run_evidence(struct run_ctx *ctx, struct virt_vms *vms, double since_wall);

/* ---- one wave of a plan (runner/run_wave.c) ---------------------------------------- */

struct run_wave_conf {
    const struct be_migrate_opts *opts;   /* of every move (cancel is the wave's) */
    double thread_timeout;      /* seconds the wave may take, then its jobs are aborted
                                   (the moves fail "late"); 0 = none */
    double abort_after;         /* > 0: abort every job this long after the start (virsh
                                   domjobabort during the migration) */
    unsigned hopno;             /* for the log */
};

struct run_wave_move {
    struct be_hop_metrics m;
    int rc;                     /* 0 moved, -1 failed (err) */
    char *err;                  /* owned; run_wave_release() */
    bool late;                  /* the wave ran past thread_timeout */
    bool aborted;               /* failed after abort_after aborted it */
};

/* Every move of wave at once, one worker thread each, on the test's VM set; the test's
 * cancel flag, thread_timeout and abort_after abort the jobs.  res gets wave->n
 * results (nothing is recorded: the caller does, with its own context).  Returns how
 * many moves failed. */
size_t run_wave_migrate(struct run_ctx *ctx, struct virt_vms *vms, const struct mig_wave *wave,
                        const struct run_wave_conf *conf, struct run_wave_move *res);
void run_wave_release(struct run_wave_move *res, size_t n);

#endif

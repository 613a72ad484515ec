/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_stor: what the legacy MigrationTest types migrate_bandwidth and migrate_storage
 * (tp-libvirt's libvirt/tests/src/migration/migrate_bandwidth.py, migrate_storage.py)
 * run during their migration, as engine steps (runner/run_tl.c's table):
 *
 *  - stor.check_bandwidth: migrate_bandwidth's check_bandwidth(params), the func its
 *    do_migration runs 3 s after the destination domain shows up paused;
 *  - the expected speeds of exp_migrate_speed and its get_speed, also run before the
 *    migration by the type;
 *  - libvirt.check_logfile of one regex over the daemon's debug log.
 */
#ifndef VTRUN_RUN_TL_STOR_H
#define VTRUN_RUN_TL_STOR_H

#include "migration/mig.h"
#include "runner/run_tl.h"

struct run_ctx;
struct strbuf;

/* exp_migrate_speed = "{'precopy_speed': '5', 'postcopy_speed': '0'}": the strings the
 * two migrate-getspeed calls must print; NULL when the key is absent or empty (Python's
 * falsy: not compared). */
struct run_stor_speeds {
    char *pre, *post;
};
/* text (NULL: none) read: 0, or -1 with err naming what is wrong. */
int run_stor_speeds_read(const char *text, struct run_stor_speeds *s);
void run_stor_speeds_release(struct run_stor_speeds *s);

/* get_speed: `virsh migrate-getspeed DOM` on host h against s->pre, then with --postcopy
 * against s->post.  MIG_TL_OK, FAIL with the reference's words, ERROR (virsh did not run). */
enum mig_tl_verdict run_stor_get_speed(struct run_ctx *ctx, int h, const char *dom,
                                       const struct run_stor_speeds *s, struct strbuf *why);

/* `virsh migrate-setspeed DOM SPEED [--postcopy]` on host h, its exit status only logged
 * (the reference's virsh_args have no ignore_status: virsh's default, True).  -1 when
 * virsh could not run (err). */
int run_stor_setspeed(struct run_ctx *ctx, int h, const char *dom, const char *speed,
                      bool postcopy);

RUN_TL_MOS_STEP(run_tl_stor_check_bandwidth);

/* The "not built" need row of a legacy type whose unbuilt setups PARAM_FN names
 * (const char *PARAM_FN(const struct params *p, const char **val): the first param
 * set to what vtrun does not build, or NULL): defines PREFIX_unbuilt_applies and
 * PREFIX_unbuilt_met for the row (run_tl_unbuilt_verdict's words, TYPE named). */
#define RUN_STOR_UNBUILT_FNS(prefix, type, param_fn)                                    \
    static bool prefix##_unbuilt_applies(const struct params *p)                        \
    {                                                                                   \
        const char *v_;                                                                 \
        return param_fn(p, &v_) != NULL;                                                \
    }                                                                                   \
    static int prefix##_unbuilt_met(const struct run_need *n, const struct params *p,   \
                                    struct run_facts *f, struct strbuf *why)            \
    {                                                                                   \
        const char *v_ = NULL, *param_ = param_fn(p, &v_);                              \
        (void)n;                                                                        \
        (void)f;                                                                        \
        (void)why;                                                                      \
        return run_tl_unbuilt_verdict(type, param_, v_, p);                             \
    }

struct run_base_mig;
struct virt_vms;
/* MigrationTest.do_migration of VM i, source to destination, with the words of m
 * (options, extra, postcopy_options, copy_storage_option) and the func(s) of acts_lit
 * (an action_during_mig literal, NULL none), judged by check_result (status_error,
 * err_msg_re): run_tl_hop's returns. */
int run_stor_hop(struct run_ctx *ctx, const struct run_base_mig *m, bool status_error,
                 const char *err_msg_re, const char *acts_lit, struct virt_vms *vms, size_t i);

struct virt_log_mark;
/* libvirt.check_logfile(re, log_file): the regex found in what the daemon's log on
 * host h got since m (the test turned its debug log on there).  0, or -1 with the
 * test's FAIL (not found) or ERROR. */
int run_stor_log_check(struct run_ctx *ctx, int h, const char *re,
                       const struct virt_log_mark *m);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type virsh_migrate_setmaxdowntime: tp-libvirt's virsh.migrate_setmaxdowntime
 * (virsh_migrate_setmaxdowntime.py).  The VM migrates (--live --unsafe
 * [--postcopy]) in a thread while, delay_time later, `virsh migrate-setmaxdowntime
 * <name|uuid|id> <ms>` runs on the source: virsh is the tool under test (a zero or
 * missing downtime, an extra word, a bad UUID are its errors), the migration goes
 * through the backend (the one supervisor).
 *
 * PASS/FAIL as the reference: status_error = yes expects the command to fail, except
 * that without a migration it may succeed (libvirt >= 1.2.9 allows it); else the
 * command and the migration must succeed.  The reference then greps the daemon's
 * debug log for the downtime QEMU was given; vtrun asks the daemon instead
 * (migrate-getmaxdowntime) while the domain still runs on the source.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pre_state { PRE_RUNNING, PRE_PAUSED, PRE_SHUTOFF };
static const struct params_word pre_state_words[] = {
    { "running", PRE_RUNNING },
    { "paused", PRE_PAUSED },
    { "shutoff", PRE_SHUTOFF },
    { NULL, 0 },
};

struct md_opts {
    const char *vm_ref;
    int pre_state;
    bool status_error;
    bool do_migrate;
    const char *downtime;       /* seconds, as the case writes it; "" none */
    const char *extra;
    const char *postcopy_options;
    double delay;
    struct be_migrate_opts mo;  /* --live --unsafe + postcopy_options */
    char downtime_ms[24];       /* the command's argument; "": none */
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct md_opts, __VA_ARGS__)
static const struct run_param md_params[] = {
    { "setmmdt_vm_ref", AT(STR, vm_ref), .def = "domname",
      .doc = "the domain argument: domname, domuuid, domid, else this text" },
    { "pre_vm_state", AT(ENUM, pre_state, pre_state_words), .def = "running",
      .doc = "the VM's state before the migration" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "migrate-setmaxdowntime must fail" },
    { "do_migrate", AT(BOOL, do_migrate), .def = "yes",
      .doc = "migrate the VM while the downtime is set" },
    { "migrate_maxdowntime", AT(STR, downtime), .def = "1.000", .empty_is_value = true,
      .unit = "seconds", .doc = "the downtime, whole seconds of it in ms to virsh; "
      "empty: no argument" },
    { "setmmdt_extra", AT(STR, extra), .doc = "more words for migrate-setmaxdowntime" },
    { "postcopy_options", AT(STR, postcopy_options),
      .doc = "more migrate words (--postcopy)" },
    { "delay_time", AT(FLOAT, delay), .def = "1", RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "between the migration's start and the command" },
    { NULL },
};
#undef AT

/* The reference's migration thread gets 180 s. */
#define MD_THREAD_TIMEOUT_S 180
/* The reference counts on the migration still running delay_time after its start
 * ("Migration must be executing before setting maxdowntime").  An idle guest under
 * TCG moves over loopback in about a second (its zero pages cost nothing), so the hop
 * is paced: its ~50-100 MiB of used memory take a few seconds at this rate. */
#define MD_PACE_MIB 16

static int md_check(const struct run_common *c, void *opts)
{
    struct md_opts *o = opts;
    (void)c;
    char *words = xasprintf("--live --unsafe %s", o->postcopy_options ? o->postcopy_options : "");
    int rc = mig_opts_parse(words, &o->mo);
    free(words);
    if (rc < 0) {
        err_prefix("param postcopy_options");
        return -1;
    }
    o->mo.timeout_s = MD_THREAD_TIMEOUT_S;
    if (!o->mo.bandwidth_mib)
        o->mo.bandwidth_mib = MD_PACE_MIB;
    o->downtime_ms[0] = '\0';
    if (*o->downtime) {
        /* int(float(x)) * 1000, as the reference computes it */
        char *end;
        double s = strtod(o->downtime, &end);
        if (end == o->downtime || *end) {
            err_set("param migrate_maxdowntime = '%s': expected a number of seconds",
                    o->downtime);
            return -1;
        }
        snprintf(o->downtime_ms, sizeof(o->downtime_ms), "%lld", (long long)s * 1000);
    }
    return 0;
}

struct md_state {
    struct virt_vms vms;
    /* the migration thread */
    pthread_t tid;
    bool started;
    int mig_rc;
    char *mig_err;
    struct be_hop_metrics m;
    struct be_migrate_opts mo;
    size_t vm;
};

static void *migrate_main(void *arg)
{
    struct md_state *st = arg;
    st->mig_rc = virt_vms_migrate(&st->vms, st->vm, 1, &st->mo, &st->m);
    if (st->mig_rc < 0)
        st->mig_err = xstrdup(err_msg());
    return NULL;
}

static int md_setup(struct run_ctx *ctx)
{
    struct md_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

/* The text of virsh <cmd> <domain> on the source (domid, domuuid); caller frees. */
static char *virsh_word(struct run_ctx *ctx, const char *cmd, const char *domain)
{
    const char *words[] = { cmd, domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    char *v = NULL;
    if (run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0)
        v = xstrndup(r.out.buf, strcspn(r.out.buf, "\n"));
    else
        err_set("virsh %s %s: %s", cmd, domain, r.err.buf);
    run_virsh_release(&r);
    return v;
}

/* What the daemon holds after a successful set, while the source still runs it. */
static void md_verify(struct run_ctx *ctx, const char *domain, const char *want)
{
    const char *words[] = { "migrate-getmaxdowntime", domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0) {
        long long got = strtoll(r.out.buf, NULL, 10);
        if (got != strtoll(want, NULL, 10))
            run_fail(ctx, "DowntimeMismatch", "migrate-setmaxdowntime %s, but "
                     "migrate-getmaxdowntime says %lld", want, got);
    } else {
        run_log(ctx, "downtime not read back (the domain left the source?): %s", r.err.buf);
    }
    run_virsh_release(&r);
}

static int md_run(struct run_ctx *ctx)
{
    const struct md_opts *o = ctx->opts;
    struct md_state *st = ctx->data;
    size_t i = (size_t)run_common_main_vm(ctx->common);
    const char *domain = st->vms.vm[i].domain;
    char *ref = NULL;
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;

    if (run_vmtype_prepare(ctx, &st->vms, i, true, true) < 0)
        return -1;
    if (!strcmp(o->vm_ref, "domname"))
        ref = xstrdup(domain);
    else if (!strcmp(o->vm_ref, "domid") || !strcmp(o->vm_ref, "domuuid")) {
        if (!(ref = virsh_word(ctx, o->vm_ref, domain)))
            return run_error(ctx, "CmdError", "%s", err_msg());
    } else
        ref = xstrdup(o->vm_ref);
    if (o->pre_state == PRE_PAUSED && virt_vms_suspend(&st->vms, i) < 0) {
        run_error(ctx, "VMPauseError", "%s", err_msg());
        goto out;
    }
    if (o->pre_state == PRE_SHUTOFF && virt_vms_destroy(&st->vms, i) < 0) {
        run_error(ctx, "VMStopError", "%s", err_msg());
        goto out;
    }
    if (o->do_migrate) {
        st->vm = i;
        st->mo = o->mo;
        st->mo.cancel = ctx->cancel;
        if (ctx->common->virsh_migrate_desturi)
            st->mo.dest_uri = ctx->common->virsh_migrate_desturi;
        if (o->pre_state == PRE_SHUTOFF) {
            st->mig_rc = -1;        /* nothing runs to migrate: the reference's fails */
            st->mig_err = xstrdup("the domain is not running");
        } else if (pthread_create(&st->tid, NULL, migrate_main, st) == 0) {
            st->started = true;
        } else {
            run_error(ctx, "ThreadError", "cannot start the migration thread");
            goto out;
        }
        clock_sleep(o->delay);
    }
    const char *words[16] = { "migrate-setmaxdowntime", ref };
    size_t n = 2;
    if (*o->downtime_ms)
        words[n++] = o->downtime_ms;
    char **extra = params_split(o->extra);
    for (char **e = extra; *e && n < 15; e++)
        words[n++] = *e;
    int vr = run_virsh_words(ctx, 0, words, &r);
    if (vr == 0 && r.status == 0 && *o->downtime_ms && (!o->status_error || !o->do_migrate))
        md_verify(ctx, ref, o->downtime_ms);
    params_strv_free(extra);
    if (st->started) {
        pthread_join(st->tid, NULL);
        st->started = false;
        virt_vms_record_hop(&st->vms, i, 1, 0, 1, &st->m, st->mig_rc == 0, st->mig_err);
    }
    if (vr < 0) {
        run_error(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    if (o->status_error) {
        if (r.status == 0 && o->do_migrate)
            run_fail(ctx, "CmdError", "migrate-setmaxdowntime succeeded, expected to fail");
        else
            rc = 0;
        if (r.status == 0 && !o->do_migrate)
            run_log(ctx, "migrate-setmaxdowntime without a migration succeeded: allowed "
                    "since libvirt 1.2.9");
        goto out;
    }
    if (o->do_migrate && st->mig_rc < 0)
        run_fail(ctx, "MigrationError", "migration failed: %s", st->mig_err);
    else if (r.status)
        run_fail(ctx, "CmdError", "migrate-setmaxdowntime failed: %s", r.err.buf);
    else
        rc = 0;
out:
    free(ref);
    run_virsh_release(&r);
    return rc;
}

static void md_cleanup(struct run_ctx *ctx)
{
    struct md_state *st = ctx->data;
    if (!st)
        return;
    if (st->started)
        pthread_join(st->tid, NULL);   /* the supervisor ends it: cancel, timeout */
    run_vmset_cleanup(ctx, &st->vms);
    free(st->mig_err);
    free(st);
    ctx->data = NULL;
}

const struct run_type run_type_migrate_setmaxdowntime = {
    .name = "virsh_migrate_setmaxdowntime",
    .summary = "virsh migrate-setmaxdowntime by name, UUID or id while the VM migrates; "
               "virsh's own errors",
    .needs = { .vms = 1, .hosts = 2 },
    .params = md_params,
    .opts_size = sizeof(struct md_opts),
    .check = md_check,
    .setup = md_setup,
    .run = md_run,
    .cleanup = md_cleanup,
};

/* ===================================================================================
 * setmaxdowntime_and_getmaxdowntime: tp-libvirt's migration_cmd/
 * setmaxdowntime_and_getmaxdowntime.py
 * =================================================================================== */
/*
 * No migration: on a running VM, migrate-setmaxdowntime <downtime> then
 * migrate-getmaxdowntime must say it (0: refused with err_msg, the value kept); on a
 * shut off VM both commands must fail with err_msg.
 */

enum sgm_status { SGM_RUNNING, SGM_SHUTOFF };
static const struct params_word sgm_status_words[] = {
    { "vm_running", SGM_RUNNING },
    { "vm_shutoff", SGM_SHUTOFF },
    { NULL, 0 },
};

struct sgm_opts {
    const char *downtime;
    bool status_error;
    const char *err_msg;
    int vm_status;
    bool start_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sgm_opts, __VA_ARGS__)
static const struct run_param sgm_params[] = {
    { "downtime", AT(STR, downtime), .def = "",
      .doc = "milliseconds for migrate-setmaxdowntime, as virsh takes them" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the command must fail with err_msg" },
    { "err_msg", AT(REGEX, err_msg), .doc = "the error a failing command must print" },
    { "vm_status", AT(ENUM, vm_status, sgm_status_words), .def = "vm_running",
      .doc = "the VM's state the case is about" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "start the VM first (and log in), else only define it" },
    { NULL },
};
#undef AT

/* migrate-getmaxdowntime's number into *ms: 1, 0 when it failed (r says why), -1 with
 * the outcome set when virsh could not run. */
static int sgm_get(struct run_ctx *ctx, const char *domain, struct run_virsh *r,
                   long long *ms)
{
    const char *words[] = { "migrate-getmaxdowntime", domain, NULL };
    char *end = NULL;
    if (run_virsh_words(ctx, 0, words, r) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    if (r->status)
        return 0;
    *ms = strtoll(r->out.buf, &end, 10);
    if (end == r->out.buf)
        return run_fail(ctx, "CmdError", "migrate-getmaxdowntime printed no number: '%s'",
                        r->out.buf);
    return 1;
}

/* A command that must fail with err_msg did (0), or the outcome FAIL (-1). */
static int sgm_must_fail(struct run_ctx *ctx, const char *what, const struct run_virsh *r,
                         const char *err)
{
    if (!r->status)
        return run_fail(ctx, "CmdError", "Expect to fail but succeed: %s", what);
    if (run_virsh_expect(what, r, true, err) < 0)
        return run_fail(ctx, "CmdError", "%s", err_msg());
    return 0;
}

static int sgm_run(struct run_ctx *ctx)
{
    const struct sgm_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)run_common_main_vm(ctx->common);
    const char *domain = vms->vm[i].domain;
    struct run_virsh get = RUN_VIRSH_INIT, set = RUN_VIRSH_INIT, again = RUN_VIRSH_INIT;
    const char *setw[] = { "migrate-setmaxdowntime", domain, o->downtime, NULL };
    long long orig = 0, now = 0;
    bool zero = !strcmp(o->downtime, "0");
    int rc = -1, got;

    if (run_vmtype_prepare(ctx, vms, i, o->start_vm, o->start_vm) < 0)
        return -1;
    if ((got = sgm_get(ctx, domain, &get, &orig)) < 0)
        goto out;
    if (o->vm_status == SGM_SHUTOFF) {
        if (sgm_must_fail(ctx, "migrate-getmaxdowntime", &get, o->err_msg) == 0 &&
            run_virsh_words(ctx, 0, setw, &set) == 0 &&
            sgm_must_fail(ctx, "migrate-setmaxdowntime", &set, o->err_msg) == 0)
            rc = 0;
        goto out;
    }
    if (!got) {
        run_fail(ctx, "CmdError", "migrate-getmaxdowntime failed: %s", get.err.buf);
        goto out;
    }
    if (run_virsh_words(ctx, 0, setw, &set) < 0) {
        run_error(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    if (set.status && !(o->status_error && zero)) {
        run_fail(ctx, "CmdError", "Set downtime fail: %s", set.err.buf);
        goto out;
    }
    if (set.status && sgm_must_fail(ctx, "migrate-setmaxdowntime", &set, o->err_msg) < 0)
        goto out;
    if ((got = sgm_get(ctx, domain, &again, &now)) <= 0) {
        if (got == 0)
            run_fail(ctx, "CmdError", "migrate-getmaxdowntime failed: %s", again.err.buf);
        goto out;
    }
    if (zero && now != orig)
        run_fail(ctx, "DowntimeMismatch", "For downtime=0, maxdowntime should keep its "
                 "original value: %lld before, %lld after", orig, now);
    else if (!zero && now != strtoll(o->downtime, NULL, 10))
        run_fail(ctx, "DowntimeMismatch", "Set maxdowntime fail: %lld", now);
    else
        rc = 0;
out:
    run_virsh_release(&get);
    run_virsh_release(&set);
    run_virsh_release(&again);
    return rc;
}

const struct run_type run_type_setmaxdowntime_and_getmaxdowntime = {
    .name = "setmaxdowntime_and_getmaxdowntime",
    .summary = "virsh migrate-setmaxdowntime then migrate-getmaxdowntime on a running or "
               "shut off VM (tp-libvirt's migration_cmd)",
    .needs = { .vms = 1, .hosts = 1 },
    .params = sgm_params,
    .opts_size = sizeof(struct sgm_opts),
    .setup = run_vmtype_setup,
    .run = sgm_run,
    .cleanup = run_vmtype_cleanup,
};

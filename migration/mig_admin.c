/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest administration after the last hop (openQA's do_guest_administration): on the
 * host the guest landed on it is destroyed, started again from the definition that
 * host has, logged into, found among the running domains, saved to a file and restored,
 * suspended and resumed.  Proof that the migrated definition and state are usable
 * there, not only that the guest survived the hop.  One table, run in order; the first
 * failure stops it and names its step.
 */
#include "migration/mig.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

struct admin {
    struct virt_vms *vms;
    size_t i;
    int host;                   /* where the guest landed */
    const struct mig_admin_opts *o;
    char *save_path;
    bool saved;                 /* a save file to remove */
};

static int want_state(struct admin *a, enum be_state want)
{
    enum be_state st;
    if (virt_vms_state(a->vms, a->i, a->host, &st) < 0)
        return -1;
    if (st != want) {
        err_set("state %s, expected %s", be_state_name(st), be_state_name(want));
        return -1;
    }
    return 0;
}

static int st_destroy(struct admin *a)
{
    return virt_vms_destroy(a->vms, a->i) < 0 ? -1 : want_state(a, BE_STATE_SHUTOFF);
}

static int st_start(struct admin *a)
{
    return virt_vms_start_defined(a->vms, a->i, a->host) < 0 ? -1
                                                             : want_state(a, BE_STATE_RUNNING);
}

static int st_login(struct admin *a)
{
    return virt_vms_wait_login(a->vms, a->i, a->o->login_timeout_s);
}

static int st_listed(struct admin *a)
{
    bool listed;
    if (virt_vms_listed(a->vms, a->i, &listed) < 0)
        return -1;
    if (!listed) {
        err_set("not among the running domains of %s", virt_vms_host_name(a->vms, a->host));
        return -1;
    }
    return 0;
}

static int st_save(struct admin *a)
{
    a->saved = true;    /* a half-written file is removed too */
    return virt_vms_save(a->vms, a->i, a->save_path) < 0 ? -1
                                                         : want_state(a, BE_STATE_SHUTOFF);
}

static int st_restore(struct admin *a)
{
    if (virt_vms_restore(a->vms, a->i, a->save_path) < 0 || want_state(a, BE_STATE_RUNNING) < 0)
        return -1;
    /* the guest goes on where it was saved: it answers without a new boot */
    return virt_vms_wait_login(a->vms, a->i, a->o->login_timeout_s);
}

static int st_suspend(struct admin *a)
{
    return virt_vms_suspend(a->vms, a->i) < 0 ? -1 : want_state(a, BE_STATE_PAUSED);
}

static int st_resume(struct admin *a)
{
    int status = -1;
    if (virt_vms_resume(a->vms, a->i) < 0 || want_state(a, BE_STATE_RUNNING) < 0)
        return -1;
    if (virt_vms_exec(a->vms, a->i, "true", a->o->cmd_timeout_s, NULL, &status) < 0)
        return -1;
    return 0;
}

struct admin_step {
    const char *name;
    int (*run)(struct admin *a);
    bool needs_save;            /* skipped where the backend cannot save */
};

static const struct admin_step steps[] = {
    { "destroy", st_destroy, false },
    { "start", st_start, false },
    { "login", st_login, false },
    { "listed running", st_listed, false },
    { "save", st_save, true },
    { "restore", st_restore, true },
    { "suspend", st_suspend, false },
    { "resume", st_resume, false },
};

const char *mig_admin_step_name(size_t k)
{
    return k < ARRAY_SIZE(steps) ? steps[k].name : NULL;
}

/* The save file lives on the guest's host: removed there through its transport. */
static void remove_save(struct admin *a)
{
    const struct virt_vms_conf *c = &a->vms->conf;
    struct virt_host *link = c->host_link ? c->host_link(c->link_ud, a->host) : NULL;
    if (c->host_link && !link) {
        virt_logf(&c->vctx, VIRT_LOG_WARN, "save file %s left on %s: %s", a->save_path,
                  virt_vms_host_name(a->vms, a->host), err_msg());
        return;
    }
    if (!link) {
        remove(a->save_path);
        return;
    }
    const char *argv[] = { "rm", "-f", "--", a->save_path, NULL };
    if (virt_host_run(link, argv, 30, NULL, NULL, NULL) < 0)
        virt_logf(&c->vctx, VIRT_LOG_WARN, "save file left: %s", err_msg());
}

int mig_admin_run(struct virt_vms *vms, size_t i, const struct mig_admin_opts *o,
                  void (*report)(void *ud, const char *step, enum mig_pc_verdict v,
                                 double secs, const char *msg),
                  void *ud)
{
    struct admin a = { vms, i, vms->vm[i].host, o, NULL, false };
    struct strbuf why = STRBUF_INIT;
    bool can_save = vms->be->save && vms->be->restore;
    int ret = 0;

    if (a.host < 0) {
        err_set("guest administration: %s is not running", vms->vm[i].name);
        return -1;
    }
    a.save_path = xasprintf("%s/%s.vtrun-admin.save", o->save_dir, vms->vm[i].domain);
    for (size_t k = 0; k < ARRAY_SIZE(steps) && ret == 0; k++) {
        const struct admin_step *s = &steps[k];
        if (s->needs_save && !can_save) {
            char *m = xasprintf("the %s backend cannot save a guest", vms->be->name);
            report(ud, s->name, MIG_PC_SKIP, 0, m);
            free(m);
            continue;
        }
        if (virt_vms_should_stop(vms)) {
            err_set("guest administration: stopped before %s", s->name);
            ret = -1;
            break;
        }
        double t0 = clock_now();
        int r = s->run(&a);
        double secs = clock_now() - t0;
        if (r < 0) {
            strbuf_addf(&why, "guest administration: %s: %s", s->name, err_msg());
            report(ud, s->name, MIG_PC_FAIL, secs, err_msg());
            ret = -1;
        } else {
            report(ud, s->name, MIG_PC_PASS, secs, NULL);
        }
    }
    if (a.saved)
        remove_save(&a);
    if (ret < 0 && why.len)
        err_set("%s", why.buf);
    strbuf_release(&why);
    free(a.save_path);
    return ret;
}

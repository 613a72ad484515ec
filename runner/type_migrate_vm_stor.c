/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_vm (tp-libvirt libvirt/tests/src/migration/migrate_vm.py): the setups made
 * before the migration on the hosts, beyond type_migrate_vm.c.
 *
 * create_target_image = yes (the reference's pre-creation of the storage target):
 * with target_pool_name and no_create_pool = no, a transient pool of
 * target_pool_type over the directory of the guest's first disk is made on the
 * destination (create_destroy_pool_on_remote: skipped when a pool of that name is
 * there already), libvirt then pre-creates the image itself; else
 * `qemu-img create -f FORMAT SOURCE SIZE` on the destination, FORMAT and SIZE
 * target_image_format / target_image_size or the source image's.  The image the
 * destination got is removed and the pool destroyed at cleanup (remote_image_list,
 * "destroy").  Not built: the background migrations (cancel_migration) with it.
 *
 * enable_stress_test with stress_type = stress_on_host: `stress stress_args` on the
 * source host while the migration runs (utils_test.load_stress on the machine
 * avocado runs on, the source), stopped at cleanup.  Its other stress types and
 * no_swap's memhog (it installs packages in the guest) are not built here: the needs
 * in type_migrate_vm.c name what they ask for.
 *
 * stop_libvirtd_remotely: the destination's libvirtd stopped before the migration
 * (started again at cleanup).  su_user: the user added on the source
 * (adduser_cmd), `virsh migrate` run as that user there, the user deleted at cleanup.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "runner/type_migrate_vm.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool mvm_yes(const struct params *p, const char *key)
{
    const char *v = params_get(p, key);
    return v && !strcmp(v, "yes");
}

static bool set(const struct params *p, const char *key)
{
    const char *v = params_get(p, key);
    return v && *v;
}

/* Built with the guest's disk in the source's own image directory (nfs_mount_dir given
 * empty): the destination's image of that path is then not the source's. */
bool mvm_stor_built(const struct params *p)
{
    const char *nfs = params_get(p, "nfs_mount_dir");
    return mvm_yes(p, "create_target_image") && !mvm_yes(p, "run_migrate_cmd_in_back") && nfs &&
           !nfs[strspn(nfs, " \t")];
}

bool mvm_stress_built(const struct params *p)
{
    const char *t = params_get(p, "stress_type");
    return mvm_yes(p, "enable_stress_test") && t && !strcmp(t, "stress_on_host") &&
           set(p, "stress_args") && !mvm_yes(p, "no_swap") && !mvm_yes(p, "netperf_network");
}

/* The pool branch: target_pool_name given and no_create_pool not yes. */
static bool pool_wanted(const struct params *p)
{
    return set(p, "target_pool_name") && !mvm_yes(p, "no_create_pool");
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s != path ? xstrndup(path, (size_t)(s - path)) : xstrdup("/");
}

/* create_destroy_pool_on_remote(create): 0, or -1 with the test's verdict. */
static int pool_make(struct run_ctx *ctx, struct mvm_extra *x, const char *disk)
{
    const char *name = params_get(ctx->params, "target_pool_name");
    const char *type = params_get_or(ctx->params, "target_pool_type", "dir");
    const char *list[] = { "pool-list", "--all", "--name", NULL };
    char *out = NULL, *dir = dir_of(disk);
    int rc = 0;
    if (run_vmconf_virsh(ctx, 1, list, &out) < 0) {
        rc = run_error(ctx, "TestError", "Create pool on remote host failed: %s", err_msg());
        goto out;
    }
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
        if (!strcmp(l + strspn(l, " "), name)) {
            run_log(ctx, "The pool %s already exists and skip to create it.", name);
            goto out;
        }
    const char *mk[] = { "mkdir", "-p", dir, NULL };
    struct virt_host *link = run_host_link(ctx, 1);
    if (!link || virt_host_run(link, mk, 60, NULL, NULL, NULL) < 0) {
        rc = run_fail(ctx, "CmdError", "Run command 'mkdir -p %s' on remote host failed: %s",
                      dir, err_msg());
        goto out;
    }
    const char *cr[] = { "pool-create-as", name, type, "--target", dir, NULL };
    if (run_vmconf_virsh(ctx, 1, cr, NULL) < 0) {
        rc = run_error(ctx, "TestError", "Create pool on remote host failed: %s", err_msg());
        goto out;
    }
    x->pool = xstrdup(name);
    run_log(ctx, "pool %s (%s, %s) made on %s", name, type, dir, ctx->hosts[1].name);
out:
    free(out);
    free(dir);
    return rc;
}

/* `mkdir -p DIR && qemu-img create -f FMT SRC SIZE` on the destination. */
static int image_make(struct run_ctx *ctx, struct virt_vms *vms,
                      struct mvm_extra *x, const struct be_disk *dk)
{
    const char *fmt = params_get(ctx->params, "target_image_format");
    const char *size = params_get(ctx->params, "target_image_size");
    char sz[32], *dir = dir_of(x->image);
    struct virt_host *src = run_host_link(ctx, 0), *dst = run_host_link(ctx, 1);
    const char *mk[] = { "mkdir", "-p", dir, NULL };
    int rc = 0;
    if (!fmt || !*fmt)
        fmt = dk->format ? dk->format : "qcow2";
    if (!size || !*size) {
        unsigned long long b;
        if (!src || virt_image_virtual_size(src, dk->path, &b, &vms->conf.vctx) < 0) {
            rc = run_error(ctx, "TestError", "image info of %s: %s", dk->path, err_msg());
            goto out;
        }
        snprintf(sz, sizeof(sz), "%llu", b);
        size = sz;
    }
    x->image_made = true;       /* removed at cleanup even when half made */
    if (!dst || virt_host_run(dst, mk, 60, NULL, NULL, NULL) < 0 ||
        virt_image_create(dst, x->image, fmt, size, &vms->conf.vctx) < 0) {
        rc = run_fail(ctx, "CmdError", "Failed to create %s on remote: %s", x->image,
                      err_msg());
        goto out;
    }
    run_log(ctx, "qemu-img create -f %s %s %s on %s", fmt, x->image, size,
            ctx->hosts[1].name);
out:
    free(dir);
    return rc;
}

int mvm_stor_prepare(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                     struct mvm_extra *x)
{
    const struct be_vm_spec *sp = vms->vm[i].spec;
    if (!sp || !sp->ndisks || !sp->disks[0].path)
        return run_error(ctx, "TestSetupError", "the guest has no disk image");
    const struct be_disk *dk = &sp->disks[0];
    const char *ts = params_get(ctx->params, "target_image_source");
    x->image = xstrdup(ts && *ts ? ts : dk->path);
    if (pool_wanted(ctx->params)) {
        /* libvirt pre-creates the image in the pool: vtrun's hop makes none */
        vms->copy_no_dest_disks = true;
        x->image_made = true;
        return pool_make(ctx, x, x->image);
    }
    return image_make(ctx, vms, x, dk);
}

/* ---- stress_on_host ---------------------------------------------------------- */

static char *stress_tag(void)
{
    return xasprintf("mvm-%ld", (long)getpid());
}

int mvm_stress_start(struct run_ctx *ctx, struct mvm_extra *x)
{
    char **argv = mig_stress_argv("stress", params_get(ctx->params, "stress_args"), NULL,
                                  NULL, 0, false);
    char *tag = stress_tag(), *script = argv ? mig_stress_start_script(argv, tag) : NULL;
    struct virt_host *link = run_host_link(ctx, 0);
    struct strbuf out = STRBUF_INIT;
    int rc = 0, status = 0;
    if (!argv || !script || !link) {
        rc = run_error(ctx, "StressError", "stress on %s: %s", ctx->hosts[0].name, err_msg());
        goto out;
    }
    struct virt_res r = { VIRT_RES_PROCESS, "stress", ctx->hosts[0].uri, tag };
    char *what = xasprintf("stress on host %s (tag %s)", ctx->hosts[0].name, tag);
    x->stress_note = virt_leftover_add_res(&r, what, "the stress stop script");
    free(what);
    if (!x->stress_note) {
        rc = run_error(ctx, "StressError", "%s", err_msg());
        goto out;
    }
    x->stress = true;       /* the stop script is harmless when nothing runs */
    const char *sh[] = { "sh", "-c", script, NULL };
    if (virt_host_run(link, sh, 60, &out, NULL, &status) < 0 || status ||
        !strstr(out.buf, "started") || strstr(out.buf, "died: ")) {
        rc = run_fail(ctx, "StressError", "Add stress for migration failed:%s %s", out.buf,
                      err_msg());
        goto out;
    }
    run_log(ctx, "Run 'stress %s' in host (%s)", params_get(ctx->params, "stress_args"),
            ctx->hosts[0].name);
out:
    strbuf_release(&out);
    mig_stress_argv_free(argv);
    free(script);
    free(tag);
    return rc;
}

/* ---- stop_libvirtd_remotely ----------------------------------------------------- */

/* libvirt.remotely_control_libvirtd(..., "stop"): the destination's daemon stopped
 * before the migration, started again by the undo of *ops at cleanup. */
int mvm_stop_remote_daemon(struct run_ctx *ctx, struct virt_vms *vms,
                           struct virt_hostops **ops)
{
    struct virt_host *link = run_host_link(ctx, 1);
    if (!*ops)
        *ops = virt_hostops_new("mvm", &vms->conf.vctx);
    if (!link || virt_hostop_daemon(*ops, link, "libvirtd", VIRT_DAEMON_STOP, NULL) < 0)
        return run_error(ctx, "TestSetupError", "stop libvirtd on %s: %s",
                         ctx->hosts[1].name, err_msg());
    run_log(ctx, "libvirtd stopped on %s", ctx->hosts[1].name);
    return 0;
}

/* ---- su_user ------------------------------------------------------------------- */

/* Built when adduser_cmd is `useradd SU_USER` (the cfg's), the user made as it says. */
bool mvm_su_user_built(const struct params *p)
{
    const char *u = params_get(p, "su_user"), *add = params_get(p, "adduser_cmd");
    char *want = u ? xasprintf("useradd %s", u) : NULL;
    bool ok = want && add && !strcmp(add, want);
    free(want);
    return ok;
}

/* adduser_cmd (useradd USER) on the source, the machine the reference runs on; the
 * user removed at cleanup (deluser_cmd: userdel -r USER). */
static int su_user_add(struct run_ctx *ctx, struct mvm_extra *x, const char *user)
{
    const char *add[] = { "useradd", user, NULL };
    struct virt_host *link = run_host_link(ctx, 0);
    int status = 0;
    if (!link || virt_host_run(link, add, 60, NULL, NULL, &status) < 0)
        return run_error(ctx, "TestSetupError", "useradd %s: %s", user, err_msg());
    if (status) {   /* ignore_status there: an existing user is not removed after */
        run_log(ctx, "useradd %s: exit status %d", user, status);
        return 0;
    }
    x->user = xstrdup(user);
    return 0;
}

/* libvirt.do_migration(su_user=USER): virsh migrate run as USER on the source (its
 * default connection, as `su - USER -c virsh ...`; runuser -u here), judged by status_error / err_msg
 * (check_output).  0 or -1 with the verdict. */
int mvm_su_user_migrate(struct run_ctx *ctx, const char *dom, const char *words,
                        const char *uri, const struct mig_expect *e, struct mvm_extra *x)
{
    const char *user = params_get(ctx->params, "su_user");
    if (su_user_add(ctx, x, user) < 0)
        return -1;
    char **w = params_split(words);
    struct { const char **v; size_t n; } a = { 0 };
    size_t nw = 0;
    while (w[nw])
        nw++;
    a.v = xcalloc(nw + 8, sizeof(*a.v));
    a.v[a.n++] = "runuser";
    a.v[a.n++] = "-u";          /* the program itself, not a login shell's script */
    a.v[a.n++] = user;
    a.v[a.n++] = "--";
    a.v[a.n++] = "virsh";
    a.v[a.n++] = "migrate";
    for (size_t k = 0; k < nw; k++)
        a.v[a.n++] = w[k];
    a.v[a.n++] = dom;
    a.v[a.n++] = uri;
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct virt_host *link = run_host_link(ctx, 0);
    int status = 0, rc = 0;
    if (!link || virt_host_run(link, a.v, 600, &out, &err, &status) < 0) {
        rc = run_error(ctx, "TestError", "virsh migrate as %s: %s", user, err_msg());
    } else if (status == 0) {
        run_log(ctx, "virsh migrate as %s:\n%s", user, out.buf);
        if (e->status_error)
            rc = run_fail(ctx, "MigrationError", "Migration succeeded as %s, but it "
                          "should have failed", user);
    } else {
        run_log(ctx, "virsh migrate as %s (exit %d):\n%s%s", user, status, out.buf, err.buf);
        rc = run_mig_refused(ctx, e, "virsh migrate as the user fails", err.buf);
    }
    strbuf_release(&out);
    strbuf_release(&err);
    free(a.v);
    params_strv_free(w);
    return rc;
}

/* ---- cleanup ------------------------------------------------------------------- */

static void stress_stop(struct run_ctx *ctx, struct mvm_extra *x)
{
    char *tag = stress_tag(), *script = mig_stress_stop_script(tag);
    const char *sh[] = { "sh", "-c", script, NULL };
    struct virt_host *link = run_host_link(ctx, 0);
    struct strbuf out = STRBUF_INIT;
    if (!link || virt_host_run(link, sh, 30, &out, NULL, NULL) < 0) {
        run_warn(ctx, "stress on %s may still run: %s", ctx->hosts[0].name, err_msg());
    } else {
        run_log(ctx, "Unload stress from host");
        virt_leftover_drop(x->stress_note);
    }
    strbuf_release(&out);
    free(script);
    free(tag);
}

void mvm_extra_cleanup(struct run_ctx *ctx, const struct virt_ctx *vctx, struct mvm_extra *x)
{
    if (x->user) {
        const char *del[] = { "userdel", "-r", x->user, NULL };
        struct virt_host *link = run_host_link(ctx, 0);
        if (!link || virt_host_run(link, del, 60, NULL, NULL, NULL) < 0)
            run_log(ctx, "userdel -r %s: %s", x->user, err_msg());
        free(x->user);
    }
    if (x->stress)
        stress_stop(ctx, x);
    if (x->pool) {
        const char *d[] = { "pool-destroy", x->pool, NULL };
        if (run_vmconf_virsh(ctx, 1, d, NULL) < 0)
            run_log(ctx, "pool-destroy %s: %s", x->pool, err_msg());
    }
    struct virt_host *dst = x->image_made ? run_host_link(ctx, 1) : NULL;
    if (dst && virt_image_remove(dst, x->image, vctx) < 0)
        run_log(ctx, "rm %s on %s: %s", x->image, ctx->hosts[1].name, err_msg());
    free(x->pool);
    free(x->image);
    *x = (struct mvm_extra){ 0 };
}

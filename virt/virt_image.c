/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_image: image files — avocado-vt's names (get_image_filename), per-VM clones of
 * master images (master_images_clone), and autotest's qemu-img check verdicts.
 *
 * Every qemu-img call goes through lib/spawn with its command line logged.
 * Deliberate differences from avocado-vt (vtrun extensions):
 *  - image_clone_mode = linked (default): a clone is a qcow2 overlay whose backing
 *    file is the master's absolute path: instant and tiny whatever the master's size.
 *    full: a copy (reflink when the file system can, else copy_file_range over the
 *    data extents), which is what avocado-vt's `cp --reflink=auto` does.
 *  - clones are removed after each test unless keep_image_clones = yes.
 */
#include "virt/virt.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define QEMU_IMG "qemu-img"
#define QEMU_IMG_TIMEOUT 600.0
/* copy_file_range() per call: small enough to poll the cancel flag often. */
#define COPY_CHUNK (64LL << 20)

/* image_clone_mode: the value says whether the clone is linked. */
const struct params_word virt_clone_mode_words[] = {
    { "linked", true }, { "full", false }, { NULL, 0 },
};

static void log_cmdline(void *ud, const char *cmdline)
{
    virt_logf(ud, VIRT_LOG_DEBUG, "running: %s", cmdline);
}

static struct spawn *qemu_img(const struct virt_ctx *ctx, struct strbuf *out,
                              struct strbuf *err)
{
    struct spawn *c = spawn_new(QEMU_IMG);
    /* qemu-img's messages are parsed only for logs, but keep them in English. */
    spawn_setenv(c, "LC_ALL", "C");
    spawn_set_output(c, out, err);
    spawn_set_timeout(c, QEMU_IMG_TIMEOUT);
    spawn_set_cancel(c, ctx ? ctx->cancel : NULL);
    spawn_set_log(c, log_cmdline, (void *)ctx);
    return c;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *virt_image_filename(const struct params *ip)
{
    const char *name = params_get_or(ip, "image_name", "image");
    const char *fmt = params_get_or(ip, "image_format", "qcow2");
    const char *base = params_get(ip, "images_base_dir");
    struct strbuf sb = STRBUF_INIT;

    if (!*name)
        name = "image";
    if (params_get_bool(ip, "image_raw_device", false, NULL))
        return xstrdup(name);
    if (name[0] != '/' && base && *base)
        strbuf_addf(&sb, "%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/");
    strbuf_addstr(&sb, name);
    if (*fmt)
        strbuf_addf(&sb, ".%s", fmt);
    return strbuf_detach(&sb, NULL);
}

static int run_qemu_img(struct spawn *c, const struct virt_ctx *ctx, const char *what,
                        struct strbuf *err)
{
    int st = -1;
    struct strbuf cmd = STRBUF_INIT;

    if (spawn_run(c, &st) == 0 && st == 0)
        return 0;
    spawn_to_string(c, &cmd);
    {
        struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
        e.command = cmd.buf;
        e.status = spawn_exit_status(c);
        e.detail = spawn_end(c) == SPAWN_EXITED ? what : err_msg();
        e.output = err->buf;
        char *detail = xstrdup(e.detail);
        e.detail = detail;
        virt_fail(&e);
        free(detail);
    }
    virt_logf(ctx, VIRT_LOG_ERROR, "%s", err_msg());
    strbuf_release(&cmd);
    return -1;
}

int virt_image_create(const char *path, const char *fmt, const char *size,
                      const struct virt_ctx *ctx)
{
    struct strbuf err = STRBUF_INIT;
    struct spawn *c = qemu_img(ctx, NULL, &err);
    int ret;

    spawn_args(c, "create", "-q", "-f", fmt, path, size, NULL);
    ret = run_qemu_img(c, ctx, "image creation failed", &err);
    spawn_free(c);
    strbuf_release(&err);
    return ret;
}

int virt_image_clone_linked(const char *master, const char *master_fmt, const char *dest,
                            const struct virt_ctx *ctx)
{
    char abs[PATH_MAX];
    struct strbuf err = STRBUF_INIT;
    struct spawn *c;
    int ret;

    /* A relative backing path would be resolved against the overlay's directory (and
     * on the destination host of a migration): always absolute. */
    if (!realpath(master, abs))
        return virt_failf(VIRT_ERR_IMAGE_MISSING, NULL, "%s: %s", master, strerror(errno));
    c = qemu_img(ctx, NULL, &err);
    spawn_args(c, "create", "-q", "-f", "qcow2", "-F", master_fmt, "-b", abs, dest, NULL);
    ret = run_qemu_img(c, ctx, "linked clone failed", &err);
    spawn_free(c);
    strbuf_release(&err);
    return ret;
}

/* Copy [off, end) with copy_file_range (in-kernel; shares extents on NFS 4.2, XFS,
 * btrfs). */
static int copy_range(int in, int out, off_t off, off_t end, const struct virt_ctx *ctx)
{
    while (off < end) {
        off_t o_in = off, o_out = off;
        size_t len = (size_t)(end - off < COPY_CHUNK ? end - off : COPY_CHUNK);
        ssize_t n;

        if (virt_cancelled(ctx)) {
            errno = ECANCELED;
            return -1;
        }
        n = copy_file_range(in, &o_in, out, &o_out, len, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
                      errno == EINVAL)) {
            /* Old kernels / odd file systems: plain pread/pwrite. */
            static char buf[1 << 20];
            n = pread(in, buf, len < sizeof(buf) ? len : sizeof(buf), off);
            if (n > 0 && pwrite(out, buf, (size_t)n, off) != n)
                return -1;
        }
        if (n < 0)
            return -1;
        if (n == 0)
            break;              /* source shrank under us */
        off += n;
    }
    return 0;
}

int virt_image_clone_full(const char *master, const char *dest, const struct virt_ctx *ctx)
{
    char *part = xasprintf("%s.part", dest);
    int in = -1, out = -1, ret = -1;
    struct stat st;
    off_t data, hole;

    virt_logf(ctx, VIRT_LOG_DEBUG, "full clone: %s -> %s", master, dest);
    in = open(master, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        virt_failf(VIRT_ERR_IMAGE_MISSING, NULL, "%s: %s", master, strerror(errno));
        goto cleanup;
    }
    if (fstat(in, &st) < 0)
        goto io_error;
    out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        goto io_error;
    if (ioctl(out, FICLONE, in) == 0)
        goto done;              /* reflink: shares all extents, instant */
    /* Copy the data extents only; holes stay holes (a sparse 10 GiB master with 200 MiB
     * of data costs 200 MiB). */
    for (data = 0; data < st.st_size; data = hole) {
        data = lseek(in, data, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break;          /* only a hole is left */
            goto io_error;
        }
        hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            goto io_error;
        if (copy_range(in, out, data, hole, ctx) < 0)
            goto io_error;
    }
    if (ftruncate(out, st.st_size) < 0)
        goto io_error;
done:
    if (close(out) < 0) {
        out = -1;
        goto io_error;
    }
    out = -1;
    if (rename(part, dest) < 0)
        goto io_error;
    ret = 0;
    goto cleanup;

io_error:
    if (errno == ECANCELED)
        virt_failf(VIRT_ERR_COMMAND, NULL, "full clone %s -> %s: cancelled", master, dest);
    else
        virt_failf(VIRT_ERR_COMMAND, NULL, "full clone %s -> %s: %s", master, dest,
                   strerror(errno));
    unlink(part);
cleanup:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(part);
    return ret;
}

const char *virt_check_name(enum virt_check c)
{
    static const char *const names[] = { "OK", "SKIPPED", "WARN", "ERROR" };
    return (unsigned)c < ARRAY_SIZE(names) ? names[c] : "?";
}

static void log_lines(const struct virt_ctx *ctx, enum virt_log_level lvl, const char *tag,
                      const char *text)
{
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n)
            virt_logf(ctx, lvl, "[%s] %.*s", tag, (int)n, s);
        s += n + (nl != NULL);
    }
}

int virt_image_check(const char *path, const char *fmt, const struct virt_ctx *ctx,
                     enum virt_check *res)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, cmd = STRBUF_INIT;
    struct spawn *c = NULL;
    int st = -1, ret = -1;

    *res = VIRT_CHECK_SKIPPED;
    /* As autotest: only existing qcow2 files are checked. */
    if (!file_exists(path)) {
        virt_logf(ctx, VIRT_LOG_DEBUG, "image %s not found, skipping check", path);
        return 0;
    }
    if (!fmt || strcmp(fmt, "qcow2")) {
        virt_logf(ctx, VIRT_LOG_DEBUG, "image %s not qcow2, skipping check", path);
        return 0;
    }
    c = qemu_img(ctx, &out, &err);
    spawn_args(c, "check", "-f", fmt, path, NULL);
    spawn_to_string(c, &cmd);
    if (spawn_run(c, &st) < 0) {
        struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
        char *why = xstrdup(err_msg());
        e.command = cmd.buf;
        e.detail = why;
        virt_fail(&e);
        free(why);
        goto cleanup;
    }
    switch (st) {
    case 0:
        *res = VIRT_CHECK_OK;
        ret = 0;
        break;
    case 1:
        /* Errors found, or the check could not complete: bad data may have gone
         * unnoticed, but the image may be fine. */
        log_lines(ctx, VIRT_LOG_ERROR, "stdout", out.buf);
        log_lines(ctx, VIRT_LOG_ERROR, "stderr", err.buf);
        virt_logf(ctx, VIRT_LOG_WARN, "qemu-img check error on %s. Some bad data in the "
                  "image may have gone unnoticed", path);
        *res = VIRT_CHECK_WARN;
        ret = 0;
        break;
    case 2: {
        /* Corruption for sure: the test fails. */
        struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_IMAGE_CHECK);
        log_lines(ctx, VIRT_LOG_ERROR, "stdout", out.buf);
        log_lines(ctx, VIRT_LOG_ERROR, "stderr", err.buf);
        e.detail = path;
        e.command = cmd.buf;
        e.status = st;
        e.output = out.len ? out.buf : err.buf;
        virt_fail(&e);
        *res = VIRT_CHECK_ERROR;
        break;
    }
    case 3:
        virt_logf(ctx, VIRT_LOG_WARN, "Leaked clusters were noticed during image check of %s. "
                  "No data integrity problem was found though.", path);
        *res = VIRT_CHECK_WARN;
        ret = 0;
        break;
    default:
        /* 63: this format cannot be checked; anything else is qemu-img's own problem,
         * not evidence against the image. */
        log_lines(ctx, VIRT_LOG_WARN, "stderr", err.buf);
        virt_logf(ctx, VIRT_LOG_WARN, "qemu-img check of %s exited %d: image not checked",
                  path, st);
        *res = VIRT_CHECK_WARN;
        ret = 0;
        break;
    }

cleanup:
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&cmd);
    return ret;
}

/* ---- per-test clones (env_process preprocess / postprocess) ---------------------- */

static void clones_add(struct virt_clones *cl, const char *vm, const char *image,
                       const char *path, const char *master, const char *fmt, bool linked,
                       bool owned)
{
    struct virt_clone *c;
    cl->v = xrealloc(cl->v, (cl->n + 1) * sizeof(*cl->v));
    c = &cl->v[cl->n++];
    c->vm = xstrdup(vm);
    c->image = xstrdup(image);
    c->path = xstrdup(path);
    c->master = master ? xstrdup(master) : NULL;
    c->format = xstrdup(fmt);
    c->linked = linked;
    c->owned = owned;
}

void virt_clones_free(struct virt_clones *cl)
{
    for (size_t i = 0; i < cl->n; i++) {
        free(cl->v[i].vm);
        free(cl->v[i].image);
        free(cl->v[i].path);
        free(cl->v[i].master);
        free(cl->v[i].format);
    }
    free(cl->v);
    cl->v = NULL;
    cl->n = 0;
}

static const struct virt_clone *clones_find(const struct virt_clones *cl, const char *vm,
                                            const char *image)
{
    for (size_t i = 0; cl && i < cl->n; i++)
        if (!strcmp(cl->v[i].vm, vm) && !strcmp(cl->v[i].image, image))
            return &cl->v[i];
    return NULL;
}

const char *virt_clones_path(const struct virt_clones *cl, const char *vm, const char *image)
{
    const struct virt_clone *c = clones_find(cl, vm, image);
    return c ? c->path : NULL;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return !strcmp(a, b);
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static const struct virt_clone_name *name_of(const struct virt_clone_name *names, const char *vm)
{
    for (; names && names->vm; names++)
        if (!strcmp(names->vm, vm))
            return names;
    return NULL;
}

/* The file of image object ip when its image_name is `name` (NULL: its own). */
static char *file_named(const struct params *ip, const char *name)
{
    if (!name)
        return virt_image_filename(ip);
    struct params *cp = params_dup(ip);
    params_set(cp, "image_name", name);
    char *f = virt_image_filename(cp);
    params_free(cp);
    return f;
}

/* Make (or re-use) the clone of a new file; 0 and the entry appended to out. */
static int make_clone(const struct params *ip, const char *vm, const char *image,
                      const char *master, const char *dest, const char *fmt,
                      const struct virt_ctx *ctx, struct virt_clones *out)
{
    if (!file_exists(master))
        return virt_failf(VIRT_ERR_IMAGE_MISSING, vm, "master image %s of %s: %s", master,
                          image, strerror(errno));
    if (same_file(master, dest))
        return virt_failf(VIRT_ERR_CREATE, vm, "clone of %s would overwrite its master %s "
                          "(set master_image_name)", image, master);
    if (file_exists(dest) && !params_get_bool(ip, "force_image_clone", false, NULL)) {
        virt_logf(ctx, VIRT_LOG_INFO, "Re-using existing clone %s of %s for %s", dest, master,
                  vm);
        clones_add(out, vm, image, dest, master, fmt, false, true);
        return 0;
    }
    const char *mode = params_get_or(ip, "image_clone_mode", "linked");
    const struct params_word *w = params_word_find(virt_clone_mode_words, mode);
    if (!w)
        return virt_failf(VIRT_ERR_CREATE, vm, "image_clone_mode '%s': linked or full", mode);
    bool linked = w->value;
    if (linked && strcmp(fmt, "qcow2")) {
        /* The overlay is qcow2 and would not match the image_format the VM is given. */
        virt_logf(ctx, VIRT_LOG_INFO, "image %s is %s, not qcow2: full clone instead of a "
                  "linked one", master, fmt);
        linked = false;
    }
    virt_logf(ctx, VIRT_LOG_INFO, "Clone master image %s for %s: %s (%s)", master, vm, dest,
              linked ? "linked" : "full");
    if ((linked ? virt_image_clone_linked(master, fmt, dest, ctx)
                : virt_image_clone_full(master, dest, ctx)) < 0) {
        err_prefix("vm %s image %s", vm, image);
        return -1;
    }
    clones_add(out, vm, image, dest, master, fmt, linked, true);
    return 0;
}

static int clone_one(const struct params *p, const struct virt_clone_name *nm, const char *vm,
                     const char *image, const struct virt_ctx *ctx, struct virt_clones *out)
{
    struct params *vmp = params_object(p, vm);
    struct params *ip = params_object(vmp, image);
    char *key = xasprintf("image_name_%s_%s", image, vm);
    char *vmkey = xasprintf("image_name_%s", vm);
    char *vm_image = NULL, *master = NULL, *dest = NULL;
    const char *fmt = params_get_or(ip, "image_format", "qcow2");
    int ret = 0;

    /* cloned already: by this call's earlier work, or the config names the clone of
     * this image for this VM (avocado-vt skips both) */
    if (clones_find(out, vm, image) || (params_get(vmp, key) && *params_get(vmp, key)))
        goto cleanup;
    {
        const char *own = nm && nm->name ? nm->name : params_get(vmp, vmkey);
        vm_image = own && *own ? xstrdup(own)
                               : xasprintf("%s_%s", params_get_or(ip, "image_name", "image"), vm);
    }
    dest = file_named(ip, vm_image);
    if (params_get_bool(ip, "clone_master", true, NULL)) {
        const char *mname = nm && nm->master ? nm->master : params_get(ip, "master_image_name");
        master = file_named(ip, mname && *mname ? mname : NULL);
        ret = make_clone(ip, vm, image, master, dest, fmt, ctx, out);
    } else {
        /* no copy, but the VM still uses the per-VM name (avocado-vt's clone_image) */
        clones_add(out, vm, image, dest, NULL, fmt, false, false);
    }

cleanup:
    params_free(ip);
    params_free(vmp);
    free(key);
    free(vmkey);
    free(vm_image);
    free(master);
    free(dest);
    return ret;
}

int virt_images_clone(const struct params *p, const struct virt_clone_name *names,
                      const struct virt_ctx *ctx, struct virt_clones *out)
{
    char **images = params_objects(p, "master_images_clone");
    char **vms = params_objects(p, "vms");
    int ret = 0;

    for (size_t v = 0; vms[v] && ret == 0; v++)
        for (size_t i = 0; images[i] && ret == 0; i++)
            ret = clone_one(p, name_of(names, vms[v]), vms[v], images[i], ctx, out);
    params_strv_free(images);
    params_strv_free(vms);
    return ret;
}

int virt_images_postprocess(const struct params *p, const struct virt_ctx *ctx,
                            const struct virt_clones *clones, enum virt_check *worst)
{
    int ret = 0;
    struct strbuf errs = STRBUF_INIT;

    *worst = VIRT_CHECK_SKIPPED;
    for (size_t i = 0; i < clones->n; i++) {
        const struct virt_clone *c = &clones->v[i];
        if (!c->owned)
            continue;
        struct params *vmp = params_object(p, c->vm);
        struct params *ip = params_object(vmp, c->image);
        enum virt_check res = VIRT_CHECK_SKIPPED;
        bool failed = false, remove;

        if (params_get_bool(ip, "check_image", false, NULL)) {
            if (virt_image_check(c->path, c->format, ctx, &res) < 0) {
                failed = res == VIRT_CHECK_ERROR;
                /* The file name says it all for a corrupt image (autotest's
                 * "Errors found on image"); otherwise why the check did not run. */
                strbuf_addf(&errs, "%s%s", errs.len ? "; " : "", failed ? c->path : err_msg());
                ret = -1;
            }
            if (res != VIRT_CHECK_SKIPPED && (*worst == VIRT_CHECK_SKIPPED || res > *worst))
                *worst = res;
        }
        remove = !params_get_bool(ip, "keep_image_clones", false, NULL);
        if (failed && params_get_bool(ip, "remove_image_on_check_error", false, NULL)) {
            virt_logf(ctx, VIRT_LOG_INFO, "Removing clone %s: image check failed", c->path);
            remove = true;
        }
        if (remove && same_file(c->path, c->master)) {
            virt_logf(ctx, VIRT_LOG_ERROR, "Not removing %s: it is the master image", c->path);
            remove = false;
        }
        if (remove) {
            virt_logf(ctx, VIRT_LOG_DEBUG, "Removing clone %s", c->path);
            if (unlink(c->path) < 0 && errno != ENOENT) {
                strbuf_addf(&errs, "%sremove %s: %s", errs.len ? "; " : "", c->path,
                            strerror(errno));
                ret = -1;
            }
        }
        params_free(ip);
        params_free(vmp);
    }
    if (ret < 0) {
        /* Keep the kind of the most telling failure: an image check error. */
        if (*worst == VIRT_CHECK_ERROR)
            virt_failf(VIRT_ERR_IMAGE_CHECK, NULL, "%s", errs.buf);
        else
            virt_failf(VIRT_ERR_COMMAND, NULL, "%s", errs.buf);
    }
    strbuf_release(&errs);
    return ret;
}

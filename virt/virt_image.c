/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_image: image files — avocado-vt's names (get_image_filename), per-VM clones of
 * master images (master_images_clone), and autotest's qemu-img check verdicts.
 *
 * Every file operation runs on a host: this machine (a NULL or local handle: lib/spawn
 * and the file system) or a remote one through the host transport (virt_host: qemu-img,
 * cp, rm, test, realpath as argv over SSH), so a clone is made where the daemon that
 * opens it can see it.  Command lines are logged.
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

static bool is_remote(struct virt_host *h)
{
    return h && !virt_host_is_local(h);
}

/* One program on host h: argv (the program first), its exit status in *st.  0 when it
 * ran to its end; -1 with err when it could not run (no connection, timeout, cancel).
 * Here through lib/spawn (LC_ALL=C: qemu-img's messages are read into logs), there
 * through the host transport (which logs the line). */
static int run_on(struct virt_host *h, const char *const *argv, const struct virt_ctx *ctx,
                  struct strbuf *out, struct strbuf *err, int *st, struct strbuf *cmdline)
{
    int rc;
    *st = -1;
    if (is_remote(h)) {
        size_t n = 0;
        while (argv[n])
            n++;
        const char **e = xcalloc(n + 3, sizeof(*e));
        e[0] = "env";
        e[1] = "LC_ALL=C";
        memcpy(e + 2, argv, n * sizeof(*e));
        for (size_t i = 0; argv[i]; i++)
            strbuf_addf(cmdline, "%s%s", i ? " " : "", argv[i]);
        strbuf_addf(cmdline, " (on %s)", virt_host_name(h));
        rc = virt_host_run(h, e, QEMU_IMG_TIMEOUT, out, err, st);
        free(e);
        return rc;
    }
    struct spawn *c = spawn_newv(argv);
    spawn_setenv(c, "LC_ALL", "C");
    spawn_set_output(c, out, err);
    spawn_set_timeout(c, QEMU_IMG_TIMEOUT);
    spawn_set_cancel(c, ctx ? ctx->cancel : NULL);
    spawn_set_log(c, log_cmdline, (void *)ctx);
    spawn_to_string(c, cmdline);
    rc = spawn_run(c, st);
    spawn_free(c);
    return rc;
}

/* argv on host h must exit 0; else VIRT_ERR_COMMAND with `what`, the command and its
 * stderr (logged too).  out (may be NULL) gets stdout. */
static int must_run(struct virt_host *h, const char *const *argv, const struct virt_ctx *ctx,
                    const char *what, struct strbuf *out)
{
    struct strbuf err = STRBUF_INIT, cmd = STRBUF_INIT;
    int st, rc = run_on(h, argv, ctx, out, &err, &st, &cmd);
    if (rc == 0 && st == 0)
        goto done;
    {
        struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
        char *detail = xstrdup(rc == 0 ? what : err_msg());
        e.command = cmd.buf;
        e.status = rc == 0 ? st : -1;
        e.detail = detail;
        e.output = err.buf;
        virt_fail(&e);
        free(detail);
    }
    virt_logf(ctx, VIRT_LOG_ERROR, "%s", err_msg());
    rc = -1;
done:
    strbuf_release(&err);
    strbuf_release(&cmd);
    return rc;
}

/* 1 the path exists on h, 0 it does not, -1 cannot tell (err). */
static int exists_on(struct virt_host *h, const char *path, const struct virt_ctx *ctx)
{
    if (!is_remote(h)) {
        struct stat st;
        return stat(path, &st) == 0;
    }
    const char *argv[] = { "test", "-e", path, NULL };
    struct strbuf cmd = STRBUF_INIT;
    int st, rc = run_on(h, argv, ctx, NULL, NULL, &st, &cmd);
    strbuf_release(&cmd);
    return rc < 0 ? -1 : st == 0;
}

int virt_image_exists(struct virt_host *h, const char *path, const struct virt_ctx *ctx)
{
    return exists_on(h, path, ctx);
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

int virt_image_create(struct virt_host *h, const char *path, const char *fmt,
                      const char *size, const struct virt_ctx *ctx)
{
    const char *argv[] = { QEMU_IMG, "create", "-q", "-f", fmt, path, size, NULL };
    return must_run(h, argv, ctx, "image creation failed", NULL);
}

/* The absolute, resolved path of `path` on h (caller frees); NULL + IMAGE_MISSING. */
static char *realpath_on(struct virt_host *h, const char *path, const struct virt_ctx *ctx)
{
    if (!is_remote(h)) {
        char abs[PATH_MAX];
        if (!realpath(path, abs)) {
            virt_failf(VIRT_ERR_IMAGE_MISSING, NULL, "%s: %s", path, strerror(errno));
            return NULL;
        }
        return xstrdup(abs);
    }
    const char *argv[] = { "realpath", "-e", "--", path, NULL };
    struct strbuf out = STRBUF_INIT, cmd = STRBUF_INIT;
    int st;
    if (run_on(h, argv, ctx, &out, NULL, &st, &cmd) < 0 || st != 0 || !out.len) {
        if (st > 0)
            virt_failf(VIRT_ERR_IMAGE_MISSING, NULL, "%s: no such file on %s", path,
                       virt_host_name(h));
        strbuf_release(&out);
        strbuf_release(&cmd);
        return NULL;
    }
    strbuf_release(&cmd);
    strbuf_setlen(&out, strcspn(out.buf, "\n"));
    return strbuf_detach(&out, NULL);
}

int virt_image_clone_linked(struct virt_host *h, const char *master, const char *master_fmt,
                            const char *dest, const struct virt_ctx *ctx)
{
    /* A relative backing path would be resolved against the overlay's directory (and
     * on the destination host of a migration): always absolute. */
    char *abs = realpath_on(h, master, ctx);
    if (!abs)
        return -1;
    const char *argv[] = { QEMU_IMG, "create", "-q", "-f", "qcow2", "-F", master_fmt,
                           "-b", abs, dest, NULL };
    int ret = must_run(h, argv, ctx, "linked clone failed", NULL);
    free(abs);
    return ret;
}

int virt_image_virtual_size(struct virt_host *h, const char *path, unsigned long long *out,
                            const struct virt_ctx *ctx)
{
    /* -U: the image may be in use by a running guest */
    const char *argv[] = { QEMU_IMG, "info", "-U", "--output=json", path, NULL };
    struct strbuf json = STRBUF_INIT;
    int ret = must_run(h, argv, ctx, "qemu-img info failed", &json);
    const char *v = ret == 0 ? strstr(json.buf, "\"virtual-size\":") : NULL;
    if (ret == 0 && (!v || sscanf(v + 15, " %llu", out) != 1))
        ret = virt_failf(VIRT_ERR_COMMAND, NULL, "%s: no virtual-size in qemu-img info",
                         path);
    strbuf_release(&json);
    return ret;
}

int virt_image_remove(struct virt_host *h, const char *path, const struct virt_ctx *ctx)
{
    if (!is_remote(h)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return virt_failf(VIRT_ERR_COMMAND, NULL, "remove %s: %s", path, strerror(errno));
        return 0;
    }
    const char *argv[] = { "rm", "-f", "--", path, NULL };
    return must_run(h, argv, ctx, "remove failed", NULL);
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

/* On a remote host: what avocado-vt does, cp --reflink=auto (sparse), via dest.part. */
static int clone_full_remote(struct virt_host *h, const char *master, const char *dest,
                             const struct virt_ctx *ctx)
{
    char *part = xasprintf("%s.part", dest);
    const char *cp[] = { "cp", "--reflink=auto", "--sparse=always", "--", master, part, NULL };
    const char *mv[] = { "mv", "-f", "--", part, dest, NULL };
    int ret = must_run(h, cp, ctx, "full clone failed", NULL);
    if (ret == 0)
        ret = must_run(h, mv, ctx, "full clone failed", NULL);
    if (ret < 0) {
        char *why = xstrdup(err_msg());
        virt_image_remove(h, part, ctx);
        err_set("%s", why);
        free(why);
    }
    free(part);
    return ret;
}

int virt_image_clone_full(struct virt_host *h, const char *master, const char *dest,
                          const struct virt_ctx *ctx)
{
    if (is_remote(h))
        return clone_full_remote(h, master, dest, ctx);
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

int virt_image_check(struct virt_host *h, const char *path, const char *fmt,
                     const struct virt_ctx *ctx, enum virt_check *res)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, cmd = STRBUF_INIT;
    int st = -1, ret = -1, ex;

    *res = VIRT_CHECK_SKIPPED;
    /* As autotest: only existing qcow2 files are checked. */
    ex = exists_on(h, path, ctx);
    if (ex < 0)
        return -1;
    if (!ex) {
        virt_logf(ctx, VIRT_LOG_DEBUG, "image %s not found, skipping check", path);
        return 0;
    }
    if (!fmt || strcmp(fmt, "qcow2")) {
        virt_logf(ctx, VIRT_LOG_DEBUG, "image %s not qcow2, skipping check", path);
        return 0;
    }
    const char *argv[] = { QEMU_IMG, "check", "-f", fmt, path, NULL };
    if (run_on(h, argv, ctx, &out, &err, &st, &cmd) < 0) {
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
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&cmd);
    return ret;
}

/* ---- per-test clones (env_process preprocess / postprocess) ---------------------- */

static struct virt_clone *clones_add(struct virt_clones *cl, const char *vm, const char *image,
                                     const char *path, const char *master, const char *fmt,
                                     bool linked, bool owned)
{
    struct virt_clone *c;
    cl->v = xrealloc(cl->v, (cl->n + 1) * sizeof(*cl->v));
    c = &cl->v[cl->n++];
    *c = (struct virt_clone){
        .vm = xstrdup(vm), .image = xstrdup(image), .path = xstrdup(path),
        .master = master ? xstrdup(master) : NULL, .format = xstrdup(fmt),
        .linked = linked, .owned = owned,
    };
    return c;
}

void virt_clones_add_copy(struct virt_clones *cl, const char *vm, const char *image,
                          const char *path, const char *fmt, struct virt_host *h)
{
    struct virt_clone *c = clones_add(cl, vm, image, path, NULL, fmt, false, true);
    c->host = h;
    c->made = true;
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

/* Whether a and b are one file on h (the same name when either cannot be looked at). */
static bool same_file(struct virt_host *h, const char *a, const char *b,
                      const struct virt_ctx *ctx)
{
    if (!is_remote(h)) {
        struct stat sa, sb;
        if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
            return !strcmp(a, b);
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    }
    const char *argv[] = { "stat", "-L", "-c", "%d:%i", "--", a, b, NULL };
    struct strbuf out = STRBUF_INIT, cmd = STRBUF_INIT;
    int st;
    bool same = !strcmp(a, b);
    if (run_on(h, argv, ctx, &out, NULL, &st, &cmd) == 0 && st == 0) {
        char *nl = strchr(out.buf, '\n');
        same = nl && !strncmp(out.buf, nl + 1, (size_t)(nl - out.buf)) &&
               nl[1 + (nl - out.buf)] == '\n';
    }
    strbuf_release(&out);
    strbuf_release(&cmd);
    return same;
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

/* Whether a clone of ip is a qcow2 overlay (image_clone_mode): -1 + err for a bad mode. */
static int clone_linked(const struct params *ip, const char *vm, const char *fmt)
{
    const char *mode = params_get_or(ip, "image_clone_mode", "linked");
    const struct params_word *w = params_word_find(virt_clone_mode_words, mode);
    if (!w)
        return virt_failf(VIRT_ERR_CREATE, vm, "image_clone_mode '%s': linked or full", mode);
    /* The overlay is qcow2 and would not match the image_format the VM is given. */
    return w->value && !strcmp(fmt, "qcow2");
}

/* Plan the clone of one image of one VM: what it is called and made from. */
static int plan_one(const struct params *p, const struct virt_clone_name *nm, const char *vm,
                    const char *image, struct virt_clones *out)
{
    struct params *vmp = params_object(p, vm);
    struct params *ip = params_object(vmp, image);
    char *key = xasprintf("image_name_%s_%s", image, vm);
    char *vmkey = xasprintf("image_name_%s", vm);
    char *vm_image = NULL, *master = NULL, *dest = NULL;
    const char *fmt = params_get_or(ip, "image_format", "qcow2");
    int ret = 0;

    /* planned already, or the config names the clone of this image for this VM
     * (avocado-vt skips both) */
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
        int linked = clone_linked(ip, vm, fmt);
        master = file_named(ip, mname && *mname ? mname : NULL);
        if (linked < 0)
            ret = -1;
        else
            clones_add(out, vm, image, dest, master, fmt, linked, true);
    } else {
        /* no copy, but the VM still uses the per-VM name (avocado-vt's clone_image) */
        clones_add(out, vm, image, dest, NULL, fmt, false, false)->made = true;
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

int virt_images_plan(const struct params *p, const struct virt_clone_name *names,
                     struct virt_clones *out)
{
    char **images = params_objects(p, "master_images_clone");
    char **vms = params_objects(p, "vms");
    int ret = 0;

    for (size_t v = 0; vms[v] && ret == 0; v++)
        for (size_t i = 0; images[i] && ret == 0; i++)
            ret = plan_one(p, name_of(names, vms[v]), vms[v], images[i], out);
    params_strv_free(images);
    params_strv_free(vms);
    return ret;
}

/* Make (or re-use) one planned clone on h. */
static int make_one(const struct params *p, struct virt_clone *c, struct virt_host *h,
                    const struct virt_ctx *ctx)
{
    struct params *vmp = params_object(p, c->vm);
    struct params *ip = params_object(vmp, c->image);
    const char *where = is_remote(h) ? virt_host_name(h) : NULL;
    int ret = -1, ex;

    c->host = h;
    ex = exists_on(h, c->master, ctx);
    if (ex <= 0) {
        if (ex == 0)
            virt_failf(VIRT_ERR_IMAGE_MISSING, c->vm, "master image %s of %s: no such file%s%s",
                       c->master, c->image, where ? " on " : "", where ? where : "");
        goto cleanup;
    }
    if (same_file(h, c->master, c->path, ctx)) {
        virt_failf(VIRT_ERR_CREATE, c->vm, "clone of %s would overwrite its master %s "
                   "(set master_image_name)", c->image, c->master);
        goto cleanup;
    }
    if (exists_on(h, c->path, ctx) == 1 && !params_get_bool(ip, "force_image_clone", false, NULL)) {
        virt_logf(ctx, VIRT_LOG_INFO, "Re-using existing clone %s of %s for %s", c->path,
                  c->master, c->vm);
        c->linked = false;
        c->made = true;
        ret = 0;
        goto cleanup;
    }
    if (!c->linked && !strcmp(params_get_or(ip, "image_clone_mode", "linked"), "linked"))
        virt_logf(ctx, VIRT_LOG_INFO, "image %s is %s, not qcow2: full clone instead of a "
                  "linked one", c->master, c->format);
    virt_logf(ctx, VIRT_LOG_INFO, "Clone master image %s for %s: %s (%s%s%s)", c->master,
              c->vm, c->path, c->linked ? "linked" : "full", where ? ", on " : "",
              where ? where : "");
    if ((c->linked ? virt_image_clone_linked(h, c->master, c->format, c->path, ctx)
                   : virt_image_clone_full(h, c->master, c->path, ctx)) < 0) {
        err_prefix("vm %s image %s", c->vm, c->image);
        goto cleanup;
    }
    c->made = true;
    ret = 0;
cleanup:
    params_free(ip);
    params_free(vmp);
    return ret;
}

int virt_images_make(const struct params *p, struct virt_clones *cl, const char *vm,
                     struct virt_host *h, const struct virt_ctx *ctx)
{
    for (size_t i = 0; i < cl->n; i++) {
        struct virt_clone *c = &cl->v[i];
        if (c->made || (vm && strcmp(c->vm, vm)))
            continue;
        if (make_one(p, c, h, ctx) < 0)
            return -1;
    }
    return 0;
}

int virt_images_clone(const struct params *p, const struct virt_clone_name *names,
                      const struct virt_ctx *ctx, struct virt_clones *out)
{
    if (virt_images_plan(p, names, out) < 0)
        return -1;
    return virt_images_make(p, out, NULL, NULL, ctx);
}

int virt_images_postprocess(const struct params *p, const struct virt_ctx *ctx,
                            const struct virt_clones *clones, enum virt_check *worst)
{
    int ret = 0;
    struct strbuf errs = STRBUF_INIT;

    *worst = VIRT_CHECK_SKIPPED;
    for (size_t i = 0; i < clones->n; i++) {
        const struct virt_clone *c = &clones->v[i];
        if (!c->owned || !c->made)
            continue;
        struct params *vmp = params_object(p, c->vm);
        struct params *ip = params_object(vmp, c->image);
        enum virt_check res = VIRT_CHECK_SKIPPED;
        bool failed = false, remove;

        if (params_get_bool(ip, "check_image", false, NULL)) {
            if (virt_image_check(c->host, c->path, c->format, ctx, &res) < 0) {
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
        if (remove && c->master && same_file(c->host, c->path, c->master, ctx)) {
            virt_logf(ctx, VIRT_LOG_ERROR, "Not removing %s: it is the master image", c->path);
            remove = false;
        }
        if (remove) {
            virt_logf(ctx, VIRT_LOG_DEBUG, "Removing clone %s%s%s", c->path,
                      is_remote(c->host) ? " on " : "",
                      is_remote(c->host) ? virt_host_name(c->host) : "");
            if (virt_image_remove(c->host, c->path, ctx) < 0) {
                strbuf_addf(&errs, "%s%s", errs.len ? "; " : "", err_msg());
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

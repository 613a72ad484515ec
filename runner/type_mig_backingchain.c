/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_with_backingchain`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/migration_with_backingchain.py (a
 * MigrationBase case) with base_steps' shared steps (runner/run_base.h): a copy-storage
 * migration of a guest whose disks have (or have not) backing chains.
 *
 * The guest's disk is the source's own (its images_dir, setup_nfs = no).  The images
 * the case names go to the same path on each host: into each host's own images_dir
 * (where the case names a directory of the host's root file system, which a lab's
 * hosts may share), with job-unique file names (run_cs_files, removed on every path).  with_backing_chain: base1 <- top1 (vdb), base2 <- top2 (vdc)
 * of disk_size, and top (vda) over the guest's disk, of its virtual size in MiB; every
 * drive replaced by disk1..3_dict.  On the destination: --copy-storage-inc the backing
 * files copied there (scp), --copy-storage-all the pool target_pool_name created there
 * (transient, destroyed after) and empty qcow2 images of 500M in their place; then the
 * tops made over them.  without_backing_chain: mig_disk1/2 (qcow2 500M) on both hosts as
 * vdb/vdc, vda made on the destination by the hop (create_remote_disk_by_same_metadata).
 * The guest starts, is logged into, and 30 s later the images' virtual sizes are read.
 * After the migration: verify_default, then `qemu-img info -U` of each image on the
 * destination must show the same virtual size, then check_disk: on the destination
 * guest, linux_disk_check of disk_target1 and disk_target2, the guest rebooted, again.
 *
 * linux_disk_check (a 100M partition made, formatted ext4, mounted, a file written,
 * the partition removed) is done with what the lab's busybox guest has: fdisk, then a
 * block written to the partition and read back, then the table wiped; the property
 * judged (the drive on the destination takes writes and reads them back) is the same.
 *
 * test_case unset: the reference's fallbacks only (setup_connection, the migration,
 * verify_default).  Another test_case is refused (a config error), where the reference
 * would fall back too: the corpus has none.
 *
 * Not built yet, an ERROR naming it: the tls and unix_proxy transports.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_diskdict.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libvirt_disk.create_disk's and prepare_disks_remote's default size */
#define BC_DEFAULT_SIZE "500M"
/* the reference's time.sleep(30) after the login: the guest settles its disks */
#define BC_SETTLE_S 30
/* wait_for_serial_login's timeouts of check_disk */
#define BC_LOGIN_S 120
#define BC_REBOOT_LOGIN_S 180
#define MIB (1024ULL * 1024ULL)

/* unset: the reference's fallbacks, setup_connection / verify_default only */
enum bc_case { BC_NONE, BC_WITH, BC_WITHOUT };
static const struct params_word bc_case_words[] = {
    { "with_backing_chain", BC_WITH }, { "without_backing_chain", BC_WITHOUT }, { NULL, 0 },
};

/* the images of the case, by role */
enum bc_img { BC_TOP, BC_BASE1, BC_TOP1, BC_BASE2, BC_TOP2, BC_MIG1, BC_MIG2, BC_NIMG };
static const char *const bc_img_params[BC_NIMG] = {
    "top_img", "base1_img", "top1_img", "base2_img", "top2_img", "mig_disk1", "mig_disk2",
};

struct bc_opts {
    struct run_base_mig mig;
    int test_case;
    bool status_error;
    const char *err_msg;
    const char *img[BC_NIMG];
    const char *dict[3];
    const char *target1, *target2, *disk_size, *disk_format;
    const char *pool_name, *pool_type, *pool_target;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bc_opts, __VA_ARGS__)
static const struct run_param bc_params[] = {
    RUN_BASE_MIG_ROWS(struct bc_opts, mig),
    { "test_case", AT(ENUM, test_case, bc_case_words),
      .doc = "with_backing_chain: qcow2 chains under each drive; without_backing_chain: "
             "two plain drives added; unset: the migration and verify_default only" },
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "top_img", AT(STR, img[BC_TOP]), .doc = "vda's top, over the guest's disk" },
    { "base1_img", AT(STR, img[BC_BASE1]), .doc = "vdb's base" },
    { "top1_img", AT(STR, img[BC_TOP1]), .doc = "vdb's top" },
    { "base2_img", AT(STR, img[BC_BASE2]), .doc = "vdc's base" },
    { "top2_img", AT(STR, img[BC_TOP2]), .doc = "vdc's top" },
    { "mig_disk1", AT(STR, img[BC_MIG1]), .doc = "without_backing_chain: vdb's image" },
    { "mig_disk2", AT(STR, img[BC_MIG2]), .doc = "without_backing_chain: vdc's image" },
    { "disk1_dict", AT(STR, dict[0]), .doc = "the first drive added (create_vm_device_by_type)" },
    { "disk2_dict", AT(STR, dict[1]), .doc = "the second" },
    { "disk3_dict", AT(STR, dict[2]), .doc = "the third (with_backing_chain)" },
    { "disk_target1", AT(STR, target1), .def = "vdb", .doc = "check_disk's first drive" },
    { "disk_target2", AT(STR, target2), .def = "vdc", .doc = "check_disk's second drive" },
    { "disk_size", AT(STR, disk_size), .def = "1G", .doc = "the chains' virtual size" },
    { "disk_format", AT(STR, disk_format), .def = "qcow2", .doc = "the images' format" },
    { "target_pool_name", AT(STR, pool_name),
      .doc = "--copy-storage-all: a pool created on the destination" },
    { "target_pool_type", AT(STR, pool_type), .def = "dir", .doc = "its type" },
    { "target_pool_target", AT(STR, pool_target), .doc = "its target directory" },
    RUN_BASE_POST_ROWS(struct bc_opts),
    { NULL },
};
#undef AT

static const struct run_need bc_needs_last[] = { RUN_CS_NEED_UNBUILT, { NULL } };

static bool bc_words_have(const struct bc_opts *o, const char *word)
{
    const char *w[] = { o->mig.options, o->mig.extra, o->mig.copy_storage };
    for (size_t k = 0; k < ARRAY_SIZE(w); k++)
        if (w[k] && strstr(w[k], word))
            return true;
    return false;
}

/* The roles a test case uses, its first and last. */
static void bc_roles(int tc, int *first, int *last)
{
    *first = tc == BC_WITH ? BC_TOP : BC_MIG1;
    *last = tc == BC_WITH ? BC_TOP2 : BC_MIG2;
}

static int bc_check(const struct run_common *c, void *opts)
{
    struct bc_opts *o = opts;
    int first, last;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (strcmp(o->disk_format, "qcow2")) {
        err_set("disk_format = '%s': expected qcow2 (the chains' -F)", o->disk_format);
        return -1;
    }
    /* a guest device name: it goes into the check's guest shell line */
    const char *tg[] = { o->target1, o->target2 };
    for (size_t k = 0; k < 2; k++)
        if (!tg[k] || !*tg[k] || strspn(tg[k], "abcdefghijklmnopqrstuvwxyz0123456789") !=
                                     strlen(tg[k])) {
            err_set("disk_target%zu = '%s': expected a guest disk name such as vdb",
                    k + 1, tg[k] ? tg[k] : "");
            return -1;
        }
    o->main_vm = run_common_main_vm(c);
    if (o->test_case == BC_NONE || o->main_vm < 0)
        return o->main_vm < 0 ? -1 : 0;
    bc_roles(o->test_case, &first, &last);
    for (int k = first; k <= last; k++)
        if (!o->img[k] || o->img[k][0] != '/' || !strrchr(o->img[k], '/')[1]) {
            err_set("%s = '%s': expected an absolute file path", bc_img_params[k],
                    o->img[k] ? o->img[k] : "");
            return -1;
        }
    for (int k = 0; k < (o->test_case == BC_WITH ? 3 : 2); k++) {
        struct be_disk d;
        if (!o->dict[k] || run_diskdict_parse(o->dict[k], &d) < 0) {
            if (!o->dict[k])
                err_set("disk%d_dict is not set", k + 1);
            else
                err_prefix("disk%d_dict", k + 1);
            return -1;
        }
        run_diskdict_release(&d);
    }
    if (!bc_words_have(o, "--copy-storage-")) {
        err_set("virsh_migrate_extra = '%s': expected --copy-storage-all or --copy-storage-inc",
                o->mig.extra ? o->mig.extra : "");
        return -1;
    }
    return 0;
}

/* ---- state ------------------------------------------------------------------------ */

struct bc_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_cs_files files;      /* the images, on the hosts they are made on */
    char *path[BC_NIMG];            /* each role's file (borrowed from files) */
    char *src_copy;                 /* the destination's stand-in of the guest's disk, at
                                       its path (the chain the source sends names it) */
    unsigned long src_noted;        /* its ledger handle */
    char *dir;                      /* where the images go: each host's own directory */
    bool pool;                      /* the destination's pool created */
};

static int bc_setup(struct run_ctx *ctx)
{
    struct bc_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    return run_cs_vmset_setup(ctx, &st->vms, &st->params);
}

static void bc_cleanup(struct run_ctx *ctx)
{
    const struct bc_opts *o = ctx->opts;
    struct bc_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    if (st->pool) {
        const char *words[] = { "pool-destroy", o->pool_name, NULL };
        struct run_virsh r = RUN_VIRSH_INIT;
        if (run_virsh_words(ctx, 1, words, &r) < 0 || r.status)
            run_log(ctx, "pool-destroy %s: %s", o->pool_name, r.status ? r.err.buf : err_msg());
        run_virsh_release(&r);
    }
    run_cs_files_remove(ctx, &st->files, &st->vms.conf.vctx);
    if (st->src_copy) {
        struct virt_host *link = run_host_link(ctx, 1);
        if (!link || virt_image_remove(link, st->src_copy, &st->vms.conf.vctx) < 0)
            run_log(ctx, "cleanup of %s on %s: %s", st->src_copy, ctx->hosts[1].name,
                    err_msg());
        else if (st->src_noted)
            virt_leftover_drop(st->src_noted);
        free(st->src_copy);
    }
    free(st->dir);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* ---- setup steps ------------------------------------------------------------------ */

/* `qemu-img create -f FMT [-F FMT -b BACKING] PATH SIZE` on host h (create_disk). */
static int bc_img(struct run_ctx *ctx, int h, const char *fmt, const char *backing,
                  const char *path, const char *size)
{
    struct virt_host *link = run_host_link(ctx, h);
    const char *plain[] = { "qemu-img", "create", "-q", "-f", fmt, path, size, NULL };
    const char *over[] = { "qemu-img", "create", "-q", "-f", fmt, "-F", fmt, "-b", backing,
                           path, size, NULL };
    if (!link || virt_host_run(link, backing ? over : plain, 120, NULL, NULL, NULL) < 0)
        return run_error(ctx, "TestSetupError", "qemu-img create %s on %s: %s", path,
                         ctx->hosts[h].name, err_msg());
    run_log(ctx, "%s (%s%s%s) made on %s", path, size, backing ? " over " : "",
            backing ? backing : "", ctx->hosts[h].name);
    return 0;
}

/* copy_img_to_remote: src on the source copied to dst on the destination. */
static int bc_copy(struct run_ctx *ctx, const char *src, const char *dst)
{
    struct virt_host *from = run_host_link(ctx, 0), *to = run_host_link(ctx, 1);
    char tmp[] = "/tmp/vtrun-bc-XXXXXX";
    int fd = mkstemp(tmp), rc = 0;
    if (fd >= 0)
        close(fd);
    if (fd < 0 || !from || !to || virt_host_get(from, src, tmp) < 0 ||
        virt_host_put(to, tmp, dst, 0644) < 0)
        rc = run_error(ctx, "TestSetupError", "copy %s to %s on %s: %s", src, dst,
                       ctx->hosts[1].name, fd < 0 ? "mkstemp failed" : err_msg());
    else
        run_log(ctx, "%s copied to %s on %s", src, dst, ctx->hosts[1].name);
    if (fd >= 0)
        unlink(tmp);
    return rc;
}

/* Each role of the case gets its job-unique file in st->dir, noted on both hosts. */
static int bc_files(struct run_ctx *ctx, const struct bc_opts *o, struct bc_state *st)
{
    int first, last;
    bc_roles(o->test_case, &first, &last);
    for (int k = first; k <= last; k++) {
        const char *f = run_cs_files_add(ctx, &st->files, &st->vms, st->dir,
                                         strrchr(o->img[k], '/') + 1, 3u);
        if (!f)
            return -1;
        st->path[k] = (char *)f;
    }
    return 0;
}

/* The drives of the dicts (n of them), the first `replace` true: every drive removed
 * first (setup_with_backing_chain). */
static int bc_drives(struct run_ctx *ctx, const struct bc_opts *o, struct be_vm_spec *spec,
                     char *const *paths, int n, bool replace)
{
    if (replace) {
        for (size_t d = 0; d < spec->ndisks; d++)
            run_diskdict_release(&spec->disks[d]);
        spec->ndisks = 0;
    }
    for (int k = 0; k < n; k++) {
        char param[32];
        snprintf(param, sizeof(param), "disk%d_dict", k + 1);
        if (run_diskdict_add(ctx, spec, param, o->dict[k], paths[k]) < 0)
            return -1;
    }
    return 0;
}

/* setup_with_backing_chain: the chains on both hosts, vda's top over the guest's disk. */
static int bc_setup_with(struct run_ctx *ctx, const struct bc_opts *o, struct bc_state *st,
                         struct be_vm_spec *spec, const char *source, bool inc)
{
    char **p = st->path;
    const char *fmt = o->disk_format;
    unsigned long long vsize = 0;
    struct virt_host *src = run_host_link(ctx, 0);
    if (!src || virt_image_virtual_size(src, source, &vsize, &st->vms.conf.vctx) < 0)
        return run_error(ctx, "TestSetupError", "qemu-img info %s: %s", source, err_msg());
    char size[32];
    snprintf(size, sizeof(size), "%lluM", vsize / MIB);
    /* the destination's stand-in of the guest's disk, at its path, noted in the ledger
     * before it is made */
    struct virt_res res = { VIRT_RES_FILE, (char *)st->vms.be->name, ctx->hosts[1].uri,
                            (char *)source };
    char *what = xasprintf("file %s on host %s", source, ctx->hosts[1].name);
    char *how = xasprintf("rm -f %s", source);
    st->src_noted = virt_leftover_add_res(&res, what, how);
    free(what);
    free(how);
    if (!st->src_noted)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    st->src_copy = xstrdup(source);
    const char *copy = st->src_copy;
    if (bc_img(ctx, 0, fmt, NULL, p[BC_BASE1], o->disk_size) < 0 ||
        bc_img(ctx, 0, fmt, p[BC_BASE1], p[BC_TOP1], o->disk_size) < 0 ||
        bc_img(ctx, 0, fmt, NULL, p[BC_BASE2], o->disk_size) < 0 ||
        bc_img(ctx, 0, fmt, p[BC_BASE2], p[BC_TOP2], o->disk_size) < 0 ||
        bc_img(ctx, 0, fmt, source, p[BC_TOP], size) < 0)
        return -1;
    char *drives[] = { p[BC_TOP], p[BC_TOP1], p[BC_TOP2] };
    if (bc_drives(ctx, o, spec, drives, 3, true) < 0)
        return -1;
    if (inc) {
        if (bc_copy(ctx, p[BC_BASE1], p[BC_BASE1]) < 0 ||
            bc_copy(ctx, p[BC_BASE2], p[BC_BASE2]) < 0 || bc_copy(ctx, source, copy) < 0)
            return -1;
    } else {
        const char *words[] = { "pool-create-as", o->pool_name, o->pool_type, "--target",
                                o->pool_target, NULL };
        struct run_virsh r = RUN_VIRSH_INIT;
        if (o->pool_name && run_virsh_words(ctx, 1, words, &r) == 0) {
            st->pool = r.status == 0;
            run_log(ctx, "pool-create-as %s on %s: exit %d %s", o->pool_name,
                    ctx->hosts[1].name, r.status, r.err.buf);
        }
        run_virsh_release(&r);
        if (bc_img(ctx, 1, fmt, NULL, p[BC_BASE1], BC_DEFAULT_SIZE) < 0 ||
            bc_img(ctx, 1, fmt, NULL, p[BC_BASE2], BC_DEFAULT_SIZE) < 0 ||
            bc_img(ctx, 1, fmt, NULL, copy, BC_DEFAULT_SIZE) < 0)
            return -1;
    }
    if (bc_img(ctx, 1, fmt, copy, p[BC_TOP], size) < 0 ||
        bc_img(ctx, 1, fmt, p[BC_BASE1], p[BC_TOP1], o->disk_size) < 0 ||
        bc_img(ctx, 1, fmt, p[BC_BASE2], p[BC_TOP2], o->disk_size) < 0)
        return -1;
    return 0;
}

/* setup_without_backing_chain: mig_disk1/2 on both hosts as two more drives (vda's
 * image on the destination is the hop's: create_remote_disk_by_same_metadata). */
static int bc_setup_without(struct run_ctx *ctx, const struct bc_opts *o, struct bc_state *st,
                            struct be_vm_spec *spec)
{
    char **p = st->path;
    for (int h = 0; h < 2; h++)
        if (bc_img(ctx, h, o->disk_format, NULL, p[BC_MIG1], BC_DEFAULT_SIZE) < 0 ||
            bc_img(ctx, h, o->disk_format, NULL, p[BC_MIG2], BC_DEFAULT_SIZE) < 0)
            return -1;
    char *drives[] = { p[BC_MIG1], p[BC_MIG2] };
    return bc_drives(ctx, o, spec, drives, 2, false);
}

/* ---- verify steps ----------------------------------------------------------------- */

/* The images whose sizes are compared: vda's, then the two others. */
static void bc_sized(const struct bc_opts *o, const struct bc_state *st, const char *source,
                     bool inc, const char *src[3], const char *dst[3])
{
    const char *const *p = (const char *const *)st->path;
    if (o->test_case == BC_WITH) {
        /* -all: the guest's own disk against the destination's top; -inc: top to top */
        src[0] = inc ? p[BC_TOP] : source;
        dst[0] = p[BC_TOP];
        src[1] = dst[1] = p[BC_TOP1];
        src[2] = dst[2] = p[BC_TOP2];
    } else {
        src[0] = dst[0] = source;
        src[1] = dst[1] = p[BC_MIG1];
        src[2] = dst[2] = p[BC_MIG2];
    }
}

static int bc_vsize(struct run_ctx *ctx, struct bc_state *st, int h, const char *path,
                    unsigned long long *out)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link || virt_image_virtual_size(link, path, out, &st->vms.conf.vctx) < 0)
        return run_error(ctx, "TestSetupError", "qemu-img info %s on %s: %s", path,
                         ctx->hosts[h].name, err_msg());
    return 0;
}

/* linux_disk_check of /dev/DEV in the guest: a 100M partition made, written and read
 * back, the table wiped (clean_partition_linux).  The guest's busybox has fdisk and dd,
 * not parted / mkfs.ext4 (see the header). */
static int bc_linux_disk_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                               const char *dev)
{
    static const char script[] =
        "d=/dev/%s; p=${d}1; "
        "printf 'o\nn\np\n1\n\n+100M\nw\n' | fdisk $d >/dev/null 2>&1; "
        "for k in 1 2 3 4 5 6 7 8 9 10; do [ -b $p ] && break; sleep 1; done; "
        "[ -b $p ] || { echo no partition $p; exit 1; }; "
        "echo teststring > /tmp/vtrun-bc-w; dd if=/tmp/vtrun-bc-w of=$p bs=512 count=1 "
        "conv=fsync 2>/dev/null && dd if=$p bs=11 count=1 2>/dev/null > /tmp/vtrun-bc-r; "
        "r=$(cat /tmp/vtrun-bc-r); dd if=/dev/zero of=$d bs=512 count=1 conv=fsync "
        "2>/dev/null; blockdev --rereadpt $d 2>/dev/null; "
        "[ \"$r\" = teststring ] || { echo read back \"$r\"; exit 1; }";
    char *cmd = xasprintf(script, dev);
    struct strbuf out = STRBUF_INIT;
    int status = -1, rc = 0;
    if (virt_vms_exec(vms, i, cmd, 120, &out, &status) < 0)
        rc = run_error(ctx, "TestError", "linux_disk_check %s: %s", dev, err_msg());
    else if (status)
        rc = run_error(ctx, "TestError", "linux_disk_check %s: exit %d: %s", dev, status,
                       out.buf);
    else
        run_log(ctx, "linux_disk_check %s: written and read back", dev);
    strbuf_release(&out);
    free(cmd);
    return rc;
}

/* check_disk: both drives checked on the destination's guest, rebooted, again. */
static int bc_check_disk(struct run_ctx *ctx, const struct bc_opts *o, struct virt_vms *vms,
                         size_t i)
{
    int status = -1;
    if (virt_vms_wait_login(vms, i, BC_LOGIN_S) < 0)
        return run_error(ctx, "LoginError", "on the destination: %s", err_msg());
    for (int round = 0; round < 2; round++) {
        if (bc_linux_disk_check(ctx, vms, i, o->target1) < 0 ||
            bc_linux_disk_check(ctx, vms, i, o->target2) < 0)
            return -1;
        if (round)
            break;
        /* remote_vm_session.cmd("reboot", ignore_all_errors=True) */
        virt_vms_exec(vms, i, "(sleep 1; reboot -f) >/dev/null 2>&1 &", 30, NULL, &status);
        sleep(10);
        if (virt_vms_wait_login(vms, i, BC_REBOOT_LOGIN_S) < 0)
            return run_error(ctx, "LoginError", "after the reboot: %s", err_msg());
        run_log(ctx, "the guest rebooted on the destination and was logged into");
    }
    return 0;
}

static int bc_run(struct run_ctx *ctx)
{
    const struct bc_opts *o = ctx->opts;
    struct bc_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct be_vm_spec *spec = vms->vm[i].spec;
    bool inc = bc_words_have(o, "--copy-storage-inc");
    unsigned long long old[3], now;
    const char *src[3], *dst[3];

    if (!spec->ndisks || !spec->disks[0].path)
        return run_error(ctx, "TestSetupError", "the guest has no disk");
    char *source = xstrdup(spec->disks[0].path);
    int rc = -1;
    if (o->test_case == BC_NONE) {
        /* setup_connection, run_migration, verify_default */
        if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
            goto out;
        int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
        rc = hop < 0 || (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state,
                                                         o->src_state, o->network_check,
                                                         o->disk_check) < 0) ? -1 : 0;
        goto out;
    }
    /* the reference's directory is each host's own; in a lab whose hosts share their
     * root file system only images_dir is (the same path on both hosts) */
    const char *dir = ctx->hosts[0].images_dir;
    if (!dir || !ctx->hosts[1].images_dir || strcmp(dir, ctx->hosts[1].images_dir)) {
        rc = run_error(ctx, "TestSetupError", "the hosts' images_dir must be one path on "
                       "both (the images go to the same path on each)");
        goto out;
    }
    st->dir = xstrdup(dir);
    if (bc_files(ctx, o, st) < 0)
        goto out;
    /* the guest's disk (its clone) made first: the chain's top goes over it */
    if (virt_vms_prepare_disks(vms, i, 0) < 0) {
        run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (o->test_case == BC_WITH ? bc_setup_with(ctx, o, st, spec, source, inc) < 0
                                : bc_setup_without(ctx, o, st, spec) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    run_log(ctx, "waiting %d s for the guest to settle its disks", BC_SETTLE_S);
    for (int s = 0; s < BC_SETTLE_S && !run_should_stop(ctx); s++)
        sleep(1);
    bc_sized(o, st, source, inc, src, dst);
    for (int k = 0; k < 3; k++)
        if (bc_vsize(ctx, st, 0, src[k], &old[k]) < 0)
            goto out;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        goto out;
    if (hop == 1) {
        if (run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                o->network_check, o->disk_check) < 0)
            goto out;
        for (int k = 0; k < 3; k++) {
            if (bc_vsize(ctx, st, 1, dst[k], &now) < 0)
                goto out;
            if (now != old[k]) {
                rc = run_fail(ctx, "DiskInfo", "Check virtual size failed: old: %llu, new: "
                              "%llu.", old[k], now);
                goto out;
            }
            run_log(ctx, "%s on %s: virtual size %llu, as on the source", dst[k],
                    ctx->hosts[1].name, now);
        }
        if (bc_check_disk(ctx, o, vms, i) < 0)
            goto out;
    }
    rc = 0;
out:
    free(source);
    return rc;
}

const struct run_type run_type_migration_with_backingchain = {
    .name = "migration_with_backingchain",
    .summary = "tp-libvirt's migration_with_backingchain: a copy-storage migration (all or "
               "inc) of a guest whose drives have qcow2 backing chains, or two plain drives "
               "more; virtual sizes and the drives' use on the destination after it",
    .needs = { .vms = 1, .hosts = 2, .rows_last = bc_needs_last },
    .params = bc_params,
    .opts_size = sizeof(struct bc_opts),
    .check = bc_check,
    .setup = bc_setup,
    .run = bc_run,
    .cleanup = bc_cleanup,
    .boot_cold = NULL,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_image on real files with the real qemu-img: names, linked and full clones,
 * qemu-img check verdicts (corruption made by editing qcow2 refcounts), and
 * avocado-vt's master_images_clone flow. */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "virt/virt.h"
#include "tests/support.h"

#include <check.h>
#include <endian.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/vtrun-img-XXXXXX";
static struct strbuf logbuf = STRBUF_INIT;

static void logger(void *ud, enum virt_log_level lvl, const char *msg)
{
    strbuf_addf(ud, "%s %s\n", virt_log_level_name(lvl), msg);
}

static struct virt_ctx ctx = { .log = logger, .log_ud = &logbuf };

static void setup(void)
{
    strcpy(dir, "/tmp/vtrun-img-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    strbuf_reset(&logbuf);
}

static void teardown(void)
{
    ts_rmtree(dir);
}

static char *in_dir(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static char *qemu_img_info(const char *path)
{
    struct strbuf out = STRBUF_INIT;
    struct spawn *c = spawn_new("qemu-img");
    spawn_args(c, "info", "--output=json", path, NULL);
    spawn_set_output(c, &out, NULL);
    ck_assert_msg(spawn_run(c, NULL) == 0, "%s", err_msg());
    spawn_free(c);
    return strbuf_detach(&out, NULL);
}

/* qcow2 header fields (big endian). */
static uint64_t be64_at(int fd, off_t off)
{
    uint64_t v;
    ck_assert_int_eq(pread(fd, &v, 8, off), 8);
    return be64toh(v);
}

/* grow: add an unused cluster at the end of the file first (cluster must be it). */
static void refcount_set(const char *path, uint64_t cluster, uint16_t count, bool grow)
{
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    uint64_t rt = be64_at(fd, 48);          /* refcount_table_offset */
    uint64_t rb = be64_at(fd, rt);          /* first refcount block */
    uint16_t v = htobe16(count);
    if (grow) {
        struct stat st;
        fstat(fd, &st);
        ck_assert_int_eq(ftruncate(fd, (off_t)(cluster + 1) * 65536), 0);
    }
    ck_assert_int_eq(pwrite(fd, &v, 2, (off_t)(rb + 2 * cluster)), 2);
    close(fd);
}

START_TEST(test_image_filename_follows_avocado_vt)
{
    struct params *p = params_new();
    char *f;
    params_set(p, "image_name", "images/jeos");
    params_set(p, "images_base_dir", "/data");
    f = virt_image_filename(p);
    ck_assert_str_eq(f, "/data/images/jeos.qcow2");
    free(f);
    params_set(p, "image_name", "/abs/disk");
    params_set(p, "image_format", "raw");
    f = virt_image_filename(p);
    ck_assert_str_eq(f, "/abs/disk.raw");
    free(f);
    params_set(p, "image_format", "");
    f = virt_image_filename(p);
    ck_assert_str_eq(f, "/abs/disk");
    free(f);
    params_set(p, "image_name", "/dev/sdb");
    params_set(p, "image_raw_device", "yes");
    f = virt_image_filename(p);
    ck_assert_str_eq(f, "/dev/sdb");
    free(f);
    params_free(p);
}
END_TEST

START_TEST(test_linked_clone_is_overlay_with_absolute_backing_path)
{
    char *master = in_dir("master.qcow2"), *clone = in_dir("clone.qcow2");
    char cwd[4096];
    ck_assert_int_eq(virt_image_create(master, "qcow2", "1G", &ctx), 0);
    /* Given a relative master path, the backing path is still absolute. */
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(virt_image_clone_linked("master.qcow2", "qcow2", clone, &ctx), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    char *info = qemu_img_info(clone);
    char *want = xasprintf("\"backing-filename\": \"%s\"", master);
    ck_assert_msg(strstr(info, want), "%s", info);
    ck_assert_ptr_nonnull(strstr(info, "\"backing-filename-format\": \"qcow2\""));
    struct stat st;
    stat(clone, &st);
    ck_assert_int_lt(st.st_size, 1 << 20);
    /* The command line is logged. */
    ck_assert_ptr_nonnull(strstr(logbuf.buf, "running: LC_ALL=C qemu-img create -q -f qcow2 -F qcow2 -b /"));
    free(info);
    free(want);
    free(master);
    free(clone);
}
END_TEST

START_TEST(test_linked_clone_of_missing_master_is_image_missing)
{
    char *clone = in_dir("clone.qcow2");
    ck_assert_int_eq(virt_image_clone_linked("/nonexistent/m.qcow2", "qcow2", clone, &ctx), -1);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_IMAGE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/m.qcow2"));
    free(clone);
}
END_TEST

START_TEST(test_full_clone_copies_data_and_keeps_holes)
{
    char *master = in_dir("m.raw"), *clone = in_dir("c.raw");
    int fd = open(master, O_CREAT | O_WRONLY, 0644);
    char buf[8192];
    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(ftruncate(fd, 256 << 20), 0);     /* 256 MiB sparse */
    ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    ck_assert_int_eq(pwrite(fd, "end", 3, (256 << 20) - 3), 3);
    ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 100 << 20), (ssize_t)sizeof(buf));
    close(fd);
    ck_assert_int_eq(virt_image_clone_full(master, clone, &ctx), 0);
    struct stat st;
    ck_assert_int_eq(stat(clone, &st), 0);
    ck_assert_int_eq(st.st_size, 256 << 20);
    ck_assert_int_lt(st.st_blocks * 512, 8 << 20);       /* still sparse */
    struct spawn *c = spawn_new("cmp");
    spawn_args(c, master, clone, NULL);
    ck_assert_msg(spawn_run(c, NULL) == 0, "%s", err_msg());
    spawn_free(c);
    char *part = xasprintf("%s.part", clone);
    ck_assert(!exists(part));
    free(part);
    free(master);
    free(clone);
}
END_TEST

START_TEST(test_check_clean_image_ok_raw_and_missing_skipped)
{
    char *img = in_dir("ok.qcow2");
    enum virt_check r;
    ck_assert_int_eq(virt_image_create(img, "qcow2", "64M", &ctx), 0);
    ck_assert_int_eq(virt_image_check(img, "qcow2", &ctx, &r), 0);
    ck_assert_int_eq(r, VIRT_CHECK_OK);
    ck_assert_int_eq(virt_image_check(img, "raw", &ctx, &r), 0);
    ck_assert_int_eq(r, VIRT_CHECK_SKIPPED);
    ck_assert_int_eq(virt_image_check("/nonexistent.qcow2", "qcow2", &ctx, &r), 0);
    ck_assert_int_eq(r, VIRT_CHECK_SKIPPED);
    free(img);
}
END_TEST

START_TEST(test_check_leaked_clusters_exit_3_is_warn)
{
    char *img = in_dir("leak.qcow2");
    enum virt_check r;
    ck_assert_int_eq(virt_image_create(img, "qcow2", "64M", &ctx), 0);
    struct stat st;
    stat(img, &st);
    refcount_set(img, ((uint64_t)st.st_size + 65535) / 65536, 1, true);
    ck_assert_int_eq(virt_image_check(img, "qcow2", &ctx, &r), 0);
    ck_assert_int_eq(r, VIRT_CHECK_WARN);
    ck_assert_ptr_nonnull(strstr(logbuf.buf, "WARN Leaked clusters were noticed"));
    free(img);
}
END_TEST

START_TEST(test_check_corruption_exit_2_is_image_check_error)
{
    char *img = in_dir("bad.qcow2");
    enum virt_check r;
    ck_assert_int_eq(virt_image_create(img, "qcow2", "64M", &ctx), 0);
    refcount_set(img, 0, 0, false);         /* the header cluster "unused" */
    ck_assert_int_eq(virt_image_check(img, "qcow2", &ctx, &r), -1);
    ck_assert_int_eq(r, VIRT_CHECK_ERROR);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_IMAGE_CHECK);
    ck_assert_ptr_nonnull(strstr(err_msg(), "VMImageCheckError: image check error"));
    ck_assert_ptr_nonnull(strstr(err_msg(), img));
    ck_assert_ptr_nonnull(strstr(logbuf.buf, "] ERROR cluster 0 refcount=0"));
    free(img);
}
END_TEST

/* Two VMs, one cloned image each, master "base" under images_base_dir. */
static struct params *two_vm_params(void)
{
    struct params *p = params_new();
    params_set(p, "vms", "vm1 vm2");
    params_set(p, "images", "image1");
    params_set(p, "image_name", "base");
    params_set(p, "image_format", "qcow2");
    params_set(p, "images_base_dir", dir);
    params_set(p, "master_images_clone", "image1");
    params_set(p, "vm_accel", "tcg");
    char *m = in_dir("base.qcow2");
    ck_assert_int_eq(virt_image_create(m, "qcow2", "128M", &ctx), 0);
    free(m);
    return p;
}

START_TEST(test_master_images_clone_makes_one_clone_per_vm_and_vm_uses_it)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    struct be_vm_spec spec;
    enum virt_check worst;

    ck_assert_msg(virt_images_clone(p, NULL, &ctx, &cl) == 0, "%s", err_msg());
    ck_assert_uint_eq(cl.n, 2);
    ck_assert(cl.v[0].linked);
    char *c1 = in_dir("base_vm1.qcow2"), *c2 = in_dir("base_vm2.qcow2"), *m = in_dir("base.qcow2");
    /* the clones are named image_name_<vm> (default <image_name>_<vm>) */
    ck_assert_str_eq(virt_clones_path(&cl, "vm1", "image1"), c1);
    ck_assert_str_eq(virt_clones_path(&cl, "vm2", "image1"), c2);
    ck_assert(exists(c1) && exists(c2));
    /* The VM model points at the clone; the params are not changed. */
    ck_assert_ptr_null(params_get(p, "image_name_vm1"));
    struct virt_vm_derived d = { .clones = &cl };
    ck_assert_msg(virt_vm_spec_from_params(p, "vm2", &d, NULL, &ctx, &spec) == 0, "%s", err_msg());
    ck_assert_str_eq(spec.disks[0].path, c2);
    be_vm_spec_free(&spec);
    /* Cloning again (same test) does nothing: the clones are already in cl. */
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), 0);
    ck_assert_uint_eq(cl.n, 2);
    /* After the test the clones go, the master stays. */
    ck_assert_int_eq(virt_images_postprocess(p, &ctx, &cl, &worst), 0);
    ck_assert(!exists(c1) && !exists(c2) && exists(m));
    virt_clones_free(&cl);
    params_free(p);
    free(c1); free(c2); free(m);
}
END_TEST

START_TEST(test_keep_image_clones_keeps_and_check_runs_when_asked)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    enum virt_check worst;
    params_set(p, "keep_image_clones", "yes");
    params_set(p, "check_image", "yes");
    params_set(p, "image_clone_mode", "full");
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), 0);
    ck_assert(!cl.v[0].linked);
    ck_assert_int_eq(virt_images_postprocess(p, &ctx, &cl, &worst), 0);
    ck_assert_int_eq(worst, VIRT_CHECK_OK);
    ck_assert(exists(cl.v[0].path) && exists(cl.v[1].path));
    virt_clones_free(&cl);
    params_free(p);
}
END_TEST

START_TEST(test_existing_clone_reused_unless_force_image_clone)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    char *c1 = in_dir("base_vm1.qcow2");
    params_set(p, "vms", "vm1");
    FILE *f = fopen(c1, "w");
    fputs("old clone", f);
    fclose(f);
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), 0);
    struct stat st;
    stat(c1, &st);
    ck_assert_int_eq(st.st_size, 9);        /* not re-cloned */
    virt_clones_free(&cl);
    params_free(p);

    p = two_vm_params();
    params_set(p, "vms", "vm1");
    params_set(p, "force_image_clone", "yes");
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), 0);
    char *info = qemu_img_info(c1);
    ck_assert_ptr_nonnull(strstr(info, "backing-filename"));
    free(info);
    virt_clones_free(&cl);
    params_free(p);
    free(c1);
}
END_TEST

START_TEST(test_image_name_vm_and_master_image_name_honoured)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    char *m2 = in_dir("gold.qcow2");
    ck_assert_int_eq(virt_image_create(m2, "qcow2", "64M", &ctx), 0);
    params_set(p, "vms", "vm1");
    params_set(p, "image_name_vm1", "mine");
    params_set(p, "master_image_name", "gold");
    ck_assert_msg(virt_images_clone(p, NULL, &ctx, &cl) == 0, "%s", err_msg());
    ck_assert_uint_eq(cl.n, 1);
    char *want = in_dir("mine.qcow2");
    ck_assert_str_eq(cl.v[0].path, want);
    ck_assert_str_eq(cl.v[0].master, m2);
    virt_clones_free(&cl);
    params_free(p);
    free(m2);
    free(want);
}
END_TEST

START_TEST(test_corrupt_clone_removed_on_check_error_even_when_kept)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    enum virt_check worst;
    params_set(p, "vms", "vm1");
    params_set(p, "check_image", "yes");
    params_set(p, "keep_image_clones", "yes");
    params_set(p, "remove_image_on_check_error", "yes");
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), 0);
    refcount_set(cl.v[0].path, 0, 0, false);
    ck_assert_int_eq(virt_images_postprocess(p, &ctx, &cl, &worst), -1);
    ck_assert_int_eq(worst, VIRT_CHECK_ERROR);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_IMAGE_CHECK);
    ck_assert(!exists(cl.v[0].path));
    virt_clones_free(&cl);
    params_free(p);
}
END_TEST

START_TEST(test_missing_master_is_image_missing_error)
{
    struct params *p = two_vm_params();
    struct virt_clones cl = { 0 };
    params_set(p, "image_name", "nothere");
    ck_assert_int_eq(virt_images_clone(p, NULL, &ctx, &cl), -1);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_IMAGE_MISSING);
    ck_assert_ptr_nonnull(strstr(err_msg(), "nothere.qcow2"));
    ck_assert_uint_eq(cl.n, 0);
    virt_clones_free(&cl);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_image");
    TCase *tc = tcase_create("image");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_image_filename_follows_avocado_vt);
    tcase_add_test(tc, test_linked_clone_is_overlay_with_absolute_backing_path);
    tcase_add_test(tc, test_linked_clone_of_missing_master_is_image_missing);
    tcase_add_test(tc, test_full_clone_copies_data_and_keeps_holes);
    tcase_add_test(tc, test_check_clean_image_ok_raw_and_missing_skipped);
    tcase_add_test(tc, test_check_leaked_clusters_exit_3_is_warn);
    tcase_add_test(tc, test_check_corruption_exit_2_is_image_check_error);
    tcase_add_test(tc, test_master_images_clone_makes_one_clone_per_vm_and_vm_uses_it);
    tcase_add_test(tc, test_keep_image_clones_keeps_and_check_runs_when_asked);
    tcase_add_test(tc, test_existing_clone_reused_unless_force_image_clone);
    tcase_add_test(tc, test_image_name_vm_and_master_image_name_honoured);
    tcase_add_test(tc, test_corrupt_clone_removed_on_check_error_even_when_kept);
    tcase_add_test(tc, test_missing_master_is_image_missing_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    strbuf_release(&logbuf);
    return failed ? 1 : 0;
}

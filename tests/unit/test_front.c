/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two vtrun binaries (runner/run_main.h): $VTRUN (set by `make check`), the lean
 * front, must load no heavy shared library, and hands jobs and the sub-commands that
 * need them to vtrun-full beside it, found through /proc/self/exe (so through the
 * ./vtrun symlink too), or says clearly that it is missing.  Run from the top of the
 * repository (configs in tests/cfg/).
 */
#include "lib/strbuf.h"
#include "tests/support.h"

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* $VTRUN's directory + "/vtrun-full" (resolving a symlink as /proc/self/exe does). */
static char *full_binary(void)
{
    char *real = realpath(ts_vtrun_bin(), NULL);
    ck_assert_msg(real != NULL, "realpath %s: %s", ts_vtrun_bin(), strerror(errno));
    *strrchr(real, '/') = '\0';
    char *path = xasprintf("%s/vtrun-full", real);
    free(real);
    return path;
}

/* Run BIN (the front, vtrun-full, a copy) with ARGS. */
static struct ts_vtrun run_bin(const char *bin, const char *const *args)
{
    struct ts_vtrun r;
    ts_vtrun_run(&r, args, &(struct ts_vtrun_opts){ .bin = bin });
    return r;
}

#define RUN(bin, ...) run_bin(bin, TS_ARGS(__VA_ARGS__))

static char *elf_needed(const char *path)
{
    size_t len;
    char *img = ts_read_len(path, &len);
    ck_assert_msg(len >= sizeof(Elf64_Ehdr) && !memcmp(img, ELFMAG, SELFMAG)
                  && img[EI_CLASS] == ELFCLASS64, "%s is not a 64-bit ELF file", path);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    ck_assert(eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) <= len);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    struct strbuf sb = STRBUF_INIT;
    bool dynamic = false;
    for (size_t i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNAMIC)
            continue;
        dynamic = true;
        ck_assert(sh[i].sh_link < eh->e_shnum);
        const Elf64_Shdr *str = &sh[sh[i].sh_link];
        ck_assert(sh[i].sh_offset + sh[i].sh_size <= len && str->sh_offset + str->sh_size <= len);
        const Elf64_Dyn *d = (const Elf64_Dyn *)(img + sh[i].sh_offset);
        for (size_t j = 0; j < sh[i].sh_size / sizeof(*d) && d[j].d_tag != DT_NULL; j++) {
            if (d[j].d_tag != DT_NEEDED)
                continue;
            ck_assert(d[j].d_un.d_val < str->sh_size);
            strbuf_addf(&sb, "%s\n", img + str->sh_offset + d[j].d_un.d_val);
        }
    }
    ck_assert_msg(dynamic, "%s has no dynamic section", path);
    free(img);
    return strbuf_detach(&sb, NULL);
}

/* Copy $VTRUN alone into a new directory; returns the copy's path. */
static char *lone_front(void)
{
    char tmpl[] = "/tmp/vtrun-front.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    size_t len;
    char *img = ts_read_len(ts_vtrun_bin(), &len);
    char *copy = xasprintf("%s/vtrun", tmpl);
    int fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0755);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
    close(fd);
    free(img);
    return copy;
}

static void remove_lone(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

/* ---- what the front loads ------------------------------------------------------------ */

START_TEST(test_front_loads_only_pcre2_and_libc)
{
    /* glibc's own libraries, PCRE2 for the config's regexes, and the sanitizer
     * runtimes of `make SANITIZE=1`; libvirt & co. cost ~10 ms and ~12 MiB per start */
    static const char *const allowed[] = { "libc.so.", "libm.so.", "libpthread.so.",
                                           "libdl.so.", "librt.so.", "ld-linux",
                                           "libpcre2-8.so.", "libasan.so.", "libubsan.so." };
    char *needed = elf_needed(ts_vtrun_bin());
    ck_assert_ptr_nonnull(strstr(needed, "libpcre2-8.so."));
    for (char *l = needed, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
        *nl = '\0';
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(allowed) && !ok; i++)
            ok = !strncmp(l, allowed[i], strlen(allowed[i]));
        ck_assert_msg(ok, "%s needs %s: the front must not load anything heavier than "
                      "PCRE2 (see runner/run_main.h and FRONTSRCS in the Makefile)",
                      ts_vtrun_bin(), l);
    }
    free(needed);
}
END_TEST

START_TEST(test_full_binary_beside_the_front_links_libvirt)
{
    char *full = full_binary();
    char *needed = elf_needed(full);
    ck_assert_msg(strstr(needed, "libvirt.so."), "%s does not link libvirt:\n%s", full, needed);
    free(needed);
    free(full);
}
END_TEST

/* ---- hand-over to vtrun-full ----------------------------------------------------------- */

START_TEST(test_list_types_is_run_by_the_full_binary)
{
    struct ts_vtrun r = RUN(ts_vtrun_bin(), "--list-types");
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err.buf);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "boot\n"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\nmigrate\n"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_sub_commands_reach_the_full_binary_and_keep_their_exit_status)
{
    struct ts_vtrun r = RUN(ts_vtrun_bin(), "merge", "--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "usage: vtrun merge"));
    ts_vtrun_release(&r);
    r = RUN(ts_vtrun_bin(), "merge");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err.buf, "usage: vtrun merge"));
    ts_vtrun_release(&r);
}
END_TEST

/* A job's own errors come from vtrun-full, with its exit status, not a hand-over error. */
START_TEST(test_job_errors_come_from_the_full_binary)
{
    struct ts_vtrun r = RUN(ts_vtrun_bin(), "--config", "tests/cfg/no-such-file.cfg");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err.buf, "no-such-file.cfg"));
    ck_assert_ptr_null(strstr(r.err.buf, "vtrun-full"));
    ts_vtrun_release(&r);
}
END_TEST

/* ./vtrun is a symlink to build/vtrun: vtrun-full is looked up beside the real file. */
START_TEST(test_a_symlink_to_the_front_finds_the_full_binary)
{
    char tmpl[] = "/tmp/vtrun-front-link.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char *real = realpath(ts_vtrun_bin(), NULL);
    char *link = xasprintf("%s/vtrun", tmpl);
    ck_assert_int_eq(symlink(real, link), 0);
    struct ts_vtrun r = RUN(link, "--list-types");
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err.buf);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "boot\n"));
    ts_vtrun_release(&r);
    unlink(link);
    rmdir(tmpl);
    free(link);
    free(real);
}
END_TEST

/* One option table: both binaries report a bad command line with the same words. */
START_TEST(test_both_binaries_reject_a_bad_option_identically)
{
    char *full = full_binary();
    struct ts_vtrun a = RUN(ts_vtrun_bin(), "--config", "tests/cfg/basic.cfg", "--jobs", "0");
    struct ts_vtrun b = RUN(full, "--config", "tests/cfg/basic.cfg", "--jobs", "0");
    ck_assert_int_eq(a.status, 2);
    ck_assert_int_eq(b.status, 2);
    ck_assert_str_eq(a.err.buf, b.err.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);
    a = RUN(ts_vtrun_bin(), "--help");
    b = RUN(full, "--help");
    ck_assert_str_eq(a.out.buf, b.out.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);
    free(full);
}
END_TEST

/* ---- without vtrun-full ---------------------------------------------------------------- */

START_TEST(test_front_alone_still_lists_configs)
{
    char *lone = lone_front();
    struct ts_vtrun r = RUN(lone, "--config", "tests/cfg/basic.cfg", "--count");
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err.buf);
    ck_assert_str_eq(r.out.buf, "10\n");
    ts_vtrun_release(&r);
    remove_lone(lone);
}
END_TEST

static void expect_missing_full(const char *lone, struct ts_vtrun r)
{
    char *expected = xasprintf("vtrun: cannot run %.*s/vtrun-full: ",
                               (int)(strrchr(lone, '/') - lone), lone);
    ck_assert_msg(r.status == 2, "exit %d, expected 2 (stderr: %s)", r.status, r.err.buf);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(!strncmp(r.err.buf, expected, strlen(expected)),
                  "stderr '%s' does not start with '%s'", r.err.buf, expected);
    ck_assert_msg(strchr(r.err.buf, '\n') == r.err.buf + strlen(r.err.buf) - 1,
                  "not one line: '%s'", r.err.buf);
    free(expected);
}

START_TEST(test_missing_full_binary_is_one_clear_error)
{
    char *lone = lone_front();
    struct ts_vtrun r = RUN(lone, "--config", "tests/cfg/basic.cfg");
    expect_missing_full(lone, r);
    ts_vtrun_release(&r);
    r = RUN(lone, "merge", "a", "--out", "b");
    expect_missing_full(lone, r);
    ts_vtrun_release(&r);
    r = RUN(lone, "--list-types");
    expect_missing_full(lone, r);
    ts_vtrun_release(&r);
    remove_lone(lone);
}
END_TEST

static Suite *front_suite(void)
{
    Suite *s = suite_create("front");
    TCase *tc = tcase_create("libraries");
    tcase_add_test(tc, test_front_loads_only_pcre2_and_libc);
    tcase_add_test(tc, test_full_binary_beside_the_front_links_libvirt);
    suite_add_tcase(s, tc);

    tc = tcase_create("hand_over");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_list_types_is_run_by_the_full_binary);
    tcase_add_test(tc, test_sub_commands_reach_the_full_binary_and_keep_their_exit_status);
    tcase_add_test(tc, test_job_errors_come_from_the_full_binary);
    tcase_add_test(tc, test_a_symlink_to_the_front_finds_the_full_binary);
    tcase_add_test(tc, test_both_binaries_reject_a_bad_option_identically);
    suite_add_tcase(s, tc);

    tc = tcase_create("missing_full");
    tcase_add_test(tc, test_front_alone_still_lists_configs);
    tcase_add_test(tc, test_missing_full_binary_is_one_clear_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(front_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shape of the tree (docs/design.md): layers point one way,
 *
 *     runner -> migration -> virt -> backends,   runner -> cfg,   runner -> results,
 *
 * and lib/ under all of them; a directory is reached only through its public header.
 * This suite reads every #include of the production sources and fails on an arrow
 * that points the wrong way, so the shape stays as the tree grows.  It also reads their
 * calls: a process is started in one place (lib/spawn.c), so that timeouts, the process
 * group, PR_SET_PDEATHSIG and the reaping are written once.
 */
#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/strbuf.h"

/* Which directories a directory may include from (itself always). */
static const struct layer {
    const char *dir;
    const char *may_use;            /* space-separated directories */
} layers[] = {
    { "lib", "" },
    { "cfg", "lib" },
    { "backends", "lib" },
    { "virt", "lib backends" },
    { "migration", "lib backends virt" },
    { "results", "lib" },
    { "runner", "lib cfg results virt migration" },
};

/* The headers other directories may include; "*" = every header of the directory
 * (lib/ is a set of one-file modules). */
static const struct publics {
    const char *dir;
    const char *headers;            /* space-separated, relative to the top */
} publics[] = {
    { "lib", "*" },
    { "cfg", "cfg/cfg.h" },
    { "backends", "backends/be.h" },
    { "virt", "virt/virt.h" },
    { "migration", "migration/mig.h" },
    { "results", "results/res.h" },
    { "runner", "runner/run.h runner/run_type.h" },
};

/* Calls only some files may make: "CALL(" outside a comment, not part of a longer name. */
static const struct owned_call {
    const char *call;
    const char *files;              /* space-separated, relative to the top */
} owned_calls[] = {
    { "fork", "lib/spawn.c" },
    { "vfork", "" },
    { "clone", "" },
    { "posix_spawn", "" },
    { "posix_spawnp", "" },
    { "system", "" },
    { "popen", "" },
    { "execvpe", "lib/spawn.c" },
    { "execvp", "lib/spawn.c" },
    { "execv", "lib/spawn.c runner/run_main.c" },    /* the front becomes vtrun-full */
    { "execl", "" },
    { "execlp", "" },
    { "execve", "" },
};

static bool word_in(const char *words, const char *w, size_t len)
{
    for (const char *p = words; *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && !strncmp(p, w, len))
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

static const struct layer *layer_of(const char *dir, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(layers); i++)
        if (strlen(layers[i].dir) == len && !strncmp(layers[i].dir, dir, len))
            return &layers[i];
    return NULL;
}

static bool is_public(const char *inc)
{
    size_t dlen = strcspn(inc, "/");
    for (size_t i = 0; i < ARRAY_SIZE(publics); i++) {
        if (strlen(publics[i].dir) != dlen || strncmp(publics[i].dir, inc, dlen))
            continue;
        return !strcmp(publics[i].headers, "*") || word_in(publics[i].headers, inc, strlen(inc));
    }
    return false;
}

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* LINE (not a comment line) calls one of owned_calls that PATH may not make. */
static void check_calls(const char *path, const char *line, unsigned no, struct strbuf *bad)
{
    const char *p = line + strspn(line, " \t");
    if (*p == '*' || !strncmp(p, "/*", 2) || !strncmp(p, "//", 2))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(owned_calls); i++) {
        const struct owned_call *c = &owned_calls[i];
        size_t n = strlen(c->call);
        for (const char *q = p; (q = strstr(q, c->call)); q += n) {
            if ((q > p && is_ident(q[-1])) || q[n] != '(')
                continue;
            if (word_in(c->files, path, strlen(path)))
                break;
            strbuf_addf(bad, "%s:%u: %s() starts a process outside %s\n", path, no, c->call,
                        *c->files ? c->files : "any file (use lib/spawn)");
            break;
        }
    }
}

/* Check one file's #include "..." lines; violations appended to bad. */
static void check_file(const char *dir, const char *path, struct strbuf *bad)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f, "cannot read %s", path);
    const struct layer *me = layer_of(dir, strlen(dir));
    char line[1024];
    unsigned no = 0;
    while (fgets(line, sizeof(line), f)) {
        no++;
        check_calls(path, line, no, bad);
        const char *p = line + strspn(line, " \t");
        if (!strncmp(p, "#include <libvirt/", 18) && strcmp(dir, "backends"))
            strbuf_addf(bad, "%s:%u: libvirt headers belong to backends/ only\n", path, no);
        if (strncmp(p, "#include \"", 10))
            continue;
        const char *inc = p + 10;
        size_t len = strcspn(inc, "\"");
        char *name = xstrndup(inc, len);
        size_t dlen = strcspn(name, "/");
        if (!name[dlen]) {
            strbuf_addf(bad, "%s:%u: \"%s\": include with the directory (\"%s/%s\")\n", path,
                        no, name, dir, name);
        } else if (dlen != strlen(dir) || strncmp(name, dir, dlen)) {
            if (!layer_of(name, dlen))
                strbuf_addf(bad, "%s:%u: \"%s\": not a source directory\n", path, no, name);
            else if (!word_in(me->may_use, name, dlen))
                strbuf_addf(bad, "%s:%u: %s/ may not include %s (layers: %s -> %s)\n", path,
                            no, dir, name, dir, *me->may_use ? me->may_use : "nothing");
            else if (!is_public(name))
                strbuf_addf(bad, "%s:%u: %s is private to %.*s/\n", path, no, name,
                            (int)dlen, name);
        }
        free(name);
    }
    fclose(f);
}

static void check_dir(const char *dir, struct strbuf *bad, unsigned *nfiles)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d, "no directory %s (run from the top of the tree)", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || e->d_name[n - 2] != '.' || (e->d_name[n - 1] != 'c' && e->d_name[n - 1] != 'h'))
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        check_file(dir, path, bad);
        free(path);
        (*nfiles)++;
    }
    closedir(d);
}

START_TEST(test_every_include_points_down_the_layers)
{
    struct strbuf bad = STRBUF_INIT;
    unsigned nfiles = 0;
    for (size_t i = 0; i < ARRAY_SIZE(layers); i++)
        check_dir(layers[i].dir, &bad, &nfiles);
    ck_assert_msg(nfiles > 50, "only %u sources found: wrong directory?", nfiles);
    ck_assert_msg(bad.len == 0, "layering or process-start violations:\n%s", bad.buf);
    strbuf_release(&bad);
}
END_TEST

/* The checker itself: a wrong arrow and a private header are found. */
START_TEST(test_checker_finds_a_wrong_arrow_and_a_private_header)
{
    char dir[] = "/tmp/vtrun-layers-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = xasprintf("%s/x.c", dir);
    FILE *f = fopen(path, "w");
    fputs("#include \"virt/virt.h\"\n#include \"backends/lv_xml.h\"\n#include <libvirt/libvirt.h>\n"
          "#include \"cfg/cfg.h\"\n#include \"lib/err.h\"\n"
          "/* fork() in a comment is fine */\nstatic int f(void) { return fork() + my_fork(); }\n",
          f);
    fclose(f);
    struct strbuf bad = STRBUF_INIT;
    check_file("virt", path, &bad);
    ck_assert_msg(strstr(bad.buf, "backends/lv_xml.h is private"), "%s", bad.buf);
    ck_assert_msg(strstr(bad.buf, "libvirt headers belong"), "%s", bad.buf);
    ck_assert_msg(strstr(bad.buf, "virt/ may not include cfg/cfg.h"), "%s", bad.buf);
    ck_assert_msg(!strstr(bad.buf, "virt/virt.h") && !strstr(bad.buf, "lib/err.h"), "%s",
                  bad.buf);
    ck_assert_msg(strstr(bad.buf, ":7: fork() starts a process outside lib/spawn.c"), "%s",
                  bad.buf);
    ck_assert_msg(!strstr(bad.buf, ":6:") && !strstr(bad.buf, "my_fork"), "%s", bad.buf);
    strbuf_reset(&bad);
    check_file("backends", path, &bad);
    ck_assert_msg(strstr(bad.buf, "backends/ may not include virt/virt.h"), "%s", bad.buf);
    strbuf_release(&bad);
    unlink(path);
    rmdir(dir);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layers");
    TCase *t = tcase_create("includes");
    tcase_add_test(t, test_every_include_points_down_the_layers);
    tcase_add_test(t, test_checker_finds_a_wrong_arrow_and_a_private_header);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

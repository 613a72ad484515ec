/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness over the whole Cartesian config engine: lexer, parser, expansion,
 * dump.  Built by `make fuzz`, run by tests/fuzz/run.
 *
 * Input: the bytes up to the first NUL are the config file; each further NUL-separated
 * chunk (at most 4) is one statement parsed after it, like --set.  The first byte also
 * picks the options (defaults mode, keep suffixes, expanded blocks), so every input
 * exercises one combination without being cut.
 *
 * Besides crashes, leaks and hangs, it checks the engine's contracts: every error names
 * FILE:LINE, and the full walk, the names-only walk and cfg_count() agree; cfg_explain()
 * of the first cases gives their dump as their params (and of a name no case has, an
 * error or a dropped case, never a crash).
 *
 * Bounds, so a legitimate but huge config is not reported as a hang: at most MAX_CASES
 * cases per input, and a watchdog thread sets cfg_cancel when one input has run for
 * CANCEL_MS (the engine must then stop promptly; if it does not, libFuzzer's -timeout
 * reports it).  Includes are confined to a temporary directory (cfg_opts.include_root)
 * that holds the input and a few files to include, among them one that includes itself.
 */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES 200
#define MAX_STMTS 4
#define CANCEL_MS 1000

static char root[] = "/tmp/vtrun-fuzz-XXXXXX";
static char *input_path;
static atomic_llong started_ms;     /* 0 when no input is running */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec t = { 0, 50 * 1000 * 1000 };
        nanosleep(&t, NULL);
        long long s = atomic_load(&started_ms);
        if (s && now_ms() - s > CANCEL_MS)
            cfg_cancel = 1;
    }
    return NULL;
}

static void put(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    free(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(root))
        abort();
    put("inc.cfg", "variants:\n    - i1:\n        x += 1\n    - @i2:\n        suffix _i\n");
    put("inc/guests.cfg", "variants guest:\n    - @RHEL.9:\n        os = linux\n"
                          "    - Win:\n        os = windows\n");
    put("self.cfg", "a = 1\ninclude self.cfg\n");
    put("sub/leaf.cfg", "leaf = yes\ninclude ../inc.cfg\n");
    input_path = xasprintf("%s/fuzz.cfg", root);
    /* No chdir: libFuzzer keeps relative paths (corpus, -fork jobs).  A relative include
     * in a statement resolves from the CWD, outside the root: an error, also a path. */
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog, NULL) != 0)
        abort();
    pthread_detach(t);
    return 0;
}

/* Every error the engine reports names "FILE:LINE: " first (the contract). */
static void check_error_names_line(void)
{
    const char *m = err_msg(), *colon = strchr(m, ':');
    const char *d = colon ? colon + 1 : NULL;
    while (d && *d >= '0' && *d <= '9')
        d++;
    if (!colon || colon == m || d == colon + 1 || *d != ':') {
        fprintf(stderr, "error without FILE:LINE: %s\n", m);
        abort();
    }
}

/* cfg_explain()'s "no case is named" is not an expansion error: no FILE:LINE. */
static void check_error_names_line_or_name(void)
{
    if (strstr(err_msg(), " is named '"))
        return;
    check_error_names_line();
}

struct names {
    size_t n;
    char *name[MAX_CASES];
    char *shortname[MAX_CASES];
};

static void names_free(struct names *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->name[i]);
        free(v->shortname[i]);
    }
    v->n = 0;
}

/* Iterate (names-only or full) over at most MAX_CASES cases, keeping their names (and
 * in DUMPS, if not NULL, their dump blocks).  Returns what the last cfg_iter_next()
 * returned (1 when cut at MAX_CASES). */
static int walk(const struct cfg *c, bool names_only, struct names *v, struct strbuf *dumps)
{
    struct cfg_iter *it = names_only ? cfg_iter_new_names(c) : cfg_iter_new(c);
    struct strbuf sb = STRBUF_INIT;
    const struct cfg_case *k;
    int r = 1;
    while (v->n < MAX_CASES && (r = cfg_iter_next(it, &k)) == 1) {
        v->name[v->n] = xstrdup(cfg_case_name(k));
        v->shortname[v->n] = xstrdup(cfg_case_shortname(k));
        v->n++;
        if (!names_only) {
            strbuf_reset(&sb);
            cfg_case_dump(k, &sb);
            if (dumps)
                strbuf_add(dumps, sb.buf, sb.len);
            struct params *p = cfg_case_params(k);
            if (!p)
                abort();
            params_free(p);
        }
    }
    if (r < 0 && !cfg_cancel)
        check_error_names_line();
    cfg_iter_free(it);
    strbuf_release(&sb);
    return r;
}

/*
 * The three ways to expand must agree: the names-only walk lists the same names as the
 * full one (up to an expansion error, which names-only mode may not see), and when the
 * full walk ended normally cfg_count() counts exactly its cases.
 */
/* The dump pipeline (cfg_emit, two threads) writes what the full walk dumped, and
 * fails where it failed. */
static void emit_and_compare(const struct cfg *c, int rf, const struct strbuf *dumps)
{
    int fd = memfd_create("emit", 0);
    if (fd < 0)
        abort();
    static const struct cfg_emit_opts two = { .threads = 2 };
    int r = cfg_emit(c, CFG_EMIT_DUMP, &two, fd);
    /* and with the walk evaluating every case itself */
    if (!cfg_cancel && r >= 0) {
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
            abort();
        cfg_debug_help_lag = -1;
        r = cfg_emit(c, CFG_EMIT_DUMP, &two, fd);
        cfg_debug_help_lag = 0;
    }
    if (!cfg_cancel) {
        struct strbuf got = STRBUF_INIT;
        char buf[65536];
        ssize_t n;
        if (lseek(fd, 0, SEEK_SET) != 0)
            abort();
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            strbuf_add(&got, buf, (size_t)n);
        if ((r < 0) != (rf < 0) || got.len != dumps->len ||
            memcmp(got.buf, dumps->buf, got.len) != 0) {
            fprintf(stderr, "cfg_emit: %d and %zu bytes; the full walk: %d and %zu bytes\n",
                    r, got.len, rf, dumps->len);
            abort();
        }
        strbuf_release(&got);
    }
    close(fd);
}

/* What cfg_explain() needs to parse the input again. */
struct source {
    const char *file;
    const char *const *stmts;
    size_t nstmts;
    const struct cfg_opts *o;
};

#define MAX_EXPLAINED 3

/* The dump block of the first case NAME in DUMPS, without its "== " line. */
static const char *block_of(const struct strbuf *dumps, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = dumps->buf; p && *p;) {
        const char *end = strstr(p, "\n\n");
        if (!end)
            break;
        if (!strncmp(p, "== ", 3) && !strncmp(p + 3, name, nl) && p[3 + nl] == '\n') {
            *len = (size_t)(end + 1 - (p + 4 + nl));
            return p + 4 + nl;
        }
        p = end + 2;
    }
    return NULL;
}

/* The params lines (unindented, after "params (") of the first case explained in T,
 * up to the empty line that ends it (a dump line is never empty, but it may start with
 * "== ": the empty key's value "= x"). */
static void params_of(const char *t, struct strbuf *out)
{
    const char *p = strstr(t, "\nparams (");
    if (!p)
        return;
    for (p = strchr(p + 1, '\n') + 1; *p && *p != '\n';) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        if (*p != ' ')
            strbuf_add(out, p, len);
        p += len;
    }
}

/* Explain the first few cases of a complete walk: each is found (0) and its params are
 * its dump; a name no case has is an error or a dropped case. */
static void explain_and_compare(const struct source *src, const struct names *full,
                                const struct strbuf *dumps)
{
    struct strbuf out = STRBUF_INIT, got = STRBUF_INIT;
    for (size_t i = 0; i < full->n && i < MAX_EXPLAINED && !cfg_cancel; i++) {
        strbuf_reset(&out);
        strbuf_reset(&got);
        int r = cfg_explain(src->file, src->stmts, src->nstmts, src->o, full->name[i],
                            i == 1 ? CFG_EXPLAIN_JSON : 0, &out);
        if (cfg_cancel)
            break;
        if (r != 0) {
            fprintf(stderr, "cfg_explain '%s': %d (%s), but it is case %zu\n", full->name[i],
                    r, r < 0 ? err_msg() : out.buf, i);
            abort();
        }
        if (i == 1)
            continue;       /* JSON: no crash is the check */
        size_t len = 0;
        const char *want = block_of(dumps, full->name[i], &len);
        params_of(out.buf, &got);
        if (!want || got.len != len || memcmp(got.buf, want, len)) {
            fprintf(stderr, "cfg_explain '%s': params\n%s\nthe dump\n%.*s\n", full->name[i],
                    got.buf, (int)len, want ? want : "");
            abort();
        }
    }
    /* the first name without its first label (its labels exist, so the pass without
     * filters walks): found (0) iff a listed case bears it */
    const char *dot = full->n ? strchr(full->name[0], '.') : NULL;
    if (dot && !cfg_cancel) {
        const char *other = dot + 1;
        bool listed = false;
        for (size_t i = 0; i < full->n; i++)
            listed |= !strcmp(full->name[i], other) || !strcmp(full->shortname[i], other);
        strbuf_reset(&out);
        int r = cfg_explain(src->file, src->stmts, src->nstmts, src->o, other, 0, &out);
        if (!cfg_cancel && (r == 0) != listed) {
            fprintf(stderr, "cfg_explain '%s': %d (%s), %s\n", other, r,
                    r < 0 ? err_msg() : "", listed ? "a listed case" : "no listed case");
            abort();
        }
        if (r < 0 && !cfg_cancel)
            check_error_names_line_or_name();
    }
    strbuf_release(&out);
    strbuf_release(&got);
}

static void expand_and_compare(const struct cfg *c, const struct source *src)
{
    static struct names full, names;
    struct strbuf dumps = STRBUF_INIT;
    int rf = walk(c, false, &full, &dumps);
    if (rf <= 0 && !cfg_cancel)
        emit_and_compare(c, rf, &dumps);
    if (rf == 0 && !cfg_cancel)
        explain_and_compare(src, &full, &dumps);
    strbuf_release(&dumps);
    int rn = walk(c, true, &names, NULL);
    if (!cfg_cancel) {
        size_t n = full.n < names.n ? full.n : names.n;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(full.name[i], names.name[i]) ||
                strcmp(full.shortname[i], names.shortname[i])) {
                fprintf(stderr, "case %zu: full walk '%s' / '%s', names-only walk '%s' / '%s'\n",
                        i, full.name[i], full.shortname[i], names.name[i],
                        names.shortname[i]);
                abort();
            }
        }
        if (rf == 0 && (rn != 0 || names.n != full.n)) {
            fprintf(stderr, "full walk: %zu cases; names-only walk: %zu cases, then %d\n",
                    full.n, names.n, rn);
            abort();
        }
    }
    if (rf == 0 && !cfg_cancel) {
        long long cnt = cfg_count(c);
        if (cnt >= 0 && !cfg_cancel && cnt != (long long)full.n) {
            fprintf(stderr, "cfg_count %lld, full walk %zu cases\n", cnt, full.n);
            abort();
        }
    }
    names_free(&full);
    names_free(&names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *stmts[MAX_STMTS];
    size_t nstmts = 0;
    unsigned mode = size ? data[0] : 0;
    char *copy = xmalloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';

    /* file = up to the first NUL; statements = the following NUL-separated chunks */
    size_t flen = strlen(copy);
    for (size_t i = flen + 1; i < size && nstmts < MAX_STMTS; i += strlen(copy + i) + 1)
        stmts[nstmts++] = copy + i;
    FILE *f = fopen(input_path, "wb");
    if (!f)
        abort();
    fwrite(copy, 1, flen, f);
    fclose(f);

    const char *expand_blocks[] = { "guest", "os", NULL };
    struct cfg_opts o = {
        .defaults = mode & 1,
        .keep_suffixes = mode & 2,
        .expand_defaults = (mode & 16) ? expand_blocks : NULL,
        .include_root = root,
    };
    cfg_cancel = 0;
    atomic_store(&started_ms, now_ms());
    struct cfg *c = cfg_parse(input_path, stmts, nstmts, &o);
    struct source src = { input_path, stmts, nstmts, &o };
    if (c) {
        expand_and_compare(c, &src);
        cfg_free(c);
    } else {
        check_error_names_line();
    }
    atomic_store(&started_ms, 0);
    cfg_cancel = 0;
    err_clear();
    free(copy);
    return 0;
}

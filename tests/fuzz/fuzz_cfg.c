/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness over the whole Cartesian config engine: lexer, parser, expansion,
 * dump.  Built by `make fuzz`, run by tests/fuzz/run.
 *
 * Input: the bytes up to the first NUL are the config file; each further NUL-separated
 * chunk (at most 4) is one statement parsed after it, like --set.  The first byte also
 * picks the options (defaults mode, keep suffixes, names-only iteration, counting), so
 * every input exercises one combination without being cut.
 *
 * Bounds, so a legitimate but huge config is not reported as a hang: at most MAX_CASES
 * cases per input, and a watchdog thread sets cfg_cancel when one input has run for
 * CANCEL_MS (the engine must then stop promptly; if it does not, libFuzzer's -timeout
 * reports it).  Includes are confined to a temporary directory (cfg_opts.include_root)
 * that holds the input and a few files to include, among them one that includes itself.
 */
#include "cfg/cfg.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

static void expand(const struct cfg *c, bool names_only)
{
    struct cfg_iter *it = names_only ? cfg_iter_new_names(c) : cfg_iter_new(c);
    struct strbuf sb = STRBUF_INIT;
    const struct cfg_case *k;
    int r = 0;
    for (int n = 0; n < MAX_CASES && (r = cfg_iter_next(it, &k)) == 1; n++) {
        strbuf_reset(&sb);
        cfg_case_dump(k, &sb);
        if (!names_only) {
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
    if (c) {
        if (mode & 8)
            cfg_count(c);
        else
            expand(c, mode & 4);
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

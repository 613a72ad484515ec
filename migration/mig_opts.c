/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virsh migrate option words -> struct be_migrate_opts (migration/mig.h). */
#include "migration/mig.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"

/* How a word is read: a flag, a value virsh keeps for itself (the client side of
 * virsh migrate: --timeout ...), or a typed parameter of the call. */
enum word_kind {
    W_FLAG,         /* sets .flag */
    W_NOP,          /* no effect on the migration (--verbose: virsh's progress) */
    W_TIMEOUT,      /* --timeout N: seconds, > 0 */
    W_ACTION,       /* --timeout-suspend / --timeout-postcopy: .action */
    W_AFTER,        /* --postcopy-after-precopy */
    W_BANDWIDTH,    /* --bandwidth N: MiB/s (be_migrate_opts.bandwidth_mib) */
    W_STRING,       /* one string param */
    W_LIST,         /* comma-separated strings, one param each (virsh splits them) */
    W_FILE,         /* a file name; the param is the file's text (mig_opts_load_files) */
    W_INT,          /* int param, >= 0 */
    W_ULL,          /* unsigned long long param */
};

/* One row per word virsh migrate knows and the corpus uses: parsing, formatting and
 * the documentation read the same rows.  The flags and params are libvirt's
 * (tools/virsh-domain.c cmdMigrate); tests/unit/test_mig_words.c checks each row
 * against libvirt's own constants. */
static const struct mig_word {
    const char *word;
    enum word_kind kind;
    unsigned flag;                  /* W_FLAG */
    enum be_mig_param param;        /* W_STRING, W_LIST, W_FILE, W_INT, W_ULL */
    enum be_timeout_action action;  /* W_ACTION */
} words[] = {
    { "--live", W_FLAG, .flag = BE_MIG_LIVE },
    { "--p2p", W_FLAG, .flag = BE_MIG_P2P },
    { "--tunnelled", W_FLAG, .flag = BE_MIG_TUNNELLED },
    { "--persistent", W_FLAG, .flag = BE_MIG_PERSISTENT },
    { "--undefinesource", W_FLAG, .flag = BE_MIG_UNDEFINE_SOURCE },
    { "--unsafe", W_FLAG, .flag = BE_MIG_UNSAFE },
    { "--postcopy", W_FLAG, .flag = BE_MIG_POSTCOPY },
    { "--auto-converge", W_FLAG, .flag = BE_MIG_AUTO_CONVERGE },
    { "--compressed", W_FLAG, .flag = BE_MIG_COMPRESSED },
    { "--offline", W_FLAG, .flag = BE_MIG_OFFLINE },
    { "--postcopy-resume", W_FLAG, .flag = BE_MIG_POSTCOPY_RESUME },
    { "--direct", W_FLAG, .flag = BE_MIG_DIRECT },
    { "--suspend", W_FLAG, .flag = BE_MIG_PAUSED },
    { "--copy-storage-all", W_FLAG, .flag = BE_MIG_COPY_STORAGE_ALL },
    { "--copy-storage-inc", W_FLAG, .flag = BE_MIG_COPY_STORAGE_INC },
    { "--copy-storage-synchronous-writes", W_FLAG, .flag = BE_MIG_COPY_STORAGE_SYNC },
    { "--change-protection", W_FLAG, .flag = BE_MIG_CHANGE_PROTECTION },
    { "--rdma-pin-all", W_FLAG, .flag = BE_MIG_RDMA_PIN_ALL },
    { "--abort-on-error", W_FLAG, .flag = BE_MIG_ABORT_ON_ERROR },
    { "--tls", W_FLAG, .flag = BE_MIG_TLS },
    { "--parallel", W_FLAG, .flag = BE_MIG_PARALLEL },
    { "--zerocopy", W_FLAG, .flag = BE_MIG_ZEROCOPY },
    { "--postcopy-after-precopy", W_AFTER, .flag = 0 },
    { "--verbose", W_NOP, .flag = 0 },
    { "--timeout", W_TIMEOUT, .flag = 0 },
    { "--timeout-suspend", W_ACTION, .action = BE_TIMEOUT_SUSPEND },
    { "--timeout-postcopy", W_ACTION, .action = BE_TIMEOUT_POSTCOPY },
    { "--bandwidth", W_BANDWIDTH, .flag = 0 },
    { "--migrateuri", W_STRING, .param = BE_MP_URI },
    { "--graphicsuri", W_STRING, .param = BE_MP_GRAPHICS_URI },
    { "--listen-address", W_STRING, .param = BE_MP_LISTEN_ADDRESS },
    { "--dname", W_STRING, .param = BE_MP_DEST_NAME },
    { "--xml", W_FILE, .param = BE_MP_DEST_XML },
    { "--persistent-xml", W_FILE, .param = BE_MP_PERSIST_XML },
    { "--migrate-disks", W_LIST, .param = BE_MP_MIGRATE_DISKS },
    { "--migrate-disks-detect-zeroes", W_LIST, .param = BE_MP_DISKS_DETECT_ZEROES },
    { "--disks-port", W_INT, .param = BE_MP_DISKS_PORT },
    { "--disks-uri", W_STRING, .param = BE_MP_DISKS_URI },
    { "--comp-methods", W_LIST, .param = BE_MP_COMPRESSION },
    { "--comp-mt-level", W_INT, .param = BE_MP_COMP_MT_LEVEL },
    { "--comp-mt-threads", W_INT, .param = BE_MP_COMP_MT_THREADS },
    { "--comp-mt-dthreads", W_INT, .param = BE_MP_COMP_MT_DTHREADS },
    { "--comp-xbzrle-cache", W_ULL, .param = BE_MP_COMP_XBZRLE_CACHE },
    { "--comp-zlib-level", W_INT, .param = BE_MP_COMP_ZLIB_LEVEL },
    { "--comp-zstd-level", W_INT, .param = BE_MP_COMP_ZSTD_LEVEL },
    { "--auto-converge-initial", W_INT, .param = BE_MP_AUTO_CONVERGE_INITIAL },
    { "--auto-converge-increment", W_INT, .param = BE_MP_AUTO_CONVERGE_INCREMENT },
    { "--postcopy-bandwidth", W_ULL, .param = BE_MP_BANDWIDTH_POSTCOPY },
    { "--parallel-connections", W_INT, .param = BE_MP_PARALLEL_CONNECTIONS },
    { "--tls-destination", W_STRING, .param = BE_MP_TLS_DESTINATION },
};

/* What a bare word (no leading "--") fills: the first of these not given yet, as
 * virsh's parser does for the options with a value, in the order cmdMigrate declares
 * them (opts_migrate of tools/virsh-domain.c, libvirt 9.0), after <domain> and
 * <desturi>, which vtrun gives.  tp-libvirt relies on it: live_migration's
 * unreachable_migrateuri passes "tcp://192.168.5.123" alone as the migration URI. */
static const char *const positional[] = {
    "--migrateuri", "--graphicsuri", "--listen-address", "--dname", "--timeout", "--xml",
    "--migrate-disks", "--disks-port", "--disks-uri", "--comp-methods", "--comp-mt-level",
    "--comp-mt-threads", "--comp-mt-dthreads", "--comp-xbzrle-cache",
    "--auto-converge-initial", "--auto-converge-increment", "--persistent-xml",
    "--postcopy-bandwidth", "--parallel-connections", "--bandwidth", "--tls-destination",
};

/* Words that take a value (written "--w V" or "--w=V"). */
static bool takes_value(enum word_kind k)
{
    return k == W_TIMEOUT || k == W_BANDWIDTH || k >= W_STRING;
}

static const struct mig_word *lookup(const char *w, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strlen(words[i].word) == len && !strncmp(w, words[i].word, len))
            return &words[i];
    return NULL;
}

static void add_param(struct be_migrate_opts *o, enum be_mig_param id, const char *str,
                      long long num)
{
    o->params = xrealloc(o->params, (o->nparams + 1) * sizeof(*o->params));
    o->params[o->nparams++] = (struct be_mig_param_val){
        .id = id, .str = str ? xstrdup(str) : NULL, .num = num };
}

/* A number as virsh reads it (vshCommandOptInt/ULongLong): digits only, in range. */
static int parse_num(const char *word, const char *s, unsigned long long max,
                     unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = (s && *s && *s != '-') ? strtoull(s, &end, 10) : 0;
    if (!s || !*s || *s == '-' || errno || *end || v > max) {
        err_set("migrate options: %s: numeric value '%s' is malformed or out of range",
                word, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* One word (and its value) into o. */
static int apply(const struct mig_word *mw, const char *val, struct be_migrate_opts *o,
                 bool *after_precopy, bool *has_timeout)
{
    unsigned long long n;
    char *end;

    switch (mw->kind) {
    case W_FLAG:
        o->flags |= mw->flag;
        return 0;
    case W_NOP:
        return 0;
    case W_AFTER:
        *after_precopy = true;
        return 0;
    case W_ACTION:
        if (o->timeout_action && o->timeout_action != mw->action) {
            err_set("migrate options: --timeout-suspend and --timeout-postcopy "
                    "exclude each other");
            return -1;
        }
        o->timeout_action = mw->action;
        return 0;
    case W_TIMEOUT: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno || *end || !(v > 0)) {
            err_set("migrate options: --timeout must be a positive number, got '%s'", val);
            return -1;
        }
        o->timeout_s = v;
        *has_timeout = true;
        return 0;
    }
    case W_BANDWIDTH:
        if (parse_num(mw->word, val, ULONG_MAX, &n) < 0)
            return -1;
        o->bandwidth_mib = (unsigned long)n;
        return 0;
    case W_STRING:
    case W_FILE:
        add_param(o, mw->param, val, 0);
        return 0;
    case W_LIST: {
        /* virsh splits on commas (",," is a literal comma there; never in the corpus) */
        char *copy = xstrdup(val), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            add_param(o, mw->param, t, 0);
        free(copy);
        return 0;
    }
    case W_INT: {
        /* vshCommandOptInt: a signed int ("--parallel-connections -1" reaches libvirt,
         * whose answer tp-libvirt's set_minus checks) */
        errno = 0;
        long v = val && *val ? strtol(val, &end, 10) : 0;
        if (!val || !*val || errno || *end || v < INT_MIN || v > INT_MAX) {
            err_set("migrate options: %s: numeric value '%s' is malformed or out of range",
                    mw->word, val ? val : "");
            return -1;
        }
        add_param(o, mw->param, NULL, (long long)v);
        return 0;
    }
    case W_ULL:
        if (parse_num(mw->word, val, LLONG_MAX, &n) < 0)
            return -1;
        add_param(o, mw->param, NULL, (long long)n);
        return 0;
    }
    return 0;
}

/* The combinations virsh itself rejects before calling libvirt (cmdMigrate), so a
 * case gets the error it would get from virsh, not one from the backend. */
static int check_combinations(const struct be_migrate_opts *o, bool after_precopy,
                              bool has_timeout)
{
    static const struct {
        unsigned need, of;          /* flags `of` need one of the flags `need` */
        const char *why;
    } needs[] = {
        { BE_MIG_P2P, BE_MIG_TUNNELLED, "--tunnelled needs --p2p" },
        { BE_MIG_POSTCOPY, BE_MIG_POSTCOPY_RESUME, "--postcopy-resume needs --postcopy" },
        { BE_MIG_COPY_STORAGE_ALL | BE_MIG_COPY_STORAGE_INC, BE_MIG_COPY_STORAGE_SYNC,
          "--copy-storage-synchronous-writes needs --copy-storage-all or "
          "--copy-storage-inc" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(needs); i++)
        if ((o->flags & needs[i].of) && !(o->flags & needs[i].need)) {
            err_set("migrate options: %s", needs[i].why);
            return -1;
        }
    if (after_precopy && !(o->flags & BE_MIG_POSTCOPY)) {
        err_set("migrate options: --postcopy-after-precopy needs --postcopy");
        return -1;
    }
    if ((o->flags & BE_MIG_LIVE) && (o->flags & BE_MIG_OFFLINE)) {
        err_set("migrate options: --live and --offline exclude each other");
        return -1;
    }
    if (has_timeout && !(o->flags & BE_MIG_LIVE)) {
        err_set("migrate options: --timeout needs --live");
        return -1;
    }
    if (o->timeout_action == BE_TIMEOUT_POSTCOPY && !(o->flags & BE_MIG_POSTCOPY)) {
        err_set("migrate options: --timeout-postcopy needs --postcopy");
        return -1;
    }
    return 0;
}

void mig_opts_release(struct be_migrate_opts *opts)
{
    for (size_t i = 0; i < opts->nparams; i++)
        free(opts->params[i].str);
    free(opts->params);
    opts->params = NULL;
    opts->nparams = 0;
}

/* The words of text as a POSIX shell splits them, for the quoting tp-libvirt's
 * strings use ("--tls-destination ''"): blanks separate, '...' is literal, "..."
 * keeps blanks (\" and \\ inside), a backslash outside quotes escapes the next
 * character.  NULL-terminated; -1 + err on an unterminated quote. */
static int split_words(const char *text, char ***out, size_t *n)
{
    struct strbuf w = STRBUF_INIT;
    char **v = NULL;
    size_t nv = 0;
    const char *p = text ? text : "";

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        strbuf_reset(&w);
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            char q = *p;
            if (q == '\'' || q == '"') {
                const char *end = p + 1;
                while (*end && *end != q) {
                    if (q == '"' && *end == '\\' && (end[1] == '"' || end[1] == '\\'))
                        end++;
                    strbuf_addch(&w, *end++);
                }
                if (!*end) {
                    err_set("migrate options: unterminated %c in '%s'", q, text);
                    for (size_t i = 0; i < nv; i++)
                        free(v[i]);
                    free(v);
                    strbuf_release(&w);
                    return -1;
                }
                p = end + 1;
            } else if (q == '\\' && p[1]) {
                strbuf_addch(&w, p[1]);
                p += 2;
            } else {
                strbuf_addch(&w, *p++);
            }
        }
        v = xrealloc(v, (nv + 2) * sizeof(*v));
        v[nv++] = xstrdup(w.buf);
        v[nv] = NULL;
    }
    strbuf_release(&w);
    *out = v;
    *n = nv;
    return 0;
}

int mig_opts_parse(const char *text, struct be_migrate_opts *opts)
{
    struct be_migrate_opts o = *opts;
    bool has_timeout = false, after_precopy = false, usage = false;
    char **argv = NULL;
    size_t argc = 0;
    int ret = -1;

    if (split_words(text, &argv, &argc) < 0)
        return -1;
    /* the params so far are copied, so a failure leaves *opts as it was */
    o.params = NULL;
    o.nparams = 0;
    for (size_t i = 0; i < opts->nparams; i++)
        add_param(&o, opts->params[i].id, opts->params[i].str, opts->params[i].num);
    bool seen[ARRAY_SIZE(words)] = { false };
    for (size_t i = 0; i < argc; i++) {
        const char *w = argv[i];
        const char *eq = strchr(w, '=');
        const struct mig_word *mw = NULL;
        const char *val = NULL;

        if (strncmp(w, "--", 2)) {
            for (size_t k = 0; k < ARRAY_SIZE(positional) && !mw; k++) {
                mw = lookup(positional[k], strlen(positional[k]));
                mw = seen[mw - words] ? NULL : mw;
            }
            if (!mw) {
                err_set("migrate options: unexpected data '%s'", w);
                usage = true;
                goto cleanup;
            }
            seen[mw - words] = true;
            if (apply(mw, w, &o, &after_precopy, &has_timeout) < 0) {
                usage = true;
                goto cleanup;
            }
            continue;
        }
        mw = lookup(w, eq ? (size_t)(eq - w) : strlen(w));
        if (!mw) {
            err_set("migrate options: unknown word '%s'", w);
            goto cleanup;
        }
        seen[mw - words] = true;
        if (takes_value(mw->kind)) {
            val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!val) {
                err_set("migrate options: %s needs a value", mw->word);
                usage = true;
                goto cleanup;
            }
        } else if (eq) {
            err_set("migrate options: %s takes no value", mw->word);
            usage = true;
            goto cleanup;
        }
        if (apply(mw, val, &o, &after_precopy, &has_timeout) < 0) {
            usage = true;
            goto cleanup;
        }
    }
    if (check_combinations(&o, after_precopy, has_timeout) < 0) {
        usage = true;
        goto cleanup;
    }
    if (after_precopy)
        o.postcopy_after_precopy = true;
    mig_opts_release(opts);
    *opts = o;
    ret = 0;
cleanup:
    if (ret < 0)
        mig_opts_release(&o);
    if (usage)
        ret = -2;
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return ret;
}

int mig_opts_load_files(struct be_migrate_opts *opts)
{
    for (size_t i = 0; i < opts->nparams; i++) {
        struct be_mig_param_val *v = &opts->params[i];
        struct strbuf sb = STRBUF_INIT;

        if (v->id != BE_MP_DEST_XML && v->id != BE_MP_PERSIST_XML)
            continue;
        /* virsh's words, so a case's err_msg about a missing file matches */
        if (strbuf_read_file(&sb, v->str, 0) < 0) {
            err_set("error: Failed to open file '%s': %s", v->str, strerror(errno));
            strbuf_release(&sb);
            return -1;
        }
        free(v->str);
        v->str = strbuf_detach(&sb, NULL);
    }
    return 0;
}

void mig_opts_add_text(struct be_migrate_opts *opts, enum be_mig_param id, const char *text)
{
    add_param(opts, id, text, 0);
}

const char *mig_opts_param_value(const struct be_migrate_opts *opts, enum be_mig_param id)
{
    for (size_t i = 0; i < opts->nparams; i++)
        if (opts->params[i].id == id)
            return opts->params[i].str;
    return NULL;
}

/* The word of a param id (first row that sets it). */
static const struct mig_word *param_word(enum be_mig_param id)
{
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (words[i].kind >= W_STRING && words[i].param == id)
            return &words[i];
    return NULL;
}

char *mig_opts_format(const struct be_migrate_opts *opts)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        const struct mig_word *w = &words[i];
        if ((w->kind == W_FLAG && (opts->flags & w->flag)) ||
            (w->kind == W_AFTER && opts->postcopy_after_precopy) ||
            (w->kind == W_ACTION && opts->timeout_action == w->action))
            strbuf_addf(&sb, "%s%s", sb.len ? " " : "", w->word);
        else if (w->kind == W_TIMEOUT && opts->timeout_s > 0)
            strbuf_addf(&sb, "%s--timeout %g", sb.len ? " " : "", opts->timeout_s);
        else if (w->kind == W_BANDWIDTH && opts->bandwidth_mib)
            strbuf_addf(&sb, "%s--bandwidth %lu", sb.len ? " " : "", opts->bandwidth_mib);
    }
    for (size_t i = 0; i < opts->nparams; i++) {
        const struct be_mig_param_val *v = &opts->params[i];
        const struct mig_word *w = param_word(v->id);
        if (!w)
            continue;
        if (v->str && (!*v->str || strpbrk(v->str, " \t\n'\"\\"))) {
            strbuf_addf(&sb, "%s%s ", sb.len ? " " : "", w->word);
            strbuf_add_sq(&sb, v->str);
        } else if (v->str)
            strbuf_addf(&sb, "%s%s %s", sb.len ? " " : "", w->word, v->str);
        else
            strbuf_addf(&sb, "%s%s %lld", sb.len ? " " : "", w->word, v->num);
    }
    return strbuf_detach(&sb, NULL);
}

bool mig_opts_word_known(const char *word)
{
    return lookup(word, strlen(word)) != NULL;
}

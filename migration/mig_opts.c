/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virsh migrate flag words -> struct be_migrate_opts (migration/mig.h). */
#include "migration/mig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"

/* One table for parsing and formatting, so the two cannot drift. */
static const struct {
    const char *word;
    unsigned flag;
} flag_words[] = {
    { "--live",           BE_MIG_LIVE },
    { "--p2p",            BE_MIG_P2P },
    { "--tunnelled",      BE_MIG_TUNNELLED },
    { "--persistent",     BE_MIG_PERSISTENT },
    { "--undefinesource", BE_MIG_UNDEFINE_SOURCE },
    { "--unsafe",         BE_MIG_UNSAFE },
    { "--postcopy",       BE_MIG_POSTCOPY },
    { "--auto-converge",  BE_MIG_AUTO_CONVERGE },
    { "--compressed",     BE_MIG_COMPRESSED },
    { "--offline",        BE_MIG_OFFLINE },
    { "--tls",            BE_MIG_TLS },
    { "--copy-storage-all", BE_MIG_COPY_STORAGE_ALL },
    { "--copy-storage-inc", BE_MIG_COPY_STORAGE_INC },
    { "--direct",         BE_MIG_DIRECT },
    { "--postcopy-resume", BE_MIG_POSTCOPY_RESUME },
};

/* What --timeout does when it expires (backends/be.h, enum be_timeout_action).
 * Without either word vtrun aborts the hop (or switches to postcopy with
 * --postcopy), where virsh would suspend the guest. */
static const struct {
    const char *word;
    enum be_timeout_action action;
} action_words[] = {
    { "--timeout-suspend",  BE_TIMEOUT_SUSPEND },
    { "--timeout-postcopy", BE_TIMEOUT_POSTCOPY },
};

/* A non-negative number for --timeout / --bandwidth; `what` names it in errors. */
static int parse_number(const char *what, const char *s, double *out)
{
    char *end;
    if (!s || !*s) {
        err_set("migrate options: %s needs a value", what);
        return -1;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || v < 0 || v != v) {
        err_set("migrate options: %s: '%s' is not a non-negative number", what, s);
        return -1;
    }
    *out = v;
    return 0;
}

int mig_opts_parse(const char *words, struct be_migrate_opts *opts)
{
    struct be_migrate_opts o = *opts;
    char *copy = xstrdup(words ? words : "");
    char *save = NULL;
    bool has_timeout = false, after_precopy = false;
    int ret = -1;

    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        size_t i;
        for (i = 0; i < ARRAY_SIZE(flag_words); i++)
            if (!strcmp(w, flag_words[i].word))
                break;
        if (i < ARRAY_SIZE(flag_words)) {
            o.flags |= flag_words[i].flag;
            continue;
        }
        if (!strcmp(w, "--postcopy-after-precopy")) {
            after_precopy = true;
            continue;
        }
        for (i = 0; i < ARRAY_SIZE(action_words); i++)
            if (!strcmp(w, action_words[i].word))
                break;
        if (i < ARRAY_SIZE(action_words)) {
            if (o.timeout_action && o.timeout_action != action_words[i].action) {
                err_set("migrate options: --timeout-suspend and --timeout-postcopy "
                        "exclude each other");
                goto cleanup;
            }
            o.timeout_action = action_words[i].action;
            continue;
        }
        /* --timeout N, --timeout=N, --bandwidth N, --bandwidth=N */
        const char *name = NULL;
        if (!strncmp(w, "--timeout", 9) && (!w[9] || w[9] == '='))
            name = "--timeout";
        else if (!strncmp(w, "--bandwidth", 11) && (!w[11] || w[11] == '='))
            name = "--bandwidth";
        if (!name) {
            err_set("migrate options: unknown word '%s'", w);
            goto cleanup;
        }
        const char *val = w[strlen(name)] == '=' ? w + strlen(name) + 1
                                                  : strtok_r(NULL, " \t\n", &save);
        double v;
        if (parse_number(name, val, &v) < 0)
            goto cleanup;
        if (!strcmp(name, "--timeout")) {
            if (v <= 0) {
                err_set("migrate options: --timeout must be positive, got '%s'", val);
                goto cleanup;
            }
            o.timeout_s = v;
            has_timeout = true;
        } else {
            o.bandwidth_mib = (unsigned long)v;
        }
    }

    /* The combinations virsh rejects: better a config error than a backend one. */
    if ((o.flags & BE_MIG_TUNNELLED) && !(o.flags & BE_MIG_P2P)) {
        err_set("migrate options: --tunnelled needs --p2p");
        goto cleanup;
    }
    if (after_precopy && !(o.flags & BE_MIG_POSTCOPY)) {
        err_set("migrate options: --postcopy-after-precopy needs --postcopy");
        goto cleanup;
    }
    if ((o.flags & BE_MIG_LIVE) && (o.flags & BE_MIG_OFFLINE)) {
        err_set("migrate options: --live and --offline exclude each other");
        goto cleanup;
    }
    if ((o.flags & BE_MIG_COPY_STORAGE_ALL) && (o.flags & BE_MIG_COPY_STORAGE_INC)) {
        err_set("migrate options: --copy-storage-all and --copy-storage-inc exclude each "
                "other");
        goto cleanup;
    }
    if ((o.flags & BE_MIG_DIRECT) && (o.flags & (BE_MIG_P2P | BE_MIG_TUNNELLED))) {
        err_set("migrate options: --direct excludes --p2p and --tunnelled");
        goto cleanup;
    }
    if (has_timeout && !(o.flags & BE_MIG_LIVE)) {
        err_set("migrate options: --timeout needs --live");
        goto cleanup;
    }
    if (o.timeout_action == BE_TIMEOUT_POSTCOPY && !(o.flags & BE_MIG_POSTCOPY)) {
        err_set("migrate options: --timeout-postcopy needs --postcopy");
        goto cleanup;
    }
    if ((o.flags & BE_MIG_POSTCOPY_RESUME) && !(o.flags & BE_MIG_POSTCOPY)) {
        err_set("migrate options: --postcopy-resume needs --postcopy");
        goto cleanup;
    }
    if (after_precopy)
        o.postcopy_after_precopy = true;
    *opts = o;
    ret = 0;
cleanup:
    free(copy);
    return ret;
}

char *mig_opts_format(const struct be_migrate_opts *opts)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(flag_words); i++)
        if (opts->flags & flag_words[i].flag)
            strbuf_addf(&sb, "%s%s", sb.len ? " " : "", flag_words[i].word);
    if (opts->postcopy_after_precopy)
        strbuf_addf(&sb, "%s--postcopy-after-precopy", sb.len ? " " : "");
    if (opts->timeout_s > 0)
        strbuf_addf(&sb, "%s--timeout %g", sb.len ? " " : "", opts->timeout_s);
    for (size_t i = 0; i < ARRAY_SIZE(action_words); i++)
        if (opts->timeout_action == action_words[i].action)
            strbuf_addf(&sb, "%s%s", sb.len ? " " : "", action_words[i].word);
    if (opts->bandwidth_mib)
        strbuf_addf(&sb, "%s--bandwidth %lu", sb.len ? " " : "", opts->bandwidth_mib);
    return strbuf_detach(&sb, NULL);
}

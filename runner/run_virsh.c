/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virsh as the tool under test, through the host transport (runner/run_virsh.h). */
#include "runner/run_virsh.h"

#include "lib/err.h"
#include "virt/virt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>
#include <string.h>

/* a virsh command that hangs is a failure of the test, not a stuck job */
#define VIRSH_TIMEOUT_S 60

char *run_virsh_uri(const struct run_ctx *ctx, int h)
{
    const char *uri = ctx->hosts[h].uri;
    char *remote = run_uri_remote_host(uri);
    if (!remote)
        return xstrdup(uri);
    free(remote);
    /* driver (before '+' or ':') and path (after the authority) */
    size_t drv = strcspn(uri, "+:");
    const char *auth = strstr(uri, "://");
    const char *path = auth ? strchr(auth + 3, '/') : NULL;
    return xasprintf("%.*s://%s", (int)drv, uri, path ? path : "/system");
}

int run_virsh_words(struct run_ctx *ctx, int h, const char *const *words,
                    struct run_virsh *r)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link)
        return -1;
    size_t n = 0;
    while (words[n])
        n++;
    char *uri = run_virsh_uri(ctx, h);
    const char **argv = xcalloc(n + 4, sizeof(*argv));
    argv[0] = "virsh";
    argv[1] = "-c";
    argv[2] = uri;
    memcpy(argv + 3, words, n * sizeof(*argv));
    strbuf_reset(&r->out);
    strbuf_reset(&r->err);
    r->status = -1;
    int rc = virt_host_run(link, argv, VIRSH_TIMEOUT_S, &r->out, &r->err, &r->status);
    /* the transport logs the command line; this, what virsh answered */
    if (rc == 0)
        run_log(ctx, "virsh %s: exit %d%s%s%s%s", words[0] ? words[0] : "", r->status,
                r->out.len ? ", stdout: " : "", r->out.buf, r->err.len ? ", stderr: " : "",
                r->err.buf);
    free(argv);
    free(uri);
    return rc;
}

void run_virsh_release(struct run_virsh *r)
{
    strbuf_release(&r->out);
    strbuf_release(&r->err);
}

/* 1 when pattern is found in text, 0 not, -1 a pattern that does not compile. */
static int search(const char *pattern, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
                                   NULL);
    if (!re) {
        err_set("err_msg '%s' is no regular expression", pattern);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int m = pcre2_match(re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return m >= 0;
}

int run_virsh_expect(const char *what, const struct run_virsh *r, bool status_error,
                     const char *err_msg)
{
    const char *err = r->err.len ? r->err.buf : r->out.buf;
    if (!status_error) {
        if (r->status == 0)
            return 0;
        err_set("%s: expected to succeed, exit %d: %s", what, r->status, err);
        return -1;
    }
    if (r->status == 0) {
        err_set("%s: expected to fail%s%s, but it succeeded", what,
                err_msg ? " with " : "", err_msg ? err_msg : "");
        return -1;
    }
    if (!err_msg)
        return 0;
    int m = search(err_msg, err);
    if (m < 0)
        return -1;
    if (m)
        return 0;
    err_set("%s: expected to fail with '%s', but it failed with: %s", what, err_msg, err);
    return -1;
}

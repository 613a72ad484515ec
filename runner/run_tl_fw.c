/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_fw: avocado-vt's libvirt_network.setup_firewall_rule(params) and
 * cleanup_firewall_rule(params), steps of the timeline engine.
 *
 * The reference adds firewalld direct rules: firewall_rule_on_dest on the destination
 * and firewall_rule_on_src on the source, each written as firewall-cmd --direct takes
 * them ("ipv4 filter INPUT 0 -p tcp --dport 49155 -j DROP"); cleanup removes them.
 * vtrun reads such a rule into an nftables rule (virt_hostop_fw_add) in the host's own
 * network namespace: the same packets dropped, recorded as a leftover until removed.
 * The rules live in the record the type attached to its test (run_tl_fw_attach): they
 * outlive the hop that added them (a resume runs with them, as in the reference) and
 * the type's cleanup removes what is left on every path.  A test of a type that
 * attached no record gets an ERROR from these steps, never a rule nobody removes.
 * Rule words vtrun does not read (other tables, matches, targets) are an ERROR naming
 * the rule, decided before the case starts (run_tl_fw_rule_parse).
 */
#include "runner/run_tl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "virt/virt.h"

/* ---- the rule text ------------------------------------------------------------- */

static int fw_port(const char *w, unsigned *out)
{
    char *end;
    long n = w ? strtol(w, &end, 10) : 0;
    if (!w || end == w || *end || n < 1 || n > 65535) {
        err_set("'%s' is not a port", w ? w : "");
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* The option words after "FAMILY filter CHAIN PRIORITY". */
static int fw_options(char **w, struct virt_fw_rule *r)
{
    for (size_t k = 0; w[k]; k += 2) {
        const char *o = w[k], *v = w[k + 1];
        if (!v) {
            err_set("'%s' without a value", o);
            return -1;
        }
        if (!strcmp(o, "-p") && (!strcmp(v, "tcp") || !strcmp(v, "udp")))
            r->proto = !strcmp(v, "tcp") ? "tcp" : "udp";
        else if (!strcmp(o, "--dport")) {
            if (fw_port(v, &r->port_min) < 0)
                return -1;
        } else if (!strcmp(o, "--sport")) {
            if (fw_port(v, &r->sport) < 0)
                return -1;
        } else if (!strcmp(o, "-j") && (!strcmp(v, "DROP") || !strcmp(v, "REJECT")))
            r->reject = !strcmp(v, "REJECT");
        else {
            err_set("'%s %s' is not built", o, v);
            return -1;
        }
    }
    return 0;
}

/* The words of text, in order, repeats kept (NULL-terminated; caller frees w[0], w). */
static char **fw_words_of(const char *text, size_t *n)
{
    char *copy = xstrdup(text), *save = NULL;
    char **w = xcalloc(strlen(text) / 2 + 2, sizeof(*w));
    *n = 0;
    for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
        w[(*n)++] = tok;
    if (!*n)
        free(copy);
    return w;
}

int run_tl_fw_rule_parse(const char *text, struct virt_fw_rule *out)
{
    size_t n;
    char **w = fw_words_of(text, &n);
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (n < 4 || (strcmp(w[0], "ipv4") && strcmp(w[0], "ipv6")) || strcmp(w[1], "filter") ||
        (strcmp(w[2], "INPUT") && strcmp(w[2], "OUTPUT"))) {
        err_set("firewall rule '%s': expected 'ipv4|ipv6 filter INPUT|OUTPUT PRIORITY "
                "ARGS...'", text);
        goto out;
    }
    out->chain = !strcmp(w[2], "INPUT") ? "input" : "output";
    out->proto = "tcp";
    if (fw_options(w + 4, out) < 0) {
        err_prefix("firewall rule '%s'", text);
        goto out;
    }
    if (!out->port_min && !out->sport) {
        err_set("firewall rule '%s': no port: it would drop every packet", text);
        goto out;
    }
    rc = 0;
out:
    /* the chain and protocol point at literals: the words can go */
    if (n)
        free(w[0]);
    free(w);
    return rc;
}

int run_tl_fw_params_check(const struct params *p)
{
    static const char *const keys[] = { "firewall_rule_on_dest", "firewall_rule_on_src" };
    struct virt_fw_rule r;
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        const char *v = params_get(p, keys[k]);
        if (v && *v && run_tl_fw_rule_parse(v, &r) < 0) {
            err_prefix("%s", keys[k]);
            return -1;
        }
    }
    return 0;
}

/* ---- the record a test attached ------------------------------------------------- */

/* Jobs run cases on worker threads: one row per test that attached a record. */
static pthread_mutex_t fw_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const struct run_ctx *ctx;
    struct virt_hostops *ops;
} fw_recs[64];

int run_tl_fw_attach(const struct run_ctx *ctx, struct virt_hostops *ops)
{
    int rc = -1;
    pthread_mutex_lock(&fw_lock);
    for (size_t k = 0; k < ARRAY_SIZE(fw_recs) && rc < 0; k++)
        if (!fw_recs[k].ctx) {
            fw_recs[k].ctx = ctx;
            fw_recs[k].ops = ops;
            rc = 0;
        }
    pthread_mutex_unlock(&fw_lock);
    if (rc < 0)
        err_set("more than %zu tests with firewall rules at once", ARRAY_SIZE(fw_recs));
    return rc;
}

void run_tl_fw_detach(const struct run_ctx *ctx)
{
    pthread_mutex_lock(&fw_lock);
    for (size_t k = 0; k < ARRAY_SIZE(fw_recs); k++)
        if (fw_recs[k].ctx == ctx)
            fw_recs[k].ctx = NULL;
    pthread_mutex_unlock(&fw_lock);
}

static struct virt_hostops *fw_ops_of(const struct run_ctx *ctx)
{
    struct virt_hostops *ops = NULL;
    pthread_mutex_lock(&fw_lock);
    for (size_t k = 0; k < ARRAY_SIZE(fw_recs) && !ops; k++)
        if (fw_recs[k].ctx == ctx)
            ops = fw_recs[k].ops;
    pthread_mutex_unlock(&fw_lock);
    return ops;
}

/* ---- the steps ------------------------------------------------------------------- */

static enum mig_tl_verdict fw_add(struct run_ctx *ctx, struct virt_hostops *ops, int host,
                                  const char *text, struct strbuf *why)
{
    struct virt_fw_rule r;
    struct virt_host *link = run_host_link(ctx, host);
    if (run_tl_fw_rule_parse(text, &r) < 0 || !link) {
        strbuf_addstr(why, err_msg());
        return MIG_TL_ERROR;
    }
    if (virt_hostop_fw_add(ops, link, &r) < 0) {
        strbuf_addf(why, "firewall rule '%s' not added on %s: %s", text,
                    ctx->hosts[host].name, err_msg());
        return MIG_TL_ERROR;
    }
    run_log(ctx, "firewall rule '%s' added on %s", text, ctx->hosts[host].name);
    return MIG_TL_OK;
}

RUN_TL_MOS_STEP(run_tl_fw_setup)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    const char *dst = params_get(p, "firewall_rule_on_dest");
    const char *src = params_get(p, "firewall_rule_on_src");
    struct virt_hostops *ops = fw_ops_of(ctx);
    enum mig_tl_verdict v = MIG_TL_OK;
    (void)a;
    if (!ops) {
        strbuf_addstr(why, "setup_firewall_rule: the type keeps no record of host rules");
        return MIG_TL_ERROR;
    }
    if (dst && *dst)
        v = fw_add(ctx, ops, h->to, dst, why);
    if (v == MIG_TL_OK && src && *src)
        v = fw_add(ctx, ops, h->from, src, why);
    return v;
}

RUN_TL_MOS_STEP(run_tl_fw_cleanup)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct virt_hostops *ops = fw_ops_of(ctx);
    (void)a;
    if (!ops) {
        strbuf_addstr(why, "cleanup_firewall_rule: the type keeps no record of host rules");
        return MIG_TL_ERROR;
    }
    if (virt_hostops_undo(ops) < 0) {
        strbuf_addf(why, "cleanup_firewall_rule: %s", err_msg());
        return MIG_TL_ERROR;
    }
    run_log(ctx, "firewall rules removed");
    return MIG_TL_OK;
}

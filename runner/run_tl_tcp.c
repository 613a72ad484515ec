/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_tcp: avocado-vt's libvirt_network.check_sockets_statistics(server_ip,
 * server_user, server_pwd, check_patterns), a step of the timeline engine for the
 * `tcp` family of tp-libvirt's copy-storage migrations.
 *
 * The reference runs `ss -tnap | grep qemu-kvm` on server_ip and requires each regex
 * of check_patterns (a list literal, re.search over the whole output) to be found
 * (libvirt.check_status_output: a grep that found no QEMU line fails too).  vtrun runs
 * `ss -tnap` from an argv on the host whose address (or name) server_ip is, through
 * the host transport, and keeps the lines of the hypervisor's process as grep would:
 * qemu-kvm on the RHEL hosts the configs were written on, qemu-system-ARCH on Debian's
 * (ss prints the command name, cut at 15 characters).
 */
#include "runner/run_tl.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl_tls.h"
#include "virt/virt.h"

/* a host command of a step: a hang is the step's failure */
#define TCP_SS_TIMEOUT_S 30

/* The string value of key in the action's dict, or NULL. */
static const char *tcp_arg(const struct mig_action *a, const char *key)
{
    const struct pylit *v = pylit_get(&a->dict, key);
    return v && v->kind == PYLIT_STR ? v->s : NULL;
}

int run_tl_tcp_sockets_arg_check(const struct mig_action *a)
{
    if (a->step != MIG_STEP_CHECK_SOCKETS)
        return 0;
    if (a->arg != MIG_ARG_DICT || !tcp_arg(a, "server_ip")) {
        err_set("%s: expected func_param to be a dict with server_ip and check_patterns",
                a->func);
        return -1;
    }
    /* the reference's default: [r'ESTAB'] */
    return run_tls_regex_list_check("check_patterns", tcp_arg(a, "check_patterns"));
}

void run_tl_tcp_qemu_lines(const char *ss, struct strbuf *out)
{
    for (const char *l = ss; *l;) {
        size_t len = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)len, l);
        if (strstr(line, "qemu-kvm") || strstr(line, "qemu-system"))
            strbuf_addf(out, "%s\n", line);
        free(line);
        l += len + (l[len] == '\n');
    }
}

/* The host server_ip names: its address or its name in the settings, -1 none. */
static int tcp_host_of(const struct run_ctx *ctx, const char *ip)
{
    for (size_t k = 0; k < ctx->nhosts; k++) {
        const struct run_host *h = &ctx->hosts[k];
        if ((h->address && !strcmp(h->address, ip)) || !strcmp(h->name, ip) ||
            (h->hostname && !strcmp(h->hostname, ip)))
            return (int)k;
    }
    return -1;
}

RUN_TL_MOS_STEP(run_tl_tcp_sockets)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *ip = tcp_arg(a, "server_ip");
    const char *pats = tcp_arg(a, "check_patterns");
    struct strbuf ss = STRBUF_INIT, qemu = STRBUF_INIT;
    struct pylit l = { 0 };
    enum mig_tl_verdict v = MIG_TL_OK;

    if (run_tl_tcp_sockets_arg_check(a) < 0) {
        strbuf_addstr(why, err_msg());
        return MIG_TL_ERROR;
    }
    int host = tcp_host_of(ctx, ip);
    struct virt_host *link = host < 0 ? NULL : run_host_link(ctx, host);
    if (!link) {
        strbuf_addf(why, "check_sockets_statistics: server_ip '%s': %s", ip,
                    host < 0 ? "no host of the settings has that address" : err_msg());
        return MIG_TL_ERROR;
    }
    if (virt_host_run(link, (const char *[]){ "ss", "-tnap", NULL }, TCP_SS_TIMEOUT_S, &ss,
                      NULL, NULL) < 0) {
        strbuf_addf(why, "ss -tnap: %s", err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    run_tl_tcp_qemu_lines(ss.buf, &qemu);
    run_log(ctx, "ss -tnap on %s, the QEMU lines:\n%s", ctx->hosts[host].name, qemu.buf);
    if (!qemu.len) {
        strbuf_addf(why, "Expect should succeed but got: no socket of QEMU on %s",
                    ctx->hosts[host].name);
        v = MIG_TL_FAIL;
        goto out;
    }
    if (pylit_parse(pats ? pats : "[r'ESTAB']", &l) < 0) {
        strbuf_addf(why, "check_patterns: %s", err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    for (size_t k = 0; k < l.n && v == MIG_TL_OK; k++) {
        int found = mig_tl_search(l.items[k].s, qemu.buf);
        if (found < 0) {
            strbuf_addf(why, "check_patterns: %s", err_msg());
            v = MIG_TL_ERROR;
        } else if (!found) {
            strbuf_addf(why, "Expect '%s' in output but not found: %s", l.items[k].s,
                        qemu.buf);
            v = MIG_TL_FAIL;
        } else
            run_log(ctx, "check_sockets_statistics: '%s' found", l.items[k].s);
    }
out:
    pylit_release(&l);
    strbuf_release(&qemu);
    strbuf_release(&ss);
    return v;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_vmconf: the steps tp-libvirt's vm_configuration_and_status cases and
 * migration_desturi share (runner/run_vmconf.h).
 */
#include "runner/run_vmconf.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_settings.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

xmlDocPtr run_vmconf_xml_read(const char *xml)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d || !xmlDocGetRootElement(d)) {
        xmlFreeDoc(d);
        err_set("domain XML does not parse");
        return NULL;
    }
    return d;
}

char *run_vmconf_xml_take(xmlDocPtr d)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemory(d, &buf, &len);
    char *out = xstrndup((const char *)buf, (size_t)len);
    xmlFree(buf);
    xmlFreeDoc(d);
    return out;
}

xmlNodePtr run_vmconf_xml_child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name))
            return c;
    return NULL;
}

char *run_vmconf_xml_graphics(const char *xml, const char *autoport, const char *port)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    if (!d)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(d);
    xmlNodePtr devs = run_vmconf_xml_child(root, "devices");
    if (!devs)
        devs = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
    xmlNodePtr g = run_vmconf_xml_child(devs, "graphics");
    if (!g) {
        g = xmlNewChild(devs, NULL, BAD_CAST "graphics", NULL);
        xmlSetProp(g, BAD_CAST "type", BAD_CAST "vnc");
    }
    xmlSetProp(g, BAD_CAST "autoport", BAD_CAST autoport);
    if (port)
        xmlSetProp(g, BAD_CAST "port", BAD_CAST port);
    else
        xmlUnsetProp(g, BAD_CAST "port");
    return run_vmconf_xml_take(d);
}

int run_vmconf_virsh(struct run_ctx *ctx, int h, const char *const *words, char **out)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = run_virsh_words(ctx, h, words, &r);
    if (rc == 0 && r.status != 0) {
        err_set("virsh %s %s: %s", words[0], words[1] ? words[1] : "",
                r.err.len ? r.err.buf : "failed");
        rc = -1;
    }
    if (rc == 0 && out)
        *out = strbuf_detach(&r.out, NULL);
    run_virsh_release(&r);
    return rc;
}

char *run_vmconf_file(struct run_ctx *ctx, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", ctx->outdir, name);
    FILE *f = fopen(path, "we");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        err_set("cannot write %s", path);
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

int run_vmconf_define(struct run_ctx *ctx, int h, const char *dom, const char *xml,
                      bool create)
{
    char *name = xasprintf("vmconf-%s.xml", dom);
    char *local = run_vmconf_file(ctx, name, xml);
    char *remote = xasprintf("/tmp/vtrun-vmconf-%s.xml", dom);
    struct virt_host *link = run_host_link(ctx, h);
    int rc = -1;

    if (local && link && virt_host_put(link, local, remote, 0600) == 0) {
        const char *def[] = { create ? "create" : "define", remote, NULL };
        const char *rm[] = { "rm", "-f", remote, NULL };
        rc = run_vmconf_virsh(ctx, h, def, NULL);
        virt_host_run(link, rm, 30, NULL, NULL, NULL);
    }
    free(name);
    free(local);
    free(remote);
    return rc;
}

int run_vmconf_redefine(struct run_ctx *ctx, int h, const char *dom,
                        char *(*edit)(const void *arg, const char *xml), const void *arg)
{
    const char *dump[] = { "dumpxml", "--inactive", "--security-info", dom, NULL };
    char *xml = NULL, *edited = NULL;
    int rc = run_vmconf_virsh(ctx, h, dump, &xml);
    if (rc == 0 && !(edited = edit(arg, xml)))
        rc = -1;
    if (rc == 0)
        rc = run_vmconf_define(ctx, h, dom, edited, false);
    free(xml);
    free(edited);
    return rc;
}

static char *vnc_edit(const void *arg, const char *xml)
{
    (void)arg;
    return run_vmconf_xml_graphics(xml, "yes", NULL);
}

int run_vmconf_define_vnc(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (virt_vms_define(vms, i, 0) < 0 ||
        run_vmconf_redefine(ctx, 0, vms->vm[i].domain, vnc_edit, NULL) < 0)
        return run_error(ctx, "VMCreateError", "the VM with its VNC display: %s", err_msg());
    return 0;
}

/* The words' --xml / --persistent-xml files read as virsh reads them: 0, 1 with the
 * error virsh prints in text (a missing file: the migration's failure), -1 + err. */
static int load_files(struct be_migrate_opts *mo, struct strbuf *text)
{
    if (mig_opts_load_files(mo) == 0)
        return 0;
    strbuf_addstr(text, err_msg());
    return 1;
}

/* A URI's transport libvirt's remote driver knows ("qemu+X://": X), or none given. */
static bool uri_transport_known(const char *uri)
{
    static const char *const known[] = { "tcp", "tls", "ssh", "unix", "ext", "libssh",
                                         "libssh2" };
    const char *plus = strchr(uri, '+'), *colon = strchr(uri, ':');
    if (!plus || !colon || plus > colon)
        return true;
    for (size_t k = 0; k < ARRAY_SIZE(known); k++)
        if ((size_t)(colon - plus - 1) == strlen(known[k]) &&
            !strncmp(plus + 1, known[k], strlen(known[k])))
            return true;
    return false;
}

static bool any_before_pause(const struct mig_actions *acts)
{
    for (size_t k = 0; k < acts->n; k++)
        if (acts->a[k].before_pause)
            return true;
    return false;
}

/* Without --p2p virsh opens the destination URI itself before anything migrates; one
 * whose transport libvirt does not know fails there (the destination never shows the
 * domain, so no action after the start runs).  1: not such a case; else judged. */
static int client_open(struct run_ctx *ctx, struct virt_vms *vms,
                       const struct be_migrate_opts *mo, const struct mig_actions *acts,
                       const struct mig_expect *e, const char *desturi)
{
    if (!desturi || !*desturi || (mo->flags & BE_MIG_P2P) || uri_transport_known(desturi) ||
        any_before_pause(acts))
        return 1;
    if (virt_vms_open_uri(vms, desturi) == 0)
        return run_error(ctx, "ConfigError", "virsh_migrate_desturi = '%s' connects: a "
                         "destination other than the hosts' is not built", desturi);
    /* virsh prints libvirt's own message: without the backend's "cannot connect to
     * URI: " before it */
    const char *m = err_msg(), *at = strstr(m, desturi);
    if (at && !strncmp(at + strlen(desturi), ": ", 2))
        m = at + strlen(desturi) + 2;
    char *text = xasprintf("error: failed to connect to the hypervisor\nerror: %s", m);
    int rc = run_mig_refused(ctx, e, "virsh migrate: its destination", text);
    free(text);
    return rc;
}

int run_vmconf_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *words,
                   bool again, bool status_error, const char *err_msg_re, const char *desturi)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct strbuf text = STRBUF_INIT;
    const char *key = again ? "action_during_mig_again" : "action_during_mig";
    struct mig_expect e = { .status_error = status_error, .err_msg = err_msg_re,
                            .cancel_unsupported = true };
    int rc;

    if (mig_opts_parse(words, &mo) < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (load_files(&mo, &text)) {
        /* virsh stops before it connects: the migration's failure, judged */
        rc = run_mig_refused(ctx, &e, words, text.buf);
        goto out;
    }
    if (mig_act_parse(params_get(ctx->params, key), &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
        goto out;
    }
    if ((rc = client_open(ctx, vms, &mo, &acts, &e, desturi)) != 1)
        goto out;
    /* peer to peer the source daemon dials the case's URI (virsh's desturi); else
     * vtrun's own connection to the destination is the client's */
    if (desturi && *desturi && (mo.flags & BE_MIG_P2P))
        mo.dest_uri = desturi;
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
out:
    strbuf_release(&text);
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

int run_vmconf_start_login(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (virt_vms_start_defined(vms, i, 0) < 0)
        return run_error(ctx, "VMStartError", "%s", err_msg());
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        if (!run_should_stop(ctx))
            run_error(ctx, "LoginError", "%s", err_msg());
        return -1;
    }
    return 0;
}

int run_vmconf_hop_extra(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                         const struct run_base_mig *m, const char *extra, bool status_error,
                         const char *err_msg_re)
{
    struct run_base_mig with = *m;
    with.extra = extra;
    char *words = run_base_words(&with, false);
    int rc = run_vmconf_hop(ctx, vms, i, words, false, status_error, err_msg_re,
                            ctx->common->virsh_migrate_desturi);
    free(words);
    return rc;
}

int run_vmconf_expect_out(struct run_ctx *ctx, int h, const char *const *words,
                          const char *want, const char *what)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, h, words, &r) < 0) {
        run_virsh_release(&r);
        return run_error(ctx, "TestError", "%s: %s", what, err_msg());
    }
    int rc = 0;
    if (r.status != 0)
        rc = run_fail(ctx, "CheckError", "%s: virsh %s exit %d: %s", what, words[0], r.status,
                      r.err.buf);
    else if (!strstr(r.out.buf, want))
        rc = run_fail(ctx, "CheckError", "%s: '%s' not found in the output of virsh %s", what,
                      want, words[0]);
    else
        run_log(ctx, "%s: '%s' found", what, want);
    run_virsh_release(&r);
    return rc;
}

int run_vmconf_state_is(struct run_ctx *ctx, int h, const char *name, const char *want,
                        const char *what)
{
    struct strbuf st = STRBUF_INIT;
    bool gone;
    int rc = run_base_domstate(ctx, h, name, &st, &gone);
    if (rc < 0)
        rc = run_error(ctx, "TestError", "%s", err_msg());
    else if (strcmp(st.buf, want))
        rc = run_fail(ctx, "CheckError", "%s: %s is %s, expected %s", what, name,
                      gone ? "absent" : st.buf, want);
    strbuf_release(&st);
    return rc;
}

int run_vmconf_exists(struct run_ctx *ctx, int h, const char *dom)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "domstate", dom, NULL };
    int rc = run_virsh_words(ctx, h, words, &r);
    if (rc == 0 && r.status != 0 && !strstr(r.err.buf, "failed to get domain")) {
        err_set("virsh domstate %s: %s", dom, r.err.buf);
        rc = -1;
    }
    if (rc == 0)
        rc = r.status == 0;
    run_virsh_release(&r);
    return rc;
}

void run_vmconf_hosts_swap(struct run_ctx *ctx, struct run_vmconf_hosts *save)
{
    const char *desturi = ctx->common->virsh_migrate_desturi;
    memset(save, 0, sizeof(*save));
    if (ctx->nhosts < 2 || !desturi || !ctx->hosts[1].uri ||
        strcmp(ctx->hosts[1].uri, desturi) || !ctx->hosts[1].address)
        return;
    const struct run_host *d = &ctx->hosts[1];
    save->orig = ctx->hosts;
    save->n = ctx->nhosts;
    save->copy = xcalloc(save->n, sizeof(*save->copy));
    for (size_t k = 0; k < save->n; k++)
        run_host_copy(&save->copy[k], &ctx->hosts[k]);
    free(save->copy[1].uri);
    save->copy[1].uri = xasprintf("qemu+ssh://%s@%s/system?%s%s%sno_tty=1",
                                  d->ssh_user ? d->ssh_user : "root", d->address,
                                  d->ssh_key ? "keyfile=" : "", d->ssh_key ? d->ssh_key : "",
                                  d->ssh_key ? "&" : "");
    run_log(ctx, "the destination's client URI: %s (the case's %s is what the source "
            "daemon dials)", save->copy[1].uri, desturi);
    ctx->hosts = save->copy;
}

void run_vmconf_hosts_restore(struct run_ctx *ctx, struct run_vmconf_hosts *save)
{
    if (!save->copy)
        return;
    ctx->hosts = save->orig;
    for (size_t k = 0; k < save->n; k++)
        run_host_free(&save->copy[k]);
    free(save->copy);
    save->copy = NULL;
}

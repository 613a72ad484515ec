/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `virsh_migrate_option_mix`: tp-libvirt's
 * libvirt/tests/src/virsh_cmd/domain/virsh_migrate_option_mix.py on the one migration
 * engine.
 *
 * The case's booleans are virsh migrate's words (omix_words); the destination is
 * DRIVER+TRANSPORT://server_cn/MODE (qemu+tls:// by default; the settings' hosts fill
 * server_cn), which the source daemon dials peer to peer.  The source VM is made
 * persistent or transient, running or shut off; with with_graphic_passwd its
 * definition gets a SPICE display (with graphic_passwd) when it has none; --xml and
 * --persistent-xml carry the reference's new titles.  One hop, which must work; with
 * --postcopy it is switched to postcopy (virsh migrate-postcopy) and must have been
 * (the reference waits for QEMU's "postcopy-active" MIGRATION event).  Then the
 * reference's checks, all of them, each named when it fails (omix_judge): the source's
 * existence, state and persistence, the destination's state, titles in its active and
 * inactive XML, the password of its first display in both, the guest's uptime and a
 * login on the destination, its persistence (destroyed, it must stay defined).
 *
 * Where vtrun differs: the reference installs `stress` in the guest for postcopy; when
 * the guest has no stress the hop's precopy bandwidth is held low instead, so it still
 * runs when the switch comes.  Without --p2p vtrun's own connection to the destination
 * (the settings' URI) drives the hop: the case's transport applies to the daemons'.
 * The reference's TLS setup (certificates, firewall) is the hosts' (the settings'), as
 * is the shared storage it mounts for live cases (storage_type = nfs).
 */
#include "runner/type_option_mix.h"

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct params_word cfg_words[] = {
    { "persistent", OMIX_PERSISTENT },
    { "transient", OMIX_TRANSIENT },
    { NULL, 0 },
};

static const struct params_word status_words[] = {
    { "running", OMIX_RUNNING },
    { "shut off", OMIX_SHUTOFF },
    { "shutoff", OMIX_SHUTOFF },
    { NULL, 0 },
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct omix_opts, __VA_ARGS__)
static const struct run_param omix_params[] = {
    { "live_migration", AT(BOOL, live), .def = "no", .doc = "--live" },
    { "offline_migration", AT(BOOL, offline), .def = "no", .doc = "--offline" },
    { "persistent", AT(BOOL, persistent), .def = "no", .doc = "--persistent" },
    { "undefinesource", AT(BOOL, undefinesource), .def = "no", .doc = "--undefinesource" },
    { "p2p", AT(BOOL, p2p), .def = "no", .doc = "--p2p" },
    { "tunnelled", AT(BOOL, tunnelled), .def = "no", .doc = "--tunnelled (and --p2p)" },
    { "postcopy", AT(BOOL, postcopy), .def = "no",
      .doc = "--postcopy, switched to postcopy during the hop (migrate-postcopy)" },
    { "dname", AT(STR, dname), .doc = "--dname NAME" },
    { "xml_option", AT(BOOL, xml_option), .def = "no",
      .doc = "--xml with the domain's migratable XML under a new title" },
    { "persistent_xml_option", AT(BOOL, persistent_xml_option), .def = "no",
      .doc = "--persistent-xml (and --persistent) with the inactive XML under a new title" },
    { "virsh_migrate_extra", AT(STR, extra),
      .doc = "more virsh migrate words, before the booleans' (migration/mig.h)" },
    { "transport", AT(STR, transport), .def = "tls",
      .doc = "scheme of the destination URI: DRIVER+TRANSPORT://server_cn/MODE" },
    { "transport_port", AT(STR, transport_port), .doc = "port of the destination URI" },
    { "hypervisor_driver", AT(STR, driver), .def = "qemu", .doc = "driver of the URIs" },
    { "hypervisor_mode", AT(STR, mode), .def = "system", .doc = "path of the URIs" },
    { "server_cn", AT(STR, server_cn),
      .doc = "the destination's name in its TLS certificate: the host of the destination "
      "URI (the settings' destination host fills ENTER.YOUR.SERVER_CN)" },
    { "storage_type", AT(STR, storage_type),
      .doc = "live cases: nfs (the settings' shared storage); another: CANCEL, as the "
      "reference" },
    { "src_vm_cfg", AT(ENUM, src_cfg, cfg_words),
      .doc = "the source VM made persistent or transient before the hop" },
    { "src_vm_status", AT(ENUM, src_status, status_words),
      .doc = "the source VM running or shut off before the hop" },
    { "with_graphic_passwd", AT(STR, with_graphic_passwd),
      .doc = "yes / no: the VM's display is set up (SPICE added when it has none)" },
    { "graphic_passwd", AT(STR, graphic_passwd),
      .doc = "the display's password, checked in both XMLs of the destination" },
    { "postcopy_migration_timeout", AT(FLOAT, postcopy_timeout), .def = "180",
      RUN_PARAM_MIN(1), .unit = "seconds", .doc = "bound of a postcopy hop" },
    { "stress_args", AT(STR, stress_args),
      .doc = "postcopy: arguments of stress in the guest, when it has stress" },
    { NULL },
};
#undef AT

/* Append " word" unless `words` already holds it (the reference's str.count). */
static void add_word(struct strbuf *sb, bool want, const char *word)
{
    if (want && !strstr(sb->buf, word))
        strbuf_addf(sb, " %s", word);
}

char *omix_words(const struct omix_opts *o)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, o->extra ? o->extra : "");
    add_word(&sb, o->live, "--live");
    add_word(&sb, o->offline, "--offline");
    add_word(&sb, o->persistent, "--persistent");
    add_word(&sb, o->undefinesource, "--undefinesource");
    add_word(&sb, o->p2p, "--p2p");
    add_word(&sb, o->tunnelled, "--tunnelled");
    add_word(&sb, o->tunnelled, "--p2p");
    add_word(&sb, o->postcopy, "--postcopy");
    if (o->dname && *o->dname && !strstr(sb.buf, "--dname"))
        strbuf_addf(&sb, " --dname %s", o->dname);
    add_word(&sb, o->persistent_xml_option, "--persistent");
    return strbuf_detach(&sb, NULL);
}

char *omix_desturi(const struct omix_opts *o, const char *dest_host)
{
    const char *port = o->transport_port && *o->transport_port ? o->transport_port : NULL;
    return xasprintf("%s+%s://%s%s%s/%s", o->driver, o->transport, dest_host,
                     port ? ":" : "", port ? port : "", o->mode);
}

/* ---- the domain XML ----------------------------------------------------------------- */

char *omix_xml_set_title(const char *xml, const char *title)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    if (!d)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(d), t = run_vmconf_xml_child(root, "title");
    if (t) {
        xmlNodeSetContent(t, NULL);
        xmlNodeAddContent(t, BAD_CAST title);
    } else {
        t = xmlNewNode(NULL, BAD_CAST "title");
        xmlNodeAddContent(t, BAD_CAST title);
        xmlNodePtr name = run_vmconf_xml_child(root, "name");
        if (name)
            xmlAddNextSibling(name, t);
        else
            xmlAddChild(root, t);
    }
    return run_vmconf_xml_take(d);
}

char *omix_xml_set_graphics(const char *xml, const char *passwd)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    if (!d)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(d), devs = run_vmconf_xml_child(root, "devices");
    if (!devs)
        devs = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
    xmlNodePtr g = run_vmconf_xml_child(devs, "graphics");
    if (!g) {
        g = xmlNewChild(devs, NULL, BAD_CAST "graphics", NULL);
        xmlSetProp(g, BAD_CAST "type", BAD_CAST "spice");
        xmlSetProp(g, BAD_CAST "autoport", BAD_CAST "yes");
    }
    if (passwd && *passwd)
        xmlSetProp(g, BAD_CAST "passwd", BAD_CAST passwd);   /* escaped by libxml2 */
    return run_vmconf_xml_take(d);
}

int omix_xml_facts(const char *xml, char **title, bool *has_graphics, char **passwd)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    *title = *passwd = NULL;
    *has_graphics = false;
    if (!d)
        return -1;
    xmlNodePtr root = xmlDocGetRootElement(d), t = run_vmconf_xml_child(root, "title");
    xmlNodePtr g = run_vmconf_xml_child(run_vmconf_xml_child(root, "devices"), "graphics");
    if (t) {
        xmlChar *s = xmlNodeGetContent(t);
        *title = xstrdup(s ? (const char *)s : "");
        xmlFree(s);
    }
    if (g) {
        xmlChar *p = xmlGetProp(g, BAD_CAST "passwd");
        *has_graphics = true;
        if (p)
            *passwd = xstrdup((const char *)p);
        xmlFree(p);
    }
    xmlFreeDoc(d);
    return 0;
}

/* ---- the verdict -------------------------------------------------------------------- */

static void bad(struct strbuf *why, const char *fmt, const char *arg)
{
    if (why->len)
        strbuf_addstr(why, "; ");
    strbuf_addf(why, fmt, arg ? arg : "");
}

static bool alive(enum be_state s)
{
    return s == BE_STATE_RUNNING || s == BE_STATE_PAUSED;
}

static bool streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* The source: existence, state, persistence (the reference's matrix). */
static void judge_src(const struct omix_opts *o, const struct omix_seen *s,
                      struct strbuf *why)
{
    enum be_state want = o->src_status == OMIX_SHUTOFF ? BE_STATE_SHUTOFF : BE_STATE_RUNNING;
    const char *now = be_state_name(s->src_state);
    if (o->offline) {
        if (o->src_status == OMIX_SHUTOFF && o->undefinesource) {
            if (s->src_state != BE_STATE_NONE)
                bad(why, "src vm should not exist after offline migration with "
                    "--undefinesource (it is %s)", now);
        } else if (s->src_state != want)
            bad(why, "src vm should be %s after offline migration",
                o->src_status == OMIX_SHUTOFF ? "shut off" : "running");
    }
    if (o->live) {
        if (!o->undefinesource && o->src_cfg == OMIX_PERSISTENT) {
            if (s->src_state != BE_STATE_SHUTOFF)
                bad(why, "src vm should be shut off after live migration (it is %s)", now);
        } else if (s->src_state != BE_STATE_NONE)
            bad(why, "src vm should not exist after live migration (it is %s)", now);
    }
    if (o->src_cfg == OMIX_PERSISTENT && !o->undefinesource) {
        if (!s->src_persistent)
            bad(why, "src vm should be persistent after migration%s", NULL);
    } else if (s->src_persistent)
        bad(why, "src vm should not be persistent after migration%s", NULL);
}

/* The destination's XML: the titles of --xml / --persistent-xml, the display's
 * password. */
static void judge_xml(const struct omix_opts *o, const struct omix_seen *s,
                      struct strbuf *why)
{
    if (o->xml_option && !streq(s->active_title, OMIX_XML_TITLE))
        bad(why, "--xml doesn't take effect in migration (title '%s')", s->active_title);
    if (o->persistent_xml_option) {
        bool has = streq(s->inactive_title, OMIX_PERSIST_XML_TITLE);
        if (!o->offline && !has)
            bad(why, "--persistent-xml doesn't take effect in live migration (inactive "
                "title '%s')", s->inactive_title);
        else if (o->offline && has)
            bad(why, "--persistent-xml should not take effect in offline migration%s",
                NULL);
    }
    if (streq(o->with_graphic_passwd, "yes")) {
        const char *pw = o->graphic_passwd ? o->graphic_passwd : "";
        if (!s->active_graphics || !s->inactive_graphics)
            bad(why, "graphic passwd lost in dst vm xml (no graphics%s)",
                !s->active_graphics ? " in the active XML" : " in the inactive XML");
        else {
            /* the password itself is a secret: never in the reason */
            if (!streq(s->active_passwd ? s->active_passwd : "", pw))
                bad(why, "graphic passwd in active xml of dst vm is not graphic_passwd%s",
                    NULL);
            if (!streq(s->inactive_passwd ? s->inactive_passwd : "", pw))
                bad(why, "graphic passwd in inactive xml of dst vm is not "
                    "graphic_passwd%s", NULL);
        }
    }
}

int omix_judge(const struct omix_opts *o, const struct omix_seen *s, struct strbuf *why)
{
    size_t before = why->len;
    judge_src(o, s, why);
    if (o->live) {
        enum be_state want = o->src_status == OMIX_SHUTOFF ? BE_STATE_SHUTOFF
                                                           : BE_STATE_RUNNING;
        if (s->dst_state != want)
            bad(why, "dst vm should be running after live migration (it is %s)",
                be_state_name(s->dst_state));
    } else if (alive(s->dst_state))
        bad(why, "dst vm should not be alive after offline migration (it is %s)",
            be_state_name(s->dst_state));
    judge_xml(o, s, why);
    if (o->live && s->uptime_before >= 0) {
        if (s->uptime_after < 0)
            bad(why, "failed to check vm uptime after migration%s", NULL);
        else if (s->uptime_after < s->uptime_before)
            bad(why, "VM went for a reboot while migrating to destination%s", NULL);
    }
    if (o->postcopy && !s->postcopy)
        bad(why, "migration didn't switch to postcopy mode (no postcopy-active)%s", NULL);
    if (o->persistent) {
        if (!s->dst_persistent)
            bad(why, "dst vm should be persistent after migration with --persistent%s",
                NULL);
        if (s->dst_after_destroy != BE_STATE_SHUTOFF)
            bad(why, "dst vm should exist and be shut off after destroy (it is %s)",
                be_state_name(s->dst_after_destroy));
    } else if (s->dst_persistent)
        bad(why, "dst vm should not be persistent after migration without "
            "--persistent%s", NULL);
    return why->len > before ? -1 : 0;
}

/* ---- needs: what the reference itself cancels --------------------------------------- */

/* "Other storage type is not supported for now": a live case whose storage is not NFS
 * (the settings' shared storage stands for it). */
static bool storage_other(const struct params *p)
{
    const char *live = params_get(p, "live_migration");
    const char *st = params_get(p, "storage_type");
    return live && !strcmp(live, "yes") && (!st || strcmp(st, "nfs"));
}

static const struct run_need omix_needs[] = {
    { "storage type", .applies = storage_other,
      .met_doc = "never: the reference cancels a live case whose storage_type is not nfs",
      .text = "storage_type: other storage type than nfs is not supported for now "
              "(tp-libvirt cancels)" },
    { NULL },
};

/* ---- the test ----------------------------------------------------------------------- */

static int omix_check(const struct run_common *c, void *opts)
{
    struct omix_opts *o = opts;
    struct be_migrate_opts mo = { 0 };
    char *words = omix_words(o);
    int rc = mig_opts_parse(words, &mo);

    if (rc == -2) {
        /* virsh refuses the command line: the case runs and that is its outcome */
        snprintf(o->usage, sizeof(o->usage), "%s", err_msg());
        rc = 0;
    } else if (rc < 0)
        err_prefix("virsh_migrate_extra + the booleans' words = '%s'", words);
    mig_opts_release(&mo);
    free(words);
    if (rc < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct omix_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view of it holds */
    char *renamed;                  /* --dname's domain on the destination */
};

static int omix_setup(struct run_ctx *ctx)
{
    struct omix_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void omix_cleanup(struct run_ctx *ctx)
{
    struct omix_state *st = ctx->data;
    if (!st)
        return;
    if (st->renamed && virt_vms_remove_domain(&st->vms, 1, st->renamed) < 0)
        run_log(ctx, "cleanup of %s: %s", st->renamed, err_msg());
    free(st->renamed);
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* `virsh -c HOST word...` on host h; its stdout in *out (caller frees) when out is
 * given.  0, or -1 with err naming the command and virsh's error. */
static int virsh(struct run_ctx *ctx, int h, const char *const *words, char **out)
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

/* Write text to the result directory as `name`, readable by its owner only (it may
 * hold the display's password); its path (caller frees) or NULL + err. */
static char *write_file(struct run_ctx *ctx, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", ctx->outdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    else if (!f && fd >= 0)
        close(fd);
    if (!ok) {
        err_set("cannot write %s", path);
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* Define the XML `xml` on host h (virsh define of a file put on that host). */
static int define_xml(struct run_ctx *ctx, int h, const char *dom, const char *xml)
{
    char *name = xasprintf("omix-%s.xml", dom);
    char *local = write_file(ctx, name, xml);
    char *remote = xasprintf("/tmp/vtrun-%s.xml", dom);
    struct virt_host *link = run_host_link(ctx, h);
    int rc = -1;

    if (local && link && virt_host_put(link, local, remote, 0600) == 0) {
        const char *def[] = { "define", remote, NULL };
        const char *rm[] = { "rm", "-f", remote, NULL };
        rc = virsh(ctx, h, def, NULL);
        virt_host_run(link, rm, 30, NULL, NULL, NULL);
    }
    if (local)
        unlink(local);              /* it holds the display's password */
    free(name);
    free(local);
    free(remote);
    return rc;
}

/* The source VM as the case wants it before the hop: defined (with its display set up
 * when the case says so), running or shut off, persistent or transient. */
static int prepare_source(struct run_ctx *ctx, struct omix_state *st, double *up)
{
    const struct omix_opts *o = ctx->opts;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool graphics = streq(o->with_graphic_passwd, "yes") ||
                    streq(o->with_graphic_passwd, "no");

    if (!graphics) {
        if (virt_vms_start(vms, i, 0) < 0)
            return run_error(ctx, "VMCreateError", "%s", err_msg());
    } else {
        const char *dump[] = { "dumpxml", "--inactive", "--security-info", dom, NULL };
        const char *start[] = { "start", dom, NULL };
        char *xml = NULL, *edited = NULL;
        int rc = virt_vms_define(vms, i, 0) < 0 || virsh(ctx, 0, dump, &xml) < 0 ? -1 : 0;
        if (rc == 0 && !(edited = omix_xml_set_graphics(
                             xml, streq(o->with_graphic_passwd, "yes") ? o->graphic_passwd
                                                                     : NULL)))
            rc = -1;
        if (rc == 0)
            rc = define_xml(ctx, 0, dom, edited);
        free(xml);
        free(edited);
        if (rc == 0 && virsh(ctx, 0, start, NULL) < 0)
            rc = -1;
        if (rc < 0)
            return run_error(ctx, "VMCreateError", "the VM with its display: %s",
                             err_msg());
        vms->vm[i].host = 0;        /* what virt_vms_start() records */
    }
    if (o->src_status == OMIX_SHUTOFF) {
        /* the reference destroys the VM (vm.destroy()), no guest shutdown */
        *up = -1;
        if (virt_vms_destroy(vms, i) < 0)
            return run_error(ctx, "TestSetupError", "shut the source VM off: %s",
                             err_msg());
        vms->vm[i].host = 0;        /* still defined there: what migrates */
    } else if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0 ||
               virt_vms_uptime(vms, i, up) < 0)
        return run_error(ctx, "LoginError", "before migration: %s", err_msg());
    if (o->src_cfg == OMIX_TRANSIENT) {
        const char *undef[] = { "undefine", dom, NULL };
        if (virsh(ctx, 0, undef, NULL) < 0)
            return run_error(ctx, "TestSetupError", "make the source VM transient: %s",
                             err_msg());
    }
    return 0;
}

/* The files of --xml and --persistent-xml, in the result directory until read. */
static const char *const xml_files[] = { "omix-xml.xml", "omix-persistent-xml.xml" };

/* The --xml / --persistent-xml words: the files of the reference's new titles. */
static int xml_words(struct run_ctx *ctx, const char *dom, struct strbuf *words)
{
    const struct omix_opts *o = ctx->opts;
    const struct {
        bool on;
        const char *word, *title, *file, *flag;
    } files[] = {
        { o->xml_option, "--xml", OMIX_XML_TITLE, xml_files[0], "--migratable" },
        { o->persistent_xml_option, "--persistent-xml", OMIX_PERSIST_XML_TITLE,
          xml_files[1], "--inactive" },
    };
    for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
        if (!files[k].on)
            continue;
        const char *dump[] = { "dumpxml", "--security-info", files[k].flag, dom, NULL };
        char *xml = NULL, *edited = NULL, *path = NULL;
        if (virsh(ctx, 0, dump, &xml) == 0 &&
            (edited = omix_xml_set_title(xml, files[k].title)) != NULL)
            path = write_file(ctx, files[k].file, edited);
        free(xml);
        free(edited);
        if (!path)
            return -1;
        strbuf_addf(words, " %s='%s'", files[k].word, path);   /* split as a shell */
        free(path);
    }
    return 0;
}

/* The hop's options: the words with the files, the destination URI the source daemon
 * dials, virsh's meaning of --timeout, the postcopy switch. */
static int hop_opts(struct run_ctx *ctx, const char *dom, bool stressed,
                    struct be_migrate_opts *mo, char **desturi)
{
    const struct omix_opts *o = ctx->opts;
    const struct run_host *dst = &ctx->hosts[1];
    char *w = omix_words(o);
    struct strbuf words = STRBUF_INIT;
    int rc;

    strbuf_addstr(&words, w);
    free(w);
    rc = xml_words(ctx, dom, &words);
    if (rc == 0)
        rc = mig_opts_parse(words.buf, mo);
    strbuf_release(&words);
    if (rc == 0)
        rc = mig_opts_load_files(mo);
    /* the files hold the display's password: they live only until read */
    for (size_t k = 0; k < ARRAY_SIZE(xml_files); k++) {
        char *path = xasprintf("%s/%s", ctx->outdir, xml_files[k]);
        unlink(path);
        free(path);
    }
    if (rc < 0)
        return -1;
    /* the reference: server_cn, else migrate_dest_host */
    const char *host = o->server_cn && *o->server_cn ? o->server_cn
                       : ctx->common->migrate_dest_host ? ctx->common->migrate_dest_host
                       : dst->hostname ? dst->hostname
                       : dst->address ? dst->address : dst->name;
    /* virsh_migrate_desturi (a common param) set: the case's own */
    const char *own = ctx->common->virsh_migrate_desturi;
    *desturi = own && *own ? xstrdup(own) : omix_desturi(o, host);
    mo->dest_uri = *desturi;
    if (mo->timeout_s > 0 && mo->timeout_action == BE_TIMEOUT_DEFAULT)
        mo->timeout_action = BE_TIMEOUT_SUSPEND;     /* virsh's */
    if (o->postcopy) {
        /* virsh migrate-postcopy once the hop runs (the reference calls it when the
         * destination's domain appears); without stress in the guest, precopy is held
         * at a low bandwidth so the hop is still running then */
        mo->timeout_s = 2;
        mo->timeout_action = BE_TIMEOUT_POSTCOPY;
        if (!stressed && !mo->bandwidth_mib)
            mo->bandwidth_mib = 8;
    }
    mo->cancel = ctx->cancel;
    mo->hard_deadline = ctx->deadline;
    if (o->postcopy && (!ctx->deadline || clock_now() + o->postcopy_timeout < ctx->deadline))
        mo->hard_deadline = clock_now() + o->postcopy_timeout;
    return 0;
}

/* Postcopy: stress in the guest as the reference runs it, when the guest has it. */
static bool start_stress(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct omix_opts *o = ctx->opts;
    int status = -1;
    if (virt_vms_exec(vms, i, "command -v stress", 30, NULL, &status) < 0 || status != 0) {
        run_log(ctx, "postcopy: the guest has no stress; precopy is held at 8 MiB/s "
                "instead, so the hop still runs at the switch");
        return false;
    }
    char *cmd = xasprintf("stress %s", o->stress_args ? o->stress_args
                                                       : "--vm 1 --timeout 120s &");
    bool ok = virt_vms_exec(vms, i, cmd, 30, NULL, &status) == 0 && status == 0;
    free(cmd);
    return ok;
}

/* The destination's XML facts (active and inactive) of domain `name`. */
static void dst_xml(struct run_ctx *ctx, const char *name, struct omix_seen *s)
{
    const char *act[] = { "dumpxml", "--security-info", name, NULL };
    const char *inact[] = { "dumpxml", "--security-info", "--inactive", name, NULL };
    char *xml = NULL;
    if (virsh(ctx, 1, act, &xml) == 0)
        omix_xml_facts(xml, &s->active_title, &s->active_graphics, &s->active_passwd);
    free(xml);
    xml = NULL;
    if (virsh(ctx, 1, inact, &xml) == 0)
        omix_xml_facts(xml, &s->inactive_title, &s->inactive_graphics,
                       &s->inactive_passwd);
    free(xml);
}

static void seen_release(struct omix_seen *s)
{
    free(s->active_title);
    free(s->inactive_title);
    free(s->active_passwd);
    free(s->inactive_passwd);
}

/* The hop, judged as tp-libvirt's check_result (every case expects it to work). */
static int hop(struct run_ctx *ctx, struct omix_state *st, size_t i,
               const struct be_migrate_opts *mo, struct be_hop_metrics *m)
{
    const struct omix_opts *o = ctx->opts;
    struct mig_expect e = { .cancel_unsupported = true };
    struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
    char *fmt = mig_opts_format(mo);
    bool ok;
    int rc;

    if (o->usage[0]) {
        strbuf_addf(&text, "error: %s", o->usage);
        ok = false;
        run_log(ctx, "virsh migrate refuses its words: %s", text.buf);
    } else {
        run_log(ctx, "virsh migrate %s %s %s (%s -> %s)", st->vms.vm[i].name, fmt,
                mo->dest_uri, ctx->hosts[0].name, ctx->hosts[1].name);
        ok = virt_vms_migrate(&st->vms, i, 1, mo, m) == 0;
        if (!ok) {
            run_log(ctx, "hop: %s", err_msg());
            mig_virsh_error(m->hv_error, &text);
        }
        virt_vms_record_hop(&st->vms, i, 1, 0, 1, m, ok, ok ? NULL : text.buf);
    }
    free(fmt);
    switch (mig_result_judge(&e, ok, text.buf, &why)) {
    case MIG_V_OK:
        rc = 1;
        break;
    case MIG_V_CANCEL:
        rc = run_cancel(ctx, "%s", why.buf);
        break;
    default:
        if (m->conn_lost)   /* a daemon went away: the lab's failure, not the hop's */
            rc = run_error(ctx, "ConnectionLost", "%s", why.buf);
        else
            rc = run_fail(ctx, m->timed_out ? "MigrationTimeout" : "MigrationError", "%s",
                          why.buf);
        break;
    }
    strbuf_release(&text);
    strbuf_release(&why);
    return rc;
}

/* What the reference looks at after the hop. */
static int look(struct run_ctx *ctx, struct omix_state *st, size_t i, const char *dname,
                struct omix_seen *s)
{
    const struct omix_opts *o = ctx->opts;
    struct virt_vms *vms = &st->vms;
    const char *dom = vms->vm[i].domain, *dst = dname ? dname : dom;

    if (virt_vms_domain(vms, 0, dom, &s->src_state, &s->src_persistent) < 0 ||
        virt_vms_domain(vms, 1, dst, &s->dst_state, &s->dst_persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "domain state: %s", err_msg());
    run_log(ctx, "after the hop: %s %s%s on %s, %s %s%s on %s", dst,
            be_state_name(s->dst_state), s->dst_persistent ? " (persistent)" : "",
            ctx->hosts[1].name, dom, be_state_name(s->src_state),
            s->src_persistent ? " (persistent)" : "", ctx->hosts[0].name);
    if (s->dst_state != BE_STATE_NONE)
        dst_xml(ctx, dst, s);
    if (o->live && s->dst_state == BE_STATE_RUNNING) {
        /* the reference's uptime over the console and ping: a login and /proc/uptime */
        if (virt_vms_console_crash(vms, i) != 0)
            return run_fail(ctx, "PostMigrationCheck", "console: %s", err_msg());
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0 ||
            virt_vms_uptime(vms, i, &s->uptime_after) < 0)
            run_log(ctx, "login after the hop: %s", err_msg());
    }
    if (o->persistent && s->dst_state != BE_STATE_NONE) {
        const char *destroy[] = { "destroy", dst, NULL };
        bool p;
        if (alive(s->dst_state) && virsh(ctx, 1, destroy, NULL) < 0)
            run_log(ctx, "destroy on the destination: %s", err_msg());
        if (virt_vms_domain(vms, 1, dst, &s->dst_after_destroy, &p) < 0)
            return run_error(ctx, "PostMigrationCheck", "domain state: %s", err_msg());
    }
    return 0;
}

static int omix_run(struct run_ctx *ctx)
{
    const struct omix_opts *o = ctx->opts;
    struct omix_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct be_migrate_opts mo = { 0 };
    struct be_hop_metrics m;
    struct omix_seen s = { .uptime_before = -1, .uptime_after = -1 };
    struct strbuf why = STRBUF_INIT;
    char *desturi = NULL;
    const char *dname = o->dname && *o->dname ? o->dname : NULL;
    bool stressed = false;
    int rc;

    memset(&m, 0, sizeof(m));
    /* the reference cleans the destination of both names first */
    if (virt_vms_remove_domain(vms, 1, vms->vm[i].domain) < 0 ||
        (dname && virt_vms_remove_domain(vms, 1, dname) < 0)) {
        rc = run_error(ctx, "TestSetupError", "clean the destination: %s", err_msg());
        goto out;
    }
    if (dname)
        st->renamed = xstrdup(dname);
    if ((rc = prepare_source(ctx, st, &s.uptime_before)) < 0)
        goto out;
    if (o->postcopy && o->src_status != OMIX_SHUTOFF)
        stressed = start_stress(ctx, vms, i);
    if (hop_opts(ctx, vms->vm[i].domain, stressed, &mo, &desturi) < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if ((rc = hop(ctx, st, i, &mo, &m)) <= 0)
        goto out;
    s.postcopy = m.postcopy;
    if (o->postcopy)
        run_log(ctx, "postcopy: the hop %s to postcopy (QEMU's postcopy-active)",
                m.postcopy ? "switched" : "did not switch");
    if ((rc = look(ctx, st, i, dname, &s)) < 0)
        goto out;
    rc = 0;
    if (omix_judge(o, &s, &why) < 0)
        rc = run_fail(ctx, "PostMigrationCheck", "Migration succeed, but some check points "
                      "didn't pass: %s", why.buf);
out:
    seen_release(&s);
    strbuf_release(&why);
    mig_opts_release(&mo);
    free(desturi);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_virsh_migrate_option_mix = {
    .name = "virsh_migrate_option_mix",
    .summary = "tp-libvirt's virsh_migrate_option_mix: one hop whose virsh words come "
               "from booleans, from a persistent or transient, running or shut off "
               "source, checked as the reference (states, titles, display password)",
    .needs = { .vms = 1, .hosts = 2, .rows = omix_needs },
    .params = omix_params,
    .opts_size = sizeof(struct omix_opts),
    .check = omix_check,
    .setup = omix_setup,
    .run = omix_run,
    .cleanup = omix_cleanup,
};

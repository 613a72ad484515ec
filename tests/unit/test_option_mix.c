/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's virsh_migrate_option_mix (runner/type_option_mix.c) without hosts: its
 * declared params and their defaults (the reference's), the booleans -> virsh words
 * as the reference adds them and the libvirt flags those words are (constants from
 * libvirt's header), the destination URI, the XML edits, and the verdict after the hop
 * (the reference's source/destination matrix, titles, display password).
 */
#include <check.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/type_option_mix.h"

static struct params *P;
static struct run_common C;
static const struct run_type *T;
static void *OPTS;
static struct strbuf F;

static void setup(void)
{
    P = params_new();
    memset(&C, 0, sizeof(C));
    C.test_timeout = 1800;
    params_set(P, "vms", "vm1");
    T = run_type_lookup("virsh_migrate_option_mix");
    ck_assert_ptr_nonnull(T);
    OPTS = NULL;
    strbuf_init(&F, 0);
}

static void teardown(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    strbuf_release(&F);
    run_common_release(&C);
    params_free(P);
}

/* Parse the case so far; 0 or -1; F gets the values as a config writes them. */
static int parse(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    OPTS = NULL;
    run_common_release(&C);
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    int rc = run_type_parse(T, P, &C, &OPTS);
    strbuf_reset(&F);
    if (rc == 0)
        run_param_format(T->params, OPTS, &F);
    return rc;
}

static void assert_has(const char *line)
{
    ck_assert_msg(strstr(F.buf, line), "no '%s' in:\n%s", line, F.buf);
}

/* The reference's defaults: transport tls, qemu, system, a 180 s postcopy bound,
 * every boolean no. */
START_TEST(test_defaults_are_the_references)
{
    ck_assert_int_eq(parse(), 0);
    assert_has("transport = tls\n");
    assert_has("hypervisor_driver = qemu\n");
    assert_has("hypervisor_mode = system\n");
    assert_has("postcopy_migration_timeout = 180\n");
    static const char *const off[] = { "live_migration", "offline_migration", "persistent",
                                       "undefinesource", "p2p", "tunnelled", "postcopy",
                                       "xml_option", "persistent_xml_option" };
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        char *line = xasprintf("%s = no\n", off[i]);
        assert_has(line);
        free(line);
    }
}
END_TEST

/* A bad value is an error naming the param and the value. */
START_TEST(test_bad_values_are_errors_naming_them)
{
    params_set(P, "src_vm_status", "paused");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "src_vm_status") && strstr(err_msg(), "paused"), "%s",
                  err_msg());
    params_del(P, "src_vm_status");
    params_set(P, "src_vm_cfg", "ephemeral");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "src_vm_cfg"), "%s", err_msg());
    params_del(P, "src_vm_cfg");
    params_set(P, "p2p", "maybe");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "p2p"), "%s", err_msg());
    params_set(P, "p2p", "yes");
    params_set(P, "virsh_migrate_extra", "--timeout 120 --sideways");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "--sideways"), "%s", err_msg());
    params_set(P, "virsh_migrate_extra", "--timeout 120");
    params_set(P, "src_vm_status", "shut off");
    params_set(P, "src_vm_cfg", "transient");
    ck_assert_int_eq(parse(), 0);
    assert_has("src_vm_status = shut off\n");
}
END_TEST

/* Booleans (key=value pairs) -> the words, in the reference's order, and the libvirt
 * flags virsh passes for them. */
static const struct {
    const char *set;        /* "k=v k=v" */
    const char *words;
    unsigned int lv;
    const char *dname;
} word_rows[] = {
    { "live_migration=yes virsh_migrate_extra=--timeout_120", "--timeout 120 --live",
      VIR_MIGRATE_LIVE, NULL },
    { "offline_migration=yes persistent=yes", " --offline --persistent",
      VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PERSIST_DEST, NULL },
    { "live_migration=yes undefinesource=yes p2p=yes", " --live --undefinesource --p2p",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_PEER2PEER, NULL },
    /* --tunnelled brings --p2p */
    { "live_migration=yes tunnelled=yes", " --live --tunnelled --p2p",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER, NULL },
    { "live_migration=yes p2p=yes postcopy=yes", " --live --p2p --postcopy",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_POSTCOPY, NULL },
    /* --persistent-xml brings --persistent, once */
    { "live_migration=yes persistent_xml_option=yes", " --live --persistent",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST, NULL },
    { "live_migration=yes persistent=yes persistent_xml_option=yes", " --live --persistent",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST, NULL },
    { "live_migration=yes dname=guest-new-name", " --live --dname guest-new-name",
      VIR_MIGRATE_LIVE, "guest-new-name" },
    /* a word the extra words hold already is not added again */
    { "live_migration=yes p2p=yes virsh_migrate_extra=--p2p_--live", "--p2p --live",
      VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, NULL },
    /* --xml's file comes at run time: no word from the boolean */
    { "live_migration=yes xml_option=yes", " --live", VIR_MIGRATE_LIVE, NULL },
};

START_TEST(test_booleans_are_virsh_words_and_libvirt_flags)
{
    char *set = xstrdup(word_rows[_i].set), *save = NULL;
    for (char *kv = strtok_r(set, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        *eq = '\0';
        for (char *u = eq + 1; *u; u++)
            if (*u == '_' && strcmp(kv, "dname"))
                *u = ' ';
        params_set(P, kv, eq + 1);
    }
    free(set);
    ck_assert_msg(parse() == 0, "%s: %s", word_rows[_i].set, err_msg());
    char *w = omix_words(OPTS);
    ck_assert_str_eq(w, word_rows[_i].words);
    struct be_migrate_opts mo = { 0 };
    ck_assert_msg(mig_opts_parse(w, &mo) == 0, "%s: %s", w, err_msg());
    ck_assert_uint_eq(be_libvirt_mig_flags(mo.flags), word_rows[_i].lv);
    const char *dn = mig_opts_param_value(&mo, BE_MP_DEST_NAME);
    if (word_rows[_i].dname)
        ck_assert_str_eq(dn, word_rows[_i].dname);
    else
        ck_assert_ptr_null(dn);
    mig_opts_release(&mo);
    free(w);
}
END_TEST

/* DRIVER+TRANSPORT://HOST[:PORT]/MODE, as the reference builds it. */
START_TEST(test_destination_uri)
{
    ck_assert_int_eq(parse(), 0);
    char *u = omix_desturi(OPTS, "lab1-host2");
    ck_assert_str_eq(u, "qemu+tls://lab1-host2/system");
    free(u);
    params_set(P, "transport", "tcp");
    params_set(P, "transport_port", "16509");
    params_set(P, "hypervisor_mode", "session");
    ck_assert_int_eq(parse(), 0);
    u = omix_desturi(OPTS, "h2");
    ck_assert_str_eq(u, "qemu+tcp://h2:16509/session");
    free(u);
}
END_TEST

static const char dom_xml[] =
    "<domain type='qemu'><name>vm1</name><memory>1024</memory>"
    "<devices><disk type='file'/></devices></domain>";

/* Titles set or replaced; a SPICE display added with the password, escaped; an
 * existing display given the password; what is read back is what was written. */
START_TEST(test_xml_edits_read_back)
{
    char *t = omix_xml_set_title(dom_xml, OMIX_XML_TITLE), *title, *pw;
    bool g;
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(strstr(t, "<name>vm1</name><title>" OMIX_XML_TITLE "</title>"));
    char *t2 = omix_xml_set_title(t, OMIX_PERSIST_XML_TITLE);
    ck_assert_int_eq(omix_xml_facts(t2, &title, &g, &pw), 0);
    ck_assert_str_eq(title, OMIX_PERSIST_XML_TITLE);
    ck_assert(!g);
    ck_assert_ptr_null(pw);
    free(title);
    char *gx = omix_xml_set_graphics(t2, "abc12!@#<&'");
    ck_assert_ptr_nonnull(strstr(gx, "type=\"spice\""));
    ck_assert_int_eq(omix_xml_facts(gx, &title, &g, &pw), 0);
    ck_assert(g);
    ck_assert_str_eq(pw, "abc12!@#<&'");
    free(title);
    free(pw);
    /* an existing display (VNC) keeps its type and gets the password */
    const char vnc[] = "<domain><name>v</name><devices><graphics type='vnc' port='-1'/>"
                       "</devices></domain>";
    char *vx = omix_xml_set_graphics(vnc, "pw");
    ck_assert_ptr_nonnull(strstr(vx, "type=\"vnc\""));
    ck_assert_ptr_null(strstr(vx, "spice"));
    ck_assert_int_eq(omix_xml_facts(vx, &title, &g, &pw), 0);
    ck_assert(g && pw && !strcmp(pw, "pw") && !title);
    free(pw);
    /* no password: a display without one */
    char *nx = omix_xml_set_graphics(dom_xml, NULL);
    ck_assert_int_eq(omix_xml_facts(nx, &title, &g, &pw), 0);
    ck_assert(g && !pw);
    ck_assert_ptr_null(omix_xml_set_title("<domain", "x"));
    free(t);
    free(t2);
    free(gx);
    free(vx);
    free(nx);
}
END_TEST

/* ---- the verdict ------------------------------------------------------------------ */

static struct omix_seen good_live(void)
{
    struct omix_seen s = {
        .src_state = BE_STATE_SHUTOFF, .src_persistent = true,
        .dst_state = BE_STATE_RUNNING, .dst_persistent = true,
        .uptime_before = 10, .uptime_after = 12, .dst_after_destroy = BE_STATE_SHUTOFF,
    };
    return s;
}

static struct omix_opts live_persistent(void)
{
    struct omix_opts o = { .live = true, .persistent = true, .src_cfg = OMIX_PERSISTENT,
                           .src_status = OMIX_RUNNING };
    return o;
}

static int judge(const struct omix_opts *o, const struct omix_seen *s, struct strbuf *why)
{
    strbuf_reset(why);
    return omix_judge(o, s, why);
}

START_TEST(test_verdict_source_matrix)
{
    struct strbuf why = STRBUF_INIT;
    struct omix_opts o = live_persistent();
    struct omix_seen s = good_live();
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    /* live, persistent source kept: shut off and persistent there */
    s.src_state = BE_STATE_NONE;
    s.src_persistent = false;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "src vm should be shut off after live migration") &&
                  strstr(why.buf, "src vm should be persistent"), "%s", why.buf);
    /* --undefinesource or a transient source: gone */
    o.undefinesource = true;
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    o.undefinesource = false;
    o.src_cfg = OMIX_TRANSIENT;
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    s.src_state = BE_STATE_SHUTOFF;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "src vm should not exist after live migration"), "%s",
                  why.buf);
    /* offline from a shut off source with --undefinesource: gone; else as it was */
    struct omix_opts off = { .offline = true, .persistent = true, .undefinesource = true,
                             .src_cfg = OMIX_PERSISTENT, .src_status = OMIX_SHUTOFF };
    struct omix_seen so = { .src_state = BE_STATE_NONE, .dst_state = BE_STATE_SHUTOFF,
                            .dst_persistent = true, .uptime_before = -1,
                            .uptime_after = -1, .dst_after_destroy = BE_STATE_SHUTOFF };
    ck_assert_int_eq(judge(&off, &so, &why), 0);
    off.undefinesource = false;
    ck_assert_int_eq(judge(&off, &so, &why), -1);
    ck_assert_msg(strstr(why.buf, "src vm should be shut off after offline migration"),
                  "%s", why.buf);
    off.src_status = OMIX_RUNNING;
    so.src_state = BE_STATE_RUNNING;
    so.src_persistent = true;
    ck_assert_int_eq(judge(&off, &so, &why), 0);
    /* offline: the destination must not run it */
    so.dst_state = BE_STATE_RUNNING;
    ck_assert_int_eq(judge(&off, &so, &why), -1);
    ck_assert_msg(strstr(why.buf, "dst vm should not be alive after offline"), "%s", why.buf);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_verdict_destination_xml_and_guest)
{
    struct strbuf why = STRBUF_INIT;
    struct omix_opts o = live_persistent();
    struct omix_seen s = good_live();
    o.xml_option = o.persistent_xml_option = true;
    s.active_title = OMIX_XML_TITLE;
    s.inactive_title = OMIX_PERSIST_XML_TITLE;
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    s.active_title = NULL;
    s.inactive_title = OMIX_XML_TITLE;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "--xml doesn't take effect") &&
                  strstr(why.buf, "--persistent-xml doesn't take effect"), "%s", why.buf);
    /* offline: --persistent-xml must not take effect */
    o.live = false;
    o.offline = true;
    s.dst_state = BE_STATE_SHUTOFF;
    s.src_state = BE_STATE_RUNNING;
    s.active_title = OMIX_XML_TITLE;
    s.inactive_title = OMIX_PERSIST_XML_TITLE;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "should not take effect in offline"), "%s", why.buf);
    /* the display's password in both XMLs, never in the reason */
    o = live_persistent();
    s = good_live();
    o.with_graphic_passwd = "yes";
    o.graphic_passwd = "abc12!@#";
    s.active_graphics = s.inactive_graphics = true;
    s.active_passwd = s.inactive_passwd = "abc12!@#";
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    s.inactive_passwd = "other";
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "inactive xml") && !strstr(why.buf, "abc12") &&
                  !strstr(why.buf, "other"), "%s", why.buf);
    s.active_graphics = false;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "graphic passwd lost"), "%s", why.buf);
    /* uptime, postcopy, persistence on the destination */
    o = live_persistent();
    s = good_live();
    s.uptime_after = 3;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "reboot"), "%s", why.buf);
    s = good_live();
    o.postcopy = true;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "postcopy"), "%s", why.buf);
    s.postcopy = true;
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    s.dst_after_destroy = BE_STATE_NONE;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "shut off after destroy"), "%s", why.buf);
    o.persistent = false;
    ck_assert_int_eq(judge(&o, &s, &why), -1);
    ck_assert_msg(strstr(why.buf, "should not be persistent after migration without"),
                  "%s", why.buf);
    s.dst_persistent = false;
    ck_assert_int_eq(judge(&o, &s, &why), 0);
    strbuf_release(&why);
}
END_TEST

/* tp-libvirt cancels a live case whose storage is not NFS; nothing else. */
START_TEST(test_needs_cancel_only_other_storage)
{
    ck_assert_int_eq(parse(), 0);
    const struct run_need *n = T->needs.rows;
    ck_assert_ptr_nonnull(n);
    params_set(P, "live_migration", "yes");
    params_set(P, "storage_type", "nfs");
    ck_assert(!run_need_wanted(n, T->name, P));
    params_set(P, "storage_type", "iscsi");
    ck_assert(run_need_wanted(n, T->name, P));
    params_set(P, "live_migration", "no");
    ck_assert(!run_need_wanted(n, T->name, P));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("option_mix");
    TCase *tc = tcase_create("option_mix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_are_the_references);
    tcase_add_test(tc, test_bad_values_are_errors_naming_them);
    tcase_add_loop_test(tc, test_booleans_are_virsh_words_and_libvirt_flags, 0,
                        (int)(sizeof(word_rows) / sizeof(word_rows[0])));
    tcase_add_test(tc, test_destination_uri);
    tcase_add_test(tc, test_xml_edits_read_back);
    tcase_add_test(tc, test_verdict_source_matrix);
    tcase_add_test(tc, test_verdict_destination_xml_and_guest);
    tcase_add_test(tc, test_needs_cancel_only_other_storage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

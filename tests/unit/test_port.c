/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/run_port: the params a tp-libvirt case runs with on the settings' hosts --
 * placeholders filled from the hosts, the override over the case, --set over both.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "lib/params.h"
#include "results/res.h"
#include "runner/run_port.h"
#include "runner/run_settings.h"

static struct run_settings S;
static char pwfile[] = "/tmp/vtrun-port-pw-XXXXXX";

static char *dup0(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void add_host(const char *name, const char *uri, const char *desturi,
                     const char *mig_uri)
{
    S.hosts = xrealloc(S.hosts, (S.nhosts + 1) * sizeof(*S.hosts));
    S.hosts[S.nhosts++] = (struct run_host){ .name = dup0(name), .uri = dup0(uri),
                                             .migrate_desturi = dup0(desturi),
                                             .migrate_uri = dup0(mig_uri), .ssh_port = 22 };
}

/* Two hosts like a real pair: addresses, hostnames, logins. */
static void setup(void)
{
    run_settings_init(&S);
    add_host("src", "qemu+ssh://root@src.example.org/system", NULL, "tcp://src.example.org");
    add_host("dst", "qemu+ssh://root@dst.example.org/system",
             "qemu+tcp://dst.example.org/system", NULL);
    S.hosts[0].address = xstrdup("192.0.2.1");
    S.hosts[1].address = xstrdup("192.0.2.2");
    S.hosts[1].address6 = xstrdup("2001:db8::2");
    S.hosts[1].ssh_user = xstrdup("tester");
    S.hosts[1].ssh_password = xstrdup("dst-secret");
    strcpy(pwfile, "/tmp/vtrun-port-pw-XXXXXX");
    int fd = mkstemp(pwfile);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "src-secret\nignored\n", 19), 19);
    close(fd);
    S.hosts[0].ssh_password_file = xstrdup(pwfile);
}

static void teardown(void)
{
    unlink(pwfile);
    run_settings_free(&S);
}

/* The case as the composition writes it: placeholders, and ${} copies of them. */
static struct params *tp_case(void)
{
    struct params *p = params_new();
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_dest_host", "ENTER.YOUR.DEST.EXAMPLE.COM");
    params_set(p, "migrate_source_host", "ENTER.YOUR.SOURCE.EXAMPLE.COM");
    params_set(p, "migrate_dest_pwd", "PASSWORD.DEST.EXAMPLE");
    params_set(p, "migrate_source_pwd", "PASSWORD.SOURCE.EXAMPLE");
    params_set(p, "server_ip", "ENTER.YOUR.DEST.EXAMPLE.COM");
    params_set(p, "server_user", "root");
    params_set(p, "server_pwd", "PASSWORD.DEST.EXAMPLE");
    params_set(p, "remote_pwd", "");
    params_set(p, "client_ip", "ENTER.YOUR.SOURCE.EXAMPLE.COM");
    params_set(p, "server_cn", "ENTER.YOUR.EXAMPLE.SERVER_CN");
    params_set(p, "client_cn", "ENTER.YOUR.CLIENT_CN");
    params_set(p, "ipv6_addr_des", "ENTER.YOUR.IPv6.TRAGET");
    params_set(p, "ipv6_addr_src", "ENTER.YOUR.IPv6.SOURCE");
    params_set(p, "firewall_rule_on_dest",
               "ipv4 filter INPUT 0 -p tcp -j DROP --dport 16509 -s ENTER.YOUR.SOURCE.EXAMPLE.COM");
    params_set(p, "virsh_migrate_extra", "--migrateuri tcp://[ENTER.YOUR.IPv6.DESTINATION]");
    params_set(p, "mon_host", "EXAMPLE_MON_HOST");
    params_set(p, "image_name", "images/jeos-27-x86_64");
    params_set(p, "image_name_avocado-vt-vm1", "images/jeos-27-vm1");
    params_set(p, "image_name_stg1", "images/stg1");
    params_set(p, "netdst", "virbr0");
    params_set(p, "mem", "1024");
    return p;
}

static struct params *run(char *const *stmts, size_t n, const struct params *cp)
{
    struct run_port *port = run_port_new(&S, stmts, n);
    struct params *p = run_port_params(port, cp);
    run_port_free(port);
    return p;
}

START_TEST(test_placeholders_take_the_hosts_facts)
{
    struct params *cp = tp_case();
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "migrate_dest_host"), "192.0.2.2");
    ck_assert_str_eq(params_get(p, "migrate_source_host"), "192.0.2.1");
    ck_assert_str_eq(params_get(p, "server_ip"), "192.0.2.2");
    ck_assert_str_eq(params_get(p, "client_ip"), "192.0.2.1");
    ck_assert_str_eq(params_get(p, "migrate_dest_pwd"), "dst-secret");
    ck_assert_str_eq(params_get(p, "migrate_source_pwd"), "src-secret");   /* from the file */
    ck_assert_str_eq(params_get(p, "server_pwd"), "dst-secret");
    /* the CNs are hostnames: the settings' URIs name them */
    ck_assert_str_eq(params_get(p, "server_cn"), "dst.example.org");
    ck_assert_str_eq(params_get(p, "client_cn"), "src.example.org");
    ck_assert_str_eq(params_get(p, "ipv6_addr_des"), "2001:db8::2");
    /* inside other values, as ${} carried them */
    ck_assert_str_eq(params_get(p, "firewall_rule_on_dest"),
                     "ipv4 filter INPUT 0 -p tcp -j DROP --dport 16509 -s 192.0.2.1");
    ck_assert_str_eq(params_get(p, "virsh_migrate_extra"), "--migrateuri tcp://[2001:db8::2]");
    params_free(p);
    params_free(cp);
}
END_TEST

START_TEST(test_what_no_host_says_stays_as_written)
{
    struct params *cp = tp_case();
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "ipv6_addr_src"), "ENTER.YOUR.IPv6.SOURCE");
    ck_assert_str_eq(params_get(p, "mon_host"), "EXAMPLE_MON_HOST");
    params_free(p);
    /* one host only: nothing of the destination is filled */
    run_host_free(&S.hosts[1]);
    S.nhosts = 1;
    p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "migrate_dest_host"), "ENTER.YOUR.DEST.EXAMPLE.COM");
    ck_assert_str_eq(params_get(p, "server_pwd"), "PASSWORD.DEST.EXAMPLE");
    ck_assert_str_eq(params_get(p, "migrate_source_host"), "192.0.2.1");
    params_free(p);
    params_free(cp);
}
END_TEST

START_TEST(test_logins_take_the_hosts_user_and_an_empty_password)
{
    struct params *cp = tp_case();
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "server_user"), "tester");
    ck_assert_str_eq(params_get(p, "remote_pwd"), "dst-secret");
    ck_assert_ptr_null(params_get(p, "client_user"));     /* only keys the case has */
    params_free(p);
    params_free(cp);
}
END_TEST

/* Derived from the URIs when the settings say no more: the lab's hosts. */
START_TEST(test_facts_derive_from_the_uris)
{
    run_settings_free(&S);
    run_settings_init(&S);
    add_host("host1", "qemu+unix:///system?socket=/run/l/host1/sock",
             "qemu+tcp://127.0.0.1:16600/system", "tcp://127.0.0.1");
    add_host("host2", "qemu+tls://lab6-host2/system?pkipath=/x", NULL, NULL);
    struct params *cp = tp_case();
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "migrate_source_host"), "127.0.0.1");
    ck_assert_str_eq(params_get(p, "client_cn"), "host1");       /* an IP is no name */
    ck_assert_str_eq(params_get(p, "migrate_dest_host"), "lab6-host2");
    ck_assert_str_eq(params_get(p, "server_cn"), "lab6-host2");
    params_free(p);
    params_free(cp);
}
END_TEST

/* A URI to a placeholder host becomes the host's own URI of that transport (its port,
 * user, options); a case that chose a port keeps its URI with the address in it. */
START_TEST(test_uri_to_a_placeholder_host_is_the_hosts_uri_of_that_transport)
{
    struct params *cp = tp_case();
    params_set(cp, "virsh_migrate_desturi", "qemu+ssh://ENTER.YOUR.DEST.EXAMPLE.COM/system");
    params_set(cp, "desturi_tcp", "qemu+tcp://ENTER.YOUR.DEST.EXAMPLE.COM/system");
    params_set(cp, "desturi_tls", "qemu+tls://ENTER.YOUR.DEST.EXAMPLE.COM/system");
    params_set(cp, "desturi_port", "qemu+ssh://ENTER.YOUR.DEST.EXAMPLE.COM:6666/system");
    params_set(cp, "desturi_session", "qemu+ssh://ENTER.YOUR.DEST.EXAMPLE.COM/session");
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "virsh_migrate_desturi"),
                     "qemu+ssh://root@dst.example.org/system");
    ck_assert_str_eq(params_get(p, "desturi_tcp"), "qemu+tcp://dst.example.org/system");
    ck_assert_str_eq(params_get(p, "desturi_tls"), "qemu+tls://192.0.2.2/system");
    ck_assert_str_eq(params_get(p, "desturi_port"), "qemu+ssh://192.0.2.2:6666/system");
    ck_assert_str_eq(params_get(p, "desturi_session"), "qemu+ssh://192.0.2.2/session");
    params_free(p);
    params_free(cp);
}
END_TEST

/* settings params < case < override < --set. */
START_TEST(test_override_wins_over_the_case_and_set_over_the_override)
{
    params_set(S.params, "mem", "128");
    params_set(S.params, "kernel", "/lab/vmlinuz");
    params_set(S.override, "image_name", "/lab/base");
    params_set(S.override, "netdst", "vtbr6");
    params_set(S.override, "username", "root");
    struct params *cp = tp_case();
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "mem"), "1024");              /* the case over params */
    ck_assert_str_eq(params_get(p, "kernel"), "/lab/vmlinuz");   /* params fill the rest */
    ck_assert_str_eq(params_get(p, "image_name"), "/lab/base");  /* override over the case */
    ck_assert_str_eq(params_get(p, "netdst"), "vtbr6");
    /* the keys it names: the case's per-object forms stay (a clone's name, a disk) */
    ck_assert_str_eq(params_get(p, "image_name_avocado-vt-vm1"), "images/jeos-27-vm1");
    ck_assert_str_eq(params_get(p, "image_name_stg1"), "images/stg1");
    params_free(p);
    /* --set: the case holds the --set's value; the override leaves it */
    char *stmts[] = { "only precopy", "netdst = br9", "a.b: username += x" };
    params_set(cp, "netdst", "br9");
    params_set(cp, "username", "rootx");
    p = run(stmts, 3, cp);
    ck_assert_str_eq(params_get(p, "netdst"), "br9");
    ck_assert_str_eq(params_get(p, "username"), "rootx");
    ck_assert_str_eq(params_get(p, "image_name"), "/lab/base");
    params_free(p);
    params_free(cp);
}
END_TEST

/* A placeholder is no value: the settings' params fill it over the case. */
START_TEST(test_settings_params_fill_a_placeholder_of_the_case)
{
    params_set(S.params, "migrate_shared_storage", "/mnt/shared/jeos.qcow2");
    params_set(S.params, "server_ip", "10.0.0.9");
    struct params *cp = tp_case();
    params_set(cp, "migrate_shared_storage", "SHARED_IMAGE.EXAMPLE");
    struct params *p = run(NULL, 0, cp);
    ck_assert_str_eq(params_get(p, "migrate_shared_storage"), "/mnt/shared/jeos.qcow2");
    ck_assert_str_eq(params_get(p, "server_ip"), "10.0.0.9");
    params_free(p);
    params_free(cp);
}
END_TEST

/* A filled password is only ever the value of a key results/ masks. */
START_TEST(test_filled_passwords_land_in_secret_keys_only)
{
    static const char *const logins[] = {
        "server_pwd", "remote_pwd", "host_password", "migrate_dest_pwd", "client_pwd",
        "local_pwd", "migrate_source_pwd", "server_user", "remote_user", "client_user",
    };
    struct params *cp = tp_case();
    for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
        params_set(cp, logins[i], "");
    struct params *p = run(NULL, 0, cp);
    size_t filled = 0;
    for (size_t i = 0; i < params_count(p); i++) {
        const char *v = params_value_at(p, i);
        if (strstr(v, "dst-secret") || strstr(v, "src-secret")) {
            filled++;
            ck_assert_msg(res_key_is_secret(params_key_at(p, i)), "password in %s",
                          params_key_at(p, i));
        }
    }
    ck_assert_uint_eq(filled, 7);      /* the seven password params */
    params_free(p);
    params_free(cp);
}
END_TEST

START_TEST(test_placeholder_found_with_its_word)
{
    char *ph = run_port_placeholder("qemu+tcp://ENTER.YOUR.DEST.EXAMPLE.COM/system");
    ck_assert_str_eq(ph, "ENTER.YOUR.DEST.EXAMPLE.COM");
    free(ph);
    ph = run_port_placeholder("/dev/EXAMPLE");
    ck_assert_str_eq(ph, "EXAMPLE");
    free(ph);
    ph = run_port_placeholder("{'ENTER.YOUR.EXAMPLE.SERVER_CN': 'x'}");
    ck_assert_str_eq(ph, "ENTER.YOUR.EXAMPLE.SERVER_CN");
    free(ph);
    ck_assert_ptr_null(run_port_placeholder("qemu+tcp://host2/system"));
    ck_assert_ptr_null(run_port_placeholder("example.com"));
    char *src = run_port_placeholder_source("ENTER.YOUR.IPv6.TRAGET");
    ck_assert_str_eq(src, "the destination host's IPv6 address (hosts[1]: address6)");
    free(src);
    ck_assert_ptr_null(run_port_placeholder_source("EXAMPLE_MON_HOST"));
}
END_TEST

START_TEST(test_set_statement_keys)
{
    static const struct { const char *stmt, *key; } t[] = {
        { "mem = 2048", "mem" }, { "  mem=2048", "mem" }, { "k += x", "k" },
        { "k ?<= x", "k" }, { "a.b, c: k ~= x", "k" }, { "del k", "k" },
        { "only (subtest=foo)", NULL }, { "no x", NULL }, { "variants:\n - a:\n  k = 1", NULL },
        { "include x.cfg", NULL }, { "k", NULL },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *k = run_port_stmt_key(t[i].stmt);
        if (t[i].key)
            ck_assert_msg(k && !strcmp(k, t[i].key), "'%s' -> '%s'", t[i].stmt, k ? k : "(null)");
        else
            ck_assert_msg(!k, "'%s' -> '%s'", t[i].stmt, k);
        free(k);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("port");
    TCase *tc = tcase_create("port");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_placeholders_take_the_hosts_facts);
    tcase_add_test(tc, test_what_no_host_says_stays_as_written);
    tcase_add_test(tc, test_logins_take_the_hosts_user_and_an_empty_password);
    tcase_add_test(tc, test_facts_derive_from_the_uris);
    tcase_add_test(tc, test_uri_to_a_placeholder_host_is_the_hosts_uri_of_that_transport);
    tcase_add_test(tc, test_override_wins_over_the_case_and_set_over_the_override);
    tcase_add_test(tc, test_settings_params_fill_a_placeholder_of_the_case);
    tcase_add_test(tc, test_filled_passwords_land_in_secret_keys_only);
    tcase_add_test(tc, test_placeholder_found_with_its_word);
    tcase_add_test(tc, test_set_statement_keys);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}

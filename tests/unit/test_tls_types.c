/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS migration cases' declared params, parsed with no backend, host or VM: the
 * `tls` type (copy storage over QEMU's native TLS) and live_migration's host setups
 * (setup_tls, qemu_conf_src / qemu_conf_dest, migrate_tls_force_default, the x509
 * keys): their defaults as the reference's, each bad value an error naming the param,
 * and which cases are ERRORs (not built) before any VM starts.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"

static struct params *P;
static struct run_common C;
static const struct run_type *T;
static void *OPTS;
static struct strbuf F;
static struct run_facts FACTS;

static void setup(void)
{
    P = params_new();
    params_set(P, "vms", "vm1");
    memset(&C, 0, sizeof(C));
    OPTS = NULL;
    strbuf_init(&F, 0);
    run_facts_init(&FACTS);
}

static void teardown(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    OPTS = NULL;
    run_common_release(&C);
    strbuf_release(&F);
    run_facts_release(&FACTS);
    params_free(P);
}

/* Parse type name from P: 0 or -1; F gets the formatted values. */
static int parse(const char *name)
{
    T = run_type_lookup(name);
    ck_assert_ptr_nonnull(T);
    if (OPTS)
        run_type_opts_free(T, OPTS);
    OPTS = NULL;
    run_common_release(&C);
    memset(&C, 0, sizeof(C));
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

static void assert_err(const char *part)
{
    ck_assert_msg(strstr(err_msg(), part), "no '%s' in '%s'", part, err_msg());
}

/* The case's needs (2 hosts): NULL met, else the label, "ERROR" for a bad/unbuilt one. */
static const char *needs(void)
{
    const char *label = NULL;
    run_common_release(&C);
    memset(&C, 0, sizeof(C));
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    int rc = run_needs_check(T, P, &C, 2, &FACTS, &label);
    return rc == 0 ? NULL : rc == -1 ? label : "ERROR";
}

/* tls.cfg's default variant: its words, defaults, and RUN. */
static void tls_default_case(void)
{
    params_set(P, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(P, "virsh_migrate_extra", "--tls");
    params_set(P, "copy_storage_option", "--copy-storage-all");
    params_set(P, "transport_type", "tls");
    params_set(P, "qemu_tls", "yes");
    params_set(P, "custom_pki_path", "/etc/pki/qemu");
    params_set(P, "test_case", "tls");
    params_set(P, "check_str_local_log", "[\"blockdev-add.*tls-creds.*tls-hostname\", "
               "\"migrate-set-parameters.*tls-creds.*tls-hostname\"]");
}

START_TEST(test_tls_defaults_and_run)
{
    tls_default_case();
    ck_assert_int_eq(parse("tls"), 0);
    assert_has("test_case = tls\n");
    assert_has("scp_list_server = cacert,cakey,servercert,serverkey\n");
    assert_has("scp_list_client = cacert,cakey,clientcert,clientkey\n");
    assert_has("virsh_migrate_src_state = shut off\n");
    assert_has("virsh_migrate_dest_state = running\n");
    assert_has("simple_disk_check_after_mig = yes\n");
    ck_assert_ptr_null(needs());
}
END_TEST

START_TEST(test_tls_bad_values_name_the_param)
{
    tls_default_case();
    params_set(P, "scp_list_client", "cacert,clientpem");
    ck_assert_int_eq(parse("tls"), -1);
    assert_err("scp_list_client");
    assert_err("'clientpem'");
    params_set(P, "scp_list_client", "cacert");
    params_set(P, "check_str_local_log", "\"not a list\"");
    ck_assert_int_eq(parse("tls"), -1);
    assert_err("check_str_local_log");
    params_set(P, "check_str_local_log", "[\"(unclosed\"]");
    ck_assert_int_eq(parse("tls"), -1);
    assert_err("check_str_local_log");
    params_del(P, "check_str_local_log");
    params_set(P, "test_case", "sideways");
    ck_assert_int_eq(parse("tls"), -1);
    assert_err("param test_case = 'sideways'");
    /* a removed certificate must be named by an absolute path */
    params_set(P, "test_case", "wrong_cert_configuration");
    params_set(P, "cert_configuration", "no_client_cert_on_src");
    params_set(P, "cert_path", "client-cert.pem");
    ck_assert_int_eq(parse("tls"), -1);
    assert_err("cert_path = 'client-cert.pem'");
    params_set(P, "cert_path", "/etc/pki/qemu/client-cert.pem");
    ck_assert_int_eq(parse("tls"), 0);
    params_set(P, "cert_configuration", "wrong_cn_in_cert");
    params_del(P, "cert_path");
    ck_assert_int_eq(parse("tls"), 0);
}
END_TEST

/* What vtrun does not build is an ERROR before any VM starts. */
START_TEST(test_tls_unbuilt_setups_are_errors)
{
    tls_default_case();
    ck_assert_int_eq(parse("tls"), 0);
    params_set(P, "qemu_tls", "no");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("qemu_tls = 'no'");
    params_set(P, "qemu_tls", "yes");
    params_set(P, "transport_type", "unix_proxy");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("transport_type = 'unix_proxy'");
    params_set(P, "transport_type", "tls");
    params_set(P, "check_cont_ping", "yes");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("check_cont_ping");
    params_del(P, "check_cont_ping");
    params_set(P, "action_during_mig", "[{\"func\": \"utils_test.run_file_transfer\", "
               "\"func_param\": 'params'}]");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("utils_test.run_file_transfer");
}
END_TEST

/* migration_network_data_transport_tls and tls_migrate_tls_x509_verify: the same
 * table; default_qemu_conf is yes/no or a list of keys, the qemu.conf dicts checked. */
START_TEST(test_network_and_x509_types)
{
    params_set(P, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(P, "virsh_migrate_extra", "--tls");
    params_set(P, "qemu_tls", "yes");
    params_set(P, "transport_type", "tls");
    params_set(P, "test_case", "migrate_tls_x509_verify_on_target");
    params_set(P, "cert_path", "/etc/pki/qemu/client-cert.pem");
    params_set(P, "default_qemu_conf", "[\"default_tls_x509_verify\", \"migrate_tls_x509_verify\"]");
    params_set(P, "qemu_conf_dest", "{r\".*default_tls_x509_verify\\s*=.*\": \"default_tls_x509_verify=0\"}");
    ck_assert_int_eq(parse("tls_migrate_tls_x509_verify"), 0);
    ck_assert_ptr_null(needs());
    params_set(P, "default_qemu_conf", "[\"not a key\"]");
    ck_assert_int_eq(parse("tls_migrate_tls_x509_verify"), -1);
    assert_err("default_qemu_conf");
    params_set(P, "default_qemu_conf", "yes");
    params_set(P, "test_case", "migrate_tls_force");
    params_set(P, "stress_package", "stress");
    params_set(P, "set_remote_libvirtd_log", "yes");
    params_set(P, "check_str_remote_log", "['\"endpoint\":\"server\",\"verify-peer\":true']");
    ck_assert_int_eq(parse("migration_network_data_transport_tls"), 0);
    assert_has("default_qemu_conf = yes\n");
    assert_has("new_ca_cn = NEWCERT.VIRT\n");
    ck_assert_ptr_null(needs());
    params_set(P, "test_case", "wrong_cert_configuration");
    params_set(P, "cert_configuration", "signed_by_diff_cert");
    params_del(P, "cert_path");
    ck_assert_int_eq(parse("migration_network_data_transport_tls"), 0);
    params_set(P, "transport_type_again", "unix_proxy");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("transport_type_again = 'unix_proxy'");
}
END_TEST

/* live_migration's migrate_tls_force and native_tls variants. */
START_TEST(test_live_migration_tls_setups)
{
    params_set(P, "setup_tls", "yes");
    params_set(P, "qemu_tls", "yes");
    params_set(P, "qemu_conf_src", "{\"migrate_tls_force\": \"1\"}");
    params_set(P, "qemu_conf_dest", "{r\".*migrate_tls_force\\s*=.*\": \"migrate_tls_force=0\"}");
    params_set(P, "scp_list_client", "cacert");
    params_set(P, "scp_list_client_again", "cacert,clientcert,clientkey");
    params_set(P, "default_tls_x509_verify", "1");
    ck_assert_int_eq(parse("live_migration"), 0);
    assert_has("custom_pki_path = /etc/pki/qemu\n");
    assert_has("migrate_tls_force_default = no\n");
    ck_assert_ptr_null(needs());
    /* the daemons' TLS alone (no qemu_tls) is not built */
    params_set(P, "qemu_tls", "no");
    ck_assert_str_eq(needs(), "ERROR");
    assert_err("qemu_tls = 'no'");
    params_set(P, "qemu_tls", "yes");
    /* check_port's qemu_conf_list is built (runner/run_occupy.h's listener) */
    params_set(P, "check_port", "yes");
    params_set(P, "qemu_conf_list", "[\"migration_port_min\"]");
    ck_assert_ptr_null(needs());
    params_del(P, "qemu_conf_list");
    params_del(P, "check_port");
    /* bad values */
    params_set(P, "qemu_conf_dest", "{r\".*x\": \"no equals sign\"}");
    ck_assert_int_eq(parse("live_migration"), -1);
    assert_err("qemu_conf_dest");
    params_set(P, "qemu_conf_dest", "{}");
    params_set(P, "qemu_conf_src", "[\"migrate_tls_force\"]");
    ck_assert_int_eq(parse("live_migration"), -1);
    assert_err("qemu_conf_src");
    params_set(P, "qemu_conf_src", "{\"migrate tls\": \"1\"}");
    ck_assert_int_eq(parse("live_migration"), -1);
    assert_err("qemu_conf_src");
    params_set(P, "qemu_conf_src", "{}");
    params_set(P, "migrate_tls_x509_verify", "2");
    ck_assert_int_eq(parse("live_migration"), -1);
    assert_err("migrate_tls_x509_verify = '2'");
    params_del(P, "migrate_tls_x509_verify");
    params_set(P, "scp_list_client_again", "cacert,ca-cert.pem");
    ck_assert_int_eq(parse("live_migration"), -1);
    assert_err("scp_list_client_again");
}
END_TEST

START_TEST(test_conf_dicts)
{
    ck_assert_int_eq(run_tls_conf_dict_check("{\"migrate_tls_force\": \"1\"}", false), 0);
    ck_assert_int_eq(run_tls_conf_dict_check("{\"migrate_tls_force\": 1}", false), 0);
    ck_assert_int_eq(run_tls_conf_dict_check(
        "{r\".*migration_host\\s*=.*\": \"migration_host='192.168.1.2'\"}", true), 0);
    ck_assert_int_eq(run_tls_conf_dict_check("{r\".*x\": \" = 1\"}", true), -1);
    ck_assert_int_eq(run_tls_conf_dict_check("{\"a\": [1]}", false), -1);
    ck_assert_int_eq(run_tls_conf_dict_check("{", false), -1);
    ck_assert_int_eq(run_tls_scp_list_check("cacert,cakey,servercert,serverkey"), 0);
    ck_assert_int_eq(run_tls_scp_list_check(""), 0);
    ck_assert_int_eq(run_tls_scp_list_check("cacert,,clientkey"), 0);
    ck_assert_int_eq(run_tls_scp_list_check("cacert;clientkey"), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tls_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tls_defaults_and_run);
    tcase_add_test(tc, test_tls_bad_values_name_the_param);
    tcase_add_test(tc, test_tls_unbuilt_setups_are_errors);
    tcase_add_test(tc, test_network_and_x509_types);
    tcase_add_test(tc, test_live_migration_tls_setups);
    tcase_add_test(tc, test_conf_dicts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

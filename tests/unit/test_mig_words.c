/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virsh migrate vocabulary (migration/mig_opts.c) against libvirt's own meaning,
 * word by word: what virsh's cmdMigrate (tools/virsh-domain.c) passes to
 * virDomainMigrate3 / virDomainMigrateToURI3 for each word -- the VIR_MIGRATE_* flag
 * or the VIR_MIGRATE_PARAM_* typed parameter with its value -- is what the options
 * give the libvirt driver.  The constants come from libvirt's headers, not from vtrun.
 */
#include <check.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

/* Words that set exactly one libvirt flag (with the word that virsh needs beside it,
 * if any, and its own flag). */
static const struct {
    const char *words;
    unsigned int lv;
} flag_rows[] = {
    { "--live", VIR_MIGRATE_LIVE },
    { "--offline", VIR_MIGRATE_OFFLINE },
    { "--p2p", VIR_MIGRATE_PEER2PEER },
    { "--p2p --tunnelled", VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED },
    { "--persistent", VIR_MIGRATE_PERSIST_DEST },
    { "--undefinesource", VIR_MIGRATE_UNDEFINE_SOURCE },
    { "--suspend", VIR_MIGRATE_PAUSED },
    { "--copy-storage-all", VIR_MIGRATE_NON_SHARED_DISK },
    { "--copy-storage-inc", VIR_MIGRATE_NON_SHARED_INC },
    { "--copy-storage-all --copy-storage-synchronous-writes",
      VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES },
    { "--change-protection", VIR_MIGRATE_CHANGE_PROTECTION },
    { "--unsafe", VIR_MIGRATE_UNSAFE },
    { "--compressed", VIR_MIGRATE_COMPRESSED },
    { "--auto-converge", VIR_MIGRATE_AUTO_CONVERGE },
    { "--rdma-pin-all", VIR_MIGRATE_RDMA_PIN_ALL },
    { "--abort-on-error", VIR_MIGRATE_ABORT_ON_ERROR },
    { "--postcopy", VIR_MIGRATE_POSTCOPY },
    { "--postcopy --postcopy-resume", VIR_MIGRATE_POSTCOPY | VIR_MIGRATE_POSTCOPY_RESUME },
    { "--tls", VIR_MIGRATE_TLS },
    { "--parallel", VIR_MIGRATE_PARALLEL },
    { "--zerocopy", VIR_MIGRATE_ZEROCOPY },
    /* client-side words: no flag of their own */
    { "--verbose", 0 },
    { "--direct", 0 },
    { "--live --timeout 5", VIR_MIGRATE_LIVE },
    { "--live --timeout 5 --timeout-suspend", VIR_MIGRATE_LIVE },
    { "--postcopy --postcopy-after-precopy", VIR_MIGRATE_POSTCOPY },
};

START_TEST(test_flag_word_is_libvirts_flag)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_msg(mig_opts_parse(flag_rows[_i].words, &o) == 0, "%s: %s",
                  flag_rows[_i].words, err_msg());
    ck_assert_msg(be_libvirt_mig_flags(o.flags) == flag_rows[_i].lv,
                  "%s: libvirt flags 0x%x, want 0x%x", flag_rows[_i].words,
                  be_libvirt_mig_flags(o.flags), flag_rows[_i].lv);
    ck_assert_uint_eq(o.nparams, 0);
    mig_opts_release(&o);
}
END_TEST

/* Words that give one typed parameter: its libvirt name, type and value. */
static const struct {
    const char *words;
    const char *lv_name;
    int type;                       /* VIR_TYPED_PARAM_* */
    const char *str;
    long long num;
} param_rows[] = {
    { "--migrateuri tcp://h:49152", VIR_MIGRATE_PARAM_URI, VIR_TYPED_PARAM_STRING,
      "tcp://h:49152", 0 },
    { "--graphicsuri spice://h", VIR_MIGRATE_PARAM_GRAPHICS_URI, VIR_TYPED_PARAM_STRING,
      "spice://h", 0 },
    { "--listen-address 0.0.0.0", VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
      VIR_TYPED_PARAM_STRING, "0.0.0.0", 0 },
    { "--dname guest-new-name", VIR_MIGRATE_PARAM_DEST_NAME, VIR_TYPED_PARAM_STRING,
      "guest-new-name", 0 },
    { "--xml=/tmp/x.xml", VIR_MIGRATE_PARAM_DEST_XML, VIR_TYPED_PARAM_STRING,
      "/tmp/x.xml", 0 },
    { "--persistent --persistent-xml /tmp/p.xml", VIR_MIGRATE_PARAM_PERSIST_XML,
      VIR_TYPED_PARAM_STRING, "/tmp/p.xml", 0 },
    { "--migrate-disks vda", VIR_MIGRATE_PARAM_MIGRATE_DISKS, VIR_TYPED_PARAM_STRING,
      "vda", 0 },
    { "--disks-port 49888", VIR_MIGRATE_PARAM_DISKS_PORT, VIR_TYPED_PARAM_INT, NULL,
      49888 },
    { "--disks-uri tcp://h:49160", VIR_MIGRATE_PARAM_DISKS_URI, VIR_TYPED_PARAM_STRING,
      "tcp://h:49160", 0 },
    { "--compressed --comp-methods xbzrle", VIR_MIGRATE_PARAM_COMPRESSION,
      VIR_TYPED_PARAM_STRING, "xbzrle", 0 },
    { "--comp-mt-level 9", VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL, VIR_TYPED_PARAM_INT,
      NULL, 9 },
    { "--comp-mt-threads 4", VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS,
      VIR_TYPED_PARAM_INT, NULL, 4 },
    { "--comp-mt-dthreads 2", VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS,
      VIR_TYPED_PARAM_INT, NULL, 2 },
    { "--comp-xbzrle-cache 536870912", VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE,
      VIR_TYPED_PARAM_ULLONG, NULL, 536870912LL },
    /* libvirt 9.4's names (this machine's headers may predate them) */
    { "--comp-zlib-level 5", "compression.zlib.level", VIR_TYPED_PARAM_INT, NULL, 5 },
    { "--comp-zstd-level 7", "compression.zstd.level", VIR_TYPED_PARAM_INT, NULL, 7 },
    { "--auto-converge --auto-converge-initial 30",
      VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, VIR_TYPED_PARAM_INT, NULL, 30 },
    { "--auto-converge-increment 15", VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
      VIR_TYPED_PARAM_INT, NULL, 15 },
    { "--postcopy-bandwidth 10", VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY,
      VIR_TYPED_PARAM_ULLONG, NULL, 10 },
    { "--parallel --parallel-connections 3", VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
      VIR_TYPED_PARAM_INT, NULL, 3 },
    { "--tls --tls-destination test.com.cn", VIR_MIGRATE_PARAM_TLS_DESTINATION,
      VIR_TYPED_PARAM_STRING, "test.com.cn", 0 },
    { "--tls --tls-destination ''", VIR_MIGRATE_PARAM_TLS_DESTINATION,
      VIR_TYPED_PARAM_STRING, "", 0 },
    /* libvirt 10.9's name */
    { "--migrate-disks-detect-zeroes sda", "migrate_disks_detect_zeroes",
      VIR_TYPED_PARAM_STRING, "sda", 0 },
};

static int lv_type(enum be_mig_param_type t)
{
    return t == BE_MPT_INT ? VIR_TYPED_PARAM_INT
           : t == BE_MPT_ULLONG ? VIR_TYPED_PARAM_ULLONG : VIR_TYPED_PARAM_STRING;
}

START_TEST(test_param_word_is_libvirts_param)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_msg(mig_opts_parse(param_rows[_i].words, &o) == 0, "%s: %s",
                  param_rows[_i].words, err_msg());
    ck_assert_uint_eq(o.nparams, 1);
    ck_assert_str_eq(be_mig_param_name(o.params[0].id), param_rows[_i].lv_name);
    ck_assert_int_eq(lv_type(be_mig_param_type(o.params[0].id)), param_rows[_i].type);
    if (param_rows[_i].str)
        ck_assert_str_eq(o.params[0].str, param_rows[_i].str);
    else
        ck_assert_int_eq(o.params[0].num, param_rows[_i].num);
    mig_opts_release(&o);
}
END_TEST

START_TEST(test_bandwidth_is_the_bandwidth_param)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --bandwidth 10 --postcopy-bandwidth 5", &o), 0);
    ck_assert_uint_eq(o.bandwidth_mib, 10);
    ck_assert_uint_eq(o.nparams, 1);
    mig_opts_release(&o);
}
END_TEST

START_TEST(test_list_words_give_one_param_per_item)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--migrate-disks vda,vdb,vdc --comp-methods mt,xbzrle",
                                    &o), 0);
    ck_assert_uint_eq(o.nparams, 5);
    const char *want[] = { "vda", "vdb", "vdc", "mt", "xbzrle" };
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(o.params[i].str, want[i]);
    ck_assert_str_eq(be_mig_param_name(o.params[4].id), VIR_MIGRATE_PARAM_COMPRESSION);
    mig_opts_release(&o);
}
END_TEST

/* Every option word of the libvirt migration composition's migrate params. */
START_TEST(test_every_corpus_word_is_known)
{
    static const char *const corpus[] = {
        "--live", "--offline", "--p2p", "--direct", "--tunnelled", "--persistent",
        "--persistent-xml", "--undefinesource", "--suspend", "--copy-storage-all",
        "--copy-storage-inc", "--copy-storage-synchronous-writes", "--change-protection",
        "--unsafe", "--verbose", "--compressed", "--comp-methods", "--comp-mt-level",
        "--comp-mt-threads", "--comp-mt-dthreads", "--comp-xbzrle-cache",
        "--comp-zlib-level", "--comp-zstd-level", "--auto-converge",
        "--auto-converge-initial", "--auto-converge-increment", "--abort-on-error",
        "--postcopy", "--postcopy-after-precopy", "--postcopy-resume",
        "--postcopy-bandwidth", "--migrateuri", "--graphicsuri", "--listen-address",
        "--dname", "--timeout", "--timeout-suspend", "--timeout-postcopy", "--xml",
        "--migrate-disks", "--migrate-disks-detect-zeroes", "--disks-port",
        "--disks-uri", "--tls", "--tls-destination", "--parallel",
        "--parallel-connections", "--zerocopy", "--bandwidth",
    };
    for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
        ck_assert_msg(mig_opts_word_known(corpus[i]), "%s", corpus[i]);
}
END_TEST

START_TEST(test_unknown_word_is_named)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --copy-storage-everything", &o), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "'--copy-storage-everything'"));
    ck_assert_uint_eq(o.flags, 0);
}
END_TEST

/* virsh 9.0 fills the options with a value, in cmdMigrate's order, with bare words
 * (checked against virsh itself: `migrate --live DOM URI a b` parses). */
START_TEST(test_bare_words_fill_the_next_option_as_virsh_does)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live tcp://192.168.5.123", &o), 0);
    ck_assert_str_eq(mig_opts_param_value(&o, BE_MP_URI), "tcp://192.168.5.123");
    mig_opts_release(&o);
    /* a given option is skipped: the bare word goes to the next one */
    ck_assert_int_eq(mig_opts_parse("--live --migrateuri tcp://a g-uri 10.0.0.1 copy", &o), 0);
    ck_assert_str_eq(mig_opts_param_value(&o, BE_MP_URI), "tcp://a");
    ck_assert_str_eq(mig_opts_param_value(&o, BE_MP_GRAPHICS_URI), "g-uri");
    ck_assert_str_eq(mig_opts_param_value(&o, BE_MP_LISTEN_ADDRESS), "10.0.0.1");
    ck_assert_str_eq(mig_opts_param_value(&o, BE_MP_DEST_NAME), "copy");
    mig_opts_release(&o);
    /* more bare words than options with a value */
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "--live");
    for (int i = 0; i < 22; i++)
        strbuf_addf(&sb, " %d", i + 1);
    ck_assert_int_eq(mig_opts_parse(sb.buf, &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "unexpected data '22'"));
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_values_are_checked_as_virsh_does)
{
    struct be_migrate_opts o = { 0 };
    /* -2: what virsh itself refuses, a case may expect it to fail */
    ck_assert_int_eq(mig_opts_parse("--parallel --parallel-connections", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--parallel-connections needs a value"));
    ck_assert_int_eq(mig_opts_parse("--disks-port x1", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "malformed"));
    ck_assert_int_eq(mig_opts_parse("--timeout -1", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--postcopy-bandwidth -1", &o), -2);
    /* an int option is signed in virsh: libvirt answers for -1 */
    ck_assert_int_eq(mig_opts_parse("--parallel --parallel-connections -1", &o), 0);
    ck_assert_int_eq(o.params[0].num, -1);
    mig_opts_release(&o);
    ck_assert_int_eq(mig_opts_parse("--live=yes", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--dname 'unterminated", &o), -1);
    /* virsh's own combination rules */
    ck_assert_int_eq(mig_opts_parse("--copy-storage-synchronous-writes", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--tunnelled", &o), -2);
    ck_assert_uint_eq(o.nparams, 0);
}
END_TEST

START_TEST(test_format_parses_back)
{
    struct be_migrate_opts o = { 0 }, back = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --p2p --verbose --dname new --tls "
                                    "--tls-destination '' --migrate-disks vda,vdb "
                                    "--comp-xbzrle-cache 1024 --timeout 9 "
                                    "--timeout-suspend --listen-address 'a b'", &o), 0);
    char *s = mig_opts_format(&o);
    ck_assert_int_eq(mig_opts_parse(s, &back), 0);
    ck_assert_uint_eq(back.flags, o.flags);
    ck_assert_uint_eq(back.nparams, o.nparams);
    for (size_t i = 0; i < o.nparams; i++) {
        ck_assert_int_eq(back.params[i].id, o.params[i].id);
        ck_assert_int_eq(back.params[i].num, o.params[i].num);
        if (o.params[i].str)
            ck_assert_str_eq(back.params[i].str, o.params[i].str);
    }
    ck_assert_str_eq(mig_opts_param_value(&back, BE_MP_DEST_NAME), "new");
    free(s);
    mig_opts_release(&o);
    mig_opts_release(&back);
}
END_TEST

START_TEST(test_xml_file_is_sent_as_its_text)
{
    char path[] = "/tmp/vtrun-migxml-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "<domain/>", 9), 9);
    close(fd);
    struct be_migrate_opts o = { 0 };
    char *words = NULL;
    ck_assert_int_ge(asprintf(&words, "--live --xml %s", path), 0);
    ck_assert_int_eq(mig_opts_parse(words, &o), 0);
    ck_assert_int_eq(mig_opts_load_files(&o), 0);
    ck_assert_str_eq(o.params[0].str, "<domain/>");
    mig_opts_release(&o);
    unlink(path);
    ck_assert_int_eq(mig_opts_parse(words, &o), 0);
    ck_assert_int_eq(mig_opts_load_files(&o), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "error: Failed to open file"));
    mig_opts_release(&o);
    free(words);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mig_words");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_flag_word_is_libvirts_flag, 0,
                        (int)(sizeof(flag_rows) / sizeof(flag_rows[0])));
    tcase_add_loop_test(tc, test_param_word_is_libvirts_param, 0,
                        (int)(sizeof(param_rows) / sizeof(param_rows[0])));
    tcase_add_test(tc, test_bandwidth_is_the_bandwidth_param);
    tcase_add_test(tc, test_list_words_give_one_param_per_item);
    tcase_add_test(tc, test_every_corpus_word_is_known);
    tcase_add_test(tc, test_unknown_word_is_named);
    tcase_add_test(tc, test_bare_words_fill_the_next_option_as_virsh_does);
    tcase_add_test(tc, test_values_are_checked_as_virsh_does);
    tcase_add_test(tc, test_format_parses_back);
    tcase_add_test(tc, test_xml_file_is_sent_as_its_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

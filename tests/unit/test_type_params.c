/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Declared params (runner/run_param.c, runner/run_common.c) and the options of the
 * boot and migrate types, parsed with no backend, host or VM: each kind's values and
 * its exact error, aliases and defaults, the per-VM rows, needs; and every table of
 * every type held to the rules (defaults parse, docs, no name twice).  The
 * virsh_migrate_stress type has its own file (test_stress_type.c).
 */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_type.h"

/* ---- a table with one row of each kind ------------------------------------------- */

struct pair {
    char *name, *value;
};

struct topts {
    const char *s;
    bool b;
    long i, even;
    double f;
    unsigned long long size;
    int e;
    char **l;
    const char *re;
    struct pair kv;
};

static int parse_pair(const char *text, void *field)
{
    struct pair *kv = field;
    const char *colon = strchr(text, ':');
    if (!colon) {
        err_set("no ':' in '%s'", text);
        return -1;
    }
    free(kv->name);
    free(kv->value);
    kv->name = xstrndup(text, (size_t)(colon - text));
    kv->value = xstrdup(colon + 1);
    return 0;
}

static void format_pair(const void *field, struct strbuf *out)
{
    const struct pair *kv = field;
    strbuf_addf(out, "%s:%s", kv->name ? kv->name : "", kv->value ? kv->value : "");
}

static void release_pair(void *field)
{
    struct pair *kv = field;
    free(kv->name);
    free(kv->value);
    kv->name = kv->value = NULL;
}

static int check_even(const void *field)
{
    long v = *(const long *)field;
    if (v % 2 == 0)
        return 0;
    err_set("%ld is odd", v);
    return -1;
}

static const struct params_word colours[] = {
    { "red", 1 }, { "green", 2 }, { "vert", 2 }, { NULL, 0 },
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct topts, __VA_ARGS__)
static const struct run_param table[] = {
    { "text", .aliases = "old_text older_text", AT(STR, s), .def = "dflt", .doc = "s" },
    { "flag", AT(BOOL, b), .def = "no", .doc = "b" },
    { "count", .aliases = "num", AT(INT, i), .def = "3", RUN_PARAM_MIN(1), .doc = "i" },
    { "even", AT(INT, even), .check = check_even, .expect = "an even integer", .doc = "e" },
    { "wait", AT(FLOAT, f), .def = "1.5", RUN_PARAM_RANGE(0, 60), .unit = "seconds",
      .doc = "f" },
    { "size", AT(BYTES, size), .def = "128M", .doc = "size" },
    { "colour", AT(ENUM, e, colours), .doc = "e" },
    { "names", AT(LIST, l), .doc = "l" },
    { "re", AT(REGEX, re), .doc = "re" },
    { "pair", AT(CUSTOM, kv, struct pair, parse_pair, format_pair), .release = release_pair,
      .expect = "NAME:VALUE", .doc = "kv" },
    { NULL },
};
#undef AT

static struct params *P;
static struct topts O;

static void setup(void)
{
    P = params_new();
    memset(&O, 0, sizeof(O));
}

static void teardown(void)
{
    run_param_release(table, &O);
    run_param_release(table, &O);       /* idempotent */
    params_free(P);
}

/* Parse `table` with key/value pairs (NULL-terminated) set; returns run_param_parse(). */
static int parse_with(const char *k, ...)
{
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const char *))
        params_set(P, k, va_arg(ap, const char *));
    va_end(ap);
    return run_param_parse(table, P, &O);
}

/* The one error of a single bad value. */
static void assert_error(const char *key, const char *value, const char *msg)
{
    params_set(P, key, value);
    ck_assert_int_eq(run_param_parse(table, P, &O), -1);
    ck_assert_str_eq(err_msg(), msg);
    params_del(P, key);
}

START_TEST(test_defaults_fill_every_unset_row)
{
    ck_assert_int_eq(parse_with(NULL), 0);
    ck_assert_str_eq(O.s, "dflt");
    ck_assert(!O.b);
    ck_assert_int_eq(O.i, 3);
    ck_assert_double_eq(O.f, 1.5);
    ck_assert_uint_eq(O.size, 128ULL << 20);
    ck_assert_int_eq(O.e, 0);              /* no default: the field stays */
    ck_assert_ptr_nonnull(O.l);             /* a list without default is empty, not NULL */
    ck_assert_ptr_null(O.l[0]);
    ck_assert_ptr_null(O.re);
    ck_assert_ptr_null(O.kv.name);
}
END_TEST

START_TEST(test_values_of_each_kind)
{
    ck_assert_int_eq(parse_with("text", "t", "flag", "on", "count", " 42 ", "even", "-4",
                                "wait", "2.5e1", "size", "1GiB", "colour", "vert",
                                "names", " a b  a c ", "re", "^x+$", "pair", "k:v:w", NULL),
                     0);
    ck_assert_str_eq(O.s, "t");
    ck_assert(O.b);
    ck_assert_int_eq(O.i, 42);
    ck_assert_int_eq(O.even, -4);
    ck_assert_double_eq(O.f, 25);
    ck_assert_uint_eq(O.size, 1ULL << 30);
    ck_assert_int_eq(O.e, 2);
    ck_assert_uint_eq(params_strv_len(O.l), 3);
    ck_assert_str_eq(O.l[2], "c");
    ck_assert_str_eq(O.re, "^x+$");
    ck_assert_str_eq(O.kv.name, "k");
    ck_assert_str_eq(O.kv.value, "v:w");
}
END_TEST

/* avocado-vt's get_boolean(): yes/on/true and no/off/false, exactly. */
START_TEST(test_bool_takes_avocado_vt_words_only)
{
    static const char *const yes[] = { "yes", "on", "true" }, *const no[] = { "no", "off",
                                                                              "false" };
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(parse_with("flag", yes[i], NULL), 0);
        ck_assert(O.b);
        ck_assert_int_eq(parse_with("flag", no[i], NULL), 0);
        ck_assert(!O.b);
    }
    static const char *const bad[] = { "Yes", "YES", "1", "0", "y", "True", "enable" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *msg = xasprintf("param flag = '%s': expected yes or no (or on/off, "
                              "true/false)", bad[i]);
        assert_error("flag", bad[i], msg);
        free(msg);
    }
}
END_TEST

START_TEST(test_each_kind_names_param_value_and_expectation)
{
    assert_error("count", "x3", "param count = 'x3': expected an integer >= 1");
    assert_error("count", "0", "param count = '0': expected an integer >= 1");
    assert_error("count", "2.0", "param count = '2.0': expected an integer >= 1");
    assert_error("count", "0x10", "param count = '0x10': expected an integer >= 1");
    assert_error("count", "99999999999999999999",
                 "param count = '99999999999999999999': expected an integer >= 1");
    assert_error("wait", "soon", "param wait = 'soon': expected a number of seconds "
                 "from 0 to 60");
    assert_error("wait", "-3", "param wait = '-3': expected a number of seconds from 0 to 60");
    assert_error("wait", "nan", "param wait = 'nan': expected a number of seconds from 0 to 60");
    assert_error("wait", "inf", "param wait = 'inf': expected a number of seconds from 0 to 60");
    assert_error("size", "12X", "param size = '12X': expected a size (128M, 1G, 4096)");
    assert_error("colour", "Red", "param colour = 'Red': expected one of red, green, vert");
    assert_error("even", "3", "param even = '3': expected an even integer (3 is odd)");
    assert_error("pair", "nocolon", "param pair = 'nocolon': expected NAME:VALUE "
                 "(no ':' in 'nocolon')");
    params_set(P, "re", "(x");
    ck_assert_int_eq(run_param_parse(table, P, &O), -1);
    ck_assert_str_eq(err_msg(), "param re = '(x': expected a PCRE2 regular expression "
                     "(missing closing parenthesis at offset 2)");
}
END_TEST

START_TEST(test_the_name_the_case_wrote_is_the_one_named)
{
    assert_error("num", "x", "param num = 'x': expected an integer >= 1");
    params_set(P, "count", "");
    assert_error("num", "x", "param num = 'x': expected an integer >= 1");
}
END_TEST

START_TEST(test_name_wins_over_aliases_and_aliases_go_in_order)
{
    ck_assert_int_eq(parse_with("older_text", "3", "old_text", "2", NULL), 0);
    ck_assert_str_eq(O.s, "2");
    ck_assert_int_eq(parse_with("text", "1", NULL), 0);
    ck_assert_str_eq(O.s, "1");
}
END_TEST

START_TEST(test_blank_value_is_unset)
{
    /* a variant's `text =` clears it: the alias, then the default apply */
    ck_assert_int_eq(parse_with("text", "  ", "old_text", "2", "count", "", NULL), 0);
    ck_assert_str_eq(O.s, "2");
    ck_assert_int_eq(O.i, 3);
    params_set(P, "old_text", "");
    ck_assert_int_eq(run_param_parse(table, P, &O), 0);
    ck_assert_str_eq(O.s, "dflt");
}
END_TEST

START_TEST(test_long_values_are_cut_in_the_message)
{
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    params_set(P, "count", big);
    ck_assert_int_eq(run_param_parse(table, P, &O), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "aaa...': expected an integer >= 1"));
    ck_assert_uint_lt(strlen(err_msg()), 200);
}
END_TEST

START_TEST(test_format_writes_values_as_a_config_would)
{
    ck_assert_int_eq(parse_with("flag", "true", "colour", "vert", "names", "a b",
                                "pair", "k:v", NULL), 0);
    struct strbuf sb = STRBUF_INIT;
    run_param_format(table, &O, &sb);
    ck_assert_str_eq(sb.buf, "text = dflt\nflag = yes\ncount = 3\neven = 0\nwait = 1.5\n"
                     "size = 134217728\ncolour = green\nnames = a b\nre = \npair = k:v\n");
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_listing_shows_names_aliases_expectation_default_and_doc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    run_param_print(table, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "    text, old_text, older_text: text [default: dflt]\n"
                                      "        s\n"));
    ck_assert_ptr_nonnull(strstr(buf, "    wait: a number of seconds from 0 to 60 "
                                      "[default: 1.5]\n"));
    ck_assert_ptr_nonnull(strstr(buf, "    colour: one of red, green, vert\n"));
    free(buf);
}
END_TEST

/* ---- the params of every case ------------------------------------------------------ */

static struct run_common C;

static void common_setup(void)
{
    P = params_new();
    memset(&C, 0, sizeof(C));
    C.test_timeout = 1800;      /* the settings' */
}

static void common_teardown(void)
{
    run_common_release(&C);
    params_free(P);
}

/* Set k = v and parse the whole case again into a fresh struct. */
static int common_with(const char *k, const char *v)
{
    params_set(P, k, v);
    run_common_release(&C);
    memset(&C, 0, sizeof(C));
    return run_common_parse(P, &C);
}

START_TEST(test_common_defaults)
{
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    ck_assert_double_eq(C.test_timeout, 1800);     /* unset: the settings' value stays */
    ck_assert_double_eq(C.login_timeout, 240);
    ck_assert_ptr_null(C.vm_type);
    ck_assert_ptr_null(C.vms[0]);
    ck_assert_ptr_null(C.main_vm);
    ck_assert_ptr_null(C.virsh_migrate_desturi);
}
END_TEST

START_TEST(test_common_bad_values_are_errors_naming_them)
{
    static const char *const cases[][3] = {
        { "test_timeout", "-3", "param test_timeout = '-3': expected a number of seconds >= 0" },
        { "login_timeout", "abc", "param login_timeout = 'abc': expected a number of seconds "
          ">= 0" },
        { "vm_type", "foo", "param vm_type = 'foo': expected a backend (unknown backend "
          "(vm_type) 'foo'; known: libvirt, qemu)" },
        { "mem", "-5", "param mem = '-5': expected an integer >= 1 in MiB" },
        { "vm_accel", "fast", "param vm_accel = 'fast': expected one of auto, kvm, tcg" },
        { "shell_port", "65536", "param shell_port = '65536': expected an integer from 1 "
          "to 65535" },
        { "keep_image_clones", "maybe", "param keep_image_clones = 'maybe': expected yes or "
          "no (or on/off, true/false)" },
        /* issue 15: a hostile VM name stops the case before any command could carry it */
        { "vms", "vm1 x;id;", "param vms = 'vm1 x;id;': expected VM names of letters, "
          "digits, '_', '.', '-' (VM name 'x;id;': letters, digits, '_', '.' and '-' only, "
          "not first '-' or '.')" },
        { "vms", "vm1 $(reboot)", "param vms = 'vm1 $(reboot)': expected VM names of "
          "letters, digits, '_', '.', '-' (VM name '$(reboot)': letters, digits, '_', '.' "
          "and '-' only, not first '-' or '.')" },
        { "vms", "-rf", "param vms = '-rf': expected VM names of letters, digits, '_', '.', "
          "'-' (VM name '-rf': letters, digits, '_', '.' and '-' only, not first '-' or "
          "'.')" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct params *p = params_new();
        struct run_common c = { 0 };
        params_set(p, "vms", "vm1");
        params_set(p, cases[i][0], cases[i][1]);
        ck_assert_int_eq(run_common_parse(p, &c), -1);
        ck_assert_str_eq(err_msg(), cases[i][2]);
        run_common_release(&c);
        params_free(p);
    }
}
END_TEST

START_TEST(test_common_good_values)
{
    ck_assert_int_eq(common_with("test_timeout", "0"), 0);
    ck_assert_double_eq(C.test_timeout, 0);
    ck_assert_int_eq(common_with("vm_type", "qemu"), 0);
    ck_assert_str_eq(C.vm_type, "qemu");
    ck_assert_int_eq(common_with("vms", "vm1 vm2"), 0);
    ck_assert_str_eq(C.vms[1], "vm2");
    ck_assert_int_eq(common_with("vms", "avocado-vt-vm1 virt_tests.vm2"), 0);
    ck_assert_int_eq(common_with("virsh_migrate_desturi", "qemu+tcp://b/system"), 0);
    ck_assert_str_eq(C.virsh_migrate_desturi, "qemu+tcp://b/system");
}
END_TEST

/* A VM's or an image's own value (mem_vm2, check_image_image1) is checked in its
 * object params and the error says which object. */
START_TEST(test_object_values_are_checked_per_vm_and_image)
{
    params_set(P, "vms", "vm1 vm2");
    params_set(P, "images", "image1");
    params_set(P, "mem", "512");
    ck_assert_int_eq(common_with("mem_vm2", "-5"), -1);
    ck_assert_str_eq(err_msg(), "param mem = '-5' (VM vm2): expected an integer >= 1 in MiB");
    params_del(P, "mem_vm2");
    ck_assert_int_eq(common_with("check_image_image1_vm1", "sure"), -1);
    ck_assert_str_eq(err_msg(), "param check_image = 'sure' (VM vm1, image image1): "
                     "expected yes or no (or on/off, true/false)");
    params_del(P, "check_image_image1_vm1");
    ck_assert_int_eq(common_with("image_clone_mode_image1", "full"), 0);
}
END_TEST

START_TEST(test_main_vm_is_one_of_vms)
{
    ck_assert_int_eq(common_with("vms", "b a"), 0);
    ck_assert_int_eq(run_common_main_vm(&C), 0);       /* unset: the first */
    ck_assert_int_eq(common_with("main_vm", "a"), 0);
    ck_assert_int_eq(run_common_main_vm(&C), 1);
    ck_assert_int_eq(common_with("main_vm", "c"), 0);
    ck_assert_int_eq(run_common_main_vm(&C), -1);
    ck_assert_str_eq(err_msg(), "param main_vm = 'c': expected one of vms ('b a')");
    ck_assert_int_eq(common_with("vms", ""), 0);
    ck_assert_int_eq(run_common_main_vm(&C), 0);       /* no VMs: the needs cancel */
}
END_TEST

/* ---- boot and migrate ---------------------------------------------------------------- */

static const struct run_type *T;
static void *OPTS;
static struct strbuf F;

static void type_setup(void)
{
    common_setup();
    OPTS = NULL;
    strbuf_init(&F, 0);
}

static void type_teardown(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    strbuf_release(&F);
    common_teardown();
}

/* Parse type `name` from the params set so far; 0 or -1; F gets the formatted values. */
static int type_parse(const char *name)
{
    T = run_type_lookup(name);
    ck_assert_ptr_nonnull(T);
    if (OPTS)
        run_type_opts_free(T, OPTS);
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

START_TEST(test_boot_defaults_and_errors)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("boot"), 0);
    assert_has("start_vm_host = 0\n");
    params_set(P, "start_vm_host", "-1");
    ck_assert_int_eq(type_parse("boot"), -1);
    ck_assert_str_eq(err_msg(), "param start_vm_host = '-1': expected an integer >= 0");
    ck_assert_ptr_null(OPTS);
}
END_TEST

/* tp-libvirt's virsh_migration: its words, the postcopy switch that needs --postcopy,
 * the state expected on the destination. */
START_TEST(test_virsh_migration_params)
{
    params_set(P, "vms", "vm1");
    params_set(P, "migrate_options", "--live --p2p --verbose");
    ck_assert_int_eq(type_parse("virsh_migration"), 0);
    assert_has("migrate_vm_state = running\n");
    params_set(P, "migrate_postcopy", "yes");
    ck_assert_int_eq(type_parse("virsh_migration"), -1);
    ck_assert_str_eq(err_msg(), "migrate_postcopy without --postcopy in migrate_options");
    params_set(P, "migrate_options", "--live --p2p --postcopy");
    ck_assert_int_eq(type_parse("virsh_migration"), 0);
    params_set(P, "migrate_options", "--live --sideways");
    ck_assert_int_eq(type_parse("virsh_migration"), -1);
    ck_assert_msg(strstr(err_msg(), "migrate_options = '--live --sideways'") &&
                  strstr(err_msg(), "--sideways"), "%s", err_msg());
    params_set(P, "migrate_options", "--live");
    params_del(P, "migrate_postcopy");
    params_set(P, "migrate_vm_state", "sideways");
    ck_assert_int_eq(type_parse("virsh_migration"), -1);
    ck_assert_msg(strstr(err_msg(), "param migrate_vm_state = 'sideways'"), "%s", err_msg());
}
END_TEST

/* tp-libvirt's virsh_migrate: its words from three params, checked together. */
START_TEST(test_virsh_migrate_params)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    assert_has("virsh_migrate_options = --live\n");
    assert_has("virsh_migrate_dest_state = running\n");
    assert_has("virsh_migrate_src_state = running\n");
    assert_has("status_error = no\n");
    assert_has("virsh_migrate_delay = 10\n");
    params_set(P, "virsh_migrate_options", "--live");
    params_set(P, "postcopy_options", "--postcopy --postcopy-after-precopy");
    params_set(P, "virsh_migrate_extra", "--timeout 60 --dname x");
    params_set(P, "virsh_migrate_dest_state", "nonexist");
    params_set(P, "virsh_migrate_src_state", "shut off");
    params_set(P, "err_msg", "Unsafe migration|unsupported");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    assert_has("virsh_migrate_dest_state = nonexist\n");
    /* an unknown word in any of the three is an error naming the three and the word */
    params_set(P, "virsh_migrate_extra", "--timeout 60 --copy-storage-everything");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_options + postcopy_options + "
                         "virsh_migrate_extra") &&
                  strstr(err_msg(), "unknown word '--copy-storage-everything'"), "%s",
                  err_msg());
    /* virsh's own rule across the params (--postcopy-after-precopy needs --postcopy):
     * not a config error but virsh refusing the call, which a case may expect */
    params_set(P, "virsh_migrate_extra", "--timeout 60");
    params_set(P, "postcopy_options", "--postcopy-after-precopy");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    params_set(P, "postcopy_options", "");
    params_set(P, "err_msg", "(unclosed");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    params_set(P, "err_msg", "");
    params_set(P, "virsh_migrate_dest_state", "sleeping");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_dest_state = 'sleeping'"), "%s",
                  err_msg());
}
END_TEST

/* virsh_migrate's guest NUMA and vCPU hotplug: their declared defaults (the
 * reference's), and the values checked before anything starts. */
START_TEST(test_virsh_migrate_numa_and_hotplug_params)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    assert_has("virsh_migrate_with_numa = no\n");
    assert_has("memory_mode = strict\n");
    assert_has("memory_placement = static\n");
    assert_has("memnode_mode_1 = preferred\n");
    assert_has("virsh_migrate_vcpus_current = 8\n");
    assert_has("virsh_migrate_vcpus = 64\n");
    params_set(P, "virsh_migrate_with_numa", "yes");
    params_set(P, "virsh_migrate_with_numa_pin", "yes");
    params_set(P, "memnode_mode_2", "interleave");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    params_set(P, "memnode_mode_2", "loose");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "memnode_mode_2 = 'loose'"), "%s", err_msg());
    params_set(P, "memnode_mode_2", "");
    params_set(P, "virsh_migrate_cpu_hotplug", "yes");
    params_set(P, "virsh_migrate_vcpus_current", "4");
    params_set(P, "virsh_migrate_vcpus", "2");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_vcpus_current = 4: more than "
                         "virsh_migrate_vcpus = 2"), "%s", err_msg());
    params_set(P, "virsh_migrate_vcpus", "0");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_vcpus = '0'"), "%s", err_msg());
}
END_TEST

/* virsh_migrate's huge pages: the reference's defaults, and a pin count it knows. */
START_TEST(test_virsh_migrate_hugepage_params)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    assert_has("virsh_migrate_with_HP = no\n");
    assert_has("virsh_migrate_with_HP_pin = no\n");
    assert_has("HP_pin_node_count = 2\n");
    assert_has("kernel_hp_file = /proc/sys/vm/nr_hugepages\n");
    params_set(P, "virsh_migrate_with_HP_pin", "yes");
    params_set(P, "HP_pin_node_count", "1");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    params_set(P, "HP_pin_node_count", "3");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "HP_pin_node_count"), "%s", err_msg());
    params_set(P, "HP_pin_node_count", "2");
    params_set(P, "virsh_migrate_with_HP", "maybe");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_with_HP = 'maybe'"), "%s", err_msg());
}
END_TEST

/* virsh_migrate's other setups: their words are libvirt's and virsh's, checked
 * before anything starts. */
START_TEST(test_virsh_migrate_setup_params)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    assert_has("virsh_migrate_disk_cache = none\n");
    assert_has("virsh_migrate_libvirtd_state = on\n");
    assert_has("unsupported_conf = no\n");
    assert_has("virsh_migrate_max_dimm_slots = 32\n");
    assert_has("postcopy_migration_timeout = 180\n");
    params_set(P, "virsh_migrate_disk_cache", "writeback");
    params_set(P, "virsh_migrate_libvirtd_state", "off");
    params_set(P, "virsh_migrate_hotplug_mem_unit", "MiB");
    params_set(P, "virsh_postcopy_cmd", "migrate-postcopy");
    ck_assert_int_eq(type_parse("virsh_migrate"), 0);
    params_set(P, "virsh_migrate_disk_cache", "fast");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "virsh_migrate_disk_cache = 'fast'"), "%s", err_msg());
    params_set(P, "virsh_migrate_disk_cache", "");
    params_set(P, "virsh_migrate_libvirtd_state", "sleeping");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    params_set(P, "virsh_migrate_libvirtd_state", "");
    params_set(P, "virsh_migrate_hotplug_mem_unit", "TB");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    params_set(P, "virsh_migrate_hotplug_mem_unit", "");
    params_set(P, "virsh_postcopy_cmd", "migrate-precopy");
    ck_assert_int_eq(type_parse("virsh_migrate"), -1);
    ck_assert_msg(strstr(err_msg(), "only migrate-postcopy is known"), "%s", err_msg());
}
END_TEST

START_TEST(test_boot_needs_vms)
{
    ck_assert_int_eq(type_parse("boot"), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 1), -1);
    ck_assert_str_eq(err_msg(), "test type 'boot' needs VMs: 'vms' is empty");
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("boot"), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 1), 0);
}
END_TEST

START_TEST(test_migrate_defaults_to_the_one_definition_of_the_flag_words)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("migrate"), 0);
    assert_has("migrate_options = --live --p2p --persistent --undefinesource\n");
    assert_has("virsh_migrate_timeout = 0\n");       /* tp-libvirt's virsh migrate: none */
    assert_has("virsh_migrate_back = no\n");
    ck_assert_str_eq(MIG_OPTS_DEFAULT, "--live --p2p --persistent --undefinesource");
}
END_TEST

/* avocado-vt (virttest/migration.py): params.get("migrate_options",
 * params.get("virsh_migrate_options")) */
START_TEST(test_migrate_options_win_over_virsh_migrate_options)
{
    params_set(P, "vms", "vm1");
    params_set(P, "virsh_migrate_options", "--live --unsafe");
    ck_assert_int_eq(type_parse("migrate"), 0);
    assert_has("migrate_options = --live --unsafe\n");
    params_set(P, "migrate_options", "--offline --persistent");
    ck_assert_int_eq(type_parse("migrate"), 0);
    assert_has("migrate_options = --persistent --offline\n");
}
END_TEST

START_TEST(test_migrate_timeout_and_bad_values)
{
    params_set(P, "vms", "vm1");
    params_set(P, "virsh_migrate_timeout", "30");
    ck_assert_int_eq(type_parse("migrate"), 0);
    assert_has("migrate_options = --live --p2p --persistent --undefinesource --timeout 30\n");
    params_set(P, "virsh_migrate_timeout", "soon");
    ck_assert_int_eq(type_parse("migrate"), -1);
    ck_assert_str_eq(err_msg(), "param virsh_migrate_timeout = 'soon': expected a number "
                     "of seconds >= 0");
    params_del(P, "virsh_migrate_timeout");
    params_set(P, "virsh_migrate_options", "--live --persistant");
    ck_assert_int_eq(type_parse("migrate"), -1);
    ck_assert_str_eq(err_msg(), "param virsh_migrate_options = '--live --persistant': "
                     "expected virsh migrate flag words (migrate options: unknown word "
                     "'--persistant')");
    params_del(P, "virsh_migrate_options");
    params_set(P, "main_vm", "vm9");
    ck_assert_int_eq(type_parse("migrate"), -1);
    ck_assert_str_eq(err_msg(), "param main_vm = 'vm9': expected one of vms ('vm1')");
}
END_TEST

START_TEST(test_migrate_needs_two_hosts)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(type_parse("migrate"), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 1), -1);
    ck_assert_str_eq(err_msg(), "test type 'migrate' needs a source and a destination host; "
                     "name them in the settings' hosts or with virsh_migrate_desturi");
    ck_assert_int_eq(run_type_check_needs(T, &C, 2), 0);
}
END_TEST

/* ---- every table ----------------------------------------------------------------------- */

static void lint_table(const struct run_param *t, const char *owner, struct strbuf *names)
{
    for (const struct run_param *r = t; r && r->name; r++) {
        ck_assert_msg(r->doc && *r->doc, "%s: %s has no doc", owner, r->name);
        ck_assert_msg(r->kind != RUN_PARAM_CUSTOM || (r->parse && r->format),
                      "%s: %s: a CUSTOM row needs parse and format", owner, r->name);
        ck_assert_msg(r->scope == RUN_PARAM_CASE || r->kind != RUN_PARAM_CUSTOM,
                      "%s: %s: object rows are of the plain kinds", owner, r->name);
        ck_assert_msg(r->kind != RUN_PARAM_ENUM || r->words, "%s: %s: no words", owner,
                      r->name);
        char *key = xasprintf(" %s ", r->name);
        ck_assert_msg(!strstr(names->buf, key), "%s: %s is declared twice", owner, r->name);
        strbuf_addstr(names, key + 1);
        free(key);
    }
}

/* Defaults parse (a type with nothing set gets every default), every row is
 * documented, no type declares a name the common tables have. */
START_TEST(test_every_table_holds_to_the_rules)
{
    struct strbuf common = STRBUF_INIT;
    strbuf_addch(&common, ' ');
    lint_table(run_common_params, "common", &common);
    lint_table(run_vm_params, "vm", &common);
    params_set(P, "vms", "vm1 vm2");
    ck_assert_msg(run_common_parse(P, &C) == 0, "%s", err_msg());
    for (size_t i = 0; run_types[i]; i++) {
        struct strbuf names = STRBUF_INIT;
        strbuf_addstr(&names, common.buf);
        lint_table(run_types[i]->params, run_types[i]->name, &names);
        void *o;
        ck_assert_msg(run_type_parse(run_types[i], P, &C, &o) == 0, "%s: %s",
                      run_types[i]->name, err_msg());
        run_type_opts_free(run_types[i], o);
        strbuf_release(&names);
    }
    strbuf_release(&common);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("type_params");
    TCase *tc = tcase_create("kinds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_fill_every_unset_row);
    tcase_add_test(tc, test_values_of_each_kind);
    tcase_add_test(tc, test_bool_takes_avocado_vt_words_only);
    tcase_add_test(tc, test_each_kind_names_param_value_and_expectation);
    tcase_add_test(tc, test_the_name_the_case_wrote_is_the_one_named);
    tcase_add_test(tc, test_name_wins_over_aliases_and_aliases_go_in_order);
    tcase_add_test(tc, test_blank_value_is_unset);
    tcase_add_test(tc, test_long_values_are_cut_in_the_message);
    tcase_add_test(tc, test_format_writes_values_as_a_config_would);
    tcase_add_test(tc, test_listing_shows_names_aliases_expectation_default_and_doc);
    suite_add_tcase(s, tc);

    tc = tcase_create("common");
    tcase_add_checked_fixture(tc, common_setup, common_teardown);
    tcase_add_test(tc, test_common_defaults);
    tcase_add_test(tc, test_common_bad_values_are_errors_naming_them);
    tcase_add_test(tc, test_common_good_values);
    tcase_add_test(tc, test_object_values_are_checked_per_vm_and_image);
    tcase_add_test(tc, test_main_vm_is_one_of_vms);
    suite_add_tcase(s, tc);

    tc = tcase_create("types");
    tcase_add_checked_fixture(tc, type_setup, type_teardown);
    tcase_add_test(tc, test_boot_defaults_and_errors);
    tcase_add_test(tc, test_virsh_migrate_params);
    tcase_add_test(tc, test_virsh_migrate_numa_and_hotplug_params);
    tcase_add_test(tc, test_virsh_migrate_hugepage_params);
    tcase_add_test(tc, test_virsh_migrate_setup_params);
    tcase_add_test(tc, test_virsh_migration_params);
    tcase_add_test(tc, test_boot_needs_vms);
    tcase_add_test(tc, test_migrate_defaults_to_the_one_definition_of_the_flag_words);
    tcase_add_test(tc, test_migrate_options_win_over_virsh_migrate_options);
    tcase_add_test(tc, test_migrate_timeout_and_bad_values);
    tcase_add_test(tc, test_migrate_needs_two_hosts);
    tcase_add_test(tc, test_every_table_holds_to_the_rules);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

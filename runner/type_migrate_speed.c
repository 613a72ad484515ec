/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration bandwidth commands on one host: tp-libvirt's
 * virsh.migrate_set_get_speed (virsh_migrate_set_get_speed.py) and
 * migration_cmd.setspeed_and_getspeed (setspeed_and_getspeed.py).  The tool under
 * test is virsh itself (its number parsing, its overflow errors, its extra-word
 * errors), so `virsh migrate-setspeed` / `migrate-getspeed` run from argv arrays on
 * the source host (runner/run_virsh.h); the VM is the test's VM set's main VM.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* virsh migrate-setspeed takes MiB/s; libvirt's bound is INT64_MAX bytes/s.  The
 * names tp-libvirt's cfg uses for the values (virsh_migrate_set_get_speed.py). */
#define INT64_MIB "8796093022207"
static const struct { const char *word, *value; } speed_words[] = {
    { "zero", "0" },
    { "one", "1" },
    { "negative", "-1" },
    { "default", INT64_MIB },
    { "UINT32_MAX", "4095" },           /* (2^32 - 1) / MiB */
    { "INT64_MAX", INT64_MIB },
    { "UINT64_MAX", "17592186044415" }, /* (2^64 - 1) / MiB */
    { "INVALID_VALUE", "8796093022208" },   /* INT64_MAX / MiB + 1 */
};

/* The virsh word of a bandwidth param: its number for tp-libvirt's names, else the
 * text as a shell would pass it ('' or "" an empty argument). */
static const char *speed_value(const char *text)
{
    for (size_t i = 0; i < sizeof(speed_words) / sizeof(speed_words[0]); i++)
        if (!strcmp(text, speed_words[i].word))
            return speed_words[i].value;
    if (!strcmp(text, "''") || !strcmp(text, "\"\""))
        return "";
    return text;
}

/* A command line of words: fixed ones, then a param's blank-separated words. */
struct words {
    const char *v[24];
    size_t n;
    char **owned[2];
};

static void words_add(struct words *w, const char *word)
{
    if (word && w->n + 1 < sizeof(w->v) / sizeof(w->v[0]))
        w->v[w->n++] = word;
    w->v[w->n] = NULL;
}

static void words_split(struct words *w, const char *text)
{
    size_t k = 0;
    while (k < 2 && w->owned[k])
        k++;
    if (!text || k == 2)
        return;
    w->owned[k] = params_split(text);
    for (char **p = w->owned[k]; *p; p++)
        words_add(w, *p);
}

static void words_release(struct words *w)
{
    params_strv_free(w->owned[0]);
    params_strv_free(w->owned[1]);
    memset(w, 0, sizeof(*w));
}

/* An integer virsh printed (getspeed), -1 with err_set() when it is none. */
static int read_speed(const struct run_virsh *r, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(r->out.buf, &end, 10);
    while (*end == '\n' || *end == ' ')
        end++;
    if (errno || end == r->out.buf || *end) {
        err_set("migrate-getspeed printed '%s', not a number", r->out.buf);
        return -1;
    }
    return 0;
}

/* One virsh speed command on the main VM: migrate-getspeed or migrate-setspeed,
 * its value (NULL: none) and the extra words. */
static int speed_cmd(struct run_ctx *ctx, const char *cmd, const char *value,
                     const char *extra, struct run_virsh *r)
{
    struct virt_vms *vms = ctx->data;
    struct words w = { .n = 0 };
    words_add(&w, cmd);
    words_add(&w, vms->vm[run_common_main_vm(ctx->common)].domain);
    words_add(&w, value);
    words_split(&w, extra);
    int rc = run_virsh_words(ctx, 0, w.v, r);
    words_release(&w);
    if (rc < 0)
        run_error(ctx, "CmdError", "%s", err_msg());
    return rc;
}

static int main_vm_ready(struct run_ctx *ctx, bool start, bool login)
{
    struct virt_vms *vms = ctx->data;
    return run_vmtype_prepare(ctx, vms, (size_t)run_common_main_vm(ctx->common), start,
                              login);
}

/* ===================================================================================
 * virsh_migrate_set_get_speed
 * =================================================================================== */

struct sgs_opts {
    const char *bandwidth;
    const char *options_extra;
    bool status_error;
    bool start_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sgs_opts, __VA_ARGS__)
static const struct run_param sgs_params[] = {
    { "bandwidth", AT(STR, bandwidth), .def = "default", .empty_is_value = true,
      .doc = "MiB/s for migrate-setspeed: a number, or zero, one, negative, default, "
             "UINT32_MAX, INT64_MAX, UINT64_MAX, INVALID_VALUE (tp-libvirt's names); "
             "'' an empty argument; empty: no argument" },
    { "options_extra", AT(STR, options_extra),
      .doc = "more words after the bandwidth (an error case: virsh refuses them)" },
    /* virsh_migrate_set_get_speed.py: params.get("status_error", "yes") */
    { "status_error", AT(BOOL, status_error), .def = "yes",
      .doc = "migrate-setspeed must fail (virsh's own error)" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "start the VM first (else it is only defined)" },
    { NULL },
};
#undef AT

/* tp-libvirt's verify_speed_with_migration cancels without VMs to migrate and load
 * VMs; its cfg gives neither (vms = "", load_vms = ${migrate_load_vms}). */
static const struct run_need sgs_needs[] = {
    { "migrate_load_vms", .when = { { "twice_migration", .eq = "yes" } },
      .text = "verify_speed_with_migration needs VMs to migrate and load_vms (tp-libvirt: "
              "\"Please provide migrate_vms for test.\")" },
    { NULL },
};

/* set, then get and compare, as set_get_speed() of the reference */
static int sgs_set_get(struct run_ctx *ctx, const struct sgs_opts *o, const char *value)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    long long got, want;
    int rc = -1;
    if (speed_cmd(ctx, "migrate-setspeed", value, o->options_extra, &r) < 0)
        goto out;
    if (o->status_error) {
        if (r.status == 0 || !r.err.len)
            run_fail(ctx, "CmdError", "migrate-setspeed '%s': expected to fail, but it ran "
                     "successfully", value ? value : "");
        else
            rc = 0;
        goto out;
    }
    if (r.status || r.err.len) {
        run_fail(ctx, "CmdError", "migrate-setspeed '%s': exit %d: %s", value ? value : "",
                 r.status, r.err.buf);
        goto out;
    }
    if (speed_cmd(ctx, "migrate-getspeed", NULL, NULL, &r) < 0)
        goto out;
    if (r.status || r.err.len) {
        run_fail(ctx, "CmdError", "migrate-getspeed: exit %d: %s", r.status, r.err.buf);
        goto out;
    }
    if (read_speed(&r, &got) < 0) {
        run_fail(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    want = value ? strtoll(value, NULL, 10) : 0;
    run_log(ctx, "bandwidth expected %lld MiB/s, got %lld MiB/s", want, got);
    if (got != want)
        run_fail(ctx, "SpeedMismatch", "migrate-getspeed says %lld MiB/s after "
                 "migrate-setspeed %s", got, value ? value : "");
    else
        rc = 0;
out:
    run_virsh_release(&r);
    return rc;
}

static int sgs_run(struct run_ctx *ctx)
{
    const struct sgs_opts *o = ctx->opts;
    /* `bandwidth =`: no argument; '' an empty one */
    const char *value = *o->bandwidth ? speed_value(o->bandwidth) : NULL;
    struct run_virsh r = RUN_VIRSH_INIT;
    if (main_vm_ready(ctx, o->start_vm, false) < 0)
        return -1;
    if (speed_cmd(ctx, "migrate-getspeed", NULL, NULL, &r) < 0) {
        run_virsh_release(&r);
        return -1;
    }
    char *orig = r.status == 0 ? xstrndup(r.out.buf, strcspn(r.out.buf, "\n")) : NULL;
    /* the reference sets and checks twice */
    int rc = sgs_set_get(ctx, o, value);
    if (rc == 0)
        rc = sgs_set_get(ctx, o, value);
    if (orig)
        speed_cmd(ctx, "migrate-setspeed", orig, NULL, &r);     /* restore */
    free(orig);
    run_virsh_release(&r);
    return rc;
}

const struct run_type run_type_migrate_set_get_speed = {
    .name = "virsh_migrate_set_get_speed",
    .summary = "virsh migrate-setspeed / migrate-getspeed on one host: values, virsh's "
               "own errors",
    .needs = { .vms = 1, .hosts = 1, .rows = sgs_needs },
    .params = sgs_params,
    .opts_size = sizeof(struct sgs_opts),
    .setup = run_vmtype_setup,
    .run = sgs_run,
    .cleanup = run_vmtype_cleanup,
};

/* ===================================================================================
 * setspeed_and_getspeed
 * =================================================================================== */

enum vm_status { VM_RUNNING, VM_SHUTOFF };
static const struct params_word vm_status_words[] = {
    { "vm_running", VM_RUNNING },
    { "vm_shutoff", VM_SHUTOFF },
    { NULL, 0 },
};

struct ssg_opts {
    const char *bandwidth;
    bool status_error;
    const char *err_msg;
    const char *err_msg_1;
    int vm_status;
    const char *postcopy_options;
    bool start_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ssg_opts, __VA_ARGS__)
static const struct run_param ssg_params[] = {
    { "bandwidth", AT(STR, bandwidth),
      .doc = "MiB/s for migrate-setspeed; unset: no argument (virsh refuses it)" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "migrate-setspeed must fail with err_msg" },
    { "err_msg", AT(REGEX, err_msg), .doc = "the error migrate-setspeed must print" },
    { "err_msg_1", AT(REGEX, err_msg_1),
      .doc = "the error with --postcopy on a shut off VM" },
    { "vm_status", AT(ENUM, vm_status, vm_status_words), .def = "vm_running",
      .doc = "the VM's state the case is about" },
    { "postcopy_options", AT(STR, postcopy_options),
      .doc = "words after the bandwidth of both commands (--postcopy)" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "start the VM first (and log in), else only define it" },
    { NULL },
};
#undef AT

/* overflow values: the bandwidth must keep its value (setspeed_and_getspeed.py) */
static bool ssg_overflow(const char *bw)
{
    return bw && (!strcmp(bw, "-1") || !strcmp(bw, "8796093022208")
                  || !strcmp(bw, "17592186044416"));
}

static bool ssg_postcopy_shutoff(const struct ssg_opts *o)
{
    return o->postcopy_options && o->vm_status == VM_SHUTOFF;
}

/* get_bandwidth(): 1 with *out, 0 when the postcopy/shut off error was expected
 * (checked), -1 with the outcome set */
static int ssg_get(struct run_ctx *ctx, const struct ssg_opts *o, long long *out)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (speed_cmd(ctx, "migrate-getspeed", NULL, o->postcopy_options, &r) < 0)
        goto out;
    if (r.status) {
        if (!ssg_postcopy_shutoff(o))
            run_fail(ctx, "CmdError", "migrate-getspeed failed: %s", r.err.buf);
        else if (run_virsh_expect("migrate-getspeed", &r, true, o->err_msg_1) < 0)
            run_fail(ctx, "CmdError", "%s", err_msg());
        else
            rc = 0;
        goto out;
    }
    if (read_speed(&r, out) < 0)
        run_fail(ctx, "CmdError", "%s", err_msg());
    else
        rc = 1;
out:
    run_virsh_release(&r);
    return rc;
}

static int ssg_run(struct run_ctx *ctx)
{
    const struct ssg_opts *o = ctx->opts;
    struct run_virsh r = RUN_VIRSH_INIT;
    long long orig = 0, now = 0;
    int have_orig, have_now, rc = -1;

    if (main_vm_ready(ctx, o->start_vm, o->start_vm) < 0)
        return -1;
    if ((have_orig = ssg_get(ctx, o, &orig)) < 0)
        return -1;
    const char *bw = o->bandwidth ? o->bandwidth : "";
    if (speed_cmd(ctx, "migrate-setspeed", o->bandwidth, o->postcopy_options, &r) < 0)
        goto out;
    if (r.status) {
        const char *want = NULL;
        if (ssg_postcopy_shutoff(o))
            want = ssg_overflow(o->bandwidth) ? o->err_msg : o->err_msg_1;
        else if (o->status_error)
            want = o->err_msg;
        else {
            run_fail(ctx, "CmdError", "migrate-setspeed %s failed: %s", bw, r.err.buf);
            goto out;
        }
        if (run_virsh_expect("migrate-setspeed", &r, true, want) < 0) {
            run_fail(ctx, "CmdError", "%s", err_msg());
            goto out;
        }
        if (ssg_postcopy_shutoff(o)) {
            rc = 0;
            goto out;
        }
    }
    if ((have_now = ssg_get(ctx, o, &now)) < 0)
        goto out;
    if (ssg_overflow(o->bandwidth)) {
        if (have_orig > 0 && have_now > 0 && orig && now && orig != now) {
            run_fail(ctx, "SpeedMismatch", "bandwidth %s: the speed changed from %lld to "
                     "%lld MiB/s; it should keep its value", bw, orig, now);
            goto out;
        }
    } else if (have_now > 0 && strtoll(bw, NULL, 10) != now) {
        run_fail(ctx, "SpeedMismatch", "migrate-setspeed %s, then migrate-getspeed says %lld",
                 bw, now);
        goto out;
    }
    rc = 0;
out:
    run_virsh_release(&r);
    return rc;
}

const struct run_type run_type_setspeed_and_getspeed = {
    .name = "setspeed_and_getspeed",
    .summary = "virsh migrate-setspeed / migrate-getspeed [--postcopy] on a running or "
               "shut off VM, overflow errors",
    .needs = { .vms = 1, .hosts = 1 },
    .params = ssg_params,
    .opts_size = sizeof(struct ssg_opts),
    .setup = run_vmtype_setup,
    .run = ssg_run,
    .cleanup = run_vmtype_cleanup,
};

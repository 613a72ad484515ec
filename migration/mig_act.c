/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mig_act: action_during_mig and friends -> struct mig_actions (migration/mig_act.h). */
#include "migration/mig_act.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

/* Every func the tp-libvirt migration configs name, with its step.  The names are
 * tp-libvirt's and avocado-vt's own (provider/migration/migration_base.py and
 * base_steps.py, virttest.utils_libvirt.*, virttest.migration). */
static const struct act_func {
    const char *func;
    enum mig_step step;
} funcs[] = {
    { "libvirt_network.check_established", MIG_STEP_CHECK_ESTABLISHED },
    { "check_established", MIG_STEP_CHECK_ESTABLISHED },
    { "libvirt_network.check_sockets_statistics", MIG_STEP_CHECK_SOCKETS },
    { "check_socket", MIG_STEP_CHECK_LISTEN },
    { "set_migrate_speed_to_high", MIG_STEP_SPEED_HIGH },
    { "set_bandwidth", MIG_STEP_SET_SPEED },
    { "set_bandwidth_during_mig", MIG_STEP_SET_SPEED },
    { "virsh.migrate_setspeed", MIG_STEP_SET_SPEED },
    { "set_maxdowntime_during_mig", MIG_STEP_SET_MAXDOWNTIME },
    { "virsh.migrate_setmaxdowntime", MIG_STEP_SET_MAXDOWNTIME },
    { "virsh.migrate_compcache", MIG_STEP_COMPCACHE },
    { "virsh.domjobabort", MIG_STEP_JOB_ABORT },
    { "do_domjobabort", MIG_STEP_JOB_ABORT_PARAMS },
    { "virsh.migrate_postcopy", MIG_STEP_SWITCH_POSTCOPY },
    { "check_domjobinfo_during_mig", MIG_STEP_JOBINFO_CHECK },
    { "check_domjobinfo_precopy", MIG_STEP_JOBINFO_PRECOPY },
    { "libvirt_monitor.check_domjobinfo_output", MIG_STEP_JOBINFO_OUTPUT },
    { "check_auto_converge_during_mig", MIG_STEP_AUTOCONVERGE_CHECK },
    { "check_qemu_mem_lock_hard_limit", MIG_STEP_MEMLOCK_CHECK },
    { "check_vm_status_during_mig", MIG_STEP_STATE_CHECK },
    { "do_common_check", MIG_STEP_COMMON_CHECK },
    { "check_event_before_unattended", MIG_STEP_EVENTS_BEFORE },
    { "wait_for_unattended_mig", MIG_STEP_WAIT_UNATTENDED },
    { "libvirt_service.kill_service", MIG_STEP_KILL_DAEMON },
    { "libvirt_service.control_service", MIG_STEP_CONTROL_DAEMON },
    { "utils_libvirtd.libvirtd_restart", MIG_STEP_RESTART_DAEMON },
    { "libvirt_network.setup_firewall_rule", MIG_STEP_FIREWALL_ADD },
    { "libvirt_network.cleanup_firewall_rule", MIG_STEP_FIREWALL_REMOVE },
    { "update_port_for_firewall_rule", MIG_STEP_FIREWALL_PORT },
    { "clear_pmsocat", MIG_STEP_PROXY_BREAK },
    { "base_steps.recreate_conn_objs", MIG_STEP_RECONNECT },
    { "do_migration", MIG_STEP_MIGRATE },
    { "resume_migration_again", MIG_STEP_RESUME_AGAIN },
    { "check_resume", MIG_STEP_CHECK_RESUME },
    { "MigrationTest().do_cancel", MIG_STEP_CLIENT_SIGNAL },
    { "virsh.destroy", MIG_STEP_DESTROY },
    { "destroy_dest_vm", MIG_STEP_DESTROY_DEST },
    { "virsh.suspend", MIG_STEP_SUSPEND },
    { "poweroff_vm", MIG_STEP_POWEROFF },
    { "write_vm_disk_on_dest", MIG_STEP_WRITE_DEST_DISK },
    { "virsh.blockjob", MIG_STEP_BLOCKJOB },
    { "libvirt_disk.check_item_by_blockjob", MIG_STEP_BLOCKJOB_CHECK },
    { "execute_statistics_command", MIG_STEP_STATISTICS },
    { "utils_test.run_file_transfer", MIG_STEP_FILE_TRANSFER },
    { "network_base.exec_netperf_test", MIG_STEP_NETPERF },
    { "change_queues_continuously_during_mig", MIG_STEP_CHANGE_QUEUES },
    /* migrate_options_shared's own words (actions_during_migration), as its adapter
     * (runner/type_options_shared.c) names them */
    { "mos.checkestablished", MIG_STEP_CHECK_ESTABLISHED },
    { "mos.setmaxdowntime", MIG_STEP_SET_MAXDOWNTIME },
    { "mos.domjobinfo", MIG_STEP_JOBINFO_CHECK },
    { "mos.setspeed", MIG_STEP_SET_SPEED },
    { "mos.converge", MIG_STEP_AUTOCONVERGE_CHECK },
    { "mos.domjobinfo_output_all", MIG_STEP_JOBINFO_OUTPUT },
    { "mos.setmigratepostcopy", MIG_STEP_SWITCH_POSTCOPY_WAIT },
    { "mos.checkdomstats", MIG_STEP_STATISTICS },
    { "mos.drop_network_connection", MIG_STEP_FIREWALL_ADD },
    { "mos.suspendvm", MIG_STEP_SUSPEND },
    { "mos.cancel_concurrent_migration", MIG_STEP_MIGRATE },
    { "mos.killqemutarget", MIG_STEP_KILL_QEMU },
    { "mos.timeout_postcopy", MIG_STEP_STATE_CHECK },
    /* the legacy types' funcs, as their types name them (runner/run_tl_stor.h) */
    { "stor.check_bandwidth", MIG_STEP_JOBINFO_CHECK },
};

static const char *const step_names[] = {
    [MIG_STEP_CHECK_ESTABLISHED] = "check established connections",
    [MIG_STEP_CHECK_SOCKETS] = "check socket statistics",
    [MIG_STEP_CHECK_LISTEN] = "check listening socket",
    [MIG_STEP_SPEED_HIGH] = "speed to high",
    [MIG_STEP_SET_SPEED] = "set speed",
    [MIG_STEP_SET_MAXDOWNTIME] = "set max downtime",
    [MIG_STEP_COMPCACHE] = "set compression cache",
    [MIG_STEP_JOB_ABORT] = "abort job",
    [MIG_STEP_JOB_ABORT_PARAMS] = "abort job as the case says",
    [MIG_STEP_SWITCH_POSTCOPY] = "switch to postcopy",
    [MIG_STEP_JOBINFO_CHECK] = "check job info",
    [MIG_STEP_JOBINFO_PRECOPY] = "check job info in precopy",
    [MIG_STEP_JOBINFO_OUTPUT] = "check job info text",
    [MIG_STEP_AUTOCONVERGE_CHECK] = "check auto-converge throttle",
    [MIG_STEP_MEMLOCK_CHECK] = "check memlock limit",
    [MIG_STEP_STATE_CHECK] = "check states",
    [MIG_STEP_COMMON_CHECK] = "common checks",
    [MIG_STEP_EVENTS_BEFORE] = "check events before unattended",
    [MIG_STEP_WAIT_UNATTENDED] = "wait for unattended migration",
    [MIG_STEP_KILL_DAEMON] = "kill daemon",
    [MIG_STEP_CONTROL_DAEMON] = "control daemon",
    [MIG_STEP_RESTART_DAEMON] = "restart daemon",
    [MIG_STEP_FIREWALL_ADD] = "add firewall rule",
    [MIG_STEP_FIREWALL_REMOVE] = "remove firewall rule",
    [MIG_STEP_FIREWALL_PORT] = "move firewall rule to the port",
    [MIG_STEP_PROXY_BREAK] = "break UNIX proxy",
    [MIG_STEP_RECONNECT] = "reconnect",
    [MIG_STEP_MIGRATE] = "migrate (nested)",
    [MIG_STEP_RESUME_AGAIN] = "resume postcopy again",
    [MIG_STEP_CHECK_RESUME] = "check resume",
    [MIG_STEP_CLIENT_SIGNAL] = "signal the client",
    [MIG_STEP_DESTROY] = "destroy",
    [MIG_STEP_DESTROY_DEST] = "destroy on destination",
    [MIG_STEP_SUSPEND] = "suspend",
    [MIG_STEP_POWEROFF] = "power off guest",
    [MIG_STEP_WRITE_DEST_DISK] = "write destination disk",
    [MIG_STEP_BLOCKJOB] = "block job",
    [MIG_STEP_BLOCKJOB_CHECK] = "check block job item",
    [MIG_STEP_STATISTICS] = "statistics commands",
    [MIG_STEP_FILE_TRANSFER] = "file transfer",
    [MIG_STEP_NETPERF] = "netperf",
    [MIG_STEP_CHANGE_QUEUES] = "change NIC queues",
    [MIG_STEP_KILL_QEMU] = "kill QEMU",
    [MIG_STEP_SWITCH_POSTCOPY_WAIT] = "switch to postcopy and wait for it",
};

/* `signal.X` names a func_param may give (the client gets it as from a terminal). */
static const struct { const char *name; int signo; } signals[] = {
    { "signal.SIGTSTP", SIGTSTP }, { "signal.SIGINT", SIGINT },
    { "signal.SIGTERM", SIGTERM }, { "signal.SIGKILL", SIGKILL },
    { "signal.SIGSTOP", SIGSTOP }, { "signal.SIGCONT", SIGCONT },
    { "signal.SIGHUP", SIGHUP },   { "signal.SIGQUIT", SIGQUIT },
};

int mig_act_step_of(const char *func)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (!strcmp(funcs[i].func, func))
            return (int)i;
    return -1;
}

const char *mig_act_step_name(enum mig_step s)
{
    return (unsigned)s < sizeof(step_names) / sizeof(step_names[0]) && step_names[s]
               ? step_names[s] : "?";
}

/* FUNC's row into A, or an error naming it. */
static int set_func(struct mig_action *a, const char *func)
{
    int i = mig_act_step_of(func);
    if (i < 0) {
        err_set("unknown func '%s' (vtrun has no step for it)", func);
        return -1;
    }
    a->func = funcs[i].func;
    a->step = funcs[i].step;
    return 0;
}

/* A "%s" format with exactly one %s ("%%" allowed): what `'%s --postcopy' % x` needs. */
static bool one_s(const char *fmt)
{
    int n = 0;
    for (const char *p = fmt; (p = strchr(p, '%')); p += 2) {
        if (p[1] == 's')
            n++;
        else if (p[1] != '%')
            return false;
    }
    return n == 1;
}

/* `params.get('KEY')` or `params.get('KEY', 'DEFAULT')`: KEY (the default is not kept:
 * vtrun's params know their declared defaults). */
static const char *params_get_key(const struct pylit *v)
{
    if (v->kind != PYLIT_CALL || strcmp(v->s, "params.get") || v->n < 1 || v->n > 2 ||
        v->items[0].kind != PYLIT_STR)
        return NULL;
    return v->items[0].s;
}

/* A dict argument (tp-libvirt passes it as is): string keys; values are data (strings,
 * numbers, lists, dicts), never names or calls, at any depth. */
static bool is_data(const struct pylit *v)
{
    if (v->kind == PYLIT_NAME || v->kind == PYLIT_CALL || v->kind == PYLIT_FORMAT)
        return false;
    size_t slots = v->kind == PYLIT_DICT ? v->n * 2 : v->n;
    for (size_t i = 0; i < slots; i++)
        if (!is_data(&v->items[i]) ||
            (v->kind == PYLIT_DICT && i % 2 == 0 && v->items[i].kind != PYLIT_STR))
            return false;
    return true;
}

static int dict_arg(struct mig_action *a, const struct pylit *v)
{
    if (!is_data(v)) {
        err_set("func_param: a dict of data with string keys (no names or calls)");
        return -1;
    }
    a->arg = MIG_ARG_DICT;
    pylit_dup(v, &a->dict);
    return 0;
}

/* The func_param as tp-libvirt eval()s it: V is what the literal holds. */
static int param_value(struct mig_action *a, const struct pylit *v)
{
    const char *key;
    if (v->kind == PYLIT_NAME && !strcmp(v->s, "params")) {
        a->arg = MIG_ARG_PARAMS;
        return 0;
    }
    if (v->kind == PYLIT_NAME) {
        for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
            if (!strcmp(v->s, signals[i].name)) {
                a->arg = MIG_ARG_SIGNAL;
                a->signo = signals[i].signo;
                return 0;
            }
        }
        err_set("func_param: unknown name '%s' (expected params or signal.SIG...)", v->s);
        return -1;
    }
    if (v->kind == PYLIT_STR) {
        a->arg = MIG_ARG_TEXT;
        a->fmt = xstrdup(v->s);
        return 0;
    }
    if (v->kind == PYLIT_FORMAT && v->items[0].kind == PYLIT_STR &&
        (key = params_get_key(&v->items[1]))) {
        if (!one_s(v->items[0].s)) {
            err_set("func_param: format '%s' needs exactly one %%s", v->items[0].s);
            return -1;
        }
        a->arg = MIG_ARG_TEXT;
        a->fmt = xstrdup(v->items[0].s);
        a->key = xstrdup(key);
        return 0;
    }
    if (v->kind == PYLIT_DICT)
        return dict_arg(a, v);
    err_set("func_param: expected params, a string, '...%%s...' %% params.get('KEY'), "
            "signal.SIG... or a dict; got a %s", pylit_kind_name(v->kind));
    return -1;
}

/* "func_param": a string is eval()ed by tp-libvirt, so it is read once more. */
static int func_param(struct mig_action *a, const struct pylit *v)
{
    struct pylit inner;
    int rc;
    if (v->kind != PYLIT_STR)
        return param_value(a, v);   /* written as a literal: `"func_param": params` */
    if (!*v->s)
        return 0;                   /* "" is falsy: tp-libvirt passes nothing */
    if (pylit_parse(v->s, &inner) < 0) {
        err_prefix("func_param '%s'", v->s);
        return -1;
    }
    rc = param_value(a, &inner);
    pylit_release(&inner);
    return rc;
}

/* need_sleep_time / wait_for_after_event_timeout: seconds as a number or a string. */
static int seconds(const struct pylit *v, const char *name, double *out)
{
    char *end = NULL;
    if (!v || v->kind == PYLIT_NONE)
        return 0;
    if (v->kind == PYLIT_INT)
        *out = (double)v->i;
    else if (v->kind == PYLIT_FLOAT)
        *out = v->f;
    else if (v->kind == PYLIT_STR && *v->s)
        *out = strtod(v->s, &end);
    if (v->kind == PYLIT_BOOL || v->kind == PYLIT_LIST || v->kind == PYLIT_DICT ||
        v->kind == PYLIT_NAME || v->kind == PYLIT_CALL || v->kind == PYLIT_FORMAT ||
        (end && *end) || !(*out >= 0 && *out <= 86400)) {
        err_set("%s: expected seconds (0 to 86400)", name);
        return -1;
    }
    return 0;
}

static char *opt_str(const struct pylit *d, const char *key)
{
    const struct pylit *v = pylit_get(d, key);
    return v && v->kind == PYLIT_STR && *v->s ? xstrdup(v->s) : NULL;
}

static int one_action(struct mig_action *a, const struct pylit *d)
{
    const struct pylit *func = pylit_get(d, "func"), *p;
    a->event_timeout_s = 30;
    if (d->kind != PYLIT_DICT || !func || func->kind != PYLIT_STR) {
        err_set("expected a dict with a \"func\" string, got a %s", pylit_kind_name(d->kind));
        return -1;
    }
    if (set_func(a, func->s) < 0)
        return -1;
    a->after_event = opt_str(d, "after_event");
    a->before_event = opt_str(d, "before_event");
    p = pylit_get(d, "before_pause");
    a->before_pause = p && ((p->kind == PYLIT_STR && !strcmp(p->s, "yes")) ||
                            (p->kind == PYLIT_BOOL && p->b));
    if (seconds(pylit_get(d, "need_sleep_time"), "need_sleep_time", &a->sleep_s) < 0 ||
        seconds(pylit_get(d, "wait_for_after_event_timeout"), "wait_for_after_event_timeout",
                &a->event_timeout_s) < 0)
        return -1;
    p = pylit_get(d, "func_param");
    if (p && func_param(a, p) < 0) {
        err_prefix("func '%s'", a->func);
        return -1;
    }
    return 0;
}

static void action_release(struct mig_action *a)
{
    free(a->after_event);
    free(a->before_event);
    free(a->fmt);
    free(a->key);
    pylit_release(&a->dict);
}

int mig_act_parse(const char *text, struct mig_actions *out)
{
    struct pylit v;
    out->a = NULL;
    out->n = 0;
    if (!text || !text[strspn(text, " \t\r\n")])
        return 0;
    if (pylit_parse(text, &v) < 0)
        return -1;
    int rc = 0;
    if (v.kind == PYLIT_NAME) {             /* one function, no argument */
        out->a = xcalloc(1, sizeof(*out->a));
        out->n = 1;
        rc = set_func(&out->a[0], v.s);
    } else if (v.kind == PYLIT_LIST) {
        out->a = xcalloc(v.n ? v.n : 1, sizeof(*out->a));
        for (size_t i = 0; i < v.n && rc == 0; i++) {
            out->n++;
            if ((rc = one_action(&out->a[i], &v.items[i])) < 0)
                err_prefix("action %zu", i + 1);
        }
    } else {
        err_set("expected a function name or a list of dicts, got a %s",
                pylit_kind_name(v.kind));
        rc = -1;
    }
    pylit_release(&v);
    if (rc < 0)
        mig_act_release(out);
    return rc;
}

void mig_act_release(struct mig_actions *acts)
{
    for (size_t i = 0; i < acts->n; i++)
        action_release(&acts->a[i]);
    free(acts->a);
    acts->a = NULL;
    acts->n = 0;
}

char *mig_act_text(const struct mig_action *a, const struct params *p)
{
    if (a->arg != MIG_ARG_TEXT)
        return NULL;
    if (!a->key)
        return xstrdup(a->fmt);
    /* one %s, %% for a percent sign: built by hand, never through printf's format */
    struct strbuf sb = STRBUF_INIT;
    const char *val = params_get_or(p, a->key, "");
    for (const char *s = a->fmt; *s; s++) {
        if (s[0] == '%' && s[1] == 's')
            strbuf_addstr(&sb, val);
        else if (s[0] == '%' && s[1] == '%')
            strbuf_addch(&sb, '%');
        else {
            strbuf_addch(&sb, *s);
            continue;
        }
        s++;
    }
    return strbuf_detach(&sb, NULL);
}

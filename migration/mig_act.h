/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_act: the actions a tp-libvirt case runs during a migration, read from the param
 * the config writes them in (`action_during_mig`, `action_during_mig_again`, ...).
 *
 * tp-libvirt eval()s the value (provider/migration/migration_base.py parse_funcs): a
 * bare function name, or a list of dicts with "func" (required), "func_param" (itself
 * eval()ed: `params`, `'%s' % params.get('migrate_main_vm')`, `signal.SIGTSTP`),
 * "after_event", "before_event", "before_pause", "need_sleep_time",
 * "wait_for_after_event_timeout".  vtrun reads the same text with lib/pylit (never
 * evaluating it) and maps each func to a step of its own vocabulary (the table in
 * mig_act.c); a func it does not know is an error naming it.
 */
#ifndef VTRUN_MIG_ACT_H
#define VTRUN_MIG_ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/pylit.h"

struct params;

/* The step vocabulary (issue: timeline engine).  Each func the corpus names maps to one. */
enum mig_step {
    MIG_STEP_CHECK_ESTABLISHED,     /* established connections on a host (port, count) */
    MIG_STEP_CHECK_SOCKETS,         /* socket statistics on a host match patterns */
    MIG_STEP_CHECK_LISTEN,          /* a listening socket on a host */
    MIG_STEP_SPEED_HIGH,            /* migrate-setspeed to the high value */
    MIG_STEP_SET_SPEED,             /* migrate-setspeed to a value, read back */
    MIG_STEP_SET_MAXDOWNTIME,       /* migrate-setmaxdowntime, read back */
    MIG_STEP_COMPCACHE,             /* migrate-compcache --size */
    MIG_STEP_JOB_ABORT,             /* domjobabort on the source (--postcopy in the arg) */
    MIG_STEP_JOB_ABORT_PARAMS,      /* domjobabort as the case's params say (side, flags) */
    MIG_STEP_SWITCH_POSTCOPY,       /* migrate-postcopy */
    MIG_STEP_JOBINFO_CHECK,         /* domjobinfo fields during the job */
    MIG_STEP_JOBINFO_PRECOPY,       /* domjobinfo while still in precopy */
    MIG_STEP_JOBINFO_OUTPUT,        /* domjobinfo text matches expectations */
    MIG_STEP_AUTOCONVERGE_CHECK,    /* auto-converge throttle values */
    MIG_STEP_MEMLOCK_CHECK,         /* QEMU's memlock hard limit */
    MIG_STEP_STATE_CHECK,           /* domain states on both sides */
    MIG_STEP_COMMON_CHECK,          /* states + job info as the case's params say */
    MIG_STEP_EVENTS_BEFORE,         /* events seen before an unattended migration */
    MIG_STEP_WAIT_UNATTENDED,       /* wait for a migration left to finish by itself */
    MIG_STEP_KILL_DAEMON,           /* kill a daemon on a host */
    MIG_STEP_CONTROL_DAEMON,        /* stop/start/restart a daemon on a host */
    MIG_STEP_RESTART_DAEMON,        /* restart the local daemon */
    MIG_STEP_FIREWALL_ADD,          /* a rule dropping the migration port on a host */
    MIG_STEP_FIREWALL_REMOVE,
    MIG_STEP_FIREWALL_PORT,         /* the rule follows the port the job uses */
    MIG_STEP_PROXY_BREAK,           /* kill the socat UNIX proxy */
    MIG_STEP_RECONNECT,             /* reopen the connections after a disruption */
    MIG_STEP_MIGRATE,               /* a nested migration (do_migration) */
    MIG_STEP_RESUME_AGAIN,          /* resume a paused postcopy again */
    MIG_STEP_CHECK_RESUME,          /* the resume worked */
    MIG_STEP_CLIENT_SIGNAL,         /* a signal to the migrating client (virsh) */
    MIG_STEP_DESTROY,               /* virsh destroy on the source */
    MIG_STEP_DESTROY_DEST,          /* destroy the incoming domain */
    MIG_STEP_SUSPEND,               /* virsh suspend */
    MIG_STEP_POWEROFF,              /* poweroff inside the guest */
    MIG_STEP_WRITE_DEST_DISK,       /* write on the destination's disk */
    MIG_STEP_BLOCKJOB,              /* virsh blockjob */
    MIG_STEP_BLOCKJOB_CHECK,        /* an item of a block job */
    MIG_STEP_STATISTICS,            /* domblkstat/domstats/dommemstat run */
    MIG_STEP_FILE_TRANSFER,         /* a file transfer to the guest */
    MIG_STEP_NETPERF,               /* netperf against the guest */
    MIG_STEP_CHANGE_QUEUES,         /* change NIC queues in the guest, repeatedly */
    MIG_STEP_KILL_QEMU,             /* kill -9 the domain's QEMU on a host */
    MIG_STEP_SWITCH_POSTCOPY_WAIT,  /* migrate-postcopy, then the source paused (post-copy) */
};

/* How the func's argument is given. */
enum mig_act_arg {
    MIG_ARG_NONE,
    MIG_ARG_PARAMS,     /* the case's params */
    MIG_ARG_TEXT,       /* .fmt, with its one %s the param .key when .key is set */
    MIG_ARG_SIGNAL,     /* .signo */
    MIG_ARG_DICT,       /* .dict: a dict of strings (${...} already substituted) */
};

struct mig_action {
    const char *func;               /* as the config names it (the table's row) */
    enum mig_step step;
    char *after_event, *before_event;   /* regexes over events, or NULL */
    bool before_pause;
    double sleep_s;                 /* need_sleep_time */
    double event_timeout_s;         /* wait_for_after_event_timeout, default 30 */
    enum mig_act_arg arg;
    char *fmt, *key;
    int signo;
    struct pylit dict;
};

struct mig_actions {
    struct mig_action *a;
    size_t n;
};

/* Read TEXT (the param's value; NULL or empty means no action) into *OUT.  -1 with
 * err_set(...) naming the offset or the func on anything tp-libvirt would not run or
 * vtrun does not know; *OUT is then empty. */
int mig_act_parse(const char *text, struct mig_actions *out);
void mig_act_release(struct mig_actions *acts);

/* The step of FUNC, or -1 when vtrun does not know it. */
int mig_act_step_of(const char *func);
const char *mig_act_step_name(enum mig_step s);

/* The text argument of A (MIG_ARG_TEXT) with the param read from P: the caller frees. */
char *mig_act_text(const struct mig_action *a, const struct params *p);

#endif

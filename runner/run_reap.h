/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_reap: at the start of a job, what dead vtrun jobs left (their ledgers,
 * virt/virt_ledger.c) is removed, or with --keep-leftovers reported and avoided.
 */
#ifndef VTRUN_RUN_REAP_H
#define VTRUN_RUN_REAP_H

#include <stdbool.h>
#include <stddef.h>

struct run_host;
struct res_job;

struct run_reap_conf {
    const struct run_host *hosts;   /* the settings' hosts: the only ones touched */
    size_t nhosts;
    const char *known_hosts;        /* the job's known_hosts file (accept-new) */
    struct res_job *res;            /* job.log; NULL: stdout only */
    bool keep;                      /* --keep-leftovers */
};

/* Reap the ledgers of dead jobs (call under virt_machine_lock).  With keep, the
 * address slots they held are set in avoid[0, nslots).  Returns the number of lines
 * said (stdout "LEFTOVER   : ..." and job.log), -1 + err when the ledger directory
 * cannot be read. */
int run_reap(const struct run_reap_conf *conf, bool *avoid, unsigned nslots);

#endif

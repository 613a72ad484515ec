/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_needs: what a case needs of the hosts, decided from its params before anything
 * starts, in one place for every type (LTP's .needs_* fields, as rows).
 *
 * A need is a row: its name (what CANCEL and --dry-run count), how a case shows it
 * needs it (params it sets: "virsh_migrate_with_HP = yes", a disk protocol "rbd", a
 * func_supported_since_libvirt_ver), what satisfies it (a capability the settings
 * declare, or a fact of the hosts: their libvirt or QEMU version, their architecture),
 * and the CANCEL text.  Rows of every type (run_needs_generic[]) are checked after the
 * type's own struct run_needs (VMs, hosts, its own rows), in table order, the first
 * unmet one decides.  A row whose fact is unknown (no host answered) is met: a case is
 * never cancelled for what it might have.
 */
#ifndef VTRUN_RUN_NEEDS_H
#define VTRUN_RUN_NEEDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "runner/run_type.h"

struct params;
struct strbuf;

/*
 * The hosts' facts needs are decided against.  Capabilities come from the settings
 * (`capabilities = [ "hugepages", "gluster" ]`); versions and the architecture from
 * the settings (libvirt_version, qemu_version, arch) or else from the hosts, asked
 * once, on first use, through `probe` (the runner's: a connection to the source host,
 * no VM).  Shared by the job's workers: the probe runs under `lock`.
 */
struct run_facts {
    char **capabilities;                /* NULL-terminated; borrowed */
    unsigned long long libvirt_version; /* libvirt's encoding (9000000 = 9.0.0); 0 unknown */
    unsigned long long qemu_version;
    const char *arch;                   /* "x86_64"; NULL unknown */
    /* asks the hosts for what is still unknown (0, or -1 with err_msg()); may be NULL */
    int (*probe)(void *ud, struct run_facts *f);
    void *probe_ud;
    pthread_mutex_t lock;
    bool probed;
    char *probe_error;                  /* why the hosts did not answer; owned */
    char *arch_owned;                   /* what probe found, owned */
};

void run_facts_init(struct run_facts *f);
void run_facts_release(struct run_facts *f);
/* The facts, asking the hosts first if that was not done yet. */
void run_facts_need_hosts(struct run_facts *f);
/* "libvirt 9.0.0, QEMU 7.2.0, x86_64, capabilities: gluster" (or what is unknown and
 * why), for --dry-run and the job log. */
void run_facts_describe(struct run_facts *f, struct strbuf *out);

/* run_facts.probe of a job: asks the first of `hosts` through the backend. */
struct run_facts_hosts {
    const char *backend;
    const struct run_host *hosts;
    size_t nhosts;
};
int run_facts_probe_hosts(void *ud, struct run_facts *f);

/* "9.0.0", "10.5" -> 9000000, 10005000 (libvirt's encoding); -1 with err_set(). */
int run_version_parse(const char *text, unsigned long long *out);
/* True when word is a capability some row is satisfied by (the settings refuse
 * others); run_needs_capability_words() lists them for messages ("a, b, c"). */
bool run_needs_capability_known(const char *word);
char *run_needs_capability_words(void);

/* How a case shows it needs something: key (exact; "*" any key; a leading or
 * trailing "*" a suffix or prefix) whose value is one of the blank-separated words
 * (.eq), contains one of them (.has), or is set and not blank (neither). */
struct run_need_when {
    const char *key;
    const char *eq;
    const char *has;
};

struct run_need {
    const char *name;           /* "hugepages": the CANCEL label --dry-run counts */
    const char *types;          /* only cases of these types (blank-separated); NULL: all */
    struct run_need_when when[6];   /* any one: the case needs it (key NULL ends) */
    /* or this, for conditions on several params together; may be NULL */
    bool (*applies)(const struct params *p);
    const char *capability;     /* a settings capability that satisfies it; may be NULL */
    /* else this decides: 1 met, 0 not (why gets what the CANCEL says beyond .text),
     * -1 a bad param (err_set: the case is an ERROR).  NULL and no capability: never
     * met (a case the test itself cancels). */
    int (*met)(const struct run_need *n, const struct params *p, struct run_facts *f,
               struct strbuf *why);
    const char *met_doc;        /* what met checks, for --list-types */
    const char *since;          /* run_need_libvirt_since: the libvirt version that has it */
    const char *text;           /* the CANCEL text */
};

/* A .met for rows with .since: the source host's libvirt is at least that version
 * (unknown: met). */
int run_need_libvirt_since(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why);

/* The rows every case is checked against (runner/run_needs.c). */
extern const struct run_need run_needs_generic[];

/* Whether the case p (of type `type`) needs n. */
bool run_need_wanted(const struct run_need *n, const char *type, const struct params *p);

/*
 * Every need of a case of type t, in order: the type's VMs and hosts
 * (run_type_check_needs), placeholders left unfilled in the params the type reads
 * (run_port_placeholder; the common host params only for a two-host type), the type's
 * own rows, run_needs_generic[].  0: met; -1 with err_msg() the CANCEL reason and
 * *label (static) what --dry-run counts it as; -2 with err_msg() when a param a need
 * reads is malformed (an ERROR, *label the need).
 */
int run_needs_check(const struct run_type *t, const struct params *p,
                    const struct run_common *c, size_t nhosts, struct run_facts *f,
                    const char **label);

/* The rows as --list-types prints them. */
void run_needs_print(const struct run_need *rows, FILE *out);

#endif

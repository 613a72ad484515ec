/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtrun's own settings (libconfig): /etc/vtrun/vtrun.conf, then
 * ~/.config/vtrun/vtrun.conf, then $VTRUN_SETTINGS, then --settings FILE; a later file
 * overrides single keys of an earlier one (hosts and params as a whole list / per key).
 *
 * Settings are defaults: a case's params win (e.g. migrate_dest_host or
 * virsh_migrate_desturi in a config override the settings' hosts).
 *
 *   results_dir = "...";  (default ~/vtrun/job-results)  backend = "libvirt";  images_base_dir = "...";
 *   test_timeout = 1800;  jobs = 1;
 *   junit_flavour = "full";  (or "strict")   junit_params = "relevant";  (or "all")
 *   history = "...";  (default <results_dir>/history.sqlite; "" records nothing)
 *   hosts = ( { name = "h1"; uri = "..."; migrate_desturi = "..."; migrate_uri = "...";
 *               ssh_user = "root"; ssh_key = "..."; ssh_port = 22;
 *               ssh_password = "..."; ssh_password_file = "...";
 *               ssh_known_hosts = "accept-new"; ssh_known_hosts_file = "...";
 *               ssh_connect_timeout = 10;
 *               address = "192.0.2.1"; address6 = "2001:db8::1"; hostname = "h1.example.org"; },
 *             ... );
 *   params = { key = "value"; ... };   # defaults for every case's params
 *   override = { key = "value"; ... }; # over every case's params (docs/porting.md)
 *   capabilities = [ "hugepages", "gluster", ... ];  # what the hosts offer (run_needs.h)
 *   libvirt_version = "9.0.0";  qemu_version = "7.2.0";  arch = "x86_64";
 *                                      # the hosts' facts; unset: asked from the hosts
 */
#ifndef VTRUN_RUN_SETTINGS_H
#define VTRUN_RUN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "runner/run_type.h"

struct params;

struct run_settings {
    char *results_dir;
    char *backend;
    char *images_base_dir;
    double test_timeout;
    long jobs;
    char *junit_flavour;        /* "full" or "strict" (results.xml, results/res.h) */
    char *junit_params;         /* "relevant" or "all" (JUnit properties) */
    char *libvirt_version;      /* NULL: asked from the hosts when a case needs it */
    char *qemu_version;
    char *arch;
    char *history;              /* the history database; "" = none; unset: in results_dir */
    struct run_host *hosts;
    size_t nhosts;
    struct params *params;      /* default params; never NULL after run_settings_init */
    struct params *override;    /* params over every case's; never NULL either */
    char **capabilities;        /* NULL-terminated, never NULL */
    /* where each scalar came from ("default", or "FILE:LINE"), same order as the
 * table in run_settings.c; *_src for the groups */
    char *src[11];
    char *hosts_src;
    char *params_src;
    char *override_src;
    char *capabilities_src;
};

void run_settings_init(struct run_settings *s);
void run_settings_free(struct run_settings *s);
/* Read one file over s.  Missing file: 0 when optional, else -1.  Errors (syntax,
 * unknown key, wrong type) → -1 with err_msg() "FILE:LINE: ...". */
int run_settings_load(struct run_settings *s, const char *path, int optional);
/* The standard chain plus an explicit file (may be NULL). */
int run_settings_load_all(struct run_settings *s, const char *explicit_file);
/* `vtrun config`: print the effective settings and where each came from. */
void run_settings_print(const struct run_settings *s, FILE *out);
void run_host_free(struct run_host *h);
/* The history database's path: the setting, else <results_dir>/history.sqlite (heap);
 * NULL when the settings turn it off (history = ""). */
char *run_settings_history(const struct run_settings *s);
/* A deep copy (strings duplicated); free with run_host_free. */
void run_host_copy(struct run_host *dst, const struct run_host *src);
/* Whether a scalar setting was given in some file (not left at its default). */
bool run_settings_is_set(const struct run_settings *s, const char *key);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_etchosts: tp-libvirt's set_migration_host setup of /etc/hosts (live_migration.py,
 * tcp_migration_host.py): avocado-vt's utils_net.map_hostname_ipaddress(src_hosts_conf)
 * on the source -- each {name: address} pair's old lines (those naming the name) dropped
 * and "ADDRESS NAME" appended -- with the file kept beside it first
 * (/etc/hosts.vtrun-TAG.orig) and written back in place by the restore, on every path
 * (the reference's /etc/hosts.bak).  The lab's hosts have /etc of their own.
 */
#ifndef VTRUN_RUN_ETCHOSTS_H
#define VTRUN_RUN_ETCHOSTS_H

struct run_ctx;
struct run_etchosts;

/* src_hosts_conf read: a dict literal of hostname -> address strings (one holding a
 * placeholder is left to the placeholder need).  0, or -1 with err naming it. */
int run_etchosts_check(const char *text);
/* The pairs of text mapped in /etc/hosts of host h, recorded in *out (NULL when text
 * holds none).  0, or -1 with the test's ERROR (*out set: restore it). */
int run_etchosts_map(struct run_ctx *ctx, int h, const char *text, struct run_etchosts **out);
/* The file back as it was, the record freed (NULL: nothing); a CleanupError when the
 * file cannot be put back (it stays a registered leftover). */
void run_etchosts_restore(struct run_ctx *ctx, struct run_etchosts *e);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_port: how an avocado-vt / tp-libvirt case meets the hosts of the settings.
 *
 * tp-libvirt's configs name "your" hosts by placeholders (migrate_dest_host =
 * ENTER.YOUR.DEST.EXAMPLE.COM, server_pwd = PASSWORD.DEST.EXAMPLE, server_cn =
 * ENTER.YOUR.SERVER_CN ...), and `${...}` carries them into other params
 * (virsh_migrate_desturi = qemu+tcp://ENTER.YOUR.DEST.EXAMPLE.COM/system, firewall
 * rules, ss patterns).  avocado-vt cancels a case that still has them; vtrun fills
 * them from the settings' hosts: the source is hosts[0], the destination hosts[1].
 *
 * The params a case runs with, from weakest to strongest:
 *   1. the settings' `params = { }` (defaults under every case);
 *   2. the case's own params (the config) -- except that a value holding a
 *      placeholder leaves the key to (1) when (1) sets it;
 *   3. the settings' `override = { }` (the lab's own guest: kernel, image, login,
 *      network ...): the keys it names, not the case's per-object forms of them
 *      (image_name_vm2, netdst_nic1: name those in the override to replace them);
 *   4. --set statements: a key a --set assigns keeps the case's value (which holds
 *      the --set's) whatever the override says;
 * then every placeholder left in any value is replaced by the host fact it stands
 * for (address, IPv6 address, hostname / TLS CN, password), and the host login
 * params (server_user, remote_pwd ...) take the hosts' ssh_user and password when the
 * settings give them.  A libvirt URI whose host is a placeholder becomes the host's
 * own URI of that transport when the settings have one (its port, user and options
 * are what reaches the host).  What no setting fills stays as written: a type that
 * reads it CANCELs naming it (run_needs_check).
 *
 * All of it happens in the runner, before the params are parsed; below the runner
 * the params are read-only.
 */
#ifndef VTRUN_RUN_PORT_H
#define VTRUN_RUN_PORT_H

#include <stdbool.h>
#include <stddef.h>

struct params;
struct run_settings;
struct strbuf;

struct run_port;

/* The job's filling rules from the settings (borrowed: must outlive the port) and the
 * command line's statements (--set ones are recognised in them; copied). */
struct run_port *run_port_new(const struct run_settings *s, char *const *stmts, size_t n);
void run_port_free(struct run_port *port);

/* The params of one case as the runner hands them on (a new dict, caller frees). */
struct params *run_port_params(const struct run_port *port, const struct params *case_params);

/* The first placeholder in value ("ENTER.YOUR.DEST.EXAMPLE.COM", "EXAMPLE_MON_HOST",
 * "/dev/EXAMPLE" ...: avocado-vt's test is a value containing EXAMPLE, tp-libvirt's
 * also ENTER.YOUR), as a new string; NULL when there is none. */
char *run_port_placeholder(const char *value);
/* What fills placeholder (a token of the table), for the CANCEL of one left
 * unfilled: "the destination host's IPv6 address (hosts[1]: address6)", or NULL
 * when no setting does.  Caller frees. */
char *run_port_placeholder_source(const char *placeholder);

/* The key a --set statement assigns ("mem = 2048" -> "mem", "a.b: k += x" -> "k",
 * "del k" -> "k"); NULL for other statements (only, no, include ...).  Caller frees. */
char *run_port_stmt_key(const char *stmt);

#endif

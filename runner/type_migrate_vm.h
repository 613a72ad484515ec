/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * type_migrate_vm: tp-libvirt's migrate_vm (libvirt/tests/src/migration/migrate_vm.py),
 * the pure parts the unit tests read: the migration's words, the destination URI and
 * the first setup of the reference vtrun does not build.
 */
#ifndef VTRUN_TYPE_MIGRATE_VM_H
#define VTRUN_TYPE_MIGRATE_VM_H

struct params;
struct strbuf;

/* virsh_options, then postcopy_options unless virsh_options holds it already (the
 * reference's str.count).  Caller frees. */
char *mvm_words(const char *options, const char *postcopy);
/* DRIVER+TRANSPORT://HOST[uri_port]URI_PATH, HOST being target_ip, else server_cn,
 * else server_ip.  Caller frees. */
char *mvm_desturi(const char *driver, const char *transport, const char *target_ip,
                  const char *server_cn, const char *server_ip, const char *uri_port,
                  const char *uri_path);
/* The first param of p naming a setup vtrun does not build (its value in *val), or
 * NULL. */
const char *mvm_unbuilt_param(const struct params *p, const char **val);

/* The reference's check_domjobinfo_on_complete over `virsh domjobinfo --completed`
 * of the source (src) and the destination (dst): every field of src but the job type
 * and the expected downtime is in dst, with the same value but the times elapsed and
 * the operation.  0, or -1 with why (the reference's words). */
int mvm_jobinfo_compare(const char *src, const char *dst, struct strbuf *why);

#endif

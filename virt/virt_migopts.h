/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_migopts: the virsh migrate flag words of `migrate_options` /
 * `virsh_migrate_options` turned into the backend's struct be_migrate_opts.
 *
 * Existing tp-libvirt configs carry options as the words users type after
 * `virsh migrate`; vtrun reads those words itself (it never runs virsh) so a typo is
 * a config error with the word named, not a surprise at migration time.
 *
 * Known words: --live --p2p --tunnelled --persistent --undefinesource --unsafe
 * --postcopy --postcopy-after-precopy --auto-converge --compressed --offline
 * --timeout N --bandwidth N (also written --timeout=N, --bandwidth=N).  The rules
 * virsh itself enforces are enforced too: --tunnelled needs --p2p,
 * --postcopy-after-precopy needs --postcopy, --timeout needs --live, --live and
 * --offline exclude each other.
 */
#ifndef VTRUN_VIRT_MIGOPTS_H
#define VTRUN_VIRT_MIGOPTS_H

#include "backends/be.h"

/* Parse `words` (may be NULL or empty: no flags) and OR the result into *opts (flags,
 * timeout_s, bandwidth_mib, postcopy_after_precopy); other fields are left alone.
 * -1 with err_msg() naming the offending word; *opts is untouched then. */
int virt_migopts_parse(const char *words, struct be_migrate_opts *opts);

/* The flags as virsh words, for logs ("--live --p2p ..."); caller frees. */
char *virt_migopts_format(const struct be_migrate_opts *opts);

#endif

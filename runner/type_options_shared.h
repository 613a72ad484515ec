/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_options_shared's adapter (runner/type_options_shared.c): its own action
 * words onto the timeline engine's funcs, and what vtrun does not build of it.
 */
#ifndef VTRUN_TYPE_OPTIONS_SHARED_H
#define VTRUN_TYPE_OPTIONS_SHARED_H

#include <stdbool.h>

struct be_migrate_opts;
struct params;
struct strbuf;

/* The engine func (migration/mig_act.c's table) of an actions_during_migration word,
 * or NULL when tp-libvirt has no such word. */
const char *run_mos_word_func(const char *word);
/* The engine's action literal (mig_act_parse) of the comma-separated words, or of a
 * --timeout-postcopy check when there are none and extra has it; the caller frees.
 * NULL with err_set() naming an unknown word. */
char *run_mos_actions_literal(const char *words, const char *extra);
/* 0 when vtrun builds all a case p asks for; else -1 with why naming the first param
 * or word it does not. */
int run_mos_unbuilt(const struct params *p, struct strbuf *why);

/* A conf dict of the case (libvirtd_conf_dict's {"key": "value"}, or with regex_keys
 * the _dest_ form {r"key\s*=.*": 'key=value'}) as keys and the values the file gets
 * (NULL-terminated; params_strv_free()).  -1 with err naming param. */
int run_mos_conf_edits(const char *param, const char *text, bool regex_keys,
                       char ***keys, char ***vals);

/* The text virsh refuses the words mo with before any call (its own option checks), or
 * NULL: an empty --tls-destination, --tls-destination without --tls. */
const char *run_mos_virsh_refusal(const struct be_migrate_opts *mo);

#endif

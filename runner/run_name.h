/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_name: the name a test is reported under.  avocado-vt names a test by the part
 * of its name that subtests.cfg contributed, _short_name_map_file["subtests.cfg"]
 * (avocado_vt/discovery.py), e.g. "type_specific.io-github-autotest-libvirt.virsh.
 * migrate_stress.orderly_migration...", and by the case's shortname when the config
 * has no subtests.cfg (a user's own top file).  Teams moving from avocado-vt keep
 * their Jenkins / GitLab / openQA history only if vtrun reports the same names, so
 * results directories, JUnit, JSON and HTML use it; --full-names reports the whole
 * Cartesian name instead.
 */
#ifndef VTRUN_RUN_NAME_H
#define VTRUN_RUN_NAME_H

#include <stdbool.h>

struct params;

/* The name avocado-vt gives a case: the "subtests.cfg" entry of SHORT_NAME_MAP (the
 * JSON text of the case's _short_name_map_file param, may be NULL), else SHORTNAME.
 * A heap string; never NULL. */
char *run_name_avocado(const char *short_name_map, const char *shortname);

/* The string value of KEY in JSON, the text of a flat object of strings as the
 * config engine writes maps ({"base.cfg": "x.y", ...}).  A heap string, or NULL when
 * the key is absent or the text is not such an object. */
char *run_name_map_get(const char *json, const char *key);

/* The config's file name without directory and ".cfg": the name of the one case of a
 * config without variants, and the JUnit testsuite name of the job. */
char *run_name_stem(const char *config_path);

/* The name case P (its params; NAME and SHORTNAME its Cartesian names) is reported
 * under: NAME with FULL (--full-names), else avocado-vt's; STEM when the name is
 * empty (no variants).  A heap string. */
char *run_name_case(const struct params *p, const char *name, const char *shortname,
                    bool full, const char *stem);

/* A set of names: avocado-vt's names leave out the variants outside subtests.cfg, so
 * several cases of a job can share one, and GitLab keeps one test per name; the job
 * counts them to say so. */
struct run_name_set;
struct run_name_set *run_name_set_new(void);
/* Adds NAME; false when it was already in the set. */
bool run_name_set_add(struct run_name_set *s, const char *name);
void run_name_set_free(struct run_name_set *s);

#endif

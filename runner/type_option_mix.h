/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * type_option_mix: tp-libvirt's virsh_migrate_option_mix
 * (libvirt/tests/src/virsh_cmd/domain/virsh_migrate_option_mix.py), its options and the
 * pure parts the unit tests read: the booleans -> virsh words, the destination URI,
 * the XML edits and the verdict on what was seen after the hop.
 */
#ifndef VTRUN_TYPE_OPTION_MIX_H
#define VTRUN_TYPE_OPTION_MIX_H

#include <stdbool.h>

#include "migration/mig.h"   /* enum be_state, through the migration layer */

struct strbuf;

/* src_vm_cfg / src_vm_status; OMIX_UNSET: the case leaves the source as it is */
enum omix_cfg { OMIX_CFG_UNSET, OMIX_PERSISTENT, OMIX_TRANSIENT };
enum omix_status { OMIX_STATUS_UNSET, OMIX_RUNNING, OMIX_SHUTOFF };

/* The titles the reference writes into the --xml / --persistent-xml files. */
#define OMIX_XML_TITLE "VM Title in updated xml"
#define OMIX_PERSIST_XML_TITLE "VM Title in updated persist xml"

struct omix_opts {
    bool live, offline, persistent, undefinesource, p2p, tunnelled, postcopy;
    bool xml_option, persistent_xml_option;
    const char *dname;              /* --dname's name; NULL or "": none */
    const char *extra;              /* virsh_migrate_extra */
    const char *transport, *transport_port, *driver, *mode;
    const char *server_cn;          /* the destination URI's host */
    const char *storage_type;
    int src_cfg;                    /* enum omix_cfg */
    int src_status;                 /* enum omix_status */
    const char *with_graphic_passwd;    /* "yes" / "no": the graphics are set up */
    const char *graphic_passwd;
    double postcopy_timeout;        /* postcopy_migration_timeout, s */
    const char *stress_args;
    long main_vm;
    /* what virsh itself refuses in the words: the call fails with it (vmig's rule) */
    char usage[512];
};

/* The words of virsh migrate for the case's booleans, in the reference's order: the
 * extra words, then each boolean's word unless the words already hold it (a substring,
 * as the reference's str.count: "--persistent-xml" holds "--persistent"); --tunnelled
 * brings --p2p; --persistent-xml brings --persistent.  The --xml / --persistent-xml
 * files are added at run time.  Caller frees. */
char *omix_words(const struct omix_opts *o);

/* The destination URI the reference builds when the case names none:
 * DRIVER+TRANSPORT://HOST[:PORT]/MODE.  Caller frees. */
char *omix_desturi(const struct omix_opts *o, const char *dest_host);

/* XML text edits (libxml2): the domain's <title> set (added after <name> when there is
 * none); the first <graphics> given passwd, or, with none, a SPICE one added
 * (passwd NULL or "": none).  NULL + err on XML that does not parse.  Caller frees. */
char *omix_xml_set_title(const char *xml, const char *title);
char *omix_xml_set_graphics(const char *xml, const char *passwd);
/* The domain's <title> text (NULL: none) and the first <graphics>' passwd (*has:
 * there is one; NULL: no passwd).  0, or -1 + err when xml does not parse. */
int omix_xml_facts(const char *xml, char **title, bool *has_graphics, char **passwd);

/* What was seen after a successful hop. */
struct omix_seen {
    enum be_state src_state;        /* BE_STATE_NONE: no such domain */
    bool src_persistent;
    enum be_state dst_state;
    bool dst_persistent;
    char *active_title, *inactive_title;    /* of the destination's XML; NULL none */
    bool active_graphics, inactive_graphics;
    char *active_passwd, *inactive_passwd;
    double uptime_before, uptime_after;     /* < 0 unknown (not live) */
    bool postcopy;                  /* the hop switched to postcopy */
    enum be_state dst_after_destroy;    /* with --persistent: after virsh destroy */
};

/* The reference's checks after the hop, every one of them; 0, or -1 with why (each
 * failed check, its words, "; " between). */
int omix_judge(const struct omix_opts *o, const struct omix_seen *s, struct strbuf *why);

#endif

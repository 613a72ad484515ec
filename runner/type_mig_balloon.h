/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The expect_xpath check of runner/type_mig_balloon.c (libvirt_vmxml.
 * check_guest_xml_by_xpaths), shared with runner/type_mig_membacking.c. */
#ifndef VTRUN_TYPE_MIG_BALLOON_H
#define VTRUN_TYPE_MIG_BALLOON_H

struct pylit;
struct run_ctx;

/* expect_xpath text parsed: a list of {'element_attrs': [str...], 'text': str}.
 * 0, or -1 with err (out released). */
int bm_xpaths_read(const char *val, struct pylit *out);
/* Every xpath of list found in xml, its first node's text the dict's text when given:
 * 0, or -1 with the test's FAIL / ERROR set on ctx. */
int bm_xpath_check(struct run_ctx *ctx, const char *xml, const struct pylit *list);
/* The destination's live XML of dom (`virsh dumpxml`) checked against expect_xpath
 * text xpaths: 0, or -1 with the FAIL / ERROR set on ctx. */
int bm_dest_xpaths(struct run_ctx *ctx, const char *dom, const char *xpaths);

#endif

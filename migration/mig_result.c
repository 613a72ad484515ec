/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tp-libvirt's verdict on one virsh migrate call (migration/mig.h). */
#include "migration/mig.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"

/* What virsh prints on stderr for an error: "error: " and libvirt's message. */
#define UNSUPPORTED "error: unsupported configuration:"

/* 1 when re (Python `re.search` semantics: anywhere) matches text, 0 when not, -1 +
 * err when re does not compile. */
static int search(const char *what, const char *re, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
                                     NULL);
    if (!code) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        err_set("%s = '%s': not a regular expression (at %zu: %s)", what, re, (size_t)off,
                (char *)buf);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int rc = pcre2_match(code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return rc >= 0 ? 1 : 0;
}

int mig_regex_check(const char *what, const char *re)
{
    return !re || search(what, re, "") >= 0 ? 0 : -1;
}

void mig_virsh_error(const char *hv_error, struct strbuf *out)
{
    strbuf_reset(out);
    strbuf_addf(out, "error: %s", hv_error && *hv_error ? hv_error : "migration failed");
}

enum mig_verdict mig_result_judge(const struct mig_expect *e, bool ok, const char *stderr_text,
                                  struct strbuf *why)
{
    const char *text = stderr_text ? stderr_text : "";
    const char *what = e->err_msg_name ? e->err_msg_name : "err_msg";
    int m = 0;

    strbuf_reset(why);
    if (!ok && e->err_msg && (m = search(what, e->err_msg, text)) < 0) {
        strbuf_addstr(why, err_msg());
        return MIG_V_ERROR;
    }
    /* virsh_migrate.py: libvirt refusing the configuration is not the migration
     * failing -- unless that refusal is what the case is about */
    if (!ok && e->cancel_unsupported && strstr(text, UNSUPPORTED) &&
        !(e->status_error && e->err_msg && m)) {
        strbuf_addstr(why, text);
        return MIG_V_CANCEL;
    }
    if (e->status_error) {
        if (ok) {
            strbuf_addstr(why, "Migration success is unexpected result");
            return MIG_V_FAIL;
        }
        if (e->err_msg && !m) {
            strbuf_addf(why, "Can not find the expected patterns '%s' in output '%s'",
                        e->err_msg, text);
            return MIG_V_FAIL;
        }
        return MIG_V_EXPECTED_FAILURE;
    }
    if (!ok) {
        strbuf_addstr(why, text);
        return MIG_V_FAIL;
    }
    return MIG_V_OK;
}

const char *mig_verdict_name(enum mig_verdict v)
{
    static const char *const names[] = {
        [MIG_V_OK] = "ok", [MIG_V_EXPECTED_FAILURE] = "failed as expected",
        [MIG_V_FAIL] = "FAIL", [MIG_V_CANCEL] = "CANCEL", [MIG_V_ERROR] = "ERROR",
    };
    return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

/* virsh_migrate_dest_state / _src_state words: virsh domstate's, and "nonexist". */
const struct params_word mig_dom_state_words[] = {
    { "running", MIG_DOM_RUNNING },
    { "paused", MIG_DOM_PAUSED },
    { "shut off", MIG_DOM_SHUTOFF },
    { "shutoff", MIG_DOM_SHUTOFF },
    { "nonexist", MIG_DOM_NONEXIST },
    { NULL, 0 },
};

/* What be_state and definedness say, in the words' terms. */
static enum mig_dom_state observed(enum be_state s)
{
    switch (s) {
    case BE_STATE_RUNNING: return MIG_DOM_RUNNING;
    case BE_STATE_PAUSED: return MIG_DOM_PAUSED;
    case BE_STATE_SHUTOFF: return MIG_DOM_SHUTOFF;
    case BE_STATE_NONE: return MIG_DOM_NONEXIST;
    default: return MIG_DOM_OTHER;
    }
}

const char *mig_dom_state_name(enum mig_dom_state s)
{
    for (const struct params_word *w = mig_dom_state_words; w->word; w++)
        if (w->value == (int)s)
            return w->word;
    return "another state";
}

int mig_after_check(const struct mig_after *a, struct strbuf *why)
{
    enum mig_dom_state dst = observed(a->dst_state), src = observed(a->src_state);

    strbuf_reset(why);
    if (dst != a->want_dst) {
        strbuf_addf(why, "the VM is %s on the destination, expected %s",
                    mig_dom_state_name(dst), mig_dom_state_name(a->want_dst));
        return -1;
    }
    if (a->check_src && src != a->want_src) {
        strbuf_addf(why, "the VM is %s on the source, expected %s",
                    mig_dom_state_name(src), mig_dom_state_name(a->want_src));
        return -1;
    }
    /* the words' own effects (virsh_migrate.py's checks after a hop) */
    if ((a->flags & BE_MIG_PERSISTENT) && dst != MIG_DOM_NONEXIST && !a->dst_persistent) {
        strbuf_addstr(why, "VM is not persistent on destination.");
        return -1;
    }
    if ((a->flags & BE_MIG_UNDEFINE_SOURCE) && src != MIG_DOM_NONEXIST) {
        strbuf_addstr(why, "VM is not undefined on source.");
        return -1;
    }
    if (a->uptime_before >= 0 && a->uptime_after >= 0 &&
        a->uptime_after < a->uptime_before) {
        strbuf_addf(why, "guest uptime went down: %.1f s before, %.1f s after (rebooted?)",
                    a->uptime_before, a->uptime_after);
        return -1;
    }
    return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration schedule as data (migration/mig.h). */
#include "migration/mig.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"

const struct params_word mig_plan_type_words[] = {
    { "orderly", MIG_ORDERLY },
    { "simultaneous", MIG_SIMULTANEOUS },
    { "cross", MIG_CROSS },
    { "compressed", MIG_COMPRESSED },
    { NULL, 0 },
};

const char *mig_plan_type_name(enum mig_plan_type t)
{
    for (const struct params_word *w = mig_plan_type_words; w->word; w++)
        if (w->value == (int)t)
            return w->word;
    return "?";
}

static struct mig_wave *add_wave(struct mig_hop *h)
{
    h->waves = xrealloc(h->waves, (h->nwaves + 1) * sizeof(*h->waves));
    struct mig_wave *w = &h->waves[h->nwaves++];
    w->moves = NULL;
    w->n = 0;
    return w;
}

static void add_move(struct mig_wave *w, size_t vm, int from)
{
    w->moves = xrealloc(w->moves, (w->n + 1) * sizeof(*w->moves));
    w->moves[w->n++] = (struct mig_move){ vm, from, 1 - from };
}

/* One hop from the current locations `at`, which it updates. */
static void plan_hop(struct mig_hop *h, enum mig_plan_type type, int *at, size_t n)
{
    if (type == MIG_ORDERLY) {
        for (size_t i = 0; i < n; i++)
            add_move(add_wave(h), i, at[i]);
    } else if (type == MIG_CROSS) {
        /* pair the k-th VM on host 0 with the k-th VM on host 1 */
        size_t on0[n], on1[n], n0 = 0, n1 = 0;
        for (size_t i = 0; i < n; i++) {
            if (at[i] == 0)
                on0[n0++] = i;
            else
                on1[n1++] = i;
        }
        for (size_t k = 0; k < n0 || k < n1; k++) {
            struct mig_wave *w = add_wave(h);
            if (k < n0)
                add_move(w, on0[k], 0);
            if (k < n1)
                add_move(w, on1[k], 1);
        }
    } else {
        struct mig_wave *w = add_wave(h);
        for (size_t i = 0; i < n; i++)
            add_move(w, i, at[i]);
    }
    for (size_t i = 0; i < n; i++)
        at[i] = 1 - at[i];
}

int mig_plan_build(size_t nvms, enum mig_plan_type type, unsigned rounds,
                       bool back, struct mig_plan *out)
{
    memset(out, 0, sizeof(*out));
    if (nvms < 2) {
        err_set("migration needs at least 2 VMs, got %zu", nvms);
        return -1;
    }
    if (rounds < 1) {
        err_set("virsh_migrate_there_and_back must be at least 1");
        return -1;
    }
    out->nvms = nvms;
    out->start_host = xcalloc(nvms, sizeof(int));
    for (size_t i = 0; i < nvms; i++)
        out->start_host[i] = type == MIG_CROSS && i >= (nvms + 1) / 2 ? 1 : 0;

    int *at = xmalloc(nvms * sizeof(int));
    memcpy(at, out->start_host, nvms * sizeof(int));
    size_t nhops = back ? 2 * (size_t)rounds : 1;
    out->hops = xcalloc(nhops, sizeof(*out->hops));
    for (size_t k = 0; k < nhops; k++) {
        struct mig_hop *h = &out->hops[k];
        h->round = (unsigned)(k / 2 + 1);
        h->back = back && k % 2 == 1;
        plan_hop(h, type, at, nvms);
    }
    out->nhops = nhops;
    free(at);
    return 0;
}

void mig_plan_free(struct mig_plan *p)
{
    for (size_t k = 0; k < p->nhops; k++) {
        for (size_t w = 0; w < p->hops[k].nwaves; w++)
            free(p->hops[k].waves[w].moves);
        free(p->hops[k].waves);
    }
    free(p->hops);
    free(p->start_host);
    memset(p, 0, sizeof(*p));
}

size_t mig_hop_moves(const struct mig_hop *h)
{
    size_t n = 0;
    for (size_t w = 0; w < h->nwaves; w++)
        n += h->waves[w].n;
    return n;
}

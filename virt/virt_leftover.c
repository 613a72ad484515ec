/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <pthread.h>
#include <stdlib.h>

struct leftover {
    unsigned long id;
    char *what, *how;
    unsigned long ledger;       /* its ledger entry; 0: none */
    struct leftover *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct leftover *head;
static unsigned long next_id = 1;

static unsigned long add(const char *what, const char *how, unsigned long ledger)
{
    struct leftover *l = xcalloc(1, sizeof(*l));
    l->ledger = ledger;
    l->what = xstrdup(what);
    l->how = xstrdup(how ? how : "");
    pthread_mutex_lock(&lock);
    l->id = next_id++;
    l->next = head;
    head = l;
    pthread_mutex_unlock(&lock);
    return l->id;
}

unsigned long virt_leftover_add(const char *what, const char *how)
{
    return add(what, how, 0);
}

unsigned long virt_leftover_add_res(const struct virt_res *r, const char *what, const char *how)
{
    unsigned long ledger = 0;
    if (virt_ledger_active() && !(ledger = virt_ledger_note(r))) {
        err_prefix("cannot record %s in the job's ledger", what);
        return 0;
    }
    return add(what, how, ledger);
}

void virt_leftover_drop(unsigned long id)
{
    pthread_mutex_lock(&lock);
    for (struct leftover **pp = &head; *pp; pp = &(*pp)->next) {
        struct leftover *l = *pp;
        if (l->id == id) {
            *pp = l->next;
            virt_ledger_strike(l->ledger);
            free(l->what);
            free(l->how);
            free(l);
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

unsigned virt_leftover_print(FILE *out)
{
    unsigned n = 0;
    pthread_mutex_lock(&lock);
    for (struct leftover *l = head; l; l = l->next, n++)
        fprintf(out, "  left behind: %s\n      remove: %s\n", l->what, l->how);
    pthread_mutex_unlock(&lock);
    return n;
}

/* netlist/nl_internal: helpers shared by the netlist module's sources (not a
 * public interface): an arena for parse-time strings, array growth, and the
 * fanout/load pass every netlist builder ends with. */
#ifndef PP_NL_INTERNAL_H
#define PP_NL_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"

typedef struct nl_arena_blk {
  struct nl_arena_blk *next;
  size_t used, cap;
  char data[];
} nl_arena_blk;

typedef struct {
  nl_arena_blk *head;
} nl_arena;

static inline void *nl_arena_alloc(nl_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->used + n > a->head->cap) {
    size_t cap = n > (1u << 16) ? n : (1u << 16);
    nl_arena_blk *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

static inline char *nl_arena_strndup(nl_arena *a, const char *s, size_t n) {
  char *d = nl_arena_alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

static inline void nl_arena_free(nl_arena *a) {
  while (a->head) {
    nl_arena_blk *n = a->head->next;
    free(a->head);
    a->head = n;
  }
}

/* Makes room for element n of *arr (capacity *cap, elements of size elem);
 * new space is zeroed. Returns 0, or -1 when out of memory. */
static inline int nl_grow(void **arr, int *cap, int n, size_t elem) {
  if (n < *cap) return 0;
  int nc = *cap ? *cap * 2 : 8;
  void *nb = realloc(*arr, elem * (size_t)nc);
  if (!nb) return -1;
  memset((char *)nb + elem * (size_t)*cap, 0, elem * (size_t)(nc - *cap));
  *arr = nb;
  *cap = nc;
  return 0;
}

/* Fills every net's fanout lists and load_ff from the gates (netlist.h). */
int nl_finish_loads(pp_netlist *nl, double out_load_ff);

#endif

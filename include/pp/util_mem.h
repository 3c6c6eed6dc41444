/* util_mem: allocation helpers for the readers and builders (liberty, verilog,
 * macgen): an arena for parse-time strings and nodes, freed all at once, and
 * doubling growth of a malloc'd array. All inline, so util has no source for
 * them. */
#ifndef PP_UTIL_MEM_H
#define PP_UTIL_MEM_H

#include <stdlib.h>
#include <string.h>

typedef struct pp_arena_blk {
  struct pp_arena_blk *next;
  size_t used, cap;
  char data[];
} pp_arena_blk;

typedef struct {
  pp_arena_blk *head;
} pp_arena;

/* n zeroed bytes, 16-byte aligned, alive until pp_arena_free; NULL when out of memory. */
static inline void *pp_arena_alloc(pp_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->used + n > a->head->cap) {
    size_t cap = n > (1u << 16) ? n : (1u << 16);
    pp_arena_blk *b = malloc(sizeof *b + cap);
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

static inline char *pp_arena_strndup(pp_arena *a, const char *s, size_t n) {
  char *d = pp_arena_alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

static inline void pp_arena_free(pp_arena *a) {
  while (a->head) {
    pp_arena_blk *n = a->head->next;
    free(a->head);
    a->head = n;
  }
}

/* Makes room for element n of *arr (capacity *cap, elements of size elem);
 * new space is zeroed. Returns 0, or -1 when out of memory. */
static inline int pp_grow(void **arr, int *cap, int n, size_t elem) {
  if (n < *cap) return 0;
  int nc = *cap ? *cap * 2 : 8;
  void *nb = realloc(*arr, elem * (size_t)nc);
  if (!nb) return -1;
  memset((char *)nb + elem * (size_t)*cap, 0, elem * (size_t)(nc - *cap));
  *arr = nb;
  *cap = nc;
  return 0;
}

/* Frees every pointer of a list, in order: a destructor names the buffers it owns in one statement,
 * PP_FREE_ALL(s->a, s->b, s->c). The list is evaluated before any is freed. */
static inline void pp_free_each(void *const *p, size_t n) {
  for (size_t i = 0; i < n; i++) free(p[i]);
}
#define PP_FREE_ALL(...) \
  pp_free_each((void *const[]){__VA_ARGS__}, sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

#endif

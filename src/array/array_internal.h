/* array/array_internal: helpers shared by the array sources and its tests. */
#ifndef PP_ARRAY_INTERNAL_H
#define PP_ARRAY_INTERNAL_H

#include "pp/array.h"

/* W-bit two's complement word -> signed value. */
static inline int32_t pp_array_word_to_value(uint32_t w, int bits) {
  uint32_t sign = 1u << (bits - 1);
  return (int32_t)((w ^ sign) - sign);
}

/* Bin of every partial-sum word, filled on first use (0xFF = not yet known;
 * bins <= 255 so 0xFF is never a bin). Safe to share between threads: each
 * entry is written with the value every thread would compute. */
struct pp_array_binlut {
  int B, W, h1;
  size_t n1, n2;
  uint32_t *lo, *hi; /* B x 2^h1 and B x 2^(W-h1): distance sums of each half word */
  uint32_t *m;       /* members per bin */
  uint8_t *tab;      /* 2^W */
};
int pp_array_lut_build(pp_array_stats *s, pp_err *e);
void pp_array_lut_free(pp_array_binlut *L);
unsigned pp_array_lut_compute(pp_array_binlut *L, uint32_t word);
static inline unsigned pp_array_lut_get(pp_array_binlut *L, uint32_t word) {
  unsigned b = __atomic_load_n(&L->tab[word], __ATOMIC_RELAXED);
  if (__builtin_expect(b != 0xFF, 1)) return b;
  b = pp_array_lut_compute(L, word);
  __atomic_store_n(&L->tab[word], (uint8_t)b, __ATOMIC_RELAXED);
  return b;
}
int pp_array_psum_bin_ref(const pp_array_stats *s, int32_t value);
/* Allocates an empty statistics object for an array of `size` with `bins` bins. */
pp_array_stats *pp_array_stats_new(int size, int bins, uint64_t seed);
/* Finds or appends the per-layer record of g (NULL on allocation failure). */
pp_array_layer *pp_array_stats_layer(pp_array_stats *s, const pp_nn_qgemm *g, int per_layer);
/* Recomputes bin_off/bin_vals from the reservoir (needs the bins). */
int pp_array_stats_fill_bin_values(pp_array_stats *s, pp_err *e);

#endif

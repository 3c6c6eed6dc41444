/* array/array_internal: helpers shared by the array sources and its tests. */
#ifndef PP_ARRAY_INTERNAL_H
#define PP_ARRAY_INTERNAL_H

#include "pp/array.h"

/* W-bit two's complement word -> signed value. */
static inline int32_t pp_array_word_to_value(uint32_t w, int bits) {
  uint32_t sign = 1u << (bits - 1);
  return (int32_t)((w ^ sign) - sign);
}

int pp_array_lut_build(pp_array_stats *s, pp_err *e);
int pp_array_psum_bin_ref(const pp_array_stats *s, int32_t value);
/* Allocates an empty statistics object for an array of `size` with `bins` bins. */
pp_array_stats *pp_array_stats_new(int size, int bins, uint64_t seed);
/* Finds or appends the per-layer record of g (NULL on allocation failure). */
pp_array_layer *pp_array_stats_layer(pp_array_stats *s, const pp_nn_qgemm *g, int per_layer);
/* Recomputes bin_off/bin_vals from the reservoir (needs the bins). */
int pp_array_stats_fill_bin_values(pp_array_stats *s, pp_err *e);

#endif

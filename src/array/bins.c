/* array/bins: partial-sum bins by bit similarity (PowerPruning III-A2) and the
 * lookup table that classifies any partial-sum word. The average Hamming
 * distance of a value v to bin b with m members, cnt[i] of which have bit i
 * set, is sum_i (bit_i(v) ? m - cnt[i] : cnt[i]) / m: O(bits) per bin instead
 * of O(members). Comparisons are exact (cross-multiplied integers). */
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "pp/util_mem.h"

int pp_array_psum_bits(int size) {
  uint64_t maxabs = (uint64_t)size * 127u * 255u;
  int b = 0;
  while (b < 62 && ((uint64_t)1 << b) <= maxabs) b++;
  return b + 1; /* magnitude bits + sign */
}

/* Integer distance sum of word v (bits wide) to bin b. */
static uint64_t dist_sum(const uint32_t *cnt, uint32_t m, int bits, uint32_t v) {
  uint64_t d = 0;
  for (int i = 0; i < bits; i++) d += ((v >> i) & 1u) ? m - cnt[i] : cnt[i];
  return d;
}

/* d1/m1 < d2/m2 with ties to the earlier bin (caller iterates in order). */
static int closer(uint64_t d1, uint32_t m1, uint64_t d2, uint32_t m2) { return d1 * m2 < d2 * m1; }

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int pp_array_bins_build(pp_array_stats *s, const int32_t *values, size_t n, uint64_t seed, pp_err *e) {
  int B = s->bins, W = s->psum_bits;
  if (B < 1 || B > PP_ARRAY_MAX_BINS || W < 2 || W > 30)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: %d bins of %d-bit partial sums (expected 1..%d bins, 2..30 bits)", B,
                      W, PP_ARRAY_MAX_BINS);
  if (n == 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: no partial-sum values to build bins from");
  uint32_t mask = (uint32_t)((1ull << W) - 1);
  uint32_t *v = malloc(n * sizeof *v);
  free(s->bin_members);
  free(s->bin_bitcount);
  free(s->bin_seed);
  pp_array_lut_free(s->lut);
  s->lut = NULL;
  s->bin_members = calloc((size_t)B, sizeof *s->bin_members);
  s->bin_bitcount = calloc((size_t)B * W, sizeof *s->bin_bitcount);
  s->bin_seed = calloc((size_t)B, sizeof *s->bin_seed);
  if (!v || !s->bin_members || !s->bin_bitcount || !s->bin_seed) {
    free(v);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  uint8_t *vbin = malloc(n);
  if (!vbin) {
    free(v);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (size_t i = 0; i < n; i++) v[i] = (uint32_t)values[i] & mask;
  qsort(v, n, sizeof *v, cmp_u32);
  size_t nd = 0;
  for (size_t i = 0; i < n; i++)
    if (i == 0 || v[i] != v[nd - 1]) v[nd++] = v[i];
  pp_rng rng;
  pp_rng_seed(&rng, seed ^ 0x62696e73ull); /* "bins" */
  /* shuffle the distinct values (Fisher-Yates on 32-bit words) */
  pp_rng_shuffle_u32(&rng, v, nd);
  size_t nseed = nd < (size_t)B ? nd : (size_t)B;
  for (size_t b = 0; b < nseed; b++) {
    s->bin_members[b] = 1;
    for (int i = 0; i < W; i++) s->bin_bitcount[b * W + i] = (v[b] >> i) & 1u;
    s->bin_seed[b] = pp_array_word_to_value(v[b], W);
    vbin[b] = (uint8_t)b;
  }
  for (size_t j = nseed; j < nd; j++) {
    int best = 0;
    uint64_t bd = 0;
    uint32_t bm = 1;
    for (size_t b = 0; b < nseed; b++) {
      uint64_t d = dist_sum(s->bin_bitcount + b * W, s->bin_members[b], W, v[j]);
      if (b == 0 || closer(d, s->bin_members[b], bd, bm)) {
        best = (int)b;
        bd = d;
        bm = s->bin_members[b];
      }
    }
    s->bin_members[best]++;
    for (int i = 0; i < W; i++) s->bin_bitcount[(size_t)best * W + i] += (v[j] >> i) & 1u;
    vbin[j] = (uint8_t)best;
  }
  /* Number the bins by the mean of their members (ascending) so that heat
   * maps of bin transitions read like value transitions; empty bins last. */
  double *mean = calloc((size_t)B, sizeof *mean);
  int *ord = malloc((size_t)B * sizeof *ord);
  if (!mean || !ord) {
    PP_FREE_ALL(mean, ord, v, vbin);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (size_t j = 0; j < nd; j++) mean[vbin[j]] += pp_array_word_to_value(v[j], W);
  for (int b = 0; b < B; b++) {
    ord[b] = b;
    mean[b] = s->bin_members[b] ? mean[b] / s->bin_members[b] : 1e300;
  }
  for (int i = 1; i < B; i++) { /* insertion sort, stable: B is small */
    int x = ord[i], k = i;
    while (k > 0 && mean[ord[k - 1]] > mean[x]) {
      ord[k] = ord[k - 1];
      k--;
    }
    ord[k] = x;
  }
  uint32_t *m2 = malloc((size_t)B * sizeof *m2), *c2 = malloc((size_t)B * W * sizeof *c2);
  int32_t *s2 = malloc((size_t)B * sizeof *s2);
  if (!m2 || !c2 || !s2) {
    free(m2), free(c2), free(s2), free(mean), free(ord), free(v), free(vbin);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (int b = 0; b < B; b++) {
    m2[b] = s->bin_members[ord[b]];
    s2[b] = s->bin_seed[ord[b]];
    memcpy(c2 + (size_t)b * W, s->bin_bitcount + (size_t)ord[b] * W, (size_t)W * sizeof *c2);
  }
  free(s->bin_members), free(s->bin_bitcount), free(s->bin_seed);
  s->bin_members = m2;
  s->bin_bitcount = c2;
  s->bin_seed = s2;
  PP_FREE_ALL(mean, ord, v, vbin);
  return pp_array_lut_build(s, e);
}

void pp_array_lut_free(pp_array_binlut *L) {
  if (!L) return;
  PP_FREE_ALL(L->lo, L->hi, L->m, L->tab);
  free(L);
}

/* The table starts unknown (0xFF) and is filled per word on first use:
 * only the words that occur cost anything. Each miss costs O(B) with the
 * per-bin half-word distance tables. */
int pp_array_lut_build(pp_array_stats *s, pp_err *e) {
  int B = s->bins, W = s->psum_bits;
  if (!s->bin_members) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: statistics hold no partial-sum bins");
  pp_array_binlut *L = calloc(1, sizeof *L);
  if (!L) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  L->B = B;
  L->W = W;
  L->h1 = W / 2;
  int h2 = W - L->h1;
  L->n1 = (size_t)1 << L->h1;
  L->n2 = (size_t)1 << h2;
  L->lo = malloc((size_t)B * L->n1 * sizeof *L->lo);
  L->hi = malloc((size_t)B * L->n2 * sizeof *L->hi);
  L->m = malloc((size_t)B * sizeof *L->m);
  L->tab = malloc((size_t)1 << W);
  if (!L->lo || !L->hi || !L->m || !L->tab) {
    pp_array_lut_free(L);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory (partial-sum lookup table of 2^%d bytes)", W);
  }
  memset(L->tab, 0xFF, (size_t)1 << W);
  memcpy(L->m, s->bin_members, (size_t)B * sizeof *L->m);
  for (int b = 0; b < B; b++) {
    const uint32_t *cnt = s->bin_bitcount + (size_t)b * W;
    uint32_t m = s->bin_members[b];
    for (size_t u = 0; u < L->n1; u++) L->lo[(size_t)b * L->n1 + u] = (uint32_t)dist_sum(cnt, m, L->h1, (uint32_t)u);
    for (size_t u = 0; u < L->n2; u++) L->hi[(size_t)b * L->n2 + u] = (uint32_t)dist_sum(cnt + L->h1, m, h2, (uint32_t)u);
  }
  pp_array_lut_free(s->lut);
  s->lut = L;
  return PP_OK;
}

unsigned pp_array_lut_compute(pp_array_binlut *L, uint32_t word) {
  size_t ul = word & (L->n1 - 1), uh = word >> L->h1;
  int best = -1;
  uint64_t bd = 0;
  uint32_t bm = 1;
  for (int b = 0; b < L->B; b++) {
    uint32_t m = L->m[b];
    if (!m) continue;
    uint64_t d = (uint64_t)L->lo[(size_t)b * L->n1 + ul] + L->hi[(size_t)b * L->n2 + uh];
    if (best < 0 || closer(d, m, bd, bm)) {
      best = b;
      bd = d;
      bm = m;
    }
  }
  return best < 0 ? 0u : (unsigned)best;
}

int pp_array_psum_bin(pp_array_stats *s, int32_t value) {
  if (!s->lut && pp_array_lut_build(s, NULL) != PP_OK) return -1;
  return (int)pp_array_lut_get(s->lut, (uint32_t)value & (uint32_t)((1ull << s->psum_bits) - 1));
}

/* Reference classification without the table (tests compare the two). */
int pp_array_psum_bin_ref(const pp_array_stats *s, int32_t value) {
  int W = s->psum_bits;
  uint32_t v = (uint32_t)value & (uint32_t)((1ull << W) - 1);
  int best = -1;
  uint64_t bd = 0;
  uint32_t bm = 1;
  for (int b = 0; b < s->bins; b++) {
    uint32_t m = s->bin_members[b];
    if (!m) continue;
    uint64_t d = 0;
    for (int i = 0; i < W; i++) {
      unsigned bit = (v >> i) & 1u;
      uint32_t c = s->bin_bitcount[(size_t)b * W + i];
      d += bit ? m - c : c; /* members whose bit i differs from v's */
    }
    if (best < 0 || closer(d, m, bd, bm)) {
      best = b;
      bd = d;
      bm = m;
    }
  }
  return best < 0 ? 0 : best;
}

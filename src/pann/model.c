/* pann/model: bit-flip features and energies of the multiplier and the
 * accumulator, and the accumulator streams a layer's integer product creates
 * under signed and split (unsigned) accumulation. */
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

int64_t pp_pann_wrap(int64_t v, int bits) {
  if (bits >= 64) return v;
  uint64_t u = (uint64_t)v & pp_pann_mask(bits);
  if (u >> (bits - 1)) u |= ~pp_pann_mask(bits);
  return (int64_t)u;
}

void pp_pann_mult_features(int w_bits, int a_bits, int64_t w0, int64_t a0, int64_t w1, int64_t a1,
                           double f[PP_PANN_MULT_NF]) {
  double fw = pp_pann_popcount64(pp_pann_bits(w0 ^ w1, w_bits));
  double fa = pp_pann_popcount64(pp_pann_bits(a0 ^ a1, a_bits));
  uint64_t uw0 = pp_pann_bits(w0, w_bits), uw1 = pp_pann_bits(w1, w_bits);
  uint64_t ua0 = pp_pann_bits(a0, a_bits), ua1 = pp_pann_bits(a1, a_bits);
  /* partial products: row i is a masked by bit i of w */
  int fpp = 0;
  for (int i = 0; i < w_bits; i++) {
    uint64_t r0 = (uw0 >> i & 1) ? ua0 : 0, r1 = (uw1 >> i & 1) ? ua1 : 0;
    fpp += pp_pann_popcount64(r0 ^ r1);
  }
  int pb = w_bits + a_bits;
  double fprod = pp_pann_popcount64(pp_pann_bits(w0 * a0, pb) ^ pp_pann_bits(w1 * a1, pb));
  f[0] = 1;
  f[1] = fw;
  f[2] = fa;
  f[3] = fw * fa;
  f[4] = fpp;
  f[5] = fprod;
}

double pp_pann_mult_energy(const pp_pann_mult_model *m, int64_t w0, int64_t a0, int64_t w1, int64_t a1) {
  double f[PP_PANN_MULT_NF];
  pp_pann_mult_features(m->w_bits, m->a_bits, w0, a0, w1, a1, f);
  double s = 0;
  for (int i = 0; i < PP_PANN_MULT_NF; i++) s += m->c[i] * f[i];
  return s;
}

void pp_pann_acc_features(int in_bits, int acc_bits, int64_t x0, int64_t p0, int64_t x1, int64_t p1,
                          double f[PP_PANN_ACC_NF]) {
  /* sext(x) over acc_bits: wrap to in_bits first, as the port truncates. */
  int64_t sx0 = pp_pann_wrap(x0, in_bits), sx1 = pp_pann_wrap(x1, in_bits);
  int64_t y0 = pp_pann_wrap(p0 + sx0, acc_bits), y1 = pp_pann_wrap(p1 + sx1, acc_bits);
  /* carries into each bit: sum ^ a ^ b */
  uint64_t c0 = pp_pann_bits(y0 ^ sx0 ^ p0, acc_bits), c1 = pp_pann_bits(y1 ^ sx1 ^ p1, acc_bits);
  f[0] = 1;
  f[1] = pp_pann_popcount64(pp_pann_bits(sx0 ^ sx1, acc_bits));
  f[2] = pp_pann_popcount64(pp_pann_bits(p0 ^ p1, acc_bits));
  f[3] = pp_pann_popcount64(pp_pann_bits(y0 ^ y1, acc_bits));
  f[4] = pp_pann_popcount64(c0 ^ c1);
  f[5] = pp_pann_popcount64(pp_pann_bits((sx0 ^ sx1) | (p0 ^ p1), acc_bits));
}

double pp_pann_acc_energy(const pp_pann_acc_model *m, int64_t x0, int64_t p0, int64_t x1, int64_t p1) {
  double f[PP_PANN_ACC_NF];
  pp_pann_acc_features(m->in_bits, m->acc_bits, x0, p0, x1, p1, f);
  double s = 0;
  for (int i = 0; i < PP_PANN_ACC_NF; i++) s += m->c[i] * f[i];
  return s;
}

void pp_pann_acc_stream_free(pp_pann_acc_stream *s) {
  free(s->x);
  free(s->p);
  memset(s, 0, sizeof *s);
}

int pp_pann_acc_stream_push(pp_pann_acc_stream *s, int64_t x, int64_t p) {
  if (s->n == s->cap) {
    long nc = s->cap ? s->cap * 2 : 1024;
    int64_t *nx = realloc(s->x, sizeof(int64_t) * (size_t)nc);
    if (!nx) return PP_ENOMEM;
    s->x = nx;
    int64_t *np = realloc(s->p, sizeof(int64_t) * (size_t)nc);
    if (!np) return PP_ENOMEM;
    s->p = np;
    s->cap = nc;
  }
  s->x[s->n] = x;
  s->p[s->n] = p;
  s->n++;
  return PP_OK;
}

double pp_pann_acc_stream_energy(const pp_pann_acc_model *m, const pp_pann_acc_stream *s) {
  double E = 0;
  for (long t = 1; t < s->n; t++) E += pp_pann_acc_energy(m, s->x[t - 1], s->p[t - 1], s->x[t], s->p[t]);
  return E;
}

int pp_pann_layer_acc_streams(const int32_t *A, const int32_t *W, int T, int K, int N, int dataflow,
                              int accum, int acc_bits, int rows, int max_cols,
                              pp_pann_acc_stream out[2], pp_err *e) {
  if (T <= 0 || K <= 0 || N <= 0 || acc_bits < 2 || acc_bits > 63)
    return pp_err_set(e, PP_EINVAL, "", 0, "layer streams need T, K, N > 0 and acc_bits in 2..63 (got %d, %d, %d, %d)",
                      T, K, N, acc_bits);
  int split = accum == PP_PANN_SPLIT;
  if (dataflow == PP_PANN_SEQUENTIAL) {
    for (int t = 0; t < T; t++)
      for (int j = 0; j < N; j++) {
        int64_t acc[2] = {0, 0};
        for (int i = 0; i < K; i++) {
          int64_t w = W[(size_t)i * N + j], a = A[(size_t)t * K + i];
          int which = 0;
          int64_t x = w * a;
          if (split) {
            if (w == 0) continue; /* nothing to add: the accumulators hold */
            which = w < 0;
            x = which ? -x : x;
          }
          if (pp_pann_acc_stream_push(&out[which], x, acc[which]))
            return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory building accumulator streams");
          acc[which] = pp_pann_wrap(acc[which] + x, acc_bits);
        }
      }
    return PP_OK;
  }
  if (dataflow != PP_PANN_SYSTOLIC) return pp_err_set(e, PP_EINVAL, "", 0, "unknown dataflow %d", dataflow);
  if (rows <= 0) rows = K;
  int ncols = max_cols > 0 && max_cols < N ? max_cols : N;
  /* One PE's adder stream at a time, over t: every PE (i, j) is its own
   * hardware, so streams of different PEs are concatenated; the one spurious
   * transition at each junction is negligible against T. psum[c][t] is the
   * running partial sum of chain c (split: w+ and w- chains) for input t. */
  int64_t *psum = calloc((size_t)2 * T, sizeof(int64_t));
  if (!psum) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory building accumulator streams");
  for (int j = 0; j < ncols; j++)
    for (int i = 0; i < K; i++) {
      if (i % rows == 0) memset(psum, 0, sizeof(int64_t) * (size_t)2 * T);
      int64_t w = W[(size_t)i * N + j];
      if (split && w == 0) continue; /* idle PE, clock-gated */
      int which = split && w < 0;
      int64_t *ps = psum + (size_t)which * T;
      for (int t = 0; t < T; t++) {
        int64_t x = w * A[(size_t)t * K + i];
        if (which) x = -x;
        if (pp_pann_acc_stream_push(&out[which], x, ps[t])) {
          free(psum);
          return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory building accumulator streams");
        }
        ps[t] = pp_pann_wrap(ps[t] + x, acc_bits);
      }
    }
  free(psum);
  return PP_OK;
}

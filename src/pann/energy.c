/* pann/energy: the bit-flip feature counts of one image's integer layer
 * product (the inner loop of every energy pass of the planner). Features are
 * integers, so they are summed exactly in int64 and turned into fJ once per
 * layer: the sum is then independent of the order (and thread count) in
 * which images are counted. The fast kernel carries each accumulator's last
 * sum and carry vector from step to step, uses hardware popcount where the
 * CPU has it (chosen at run time; the generic build stays portable) and
 * skips the identical steps of a repeated zero addend; the naive reference
 * beside it calls the per-step feature functions of model.c. */
#include <stdlib.h>
#include <string.h>

#include "pann_internal.h"

/* two's-complement wrap to `bits` (2..63) without branches */
static inline int64_t wrapm(int64_t v, uint64_t mask, uint64_t sign) {
  return (int64_t)((((uint64_t)v & mask) ^ sign) - sign);
}

typedef struct accst { /* one accumulator: the adder's last inputs and outputs */
  int64_t sx, p, y;
  uint64_t c;
  int64_t acc;
} accst;

#define PC(v) ((int64_t)__builtin_popcountll(v))

/* One addition of x into accumulator s (the features of its transition from
 * the addition before it, as pp_pann_acc_features computes them). */
static inline __attribute__((always_inline)) void acc_step(accst *s, int64_t x, uint64_t imask, uint64_t isign,
                                                           uint64_t amask, uint64_t asign, int64_t *F) {
  int64_t sx1 = wrapm(x, imask, isign), p1 = s->acc;
  int64_t y1 = wrapm(p1 + sx1, amask, asign);
  uint64_t c1 = ((uint64_t)y1 ^ (uint64_t)sx1 ^ (uint64_t)p1) & amask;
  uint64_t dx = ((uint64_t)s->sx ^ (uint64_t)sx1) & amask, dp = ((uint64_t)s->p ^ (uint64_t)p1) & amask;
  F[0] += 1;
  F[1] += PC(dx);
  F[2] += PC(dp);
  F[3] += PC(((uint64_t)s->y ^ (uint64_t)y1) & amask);
  F[4] += PC(s->c ^ c1);
  F[5] += PC(dx | dp);
  s->sx = sx1, s->p = p1, s->y = y1, s->c = c1;
  s->acc = wrapm(p1 + x, amask, asign);
}

static inline __attribute__((always_inline)) void counts_body(const pann_layer_job *j, pann_counts *o) {
  uint64_t imask = pp_pann_mask(j->in_bits), isign = 1ull << (j->in_bits - 1);
  uint64_t amask = pp_pann_mask(j->acc_bits), asign = 1ull << (j->acc_bits - 1);
  uint64_t wmask = pp_pann_mask(j->w_bits), amk = pp_pann_mask(j->a_bits), pmask = pp_pann_mask(j->w_bits + j->a_bits);
  accst st[2];
  memset(st, 0, sizeof st);
  uint64_t uw0 = 0, ua0 = 0, up0 = 0; /* the multiplier's last operands and product */
  int64_t *FA = o->acc, *FM = o->mult;
  for (int col = 0; col < j->N; col++)
    for (int m = 0; m < j->M; m++) {
      const int32_t *qr = j->q + (size_t)m * j->K;
      st[0].acc = st[1].acc = 0;
      for (int k = 0; k < j->K; k++) {
        int64_t w = qr[k], a = (int64_t)j->x[(size_t)k * j->ld + col];
        int which = j->split && w < 0;
        int64_t wm = j->split ? (w < 0 ? -w : w) : w;
        if (j->pann) {
          if (wm == 0) continue;
          acc_step(&st[which], a, imask, isign, amask, asign, FA);
          if (a == 0) { /* the repeats see the same inputs again: no bit moves */
            FA[0] += wm - 1;
            continue;
          }
          for (int64_t r = 1; r < wm; r++) acc_step(&st[which], a, imask, isign, amask, asign, FA);
        } else {
          uint64_t uw1 = (uint64_t)wm & wmask, ua1 = (uint64_t)a & amk, up1 = (uint64_t)(wm * a) & pmask;
          int64_t fw = PC(uw0 ^ uw1), fa = PC(ua0 ^ ua1);
          /* partial-product rows: row i is a when bit i of w is set */
          int64_t fpp = PC(uw0 & uw1) * PC(ua0 ^ ua1) + PC(uw0 & ~uw1) * PC(ua0) + PC(~uw0 & uw1) * PC(ua1);
          FM[0] += 1;
          FM[1] += fw;
          FM[2] += fa;
          FM[3] += fw * fa;
          FM[4] += fpp;
          FM[5] += PC(up0 ^ up1);
          uw0 = uw1, ua0 = ua1, up0 = up1;
          if (j->split && w == 0) continue;
          acc_step(&st[which], wm * a, imask, isign, amask, asign, FA);
        }
      }
    }
  o->macs += (int64_t)j->N * j->M * j->K;
}

static void counts_generic(const pann_layer_job *j, pann_counts *o) { counts_body(j, o); }

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PP_HAVE_POPCNT_CLONE 1
__attribute__((target("popcnt"))) static void counts_popcnt(const pann_layer_job *j, pann_counts *o) {
  counts_body(j, o);
}
#endif

int pann_force_generic; /* tests: compare the two builds of the kernel */

void pann_layer_counts(const pann_layer_job *j, pann_counts *o) {
#ifdef PP_HAVE_POPCNT_CLONE
  if (!pann_force_generic && __builtin_cpu_supports("popcnt")) {
    counts_popcnt(j, o);
    return;
  }
#endif
  counts_generic(j, o);
}

void pann_layer_counts_naive(const pann_layer_job *j, pann_counts *o) {
  int64_t pw0 = 0, pa0 = 0, px[2] = {0, 0}, pp[2] = {0, 0};
  double f[PP_PANN_ACC_NF > PP_PANN_MULT_NF ? PP_PANN_ACC_NF : PP_PANN_MULT_NF];
  for (int col = 0; col < j->N; col++)
    for (int m = 0; m < j->M; m++) {
      const int32_t *qr = j->q + (size_t)m * j->K;
      int64_t acc[2] = {0, 0};
      for (int k = 0; k < j->K; k++) {
        int64_t w = qr[k], a = (int64_t)j->x[(size_t)k * j->ld + col];
        o->macs += 1;
        int which = j->split && w < 0;
        int64_t wm = j->split ? (w < 0 ? -w : w) : w;
        int64_t x = j->pann ? a : wm * a, reps = j->pann ? wm : 1;
        if (!j->pann) {
          pp_pann_mult_features(j->w_bits, j->a_bits, pw0, pa0, wm, a, f);
          for (int i = 0; i < PP_PANN_MULT_NF; i++) o->mult[i] += (int64_t)f[i];
          pw0 = wm, pa0 = a;
          if (j->split && w == 0) continue;
        }
        for (int64_t r = 0; r < reps; r++) {
          pp_pann_acc_features(j->in_bits, j->acc_bits, px[which], pp[which], x, acc[which], f);
          for (int i = 0; i < PP_PANN_ACC_NF; i++) o->acc[i] += (int64_t)f[i];
          px[which] = x, pp[which] = acc[which];
          acc[which] = pp_pann_wrap(acc[which] + x, j->acc_bits);
        }
      }
    }
}

void pann_counts_add(pann_counts *to, const pann_counts *c) {
  for (int i = 0; i < 6; i++) to->mult[i] += c->mult[i], to->acc[i] += c->acc[i];
  to->macs += c->macs;
}

double pann_counts_fj(const double *coef, const int64_t *F, int nf) {
  double s = 0;
  for (int i = 0; i < nf; i++) s += coef[i] * (double)F[i];
  return s;
}

/* sim/bitpar: bit-parallel engines, 64 vectors per uint64_t. Zero-delay
 * evaluation and toggle counting over the levelized graph, and the
 * time-stepped engine: the delay model of sim.h simulated one tick at a time
 * for 64 transitions at once, each net keeping a ring of its last ring_h
 * values, each gate evaluated only inside the window of ticks where it can
 * change (from earliest/latest arrivals of the switching inputs); the
 * engine itself is in ts_body.h, instantiated for 64 and 256 lanes. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* Portable popcount (the default target has no POPCNT instruction, and the
 * libgcc call is slower than this). */
static inline long popc(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (long)((x * 0x0101010101010101ull) >> 56);
}

static inline uint64_t run_prog(const sim_prog *p, uint64_t *r) { return sim_prog_run(p, r); }

void pp_sim_bp_eval(const pp_sim_model *m, const uint64_t *in_words, uint64_t *v) {
  for (int n = 0; n < m->n_nets; n++) v[n] = m->net_const[n] > 0 ? ~(uint64_t)0 : 0;
  for (int b = 0; b < m->n_in_bits; b++) v[m->in_net[b]] = in_words[b];
  uint64_t r[6 + 80];
  for (int d = 0; d < m->n_nodes; d++) {
    int p0 = m->node_pin0[d], k = m->node_nin[d];
    for (int i = 0; i < k; i++) r[i] = v[m->pin_net[p0 + i]];
    v[m->node_net[d]] = run_prog(&m->progs[m->node_prog[d]], r);
  }
}

long pp_sim_bp_toggles(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, long *net_toggles) {
  const pp_sim_model *m = w->m;
  pp_sim_bp_eval(m, old_words, w->wa);
  pp_sim_bp_eval(m, new_words, w->wb);
  long t = 0;
  for (int n = 0; n < m->n_nets; n++) {
    long c = popc(w->wa[n] ^ w->wb[n]);
    t += c;
    if (net_toggles) net_toggles[n] += c;
  }
  return t;
}

/* The time-stepped engine, 64 lanes (uint64_t) and 256 lanes (GCC vector),
 * the latter also as an AVX2+POPCNT clone chosen at run time (integer logic
 * only: the same results; no FMA, so the energy sums round the same). */
#define TS_ATTR
#define TS_LINK
#define TS_POPC popc
#define TS_VT uint64_t
#define TS_NW 1
#define TS_ONES (~(uint64_t)0)
#define TS_WORD(c, j) ((void)(j), (c))
#define TS_FN pp_sim_ts_run
#define TS_EVAL ts_eval64
#define TS_PROG ts_prog64
#define TS_ANY ts_any64
#define TS_LANES ts_lanes64
#include "ts_body.h"
#undef TS_VT
#undef TS_NW
#undef TS_ONES
#undef TS_WORD
#undef TS_FN
#undef TS_EVAL
#undef TS_PROG
#undef TS_ANY
#undef TS_LANES

/* Static helpers pass vectors by value: no ABI is exposed, so GCC's note
 * about the AVX calling convention does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef uint64_t pp_v4 __attribute__((vector_size(32)));
#define TS_VT pp_v4
#define TS_NW 4
#define TS_ONES (~(pp_v4){0, 0, 0, 0})
#define TS_WORD(c, j) ((c)[j])
#define TS_FN ts_run256_generic
#define TS_EVAL ts_eval256
#define TS_PROG ts_prog256
#define TS_ANY ts_any256
#define TS_LANES ts_lanes256
#undef TS_LINK
#define TS_LINK static
#include "ts_body.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define PP_TS_AVX2 1
#undef TS_FN
#undef TS_EVAL
#undef TS_PROG
#undef TS_ANY
#undef TS_LANES
#undef TS_ATTR
#undef TS_POPC
#define TS_FN ts_run256_avx2
#define TS_EVAL ts_eval256_avx2
#define TS_PROG ts_prog256_avx2
#define TS_ANY ts_any256_avx2
#define TS_LANES ts_lanes256_avx2
#define TS_ATTR __attribute__((target("avx2,popcnt")))
#define TS_POPC __builtin_popcountll
#include "ts_body.h"
#endif

int pp_sim_ts_run256(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, unsigned flags,
                     pp_sim_ts_result *r) {
#ifdef PP_TS_AVX2
  if (!getenv("PP_SIM_GENERIC") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
    return ts_run256_avx2(w, old_words, new_words, flags, r);
#endif
  return ts_run256_generic(w, old_words, new_words, flags, r);
}

int pp_sim_ts_exact(const pp_sim_model *m) { return !m->o.inertial; }

void pp_sim_wide_set_port(const pp_sim_model *m, uint64_t *words, int port, int lane, int64_t value) {
  int w = m->nl->inputs[port].width, off = m->in_port_off[port];
  uint64_t bit = (uint64_t)1 << (lane & 63);
  int j = lane >> 6;
  for (int i = 0; i < w; i++) {
    int v = i < 64 ? (int)(((uint64_t)value >> i) & 1) : (value < 0);
    uint64_t *x = &words[(size_t)(off + i) * 4 + j];
    if (v) *x |= bit;
    else *x &= ~bit;
  }
}

/* sim/bitpar: bit-parallel engines, 64 vectors per uint64_t. Zero-delay
 * evaluation and toggle counting over the levelized graph, and the
 * time-stepped engine: the delay model of sim.h simulated one tick at a time
 * for 64 transitions at once, each net keeping a ring of its last ring_h
 * values, each gate evaluated only inside the window of ticks where it can
 * change (from earliest/latest arrivals of the switching inputs). */
#include <string.h>

#include "sim_internal.h"

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
    long c = __builtin_popcountll(w->wa[n] ^ w->wb[n]);
    t += c;
    if (net_toggles) net_toggles[n] += c;
  }
  return t;
}

int pp_sim_ts_run(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, unsigned flags,
                  pp_sim_ts_result *r) {
  const pp_sim_model *m = w->m;
  const int H = w->ring_h;
  const unsigned mask = (unsigned)H - 1;
  uint64_t *ring = w->ring;
  int32_t *lo1 = w->lo1, *hi = w->hi;
  /* settled old values; inputs switch at tick 0 */
  pp_sim_bp_eval(m, old_words, w->wa);
  const int NEVER = -1;
  for (int n = 0; n < m->n_nets; n++) {
    lo1[n] = 0;
    hi[n] = 0;
    ring[(size_t)n * H] = w->wa[n]; /* slot 0 */
  }
  long tog = 0;
  if (flags & PP_SIM_NET_DETAIL) memset(w->ts_ntog, 0, (size_t)m->n_nets * sizeof *w->ts_ntog);
  /* earliest/latest change per net: inputs at 0, others from their pins */
  int32_t *ear = w->nlo, *lat = w->nhi; /* reuse node arrays for the net pass below */
  (void)ear, (void)lat;
  static const int32_t BIG = 0x3fffffff;
  for (int b = 0; b < m->n_in_bits; b++) {
    int n = m->in_net[b];
    uint64_t c = w->wa[n] ^ new_words[b];
    /* slot -1 keeps the old value, slot 0 the new one */
    ring[(size_t)n * H + mask] = w->wa[n];
    ring[(size_t)n * H] = new_words[b];
    lo1[n] = -1;
    hi[n] = 0;
    if (c) {
      long k = __builtin_popcountll(c);
      tog += k;
      if (flags & PP_SIM_NET_DETAIL) w->ts_ntog[n] += k;
    }
  }
  /* windows: a node can change only in [lo, hi]; lo = min over switching
   * pins of (earliest + min delay), hi = max of (latest + max delay) */
  int n_act = 0, tend = 0;
  {
    /* per-net earliest change, BIG when it never changes; latest in hi[] */
    int32_t *ea = w->lo1; /* lo1 doubles as "earliest" during this pass */
    for (int n = 0; n < m->n_nets; n++) ea[n] = BIG;
    for (int b = 0; b < m->n_in_bits; b++) {
      int n = m->in_net[b];
      if (w->wa[n] != new_words[b]) ea[n] = 0, hi[n] = 0;
    }
    for (int d = 0; d < m->n_nodes; d++) {
      int lo = BIG, h = NEVER;
      for (int p = m->node_pin0[d]; p < m->node_pin0[d + 1]; p++) {
        int x = m->pin_net[p];
        if (ea[x] >= BIG) continue;
        int dmin = m->pin_dr[p] < m->pin_df[p] ? m->pin_dr[p] : m->pin_df[p];
        int dmax = m->pin_dr[p] ^ m->pin_df[p] ^ dmin;
        if (ea[x] + dmin < lo) lo = ea[x] + dmin;
        if (hi[x] + dmax > h) h = hi[x] + dmax;
      }
      int n = m->node_net[d];
      if (h >= 0) {
        ea[n] = lo;
        hi[n] = h;
        w->nlo[d] = lo;
        w->nhi[d] = h;
        w->active[n_act++] = d;
        if (h > tend) tend = h;
      }
    }
    /* convert: lo1 = tick before the first possible change; inputs -1 */
    for (int n = 0; n < m->n_nets; n++) {
      if (m->net_node[n] < 0) { /* inputs: slot -1 old, slot 0 new; constants: slot 0 */
        lo1[n] = m->net_in_bit[n] >= 0 ? -1 : 0;
        hi[n] = 0;
        continue;
      }
      if (ea[n] >= BIG) {
        lo1[n] = 0;
        hi[n] = 0;
      } else
        lo1[n] = ea[n] - 1;
      ring[(size_t)n * H + ((unsigned)lo1[n] & mask)] = w->wa[n];
    }
  }
  int nob = m->n_out_bits;
  memset(w->ts_settle, 0, (size_t)nob * 64 * sizeof *w->ts_settle);
  uint64_t rg[6 + 80];
  for (int t = 1; t <= tend; t++) {
    for (int a = 0; a < n_act; a++) {
      int d = w->active[a];
      if (t < w->nlo[d] || t > w->nhi[d]) continue;
      int p0 = m->node_pin0[d], k = m->node_nin[d];
      for (int i = 0; i < k; i++) {
        int p = p0 + i, x = m->pin_net[p], dr = m->pin_dr[p], df = m->pin_df[p];
        const uint64_t *rx = ring + (size_t)x * H;
        int l = lo1[x], h = hi[x];
        if (dr == df) {
          int tau = t - dr;
          tau = tau < l ? l : tau > h ? h : tau;
          rg[i] = rx[(unsigned)tau & mask];
        } else if (dr > df) { /* AND over [t-dr, t-df] */
          uint64_t v = ~(uint64_t)0;
          for (int j = df; j <= dr; j++) {
            int tau = t - j;
            tau = tau < l ? l : tau > h ? h : tau;
            v &= rx[(unsigned)tau & mask];
          }
          rg[i] = v;
        } else { /* OR over [t-df, t-dr] */
          uint64_t v = 0;
          for (int j = dr; j <= df; j++) {
            int tau = t - j;
            tau = tau < l ? l : tau > h ? h : tau;
            v |= rx[(unsigned)tau & mask];
          }
          rg[i] = v;
        }
      }
      uint64_t o = run_prog(&m->progs[m->node_prog[d]], rg);
      int n = m->node_net[d];
      uint64_t *rn = ring + (size_t)n * H;
      uint64_t c = o ^ rn[(unsigned)(t - 1) & mask];
      rn[(unsigned)t & mask] = o;
      if (c) {
        long kk = __builtin_popcountll(c);
        tog += kk;
        if (flags & PP_SIM_NET_DETAIL) w->ts_ntog[n] += kk;
        int ob = m->net_out_bit[n];
        if (ob >= 0) {
          int32_t *s = w->ts_settle + (size_t)ob * 64;
          while (c) {
            s[__builtin_ctzll(c)] = t;
            c &= c - 1;
          }
        }
      }
    }
  }
  /* output bits sharing a net copy its settle times; maxima per lane */
  for (int ob = 0; ob < nob; ob++) {
    int first = m->net_out_bit[m->out_net[ob]];
    if (first != ob) memcpy(w->ts_settle + (size_t)ob * 64, w->ts_settle + (size_t)first * 64, 64 * sizeof(int32_t));
  }
  for (int l = 0; l < 64; l++) w->ts_max[l] = 0;
  for (int ob = 0; ob < nob; ob++)
    for (int l = 0; l < 64; l++)
      if (w->ts_settle[ob * 64 + l] > w->ts_max[l]) w->ts_max[l] = w->ts_settle[ob * 64 + l];
  r->settle_ticks = w->ts_settle;
  r->max_settle_ticks = w->ts_max;
  r->toggles = tog;
  r->net_toggles = (flags & PP_SIM_NET_DETAIL) ? w->ts_ntog : NULL;
  return PP_OK;
}

/* sim/ts_body: the time-stepped bit-parallel engine, written once for any
 * lane word (included by bitpar.c with TS_VT = uint64_t for 64 lanes and a
 * 4 x 64-bit GCC vector for 256 lanes). Parameters:
 *   TS_VT  lane word type       TS_NW  64-bit words per lane word
 *   TS_FN  engine name          TS_EVAL zero-delay evaluator name
 *   TS_PROG program runner name
 *   TS_ATTR function attributes (a target clone), TS_LINK its linkage,
 *   TS_POPC the popcount to use
 * A net keeps a ring of its last ring_h values; a node is evaluated only in
 * the window of ticks where it can change (from the earliest and latest
 * arrival of the inputs that switch in some lane); reads outside a net's own
 * window are clamped to it (before: the old value, after: the last one). */

TS_ATTR static inline TS_VT TS_PROG(const sim_prog *p, TS_VT *r) {
  const TS_VT ones = TS_ONES;
  for (int i = 0; i < p->n_ops; i++) {
    const sim_op *o = &p->ops[i];
    TS_VT v;
    SIM_OP_STEP(v, o, r, ones ^ ones, ones);
    r[p->k + i] = v;
  }
  return r[p->result];
}

TS_ATTR static void TS_EVAL(const pp_sim_model *m, const uint64_t *in_words, TS_VT *v) {
  const TS_VT ones = TS_ONES, zero = ones ^ ones;
  for (int n = 0; n < m->n_nets; n++) v[n] = m->net_const[n] > 0 ? ones : zero;
  for (int b = 0; b < m->n_in_bits; b++) memcpy(&v[m->in_net[b]], in_words + (size_t)b * TS_NW, sizeof(TS_VT));
  TS_VT r[6 + 80];
  for (int d = 0; d < m->n_nodes; d++) {
    int p0 = m->node_pin0[d], k = m->node_nin[d];
    for (int i = 0; i < k; i++) r[i] = v[m->pin_net[p0 + i]];
    v[m->node_net[d]] = TS_PROG(&m->progs[m->node_prog[d]], r);
  }
}

/* acc[lane] += v for every lane set in c */
TS_ATTR static inline void TS_LANES(TS_VT c, double *acc, double v) {
  for (int j = 0; j < TS_NW; j++) {
    uint64_t cj = TS_WORD(c, j);
    while (cj) {
      acc[j * 64 + __builtin_ctzll(cj)] += v;
      cj &= cj - 1;
    }
  }
}

TS_ATTR static inline int TS_ANY(TS_VT c) {
  uint64_t a = 0;
  for (int j = 0; j < TS_NW; j++) a |= TS_WORD(c, j);
  return a != 0;
}

TS_ATTR TS_LINK int TS_FN(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, unsigned flags, pp_sim_ts_result *r) {
  const pp_sim_model *m = w->m;
  const int H = w->ring_h, NL = 64 * TS_NW;
  const unsigned mask = (unsigned)H - 1;
  TS_VT *ring = (TS_VT *)w->ring;
  TS_VT *wa = (TS_VT *)w->wa;
  int32_t *lo1 = w->lo1, *hi = w->hi;
  const int NEVER = -1;
  static const int32_t BIG = 0x3fffffff;
  /* settled old values; inputs switch at tick 0 */
  TS_EVAL(m, old_words, wa);
  long tog = 0;
  const int lane_en = (flags & PP_SIM_LANE_ENERGY) != 0, energy = lane_en || (flags & PP_SIM_ENERGY);
  const int ntog = energy || (flags & PP_SIM_NET_DETAIL);
  if (ntog) memset(w->ts_ntog, 0, (size_t)m->n_nets * sizeof *w->ts_ntog);
  if (energy) memset(w->ts_pin_rf, 0, (size_t)m->n_pins * 2 * sizeof *w->ts_pin_rf);
  if (lane_en) {
    memset(w->ts_lane_sw, 0, (size_t)NL * sizeof *w->ts_lane_sw);
    memset(w->ts_lane_in, 0, (size_t)NL * sizeof *w->ts_lane_in);
  }
  TS_VT *pprev = (TS_VT *)w->ts_pinprev; /* delayed pin values at the previous tick */
  /* earliest change per net (BIG: never), latest in hi[] */
  int32_t *ea = lo1; /* lo1 doubles as "earliest" during this pass */
  for (int n = 0; n < m->n_nets; n++) {
    ea[n] = BIG;
    hi[n] = 0;
    ring[(size_t)n * H] = wa[n]; /* slot 0 */
  }
  for (int b = 0; b < m->n_in_bits; b++) {
    int n = m->in_net[b];
    TS_VT nv;
    memcpy(&nv, new_words + (size_t)b * TS_NW, sizeof nv);
    TS_VT c = wa[n] ^ nv;
    /* slot -1 keeps the old value, slot 0 the new one */
    ring[(size_t)n * H + mask] = wa[n];
    ring[(size_t)n * H] = nv;
    if (TS_ANY(c)) {
      ea[n] = 0;
      long k = 0;
      for (int j = 0; j < TS_NW; j++) k += TS_POPC(TS_WORD(c, j));
      tog += k;
      if (ntog) w->ts_ntog[n] += k;
      if (lane_en) TS_LANES(c, w->ts_lane_sw, m->net_ecap[n]);
    }
  }
  /* windows: a node can change only in [lo, hi]: lo = min over switching
   * pins of (earliest + min delay), hi = max of (latest + max delay) */
  int n_act = 0, tend = 0;
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
      if (energy) /* before the window every delayed pin holds its old value */
        for (int p = m->node_pin0[d]; p < m->node_pin0[d + 1]; p++) pprev[p] = wa[m->pin_net[p]];
    }
  }
  /* lo1 = the tick before a net's first possible change (slot holds old) */
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
    ring[(size_t)n * H + ((unsigned)lo1[n] & mask)] = wa[n];
  }
  int nob = m->n_out_bits;
  memset(w->ts_settle, 0, (size_t)nob * NL * sizeof *w->ts_settle);
  TS_VT rg[6 + 80];
  const TS_VT ones = TS_ONES, zero = ones ^ ones;
  for (int t = 1; t <= tend; t++) {
    for (int a = 0; a < n_act; a++) {
      int d = w->active[a];
      if (t < w->nlo[d] || t > w->nhi[d]) continue;
      int p0 = m->node_pin0[d], k = m->node_nin[d];
      for (int i = 0; i < k; i++) {
        int p = p0 + i, x = m->pin_net[p], dr = m->pin_dr[p], df = m->pin_df[p];
        const TS_VT *rx = ring + (size_t)x * H;
        int l = lo1[x], h = hi[x];
        if (dr == df) {
          int tau = t - dr;
          tau = tau < l ? l : tau > h ? h : tau;
          rg[i] = rx[(unsigned)tau & mask];
        } else if (dr > df) { /* AND over [t-dr, t-df] */
          TS_VT v = ones;
          for (int j = df; j <= dr; j++) {
            int tau = t - j;
            tau = tau < l ? l : tau > h ? h : tau;
            v &= rx[(unsigned)tau & mask];
          }
          rg[i] = v;
        } else { /* OR over [t-df, t-dr] */
          TS_VT v = zero;
          for (int j = dr; j <= df; j++) {
            int tau = t - j;
            tau = tau < l ? l : tau > h ? h : tau;
            v |= rx[(unsigned)tau & mask];
          }
          rg[i] = v;
        }
      }
      TS_VT o = TS_PROG(&m->progs[m->node_prog[d]], rg);
      int n = m->node_net[d];
      TS_VT *rn = ring + (size_t)n * H;
      TS_VT c = o ^ rn[(unsigned)(t - 1) & mask];
      rn[(unsigned)t & mask] = o;
      if (TS_ANY(c)) {
        long kk = 0;
        for (int j = 0; j < TS_NW; j++) kk += TS_POPC(TS_WORD(c, j));
        tog += kk;
        if (ntog) w->ts_ntog[n] += kk;
        if (energy) {
          /* internal energy: each changing lane is charged to the lowest
           * delayed pin that changed at t (pin 0 when none, as event.c) */
          TS_VT left = c;
          for (int i = 0; i < k && TS_ANY(left); i++) {
            TS_VT sel = left & (rg[i] ^ pprev[p0 + i]);
            left &= ~sel;
            TS_VT rise = sel & o, fall = sel & ~o;
            long nr = 0, nf = 0;
            for (int j = 0; j < TS_NW; j++) nr += TS_POPC(TS_WORD(rise, j)), nf += TS_POPC(TS_WORD(fall, j));
            w->ts_pin_rf[(size_t)2 * (p0 + i)] += nr;
            w->ts_pin_rf[2 * (p0 + i) + 1] += nf;
            if (lane_en) {
              TS_LANES(rise, w->ts_lane_in, m->pin_er[p0 + i]);
              TS_LANES(fall, w->ts_lane_in, m->pin_ef[p0 + i]);
            }
          }
          if (TS_ANY(left)) { /* no pin changed: cannot happen for a function of the pins */
            TS_VT rise = left & o, fall = left & ~o;
            long nr = 0, nf = 0;
            for (int j = 0; j < TS_NW; j++) nr += TS_POPC(TS_WORD(rise, j)), nf += TS_POPC(TS_WORD(fall, j));
            w->ts_pin_rf[(size_t)2 * p0] += nr;
            w->ts_pin_rf[2 * p0 + 1] += nf;
            if (lane_en) {
              TS_LANES(rise, w->ts_lane_in, m->pin_er[p0]);
              TS_LANES(fall, w->ts_lane_in, m->pin_ef[p0]);
            }
          }
          if (lane_en) TS_LANES(c, w->ts_lane_sw, m->net_ecap[n]);
        }
        int ob = m->net_out_bit[n];
        if (ob >= 0) {
          int32_t *s = w->ts_settle + (size_t)ob * NL;
          for (int j = 0; j < TS_NW; j++) {
            uint64_t cj = TS_WORD(c, j);
            while (cj) {
              s[j * 64 + __builtin_ctzll(cj)] = t;
              cj &= cj - 1;
            }
          }
        }
      }
      if (energy)
        for (int i = 0; i < k; i++) pprev[p0 + i] = rg[i];
    }
  }
  /* output bits sharing a net copy its settle times; maxima per lane */
  for (int ob = 0; ob < nob; ob++) {
    int first = m->net_out_bit[m->out_net[ob]];
    if (first != ob)
      memcpy(w->ts_settle + (size_t)ob * NL, w->ts_settle + (size_t)first * NL, (size_t)NL * sizeof(int32_t));
  }
  for (int l = 0; l < NL; l++) w->ts_max[l] = 0;
  for (int ob = 0; ob < nob; ob++)
    for (int l = 0; l < NL; l++)
      if (w->ts_settle[(size_t)ob * NL + l] > w->ts_max[l]) w->ts_max[l] = w->ts_settle[(size_t)ob * NL + l];
  r->settle_ticks = w->ts_settle;
  r->max_settle_ticks = w->ts_max;
  r->toggles = tog;
  r->net_toggles = (flags & PP_SIM_NET_DETAIL) ? w->ts_ntog : NULL;
  r->switching_fj = r->internal_fj = r->energy_fj = 0;
  r->lane_switching_fj = r->lane_internal_fj = NULL;
  r->pin_rise_fall = NULL;
  if (energy) { /* from the integer counts: the sum does not depend on the lane order */
    double sw = 0, in = 0;
    for (int n = 0; n < m->n_nets; n++) sw += m->net_ecap[n] * (double)w->ts_ntog[n];
    for (int p = 0; p < m->n_pins; p++)
      in += m->pin_er[p] * (double)w->ts_pin_rf[(size_t)2 * p] + m->pin_ef[p] * (double)w->ts_pin_rf[2 * p + 1];
    r->switching_fj = sw;
    r->internal_fj = in;
    r->energy_fj = sw + in;
    r->pin_rise_fall = w->ts_pin_rf;
  }
  if (lane_en) {
    r->lane_switching_fj = w->ts_lane_sw;
    r->lane_internal_fj = w->ts_lane_in;
  }
  return PP_OK;
}

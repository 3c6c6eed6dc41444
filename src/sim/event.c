/* sim/event: the timed event-driven engine (and the per-thread workspace).
 * Exact for the delay model of sim.h: a gate is re-evaluated at every tick
 * where one of its delayed pins may change (a rising input edge plus d_r, a
 * falling one plus d_f);
 * each delayed pin is computed from its net's edge history over the window
 * [T - max(d_r,d_f), T - min(d_r,d_f)], which is the transport delay line
 * with VHDL cancellation. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "pp/util_mem.h"

void pp_sim_ws_free(pp_sim_ws *w) {
  if (!w) return;
  PP_FREE_ALL(w->val, w->v0, w->pinval, w->h_head, w->e_t, w->e_prev, w->e_v, w->tog, w->net_int, w->last,
              w->touched, w->b_head, w->occ, w->ev_node, w->ev_next, w->node_evt, w->node_gen, w->pend_t,
              w->pend_v, w->settle, w->net_last_ps, w->outv, w->trace, w->wa, w->wb, w->ring, w->lo1, w->hi,
              w->nlo, w->nhi, w->active, w->ch_node, w->ch_attr, w->ts_settle, w->ts_max, w->ts_ntog,
              w->ts_pinprev, w->ts_pin_rf, w->ts_lane_sw, w->ts_lane_in);
  free(w);
}

/* Zeroed, 64-byte aligned words for the vector engines. */
static uint64_t *walloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(uint64_t))) return NULL;
  memset(p, 0, (n ? n : 1) * sizeof(uint64_t));
  return p;
}

#define ALLOC(p, n) ((p) = pp_xcalloc((size_t)(n) > 0 ? (size_t)(n) : 1, sizeof *(p)), (p) != NULL)

int pp_sim_ws_new(const pp_sim_model *m, pp_sim_ws **out, pp_err *e) {
  *out = NULL;
  pp_sim_ws *w = pp_xcalloc(1, sizeof *w);
  if (!w) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  w->m = m;
  int nn = m->n_nets, nd = m->n_nodes, np = m->n_pins, hz = m->horizon;
  w->e_cap = 1024;
  w->ev_cap = 4096;
  w->ring_h = 4;
  while (w->ring_h < m->max_pin_delay + 2) w->ring_h *= 2;
  if (!ALLOC(w->val, nn) || !ALLOC(w->v0, nn) || !ALLOC(w->pinval, np) || !ALLOC(w->h_head, nn) ||
      !ALLOC(w->e_t, w->e_cap) || !ALLOC(w->e_prev, w->e_cap) || !ALLOC(w->e_v, w->e_cap) ||
      !ALLOC(w->tog, nn) || !ALLOC(w->net_int, nn) || !ALLOC(w->last, nn) || !ALLOC(w->touched, nn) || !ALLOC(w->b_head, hz + 1) ||
      !ALLOC(w->occ, (hz + 64) / 64 + 1) || !ALLOC(w->ev_node, w->ev_cap) || !ALLOC(w->ev_next, w->ev_cap) ||
      !ALLOC(w->node_evt, nd) || !ALLOC(w->node_gen, nd) || !ALLOC(w->pend_t, np) || !ALLOC(w->pend_v, np) ||
      !ALLOC(w->settle, m->n_out_bits) || !ALLOC(w->net_last_ps, nn) || !ALLOC(w->outv, m->n_out_bits) ||
      !(w->wa = walloc((size_t)nn * 4)) || !ALLOC(w->wb, nn) || !(w->ring = walloc((size_t)nn * w->ring_h * 4)) ||
      !ALLOC(w->lo1, nn) ||
      !ALLOC(w->hi, nn) || !ALLOC(w->nlo, nd) || !ALLOC(w->nhi, nd) || !ALLOC(w->active, nd) || !ALLOC(w->ch_node, nd) || !ALLOC(w->ch_attr, nd) ||
      !ALLOC(w->ts_settle, (size_t)m->n_out_bits * 256) || !ALLOC(w->ts_max, 256) || !ALLOC(w->ts_ntog, nn) ||
      !(w->ts_pinprev = walloc((size_t)np * 4)) || !ALLOC(w->ts_pin_rf, (size_t)np * 2) || !ALLOC(w->ts_lane_sw, 256) ||
      !ALLOC(w->ts_lane_in, 256)) {
    pp_sim_ws_free(w);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory allocating a simulation workspace");
  }
  for (int i = 0; i < nn; i++) w->h_head[i] = -1;
  for (int i = 0; i <= hz; i++) w->b_head[i] = -1;
  for (int i = 0; i < np; i++) w->pend_t[i] = -1;
  *out = w;
  return PP_OK;
}

/* ---- helpers ---- */

static int grow(void **p, int *cap, int need, size_t elt) {
  if (need <= *cap) return 0;
  int nc = *cap * 2;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, (size_t)nc * elt);
  if (!q) return -1;
  *p = q;
  return 0;
}

static int schedule(pp_sim_ws *w, int t, int node) {
  if (t >= w->m->horizon) return -1; /* cannot happen: the horizon bounds every path */
  if (w->ev_n >= w->ev_cap) {
    int cap = w->ev_cap;
    if (grow((void **)&w->ev_node, &cap, w->ev_n + 1, sizeof(int))) return -1;
    cap = w->ev_cap;
    if (grow((void **)&w->ev_next, &cap, w->ev_n + 1, sizeof(int))) return -1;
    w->ev_cap = cap;
  }
  int i = w->ev_n++;
  w->ev_node[i] = node;
  w->ev_next[i] = w->b_head[t];
  w->b_head[t] = i;
  w->occ[t >> 6] |= (uint64_t)1 << (t & 63);
  return 0;
}

/* Value of the delayed pin at T from the net's edge history. */
static inline int window(const pp_sim_ws *w, int net, int lo, int hi, int is_and) {
  for (int i = w->h_head[net]; i >= 0; i = w->e_prev[i]) {
    int t = w->e_t[i];
    if (t > hi) continue;
    if (t > lo) {
      if (w->e_v[i] == (is_and ? 0 : 1)) return !is_and;
      continue;
    }
    return w->e_v[i];
  }
  return w->v0[net];
}

/* Records a change of net n to v at tick t, charging energy and waking the
 * readers. attr_pin: the pin whose internal energy is charged (-1: none). */
static int net_change(pp_sim_ws *w, int n, int v, int t, int attr_pin, unsigned flags, double *sw, double *in) {
  const pp_sim_model *m = w->m;
  if (w->e_n >= w->e_cap) {
    int cap = w->e_cap;
    if (grow((void **)&w->e_t, &cap, w->e_n + 1, sizeof(int32_t))) return -1;
    cap = w->e_cap;
    if (grow((void **)&w->e_prev, &cap, w->e_n + 1, sizeof(int32_t))) return -1;
    cap = w->e_cap;
    if (grow((void **)&w->e_v, &cap, w->e_n + 1, 1)) return -1;
    w->e_cap = cap;
  }
  int i = w->e_n++;
  w->e_t[i] = t;
  w->e_v[i] = (uint8_t)v;
  w->e_prev[i] = w->h_head[n];
  if (w->h_head[n] < 0) w->touched[w->n_touched++] = n;
  w->h_head[n] = i;
  w->val[n] = (uint8_t)v;
  w->tog[n]++;
  w->last[n] = t;
  *sw += m->net_ecap[n];
  if (attr_pin >= 0) {
    double x = v ? m->pin_er[attr_pin] : m->pin_ef[attr_pin];
    *in += x;
    w->net_int[n] += x;
  }
  if (flags & PP_SIM_TRACE) {
    if (w->n_trace + 3 > w->trace_cap) {
      long nc = w->trace_cap ? w->trace_cap * 2 : 3072;
      int32_t *q = realloc(w->trace, (size_t)nc * sizeof *q);
      if (!q) return -1;
      w->trace = q;
      w->trace_cap = nc;
    }
    w->trace[w->n_trace++] = n;
    w->trace[w->n_trace++] = t;
    w->trace[w->n_trace++] = v;
  }
  for (int k = m->fo_start[n]; k < m->fo_start[n + 1]; k++) {
    int p = m->fo_pin[k], nd = m->pin_node[p];
    int dr = m->pin_dr[p], df = m->pin_df[p];
    if (m->o.inertial) {
      w->pend_t[p] = -1; /* an edge cancels the pending one */
      if (v != w->pinval[p]) {
        int d = v ? dr : df;
        w->pend_t[p] = t + d;
        w->pend_v[p] = (uint8_t)v;
        if (schedule(w, t + d, nd)) return -1;
      }
    } else if (schedule(w, t + (v ? dr : df), nd)) {
      /* a delayed pin rises only d_r after a rise and falls only d_f after
       * a fall of its net (the windows of sim.h), so one wake suffices */
      return -1;
    }
  }
  return 0;
}

int pp_sim_transition(pp_sim_ws *w, const uint8_t *old_bits, const uint8_t *new_bits, unsigned flags,
                      pp_sim_result *r) {
  const pp_sim_model *m = w->m;
  /* reset what the previous transition touched */
  for (int i = 0; i < w->n_touched; i++) {
    int n = w->touched[i];
    w->h_head[n] = -1;
    w->tog[n] = 0;
    w->net_int[n] = 0;
    w->last[n] = 0;
  }
  w->n_touched = 0;
  w->e_n = 0;
  w->ev_n = 0;
  w->n_trace = 0;
  if (++w->gen == 0) {
    memset(w->node_gen, 0, (size_t)m->n_nodes * sizeof *w->node_gen);
    w->gen = 1;
  }
  /* settled state at the old vector */
  uint8_t *val = w->val;
  for (int n = 0; n < m->n_nets; n++) val[n] = m->net_const[n] > 0;
  for (int b = 0; b < m->n_in_bits; b++) val[m->in_net[b]] = old_bits[b] & 1;
  for (int d = 0; d < m->n_nodes; d++) {
    int p0 = m->node_pin0[d], k = m->node_nin[d], idx = 0;
    for (int i = 0; i < k; i++) {
      int v = val[m->pin_net[p0 + i]];
      w->pinval[p0 + i] = (uint8_t)v;
      idx |= v << i;
    }
    val[m->node_net[d]] = (uint8_t)((m->node_truth[d] >> idx) & 1);
  }
  memcpy(w->v0, val, (size_t)m->n_nets);
  if (m->o.inertial)
    for (int p = 0; p < m->n_pins; p++) w->pend_t[p] = -1;

  double sw = 0, in = 0;
  for (int b = 0; b < m->n_in_bits; b++) {
    int n = m->in_net[b], v = new_bits[b] & 1;
    if (val[n] != v && net_change(w, n, v, 0, -1, flags, &sw, &in)) return PP_ENOMEM;
  }
  /* time wheel: buckets in increasing tick, skipping empty words of the bitmap */
  int hz = m->horizon, nwords = (hz + 63) / 64;
  for (int wi = 0; wi < nwords; wi++) {
    while (w->occ[wi]) {
      int t = wi * 64 + __builtin_ctzll(w->occ[wi]);
      w->occ[wi] &= w->occ[wi] - 1;
      int head = w->b_head[t];
      w->b_head[t] = -1;
      /* phase 1: evaluate each woken node once at t (edges landing at t,
       * histories up to t-1); phase 2: commit the changes. Edges made at t
       * therefore never cancel an inertial edge landing at t. */
      int nch = 0;
      for (int ev = head; ev >= 0; ev = w->ev_next[ev]) {
        int d = w->ev_node[ev];
        if (w->node_gen[d] == w->gen && w->node_evt[d] == t) continue;
        w->node_gen[d] = w->gen;
        w->node_evt[d] = t;
        int p0 = m->node_pin0[d], k = m->node_nin[d], idx = 0, attr = -1;
        for (int i = 0; i < k; i++) {
          int p = p0 + i, v;
          if (m->o.inertial) {
            if (w->pend_t[p] == t) {
              v = w->pend_v[p];
              w->pend_t[p] = -1;
            } else
              v = w->pinval[p];
          } else {
            int dr = m->pin_dr[p], df = m->pin_df[p];
            if (dr >= df) v = window(w, m->pin_net[p], t - dr, t - df, 1);
            else v = window(w, m->pin_net[p], t - df, t - dr, 0);
          }
          if (v != w->pinval[p]) {
            if (attr < 0) attr = p;
            w->pinval[p] = (uint8_t)v;
          }
          idx |= v << i;
        }
        int o = (int)((m->node_truth[d] >> idx) & 1), n = m->node_net[d];
        if (o != val[n]) {
          w->ch_node[nch] = d;
          w->ch_attr[nch++] = attr >= 0 ? attr : p0;
        }
      }
      for (int c = 0; c < nch; c++) {
        int n = m->node_net[w->ch_node[c]];
        if (net_change(w, n, !val[n], t, w->ch_attr[c], flags, &sw, &in)) return PP_ENOMEM;
      }
    }
  }
  /* results */
  long tog = 0, otog = 0;
  for (int i = 0; i < w->n_touched; i++) tog += w->tog[w->touched[i]];
  double mx = 0;
  for (int b = 0; b < m->n_out_bits; b++) {
    int n = m->out_net[b];
    w->settle[b] = w->h_head[n] >= 0 ? w->last[n] * m->tick : 0;
    w->outv[b] = val[n];
    otog += w->tog[n];
    if (w->settle[b] > mx) mx = w->settle[b];
  }
  r->switching_fj = sw;
  r->internal_fj = in;
  r->energy_fj = sw + in;
  r->toggles = tog;
  r->output_toggles = otog;
  r->max_settle_ps = mx;
  r->n_out_bits = m->n_out_bits;
  r->settle_ps = w->settle;
  r->out_values = w->outv;
  r->net_toggles = NULL;
  r->net_last_ps = NULL;
  r->net_internal_fj = NULL;
  if (flags & PP_SIM_NET_DETAIL) {
    for (int n = 0; n < m->n_nets; n++) w->net_last_ps[n] = w->h_head[n] >= 0 ? w->last[n] * m->tick : 0;
    r->net_toggles = w->tog;
    r->net_last_ps = w->net_last_ps;
    r->net_internal_fj = w->net_int;
  }
  r->trace = (flags & PP_SIM_TRACE) ? w->trace : NULL;
  r->n_trace = (flags & PP_SIM_TRACE) ? w->n_trace / 3 : 0;
  return PP_OK;
}

int64_t pp_sim_output_value(const pp_sim_ws *w, int out_port, int is_signed) {
  const pp_sim_model *m = w->m;
  const pp_port *p = &m->nl->outputs[out_port];
  uint64_t v = 0;
  for (int i = 0; i < p->width && i < 64; i++)
    if (w->val[p->bits[i]]) v |= (uint64_t)1 << i;
  if (is_signed && p->width < 64 && (v >> (p->width - 1)) & 1) v |= ~(uint64_t)0 << p->width;
  return (int64_t)v;
}

/* sim/sta: static timing with the simulation model's pin delays. Rise and
 * fall arrivals propagate separately; which pin edge can move an output edge
 * follows the cell function's unateness in that pin, so every dynamic change
 * the engines report is bounded by these arrivals (see sim.h). The shortest
 * paths use the model's per-edge-pair arcs at the fastest slews instead, as
 * a timer's min analysis does: a non-unate arc's min is not its worst
 * lookup. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define NEG_INF (-0x3fffffff)
#define POS_INF 0x3fffffff

/* Arrivals from the sources whose at_r/at_f were preset (NEG_INF elsewhere).
 * longest: max arrivals, else min (with POS_INF as "unreached").
 * bp (optional, longest only): per net and edge (2n + rise) the pin and the
 * pin's input edge that set it. */
static void propagate(const pp_sim_model *m, int32_t *ar, int32_t *af, int longest, int32_t *bp) {
  int32_t none = longest ? NEG_INF : POS_INF;
  for (int d = 0; d < m->n_nodes; d++) {
    int32_t orr = none, off = none;
    int br = -1, bf = -1;
    for (int p = m->node_pin0[d]; p < m->node_pin0[d + 1]; p++) {
      int x = m->pin_net[p], u = m->pin_unate[p];
      if (u == UNATE_NONE) continue;
      if (!longest) { /* per edge pair: pin_arc_min[2 * in_rise + out_rise] */
        const int32_t *d4 = &m->pin_arc_min[4 * (size_t)p];
        for (int q = 0; q < 4; q++) {
          int32_t a = (q >> 1) ? ar[x] : af[x];
          if (d4[q] < 0 || a == none) continue;
          int32_t v = a + d4[q];
          if (q & 1) {
            if (orr == none || v < orr) orr = v;
          } else if (off == none || v < off)
            off = v;
        }
        continue;
      }
      int32_t pr = ar[x] == none ? none : ar[x] + m->pin_dr[p]; /* pin rises */
      int32_t pf = af[x] == none ? none : af[x] + m->pin_df[p]; /* pin falls */
      /* candidates for the output rise: (value, pin edge) */
      int32_t cr[2] = {none, none}, cf[2] = {none, none};
      int er[2], ef[2], ncr = 0, ncf = 0;
      if (u == UNATE_POS || u == UNATE_BI) cr[ncr] = pr, er[ncr++] = 1, cf[ncf] = pf, ef[ncf++] = 0;
      if (u == UNATE_NEG || u == UNATE_BI) cr[ncr] = pf, er[ncr++] = 0, cf[ncf] = pr, ef[ncf++] = 1;
      for (int i = 0; i < ncr; i++) {
        if (cr[i] == none) continue;
        if (orr == none || (longest ? cr[i] > orr : cr[i] < orr)) orr = cr[i], br = 2 * p + er[i];
      }
      for (int i = 0; i < ncf; i++) {
        if (cf[i] == none) continue;
        if (off == none || (longest ? cf[i] > off : cf[i] < off)) off = cf[i], bf = 2 * p + ef[i];
      }
    }
    int n = m->node_net[d];
    ar[n] = orr;
    af[n] = off;
    if (bp) bp[(size_t)2 * n + 1] = br, bp[(size_t)2 * n] = bf;
  }
}

void pp_sta_free(pp_sta *s) {
  if (!s) return;
  free(s->max_ps);
  free(s->min_ps);
  free(s->path);
  free(s);
}

int pp_sta_run(const pp_sim_model *m, pp_sta **out, pp_err *e) {
  *out = NULL;
  int nn = m->n_nets, ni = m->n_in_bits, no = m->n_out_bits;
  pp_sta *s = pp_xcalloc(1, sizeof *s);
  int32_t *ar = pp_xcalloc((size_t)nn + 1, sizeof *ar), *af = pp_xcalloc((size_t)nn + 1, sizeof *af);
  int32_t *bp = pp_xcalloc(2 * (size_t)nn + 2, sizeof *bp);
  if (s) {
    s->max_ps = pp_xcalloc((size_t)ni * no + 1, sizeof(double));
    s->min_ps = pp_xcalloc((size_t)ni * no + 1, sizeof(double));
  }
  if (!s || !ar || !af || !bp || !s->max_ps || !s->min_ps) {
    free(ar), free(af), free(bp);
    pp_sta_free(s);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in STA");
  }
  s->n_in_bits = ni;
  s->n_out_bits = no;
  double tk = m->tick;
  for (int i = 0; i < ni; i++) {
    for (int pass = 0; pass < 2; pass++) {
      int longest = pass == 0;
      int32_t none = longest ? NEG_INF : POS_INF;
      for (int n = 0; n < nn; n++) ar[n] = af[n] = none;
      ar[m->in_net[i]] = af[m->in_net[i]] = 0;
      propagate(m, ar, af, longest, NULL);
      double *dst = longest ? s->max_ps : s->min_ps;
      for (int o = 0; o < no; o++) {
        int n = m->out_net[o];
        int32_t a = ar[n], b = af[n];
        int32_t v;
        if (a == none) v = b;
        else if (b == none) v = a;
        else v = longest ? (a > b ? a : b) : (a < b ? a : b);
        dst[(size_t)i * no + o] = v == none ? -1 : v * tk;
      }
    }
  }
  /* critical path: all inputs switch at 0 */
  for (int n = 0; n < nn; n++) ar[n] = af[n] = NEG_INF;
  for (int i = 0; i < ni; i++) ar[m->in_net[i]] = af[m->in_net[i]] = 0;
  for (int n = 0; n < 2 * nn; n++) bp[n] = -1;
  propagate(m, ar, af, 1, bp);
  int best_o = -1, best_edge = 0;
  int32_t best = NEG_INF;
  for (int o = 0; o < no; o++) {
    int n = m->out_net[o];
    if (ar[n] > best) best = ar[n], best_o = o, best_edge = 1;
    if (af[n] > best) best = af[n], best_o = o, best_edge = 0;
  }
  s->crit_in_bit = s->crit_out_bit = -1;
  if (best_o >= 0 && best > NEG_INF) {
    s->critical_ps = best * tk;
    s->crit_out_bit = best_o;
    /* walk back, then reverse */
    int cap = m->n_nodes + 2, k = 0;
    s->path = pp_xcalloc((size_t)cap, sizeof *s->path);
    if (!s->path) {
      free(ar), free(af), free(bp);
      pp_sta_free(s);
      return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in STA");
    }
    int n = m->out_net[best_o], edge = best_edge;
    while (k < cap) {
      pp_sta_stage *st = &s->path[k++];
      st->net = n;
      st->rise = edge;
      st->arrival_ps = (edge ? ar[n] : af[n]) * tk;
      int d = m->net_node[n];
      int b = d >= 0 ? bp[2 * n + edge] : -1;
      if (d < 0 || b < 0) {
        st->gate = -1;
        st->in_pos = st->out_pos = -1;
        s->crit_in_bit = m->net_in_bit[n];
        break;
      }
      int p = b / 2, pedge = b % 2;
      const pp_gate *g = &m->nl->gates[m->node_gate[d]];
      const pp_lib_cell *c = &m->lib->cells[g->cell];
      st->gate = m->node_gate[d];
      st->in_pos = m->pin_pos[p];
      st->out_pos = m->node_outpos[d];
      st->inst = g->name;
      st->cell = c->name;
      st->in_pin = c->pins[c->inputs[st->in_pos]].name;
      st->out_pin = c->pins[c->outputs[st->out_pos]].name;
      st->delay_ps = (pedge ? m->pin_dr[p] : m->pin_df[p]) * tk;
      n = m->pin_net[p];
      edge = pedge;
    }
    for (int i = 0; i < k / 2; i++) {
      pp_sta_stage t = s->path[i];
      s->path[i] = s->path[k - 1 - i];
      s->path[k - 1 - i] = t;
    }
    s->n_path = k;
  }
  free(ar), free(af), free(bp);
  *out = s;
  return PP_OK;
}

double pp_sta_port_max(const pp_sim_model *m, const pp_sta *s, int port, double *per_bit) {
  double mx = -1;
  const pp_port *p = &m->nl->inputs[port];
  for (int b = 0; b < p->width; b++) {
    int i = m->in_port_off[port] + b;
    double v = -1;
    for (int o = 0; o < s->n_out_bits; o++)
      if (s->max_ps[(size_t)i * s->n_out_bits + o] > v) v = s->max_ps[(size_t)i * s->n_out_bits + o];
    if (per_bit) per_bit[b] = v;
    if (v > mx) mx = v;
  }
  return mx;
}

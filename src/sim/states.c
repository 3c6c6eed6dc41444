/* sim/states: leakage and internal energy priced by the input states of each
 * gate. Liberty gives leakage_power and internal_power per input state of a
 * cell (`when`); a gate's leakage is then its mean over the states the gate
 * settles in, and an arc's energy its mean over the states in which that
 * input decides the output; either every state equally likely (the model as
 * built) or weighted by the states a stimulus actually gives
 * (pp_sim_model_use_states). A gate whose cell has no `when` group gets the
 * state-independent figures exactly. Averaging keeps one energy per arc, so
 * every engine (event, 64- and 256-lane) charges the same. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "pp/util_mem.h"

static int cell_has_when_leak(const pp_lib_cell *c) { return c->n_leaks > 0; }

static int pin_has_when_power(const pp_lib_pin *p) {
  for (int q = 0; q < p->n_powers; q++)
    if (p->powers[q].has_when) return 1;
  return 0;
}

/* Weights of gate g's states among those `allow` holds (bit s): the counts
 * (cnt + off[g]) there over their sum, or equal weights without counts or
 * when the stimulus never settled in one of them. */
static void state_weights(const double *cnt, const long *off, int g, int ns, uint64_t allow, double *w) {
  double tot = 0;
  int n_allow = 0;
  for (int s = 0; s < ns; s++)
    if ((allow >> s) & 1) {
      n_allow++;
      if (cnt) tot += cnt[off[g] + s];
    }
  for (int s = 0; s < ns; s++)
    w[s] = !((allow >> s) & 1) ? 0 : tot > 0 ? cnt[off[g] + s] / tot : 1.0 / n_allow;
}

/* States in which input i decides the output (truth over the gate's inputs):
 * the only ones in which an output edge can be charged to that arc. All
 * states when there is none (a pin the function ignores). */
static uint64_t sensitized(uint64_t truth, int ns, int i) {
  uint64_t m = 0;
  for (int s = 0; s < ns; s++)
    if (((truth >> s) ^ (truth >> (s ^ (1 << i)))) & 1) m |= (uint64_t)1 << s;
  return m ? m : ns >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << ns) - 1);
}

void sim_price(pp_sim_model *m, const double *cnt, const long *off) {
  const pp_netlist *nl = m->nl;
  const pp_lib *lib = m->lib;
  double leak = 0, w[64];
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    const pp_lib_cell *cell = &lib->cells[gt->cell];
    int k = gt->n_in, ns = 1 << k;
    uint64_t all = ns >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << ns) - 1);
    if (!cell_has_when_leak(cell)) {
      leak += cell->leakage_nw;
    } else {
      double l = 0;
      state_weights(cnt, off, g, ns, all, w);
      for (int s = 0; s < ns; s++) l += w[s] * pp_lib_leakage_at(cell, (unsigned)s);
      leak += l;
    }
    for (int nd = m->gate_node0[g]; nd < m->gate_node0[g + 1]; nd++) {
      const pp_lib_pin *op = &cell->pins[cell->outputs[m->node_outpos[nd]]];
      double Cr, Cf;
      sim_net_loads(&nl->nets[m->node_net[nd]], &Cr, &Cf);
      int dep = pin_has_when_power(op);
      for (int i = 0; i < k; i++) {
        int p = m->node_pin0[nd] + i, inet = gt->in[i];
        int cpin = cell->inputs[i];
        double sl = m->slew_r[inet] > m->slew_f[inet] ? m->slew_r[inet] : m->slew_f[inet];
        if (!dep) {
          const pp_lib_power *pw = pp_lib_power_at(op, cpin, 0);
          m->pin_er[p] = pw ? sim_lut(&pw->rise_power, sl, Cr) : 0;
          m->pin_ef[p] = pw ? sim_lut(&pw->fall_power, sl, Cf) : 0;
          continue;
        }
        double er = 0, ef = 0;
        state_weights(cnt, off, g, ns, sensitized(m->node_truth[nd], ns, i), w);
        for (int s = 0; s < ns; s++) {
          const pp_lib_power *pw = w[s] > 0 ? pp_lib_power_at(op, cpin, (unsigned)s) : NULL;
          if (!pw) continue;
          er += w[s] * sim_lut(&pw->rise_power, sl, Cr);
          ef += w[s] * sim_lut(&pw->fall_power, sl, Cf);
        }
        m->pin_er[p] = er;
        m->pin_ef[p] = ef;
      }
    }
  }
  m->leak_nw = leak;
}

int pp_sim_model_state_dependent(const pp_sim_model *m) {
  const pp_netlist *nl = m->nl;
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_lib_cell *cell = &m->lib->cells[nl->gates[g].cell];
    if (cell_has_when_leak(cell)) return 1;
    for (int k = 0; k < cell->n_outputs; k++)
      if (pin_has_when_power(&cell->pins[cell->outputs[k]])) return 1;
  }
  return 0;
}

/* Adds to cnt the settled input state of every gate in the first `lanes`
 * lanes of v (zero-delay net words): one minterm mask per state. */
static void count_states(const pp_sim_model *m, const uint64_t *v, int lanes, double *cnt, const long *off) {
  const pp_netlist *nl = m->nl;
  uint64_t lane_mask = lanes >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << lanes) - 1);
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    int k = gt->n_in;
    for (int s = 0; s < (1 << k); s++) {
      uint64_t mt = lane_mask;
      for (int i = 0; i < k; i++) mt &= ((s >> i) & 1) ? v[gt->in[i]] : ~v[gt->in[i]];
      cnt[off[g] + s] += (double)__builtin_popcountll(mt);
    }
  }
}

int pp_sim_model_use_states(pp_sim_model *m, const uint8_t *vectors, long n, pp_err *e) {
  if (n < 0 || (n > 0 && !vectors)) return pp_err_set(e, PP_EINVAL, "", 0, "sim: states: no vectors");
  if (!pp_sim_model_state_dependent(m) || n == 0) return PP_OK;
  const pp_netlist *nl = m->nl;
  long *off = malloc(((size_t)nl->n_gates + 1) * sizeof *off);
  int nb = m->n_in_bits;
  uint64_t *in = calloc((size_t)nb > 0 ? (size_t)nb : 1, sizeof *in);
  uint64_t *v = calloc((size_t)m->n_nets > 0 ? (size_t)m->n_nets : 1, sizeof *v);
  double *cnt = NULL;
  if (off) {
    off[0] = 0;
    for (int g = 0; g < nl->n_gates; g++) off[g + 1] = off[g] + (1L << nl->gates[g].n_in);
    cnt = calloc((size_t)off[nl->n_gates] + 1, sizeof *cnt);
  }
  if (!off || !in || !v || !cnt) {
    PP_FREE_ALL(off, in, v, cnt);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory counting gate states");
  }
  for (long i0 = 0; i0 < n; i0 += 64) {
    int lanes = n - i0 < 64 ? (int)(n - i0) : 64;
    memset(in, 0, (size_t)nb * sizeof *in);
    for (int l = 0; l < lanes; l++) {
      const uint8_t *b = vectors + (size_t)(i0 + l) * (size_t)nb;
      for (int i = 0; i < nb; i++)
        if (b[i]) in[i] |= (uint64_t)1 << l;
    }
    pp_sim_bp_eval(m, in, v);
    count_states(m, v, lanes, cnt, off);
  }
  sim_price(m, cnt, off);
  PP_FREE_ALL(off, in, v, cnt);
  return PP_OK;
}

/* sim/model: builds the immutable simulation model of a netlist: pin delays
 * and slews from the Liberty NLDM tables, internal energies, fanout lists and
 * word-parallel programs of the cell functions (see the delay model in sim.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "pp/util_mem.h"

void pp_sim_opts_default(pp_sim_opts *o) {
  o->tick_ps = 1.0;
  o->input_slew_ps = -1;
  o->inertial = 0;
}

/* ---- cell functions as word programs (Shannon expansion with folding) ---- */

typedef struct memo {
  uint64_t tt[128];
  int m[128], reg[128];
  int n;
} memo;

static uint64_t tt_mask(int m) { return m >= 6 ? ~(uint64_t)0 : (((uint64_t)1 << (1u << m)) - 1); }

/* Cofactors of tt (over variables 0..m-1, m <= 6) with respect to variable m-1. */
static void cofactors(uint64_t tt, int m, uint64_t *f0, uint64_t *f1) {
  int half = 1 << (m - 1); // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): 1 <= m <= 6 (build returns constants of 0 variables first)
  uint64_t hm = ((uint64_t)1 << half) - 1;
  *f0 = tt & hm;
  *f1 = (tt >> half) & hm;
}

static int emit(sim_prog *p, int op, int a, int b, int c) {
  if (p->n_ops >= (int)(sizeof p->ops / sizeof p->ops[0])) return -1;
  sim_op *o = &p->ops[p->n_ops];
  o->op = (uint8_t)op;
  o->a = (uint8_t)a;
  o->b = (uint8_t)b;
  o->c = (uint8_t)c;
  return p->k + p->n_ops++;
}

/* Returns the register computing tt over variables 0..m-1 (m <= k). Constant
 * functions give -2 (zero) / -3 (one) to let callers fold them. */
static int build(sim_prog *p, memo *mm, uint64_t tt, int m) {
  uint64_t mask = tt_mask(m);
  tt &= mask;
  if (tt == 0) return -2;
  if (tt == mask) return -3;
  for (int i = 0; i < mm->n; i++)
    if (mm->m[i] == m && mm->tt[i] == tt) return mm->reg[i];
  uint64_t f0, f1;
  cofactors(tt, m, &f0, &f1);
  int x = m - 1, r;
  if (f0 == f1) return build(p, mm, f0, m - 1);
  uint64_t hm = tt_mask(m - 1);
  if (f0 == 0 && f1 == hm) r = x;        /* projection: no op */
  else if (f1 == 0 && f0 == hm) r = emit(p, OP_NOT, x, 0, 0);
  else {
    int r0 = build(p, mm, f0, m - 1);
    int r1 = build(p, mm, f1, m - 1);
    if (r0 == -1 || r1 == -1) return -1;
    if (f1 == (~f0 & hm)) r = emit(p, OP_XOR, x, r0, 0);
    else if (r0 == -2) r = emit(p, OP_AND, x, r1, 0);
    else if (r1 == -2) r = emit(p, OP_ANDN, r0, x, 0);
    else if (r0 == -3) r = emit(p, OP_ORN, r1, x, 0);
    else if (r1 == -3) r = emit(p, OP_OR, x, r0, 0);
    else r = emit(p, OP_MUX, r0, r1, x);
  }
  if (r < 0) return -1;
  if (mm->n < 128) {
    mm->tt[mm->n] = tt;
    mm->m[mm->n] = m;
    mm->reg[mm->n++] = r;
  }
  return r;
}

int sim_prog_build(uint64_t truth, int k, sim_prog *p) {
  memset(p, 0, sizeof *p);
  p->k = k;
  memo mm;
  mm.n = 0;
  int r = k == 0 ? ((truth & 1) ? -3 : -2) : build(p, &mm, truth, k);
  if (r == -1) return -1;
  if (r == -2) r = emit(p, OP_C0, 0, 0, 0);
  else if (r == -3) r = emit(p, OP_C1, 0, 0, 0);
  else if (r < k) r = emit(p, OP_COPY, r, 0, 0); /* result must be a fresh register */
  if (r < 0) return -1;
  p->result = r;
  return 0;
}

uint64_t sim_prog_eval(const sim_prog *p, const uint64_t *pins) {
  uint64_t r[6 + 80];
  for (int i = 0; i < p->k; i++) r[i] = pins[i];
  return sim_prog_run(p, r);
}

/* ---- delay model ---------------------------------------------------------- */

static int unateness(uint64_t truth, int k, int i) {
  int pos = 1, neg = 1, dep = 0;
  for (int row = 0; row < (1 << k); row++) {
    if (row & (1 << i)) continue;
    int a = (int)((truth >> row) & 1), b = (int)((truth >> (row | (1 << i))) & 1);
    if (a != b) dep = 1;
    if (a > b) pos = 0;
    if (a < b) neg = 0;
  }
  if (!dep) return UNATE_NONE;
  if (pos) return UNATE_POS;
  if (neg) return UNATE_NEG;
  return UNATE_BI;
}

static int to_ticks(double ps, double tick) {
  double t = floor(ps / tick + 0.5);
  if (!(t >= 1)) t = 1; /* also catches NaN */
  if (t > 1e8) t = 1e8;
  return (int)t;
}

/* Delays and output slews of one arc with input slews (sr, sf); an output
 * rise is looked up at the net's rising load Cr, a fall at Cf. */
static void arc_eval(const pp_lib_timing *t, double sr, double sf, double Cr, double Cf, double *rise, double *fall,
                     double *trise, double *tfall) {
  if (t->sense == PP_SENSE_POSITIVE) {
    *rise = sim_lut(&t->cell_rise, sr, Cr);
    *fall = sim_lut(&t->cell_fall, sf, Cf);
    *trise = sim_lut(&t->rise_transition, sr, Cr);
    *tfall = sim_lut(&t->fall_transition, sf, Cf);
  } else if (t->sense == PP_SENSE_NEGATIVE) {
    *rise = sim_lut(&t->cell_rise, sf, Cr);
    *fall = sim_lut(&t->cell_fall, sr, Cf);
    *trise = sim_lut(&t->rise_transition, sf, Cr);
    *tfall = sim_lut(&t->fall_transition, sr, Cf);
  } else {
    double a = fmax(sim_lut(&t->cell_rise, sr, Cr), sim_lut(&t->cell_rise, sf, Cr));
    double b = fmax(sim_lut(&t->cell_fall, sr, Cf), sim_lut(&t->cell_fall, sf, Cf));
    *rise = *fall = fmax(a, b);
    *trise = fmax(sim_lut(&t->rise_transition, sr, Cr), sim_lut(&t->rise_transition, sf, Cr));
    *tfall = fmax(sim_lut(&t->fall_transition, sr, Cf), sim_lut(&t->fall_transition, sf, Cf));
  }
}

static double lut_or_nan(const pp_lut *t, double slew, double load) {
  if (!t || t->n_slew <= 0 || t->n_load <= 0) return NAN;
  return pp_lut_eval(t, slew, load);
}

/* The four edge-to-edge delays of one arc for the shortest paths, d[2 *
 * in_rise + out_rise] (NAN: the sense rules that pair out), at input slews
 * (sr, sf), and the fastest output slews it gives. A non-unate arc keeps its
 * four lookups apart: an output rise is caused by either input edge through
 * cell_rise, a fall through cell_fall. */
static void arc_eval_min(const pp_lib_timing *t, double sr, double sf, double Cr, double Cf, double d[4],
                         double *trise, double *tfall) {
  d[0] = d[1] = d[2] = d[3] = NAN;
  int pos = t->sense == PP_SENSE_POSITIVE || t->sense == PP_SENSE_NON_UNATE;
  int neg = t->sense == PP_SENSE_NEGATIVE || t->sense == PP_SENSE_NON_UNATE;
  double tr = HUGE_VAL, tf = HUGE_VAL;
  if (pos) {
    d[3] = lut_or_nan(&t->cell_rise, sr, Cr);
    d[0] = lut_or_nan(&t->cell_fall, sf, Cf);
    tr = fmin(tr, sim_lut(&t->rise_transition, sr, Cr));
    tf = fmin(tf, sim_lut(&t->fall_transition, sf, Cf));
  }
  if (neg) {
    d[1] = lut_or_nan(&t->cell_rise, sf, Cr);
    d[2] = lut_or_nan(&t->cell_fall, sr, Cf);
    tr = fmin(tr, sim_lut(&t->rise_transition, sf, Cr));
    tf = fmin(tf, sim_lut(&t->fall_transition, sr, Cf));
  }
  *trise = tr;
  *tfall = tf;
}

void pp_sim_model_free(pp_sim_model *m) {
  if (!m) return;
  PP_FREE_ALL(m->in_net, m->out_net, m->in_port_off, m->out_port_off, m->node_gate, m->node_outpos,
              m->node_net, m->node_pin0, m->node_nin, m->node_prog, m->node_truth, m->gate_node0, m->pin_net,
              m->pin_dr, m->pin_df, m->pin_pos, m->pin_node, m->pin_unate, m->pin_arc_min, m->slew_r_min,
              m->slew_f_min, m->pin_er, m->pin_ef, m->net_node, m->net_const, m->fo_start, m->fo_pin,
              m->net_ecap, m->slew_r, m->slew_f, m->net_out_bit, m->net_in_bit, m->progs);
  free(m);
}

#define ALLOC(p, n) ((p) = pp_xcalloc((size_t)(n) > 0 ? (size_t)(n) : 1, sizeof *(p)), (p) != NULL)

int pp_sim_model_new(const pp_netlist *nl, const pp_sim_opts *o, pp_sim_model **out, pp_err *e) {
  *out = NULL;
  if (!nl || !nl->lib) return pp_err_set(e, PP_EINVAL, "", 0, "sim: netlist without a library");
  pp_sim_opts def;
  pp_sim_opts_default(&def);
  if (!o) o = &def;
  if (!(o->tick_ps > 0) || o->tick_ps > 1000)
    return pp_err_set(e, PP_EINVAL, "", 0, "sim: tick_ps must be in (0, 1000] ps, got %g", o->tick_ps);
  const pp_lib *lib = nl->lib;
  pp_sim_model *m = pp_xcalloc(1, sizeof *m);
  if (!m) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  m->nl = nl;
  m->lib = lib;
  m->o = *o;
  m->tick = o->tick_ps;
  m->volt = lib->voltage;
  m->n_nets = nl->n_nets;
  double in_slew = o->input_slew_ps >= 0 ? o->input_slew_ps : lib->default_slew_ps;

  /* ports -> bits */
  int nin = 0, nout = 0;
  for (int p = 0; p < nl->n_inputs; p++) nin += nl->inputs[p].width;
  for (int p = 0; p < nl->n_outputs; p++) nout += nl->outputs[p].width;
  m->n_in_bits = nin;
  m->n_out_bits = nout;
  int n_nodes = 0;
  for (int g = 0; g < nl->n_gates; g++)
    for (int k = 0; k < nl->gates[g].n_out; k++)
      if (nl->gates[g].out[k] >= 0) n_nodes++;
  int n_pins = 0;
  for (int g = 0; g < nl->n_gates; g++)
    for (int k = 0; k < nl->gates[g].n_out; k++)
      if (nl->gates[g].out[k] >= 0) n_pins += nl->gates[g].n_in;
  m->n_nodes = n_nodes;
  m->n_pins = n_pins;
  int nn = nl->n_nets;
  if (!ALLOC(m->in_net, nin) || !ALLOC(m->out_net, nout) || !ALLOC(m->in_port_off, nl->n_inputs + 1) ||
      !ALLOC(m->out_port_off, nl->n_outputs + 1) || !ALLOC(m->node_gate, n_nodes) ||
      !ALLOC(m->node_outpos, n_nodes) || !ALLOC(m->node_net, n_nodes) || !ALLOC(m->node_pin0, n_nodes + 1) ||
      !ALLOC(m->node_nin, n_nodes) || !ALLOC(m->node_prog, n_nodes) || !ALLOC(m->node_truth, n_nodes) ||
      !ALLOC(m->gate_node0, nl->n_gates + 1) || !ALLOC(m->pin_net, n_pins) || !ALLOC(m->pin_dr, n_pins) ||
      !ALLOC(m->pin_df, n_pins) || !ALLOC(m->pin_pos, n_pins) || !ALLOC(m->pin_node, n_pins) || !ALLOC(m->pin_unate, n_pins) ||
      !ALLOC(m->pin_er, n_pins) || !ALLOC(m->pin_ef, n_pins) || !ALLOC(m->net_node, nn) ||
      !ALLOC(m->net_const, nn) || !ALLOC(m->fo_start, nn + 1) || !ALLOC(m->fo_pin, n_pins) ||
      !ALLOC(m->net_ecap, nn) || !ALLOC(m->slew_r, nn) || !ALLOC(m->slew_f, nn) ||
      !ALLOC(m->net_out_bit, nn) || !ALLOC(m->pin_arc_min, 4 * (size_t)n_pins) || !ALLOC(m->slew_r_min, nn) ||
      !ALLOC(m->slew_f_min, nn) || !ALLOC(m->net_in_bit, nn) || !ALLOC(m->progs, lib->n_cells * 4)) {
    pp_sim_model_free(m);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory building the simulation model");
  }
  int b = 0;
  for (int i = 0; i < nn; i++) m->net_in_bit[i] = -1;
  for (int p = 0; p < nl->n_inputs; p++) {
    m->in_port_off[p] = b;
    for (int i = 0; i < nl->inputs[p].width; i++) {
      int n = nl->inputs[p].bits[i];
      if (n < 0 || n >= nn || m->net_in_bit[n] >= 0 || nl->nets[n].drv_kind != PP_DRV_INPUT) {
        pp_sim_model_free(m);
        return pp_err_set(e, PP_EINVAL, "", 0, "sim: input %s[%d] is not a distinct input net", nl->inputs[p].name, i);
      }
      m->net_in_bit[n] = b;
      m->in_net[b++] = n;
    }
  }
  m->in_port_off[nl->n_inputs] = b;
  b = 0;
  for (int i = 0; i < nn; i++) m->net_out_bit[i] = -1;
  for (int p = 0; p < nl->n_outputs; p++) {
    m->out_port_off[p] = b;
    for (int i = 0; i < nl->outputs[p].width; i++) {
      m->out_net[b] = nl->outputs[p].bits[i];
      if (m->out_net[b] >= 0 && m->out_net[b] < nn && m->net_out_bit[m->out_net[b]] < 0)
        m->net_out_bit[m->out_net[b]] = b;
      b++;
    }
  }
  m->out_port_off[nl->n_outputs] = b;

  /* programs per (cell, output) */
  for (int c = 0; c < lib->n_cells; c++) {
    const pp_lib_cell *cell = &lib->cells[c];
    for (int k = 0; k < cell->n_outputs && k < 4; k++) {
      if (cell->n_inputs > PP_LIB_MAX_INPUTS || sim_prog_build(cell->pins[cell->outputs[k]].truth, cell->n_inputs,
                                                               &m->progs[c * 4 + k])) {
        int err = pp_err_set(e, PP_EINVAL, lib->path ? lib->path : "", 0,
                             "sim: cell %s: function too large to compile", cell->name);
        pp_sim_model_free(m);
        return err;
      }
    }
  }

  /* nets: driver kind, constants, energy per toggle */
  double v2 = lib->voltage * lib->voltage;
  for (int n = 0; n < nn; n++) {
    const pp_net *net = &nl->nets[n];
    m->net_node[n] = -1;
    m->net_const[n] = (int8_t)(net->drv_kind == PP_DRV_CONST0 ? 0 : net->drv_kind == PP_DRV_CONST1 ? 1 : -1);
    m->net_ecap[n] = 0.5 * net->load_ff * v2;
    m->slew_r[n] = m->slew_f[n] = in_slew;
    m->slew_r_min[n] = m->slew_f_min[n] = in_slew;
  }

  /* nodes and pins, in topological order; slews propagate as we go */
  int nd = 0, pn = 0;
  int maxd = 1;
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    const pp_lib_cell *cell = &lib->cells[gt->cell];
    m->gate_node0[g] = nd;
    for (int k = 0; k < gt->n_out; k++) {
      int onet = gt->out[k];
      if (onet < 0) continue;
      const pp_lib_pin *op = &cell->pins[cell->outputs[k]];
      const pp_net *on = &nl->nets[onet];
      double Cr, Cf;
      sim_net_loads(on, &Cr, &Cf);
      m->node_gate[nd] = g;
      m->node_outpos[nd] = k;
      m->node_net[nd] = onet;
      m->node_pin0[nd] = pn;
      m->node_nin[nd] = gt->n_in;
      m->node_prog[nd] = gt->cell * 4 + k;
      m->node_truth[nd] = op->truth;
      m->net_node[onet] = nd;
      /* worst arc of the pin, for inputs without their own timing group */
      double wr = 0, wf = 0;
      int have[PP_LIB_MAX_INPUTS] = {0};
      double sr_out = 0, sf_out = 0, sr_min = HUGE_VAL, sf_min = HUGE_VAL;
      double amin[PP_LIB_MAX_INPUTS][4];
      for (int i = 0; i < gt->n_in; i++) {
        int inet = gt->in[i];
        int cpin = cell->inputs[i];
        amin[i][0] = amin[i][1] = amin[i][2] = amin[i][3] = NAN;
        for (int t = 0; t < op->n_timings; t++) {
          const pp_lib_timing *tm = &op->timings[t];
          if (tm->related_pin != cpin) continue;
          double r, f, tr, tf, d4[4];
          arc_eval_min(tm, m->slew_r_min[inet], m->slew_f_min[inet], Cr, Cf, d4, &tr, &tf);
          sr_min = fmin(sr_min, tr), sf_min = fmin(sf_min, tf);
          for (int q = 0; q < 4; q++) /* several groups (when states): the fastest */
            if (!isnan(d4[q]) && (isnan(amin[i][q]) || d4[q] < amin[i][q])) amin[i][q] = d4[q];
          arc_eval(tm, m->slew_r[inet], m->slew_f[inet], Cr, Cf, &r, &f, &tr, &tf);
          wr = fmax(wr, r), wf = fmax(wf, f);
          sr_out = fmax(sr_out, tr), sf_out = fmax(sf_out, tf);
          /* the sense decides which input edge each arc delay belongs to */
          int dr, df;
          if (tm->sense == PP_SENSE_POSITIVE) dr = to_ticks(r, m->tick), df = to_ticks(f, m->tick);
          else if (tm->sense == PP_SENSE_NEGATIVE) dr = to_ticks(f, m->tick), df = to_ticks(r, m->tick);
          else dr = df = to_ticks(fmax(r, f), m->tick);
          if (!have[i]) {
            m->pin_dr[pn + i] = dr, m->pin_df[pn + i] = df;
            have[i] = 1;
          } else { /* several groups for one pin: keep the worst */
            if (dr > m->pin_dr[pn + i]) m->pin_dr[pn + i] = dr;
            if (df > m->pin_df[pn + i]) m->pin_df[pn + i] = df;
          }
        }
      }
      for (int i = 0; i < gt->n_in; i++) {
        int p = pn + i;
        m->pin_net[p] = gt->in[i];
        m->pin_pos[p] = i;
        m->pin_node[p] = nd;
        m->pin_unate[p] = (uint8_t)unateness(op->truth, gt->n_in, i);
        if (!have[i]) m->pin_dr[p] = m->pin_df[p] = to_ticks(fmax(wr, wf), m->tick);
        /* shortest-path arcs: the edge pairs the function allows; a pair no
         * timing group gives falls back to the engines' pin delay */
        int u = m->pin_unate[p];
        for (int q = 0; q < 4; q++) {
          int in_rise = q >> 1, out_rise = q & 1;
          int same = in_rise == out_rise;
          int ok = u == UNATE_BI || (u == UNATE_POS && same) || (u == UNATE_NEG && !same);
          int32_t v = -1;
          if (ok) v = isnan(amin[i][q]) ? (in_rise ? m->pin_dr[p] : m->pin_df[p]) : to_ticks(amin[i][q], m->tick);
          m->pin_arc_min[4 * (size_t)p + q] = v;
        }
        if (m->pin_dr[p] > maxd) maxd = m->pin_dr[p];
        if (m->pin_df[p] > maxd) maxd = m->pin_df[p];
      }
      if (op->n_timings == 0) sr_out = sf_out = in_slew;
      if (!(sr_min < HUGE_VAL)) sr_min = sr_out;
      if (!(sf_min < HUGE_VAL)) sf_min = sf_out;
      m->slew_r[onet] = sr_out;
      m->slew_f[onet] = sf_out;
      m->slew_r_min[onet] = sr_min;
      m->slew_f_min[onet] = sf_min;
      pn += gt->n_in;
      nd++;
    }
  }
  m->node_pin0[nd] = pn;
  m->gate_node0[nl->n_gates] = nd;
  m->max_pin_delay = maxd;
  sim_price(m, NULL, NULL); /* internal energies and leakage, states equally likely */

  /* fanout CSR of pins per net */
  for (int p = 0; p < n_pins; p++) m->fo_start[m->pin_net[p] + 1]++;
  for (int n = 0; n < nn; n++) m->fo_start[n + 1] += m->fo_start[n];
  int *fill = pp_xcalloc((size_t)nn + 1, sizeof(int));
  if (!fill) {
    pp_sim_model_free(m);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  for (int p = 0; p < n_pins; p++) {
    int n = m->pin_net[p];
    m->fo_pin[m->fo_start[n] + fill[n]++] = p;
  }
  free(fill);

  /* horizon: latest possible event, ignoring unateness (pessimistic) */
  int *at = pp_xcalloc((size_t)nn + 1, sizeof(int));
  if (!at) {
    pp_sim_model_free(m);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  int hz = 0;
  for (int d = 0; d < n_nodes; d++) {
    int a = 0;
    for (int p = m->node_pin0[d]; p < m->node_pin0[d + 1]; p++) {
      int dm = m->pin_dr[p] > m->pin_df[p] ? m->pin_dr[p] : m->pin_df[p];
      if (at[m->pin_net[p]] + dm > a) a = at[m->pin_net[p]] + dm;
    }
    at[m->node_net[d]] = a;
    if (a > hz) hz = a;
  }
  free(at);
  m->horizon = hz + 1;
  *out = m;
  return PP_OK;
}

/* ---- accessors and vector helpers ----------------------------------------- */

const pp_netlist *pp_sim_netlist(const pp_sim_model *m) { return m->nl; }
double pp_sim_tick_ps(const pp_sim_model *m) { return m->tick; }
double pp_sim_leakage_nw(const pp_sim_model *m) { return m->leak_nw; }
int pp_sim_n_input_bits(const pp_sim_model *m) { return m->n_in_bits; }
int pp_sim_n_output_bits(const pp_sim_model *m) { return m->n_out_bits; }

int pp_sim_input_bit(const pp_sim_model *m, int port, int bit) {
  if (port < 0 || port >= m->nl->n_inputs || bit < 0 || bit >= m->nl->inputs[port].width) return -1;
  return m->in_port_off[port] + bit;
}

int pp_sim_output_bit(const pp_sim_model *m, int port, int bit) {
  if (port < 0 || port >= m->nl->n_outputs || bit < 0 || bit >= m->nl->outputs[port].width) return -1;
  return m->out_port_off[port] + bit;
}

int pp_sim_input_net(const pp_sim_model *m, int i) { return i >= 0 && i < m->n_in_bits ? m->in_net[i] : -1; }
int pp_sim_output_net(const pp_sim_model *m, int i) { return i >= 0 && i < m->n_out_bits ? m->out_net[i] : -1; }

int pp_sim_arc_delay(const pp_sim_model *m, int gate, int out, int in, int *d_r, int *d_f) {
  if (gate < 0 || gate >= m->nl->n_gates) return -1;
  const pp_gate *g = &m->nl->gates[gate];
  if (out < 0 || out >= g->n_out || g->out[out] < 0 || in < 0 || in >= g->n_in) return -1;
  int nd = m->gate_node0[gate];
  for (int k = 0; k < out; k++)
    if (g->out[k] >= 0) nd++;
  int p = m->node_pin0[nd] + in;
  *d_r = m->pin_dr[p];
  *d_f = m->pin_df[p];
  return 0;
}

int pp_sim_arc_min_delay(const pp_sim_model *m, int gate, int out, int in, int d[4]) {
  int dr, df;
  if (pp_sim_arc_delay(m, gate, out, in, &dr, &df)) return -1;
  const pp_gate *g = &m->nl->gates[gate];
  int nd = m->gate_node0[gate];
  for (int k = 0; k < out; k++)
    if (g->out[k] >= 0) nd++;
  int p = m->node_pin0[nd] + in;
  for (int q = 0; q < 4; q++) d[q] = m->pin_arc_min[4 * (size_t)p + q];
  return 0;
}

void pp_sim_net_slew(const pp_sim_model *m, int net, double *rise_ps, double *fall_ps) {
  *rise_ps = m->slew_r[net];
  *fall_ps = m->slew_f[net];
}

void pp_sim_bits_set_port(const pp_sim_model *m, uint8_t *bits, int port, int64_t value) {
  int w = m->nl->inputs[port].width, off = m->in_port_off[port];
  for (int i = 0; i < w; i++) bits[off + i] = (uint8_t)(i < 64 ? ((uint64_t)value >> i) & 1 : (value < 0));
}

int pp_sim_bits_set(const pp_sim_model *m, uint8_t *bits, const char *port, int64_t value, pp_err *e) {
  int p = -1;
  for (int i = 0; i < m->nl->n_inputs; i++)
    if (!strcmp(m->nl->inputs[i].name, port)) p = i;
  if (p < 0) return pp_err_set(e, PP_EINVAL, "", 0, "netlist %s has no input port '%s'", m->nl->top, port);
  pp_sim_bits_set_port(m, bits, p, value);
  return PP_OK;
}

void pp_sim_words_set_port(const pp_sim_model *m, uint64_t *words, int port, int lane, int64_t value) {
  int w = m->nl->inputs[port].width, off = m->in_port_off[port];
  uint64_t bit = (uint64_t)1 << lane;
  for (int i = 0; i < w; i++) {
    int v = i < 64 ? (int)(((uint64_t)value >> i) & 1) : (value < 0);
    if (v) words[off + i] |= bit;
    else words[off + i] &= ~bit;
  }
}

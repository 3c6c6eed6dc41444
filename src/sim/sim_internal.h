/* sim/sim_internal: the precomputed model shared by every engine (private). */
#ifndef PP_SIM_INTERNAL_H
#define PP_SIM_INTERNAL_H

#include "pp/sim.h"

/* Compiled Boolean function for word-parallel evaluation: registers 0..k-1
 * hold the pins, each op writes register k + index. */
enum { OP_C0, OP_C1, OP_NOT, OP_AND, OP_OR, OP_XOR, OP_ANDN, OP_ORN, OP_MUX, OP_COPY };
typedef struct sim_op {
  uint8_t op, a, b, c; /* MUX: c ? b : a */
} sim_op;

typedef struct sim_prog {
  int k;     /* number of pins */
  int n_ops;
  int result; /* register holding the output */
  sim_op ops[80];
} sim_prog;

enum { UNATE_POS = 0, UNATE_NEG = 1, UNATE_BI = 2, UNATE_NONE = 3 };

struct pp_sim_model {
  const pp_netlist *nl;
  const pp_lib *lib;
  pp_sim_opts o;
  double tick, volt, leak_nw;
  int n_nets, n_nodes, n_pins;
  int n_in_bits, n_out_bits;
  int *in_net, *out_net;   /* per input/output bit */
  int *in_port_off, *out_port_off;
  /* nodes = connected (gate, output) pairs in topological order */
  int *node_gate, *node_outpos, *node_net, *node_pin0, *node_nin, *node_prog;
  uint64_t *node_truth;
  int *gate_node0; /* first node of each gate (its outputs follow) */
  /* pins = one per node input: the arc's delay line */
  int *pin_net, *pin_dr, *pin_df, *pin_pos, *pin_node;
  uint8_t *pin_unate;
  /* Shortest-path STA only: per pin 4 arc delays (ticks) [2 * in_rise +
   * out_rise], each the fastest timing group at the net's fastest slews;
   * -1 where the input edge cannot cause that output edge. The engines (and
   * the longest paths) use pin_dr/pin_df, whose non-unate entries are the
   * worst of the four lookups. */
  int32_t *pin_arc_min;
  double *pin_er, *pin_ef; /* internal energy (fJ) of an output rise/fall charged to this pin */
  /* nets */
  int *net_node;        /* driving node, -1 for inputs/constants */
  int8_t *net_const;    /* 0/1 for constants, -1 otherwise */
  int *fo_start, *fo_pin; /* CSR: pins reading the net */
  double *net_ecap;     /* 0.5 C V^2 (fJ) */
  double *slew_r, *slew_f;
  double *slew_r_min, *slew_f_min; /* fastest slews, for pin_arc_min */
  int *net_out_bit;     /* an output bit the net drives, -1 if none */
  int *net_in_bit;      /* the input bit the net is, -1 if none */
  int max_pin_delay;    /* ticks */
  int horizon;          /* ticks: no event of any transition can be later */
  sim_prog *progs;      /* per (cell, output position): progs[cell * 4 + pos] */
  int n_progs;
};

/* Per-thread workspace: buffers of every engine. */
struct pp_sim_ws {
  const pp_sim_model *m;
  /* event engine */
  uint8_t *val, *v0, *pinval;
  int *h_head;            /* newest edge of each net in this transition, -1 none */
  int32_t *e_t, *e_prev;  /* edge pool */
  uint8_t *e_v;
  int e_n, e_cap;
  int *tog;
  double *net_int;        /* internal energy charged per net in this transition */
  int32_t *last;
  int *touched;
  int n_touched;
  int *b_head;            /* wheel buckets, horizon entries */
  uint64_t *occ;          /* occupancy bitmap of the buckets */
  int *ev_node, *ev_next;
  int ev_n, ev_cap;
  int32_t *node_evt;      /* last evaluation tick of each node in this transition */
  uint32_t *node_gen;
  uint32_t gen;
  int *ch_node, *ch_attr;  /* changes of the current tick */
  int32_t *pend_t;        /* inertial: pending edge per pin (-1 none) */
  uint8_t *pend_v;
  double *settle, *net_last_ps;
  uint8_t *outv;
  int32_t *trace;
  long n_trace, trace_cap;
  /* bit-parallel engines */
  uint64_t *wa, *wb;      /* n_nets words */
  int ring_h;             /* power of two > max pin delay + 1 */
  uint64_t *ring;         /* n_nets * ring_h */
  int32_t *lo1, *hi;      /* per net: changes only in (lo1, hi] */
  int32_t *nlo, *nhi;     /* per node window */
  int *active;            /* nodes with a window */
  int32_t *ts_settle, *ts_max;
  long *ts_ntog;
  uint64_t *ts_pinprev;   /* per pin: delayed value at the previous tick (4 words) */
  long *ts_pin_rf;        /* per pin: output rises, falls charged to it */
  double *ts_lane_sw, *ts_lane_in; /* 256 lanes */
};

/* A table lookup; an absent table is 0. */
static inline double sim_lut(const pp_lut *t, double slew, double load) {
  if (!t || t->n_slew <= 0 || t->n_load <= 0) return 0;
  return pp_lut_eval(t, slew, load);
}

/* Output loads (fF) of a net for a rise and a fall: per edge, or load_ff
 * for hand-built nets that set only that. */
static inline void sim_net_loads(const pp_net *on, double *cr, double *cf) {
  int per_edge = on->load_rise_ff != 0 || on->load_fall_ff != 0;
  *cr = per_edge ? on->load_rise_ff : on->load_ff;
  *cf = per_edge ? on->load_fall_ff : on->load_ff;
}

/* Sets pin_er, pin_ef and leak_nw from gate input-state counts (cnt + off[g]
 * holds gate g's 2^k counts) or, with cnt NULL, every state equally likely
 * (states.c). */
void sim_price(pp_sim_model *m, const double *cnt, const long *off);

int sim_prog_build(uint64_t truth, int k, sim_prog *p);
/* Word evaluation of a program (reference use; the engines inline it). */
uint64_t sim_prog_eval(const sim_prog *p, const uint64_t *pins);

/* One operation of a program on lane words of any type (zero and ones: the all-0 and all-1 words):
 * the 64-lane runner below and the vector one of ts_body.h share it. */
#define SIM_OP_STEP(v, o, r, zero, ones)                               \
  switch ((o)->op) {                                                   \
    case OP_C0: (v) = (zero); break;                                   \
    case OP_C1: (v) = (ones); break;                                   \
    case OP_NOT: (v) = ~(r)[(o)->a]; break;                            \
    case OP_AND: (v) = (r)[(o)->a] & (r)[(o)->b]; break;               \
    case OP_OR: (v) = (r)[(o)->a] | (r)[(o)->b]; break;                \
    case OP_XOR: (v) = (r)[(o)->a] ^ (r)[(o)->b]; break;               \
    case OP_ANDN: (v) = (r)[(o)->a] & ~(r)[(o)->b]; break;             \
    case OP_ORN: (v) = (r)[(o)->a] | ~(r)[(o)->b]; break;              \
    case OP_MUX: (v) = ((r)[(o)->c] & (r)[(o)->b]) | (~(r)[(o)->c] & (r)[(o)->a]); break; \
    default: (v) = (r)[(o)->a]; break;                                 \
  }

static inline uint64_t sim_prog_run(const sim_prog *p, uint64_t *r) {
  for (int i = 0; i < p->n_ops; i++) {
    const sim_op *o = &p->ops[i];
    uint64_t v;
    SIM_OP_STEP(v, o, r, 0, ~(uint64_t)0);
    r[p->k + i] = v;
  }
  return r[p->result];
}

#endif

/* characterize: hardware numbers per weight value of the MAC.
 *  - the power table P[w] (µW): average power of the MAC with the weight input
 *    held at w while (activation, partial-sum) transitions stream through it
 *    (paper section III-A), split into dynamic power and leakage;
 *  - the delay table D[w][a_from][a_to] (ps): the MAC's delay for weight w and
 *    activation transition a_from -> a_to, from dynamic timing of the
 *    multiplier combined with static timing of the adder (paper III-B, Fig. 5).
 * Both tables have readers and writers here, so that select, estimate and the
 * CLI share one definition of the files.
 *
 * Weight values are indexed wi = w - w_min (w_min = -127, n_w = 255 for 8-bit
 * symmetric weights); activation values 0..n_a-1 (n_a = 256). */
#ifndef PP_CHARACTERIZE_H
#define PP_CHARACTERIZE_H

#include <stdint.h>

#include "pp/array.h"
#include "pp/macgen.h"
#include "pp/sim.h"
#include "pp/util.h"

#define PP_CHAR_MAX_W 255
#define PP_CHAR_MAX_A 256

/* ---- power table ---------------------------------------------------------- */

#define PP_CHAR_POWER_FORMAT "powerprune-power/1"
/* What files written before the one JSON convention carry; still read. */
#define PP_CHAR_POWER_FORMAT_OLD "powerprune-power-1"

typedef struct pp_char_power {
  int w_min, n_w;                 /* weight values w_min .. w_min + n_w - 1 */
  double dyn_uw[PP_CHAR_MAX_W];   /* dynamic power at (voltage, clock) */
  double leak_uw;                 /* leakage of one MAC (the same for every w) */
  double clock_ps;                /* clock period the dynamic power assumes */
  double voltage;                 /* supply (V) of the library */
  /* How the table was made (recorded in the files). */
  long transitions;
  uint64_t seed;
  int uniform;          /* 1: uniform random transitions; 0: sampled from a trace */
  char source[512];     /* trace directory, or "uniform" */
  char netlist[512];    /* MAC netlist (or "builtin:<arch>") */
  char lib[512];        /* cell library path */
  double seconds;       /* run time of the characterization */
  /* assumptions of the simulation (written as "assumptions"; input_slew_ps
   * < 0: not recorded, the object is then left out) */
  double input_slew_ps, output_load_ff, wire_cap_ff, wire_cap_per_fanout_ff;
  int inertial;
  char wire_load[64];   /* the Liberty wire_load group nets added, "" for none */
} pp_char_power;

static inline double pp_char_power_total(const pp_char_power *p, int w) {
  return p->dyn_uw[w - p->w_min] + p->leak_uw;
}
/* Weight value (not index) of the largest / smallest total power among the
 * non-zero weights. */
int pp_char_power_argmax_nonzero(const pp_char_power *p);
int pp_char_power_argmin_nonzero(const pp_char_power *p);

/* CSV: '#' lines carry "key=value" metadata; then the header
 * "weight,power_uw,dynamic_uw,leakage_uw" and one row per weight value. */
int pp_char_power_write_csv(const pp_char_power *p, const char *path, pp_err *e);
/* JSON: {"format": PP_CHAR_POWER_FORMAT, "inputs": {...}, "options": {...},
 * "clock_ps", "voltage", "leakage_uw", "power_uw": {"-127": µW, ...},
 * "dynamic_uw": {...}, "max_nonzero": {...}, "min_nonzero": {...}}. */
void pp_char_power_json(const pp_char_power *p, pp_json *j); /* one object */
int pp_char_power_write_json(const pp_char_power *p, const char *path, pp_err *e);
/* Reads either file (chosen by content: JSON starts with '{'). */
int pp_char_power_read(const char *path, pp_char_power *p, pp_err *e);

/* ---- delay table ---------------------------------------------------------- */

/* File layout (little endian): magic "PPDELAY1", u32 version (1), i32 w_min,
 * u32 n_w, u32 n_a, u32 d_psum_ps, u32 reserved, f64 sta_mult_ps,
 * f64 sta_adder_max_ps (max_i d_i), f64 sta_mac_ps, f64 seconds,
 * then n_w*n_a*n_a u16 delays (ps) in [wi][a_from][a_to] order, then u32 CRC-32
 * (zlib) of every byte before it. */
#define PP_CHAR_DELAY_MAGIC "PPDELAY1"

typedef struct pp_char_delay {
  int w_min, n_w, n_a;
  uint16_t *d;          /* n_w * n_a * n_a, ps, rounded up */
  unsigned d_psum_ps;   /* STA: partial-sum input -> adder output (rounded up) */
  double sta_mult_ps;   /* STA of the multiplier alone (w, a -> prod) */
  double sta_adder_max_ps; /* max_i d_i: largest product-bit -> output path of the adder */
  double sta_mac_ps;    /* STA of the full MAC (w, a, p -> y) */
  double seconds;       /* run time of the timing analysis */
} pp_char_delay;

static inline uint16_t pp_char_delay_at(const pp_char_delay *t, int w, int a_from, int a_to) {
  return t->d[((size_t)(w - t->w_min) * t->n_a + a_from) * t->n_a + a_to];
}
int pp_char_delay_alloc(pp_char_delay *t, int w_min, int n_w, int n_a, pp_err *e);
void pp_char_delay_free(pp_char_delay *t);
/* Largest delay of weight value w over all transitions. */
unsigned pp_char_delay_max_w(const pp_char_delay *t, int w);
int pp_char_delay_write(const pp_char_delay *t, const char *path, pp_err *e);
/* Checks magic, version, sizes against the file length, and the CRC. */
int pp_char_delay_read(const char *path, pp_char_delay *t, pp_err *e);

/* ---- the MAC under test ------------------------------------------------------ */

/* Which netlists to load: the full MAC (power, clock), and its parts
 * multiplier and adder (timing). A part with no path given is generated with
 * pp_mac_generate into work_dir (mac_full.v, mac_mult.v, mac_adder.v). */
enum { PP_CHAR_FULL = 1, PP_CHAR_MULT = 2, PP_CHAR_ADDER = 4 };

typedef struct pp_char_mac_spec {
  const char *lib_path;     /* NULL: pp_lib_default_path() */
  const char *path[3];      /* full, mult, adder netlists; NULL: generate */
  pp_mac_opts gen;          /* generator options (part is set per netlist) */
  const char *work_dir;     /* where generated netlists are written */
  pp_sim_opts sim;          /* simulation options (input slew, delay model, tick) */
  /* overrides of the library's load assumptions (< 0: keep): load on each
   * primary output, wire-load estimate cap + cap_per_fanout x fanout (fF) */
  double output_load_ff, wire_cap_ff, wire_cap_per_fanout_ff;
  /* the wire model (pp_lib_use_wire_load): NULL or "library", "none", or a
   * wire_load group of the library; applied before the overrides above */
  const char *wire_load;
} pp_char_mac_spec;
void pp_char_mac_spec_default(pp_char_mac_spec *s);

typedef struct pp_char_mac {
  pp_lib *lib;
  pp_netlist *nl[3];
  pp_sim_model *m[3];       /* [0] full, [1] mult, [2] adder; NULL when not loaded */
  char path[3][4096];       /* netlist file of each */
  char desc[3][128];        /* "builtin:array/ripple" or the path */
} pp_char_mac;

int pp_char_mac_load(const pp_char_mac_spec *s, unsigned parts, pp_char_mac *out, pp_err *e);
void pp_char_mac_free(pp_char_mac *m);
/* The full MAC of spec at its library's corner: static critical path (ps),
 * leakage with every input state equally likely (nW) and the library's
 * nom_voltage (V); what a voltage law is fitted to. */
int pp_char_mac_corner(const pp_char_mac_spec *s, double *critical_ps, double *leak_nw, double *voltage, pp_err *e);

/* ---- driving the MAC's inputs ------------------------------------------------ */

/* The input vectors of a MAC part with the weight held, as the power kernel,
 * the timing reference and the estimate check drive it: the ports w and a
 * (and p when the part has one: the full MAC, not the multiplier), two input
 * bit vectors (old, new) sized for the model, the weight w set in both. */
typedef struct pp_char_io {
  const pp_sim_model *m;
  int pw, pa, pp;          /* input ports; pp = -1 when not asked for */
  uint8_t *old_bits, *new_bits;
} pp_char_io;
/* need_p: the part must have a partial-sum input p (else PP_EINVAL naming the
 * netlist). On error nothing is left allocated. */
int pp_char_io_init(pp_char_io *io, const pp_sim_model *m, int need_p, int w, pp_err *e);
/* One cycle: activation a_old -> a_new and (when pp >= 0) partial sum
 * p_old -> p_new; the weight stays. */
void pp_char_io_set(pp_char_io *io, int a_old, int a_new, int64_t p_old, int64_t p_new);
void pp_char_io_free(pp_char_io *io);

/* Runs fn(ctx, ws, i, e) for i = 0..n-1 on OpenMP threads, each thread with
 * its own simulation workspace of m (items scheduled one at a time). Every
 * item runs; the status and error of the lowest failing i are returned, so
 * the result does not depend on the thread count. prog (may be NULL) is
 * advanced once per item. */
typedef int (*pp_char_item_fn)(void *ctx, pp_sim_ws *ws, int i, pp_err *e);
int pp_char_parallel(const pp_sim_model *m, int n, pp_char_item_fn fn, void *ctx, pp_progress *prog, pp_err *e);

/* ---- power characterization ----------------------------------------------- */

/* One cycle at the MAC's data inputs: activation a_old -> a_new and partial
 * sum p_old -> p_new (the weight is held). */
typedef struct pp_char_tuple {
  uint8_t a_old, a_new;
  int32_t p_old, p_new;
} pp_char_tuple;

/* T tuples drawn from a trace's statistics: the activation-transition
 * histogram and the partial-sum bin transitions (pp_array_sample_transitions,
 * the paper's method), or with reservoir == 1 joint samples of the real
 * streams (pp_array_sample_reservoir); reservoir == 2 is an ablation: the
 * reservoir's activation transitions paired with the partial-sum transitions
 * of a shuffled order (exact marginals, no joint dependence). */
int pp_char_trace_tuples(const pp_array_stats *s, size_t T, uint64_t seed, int reservoir, pp_char_tuple *out,
                         pp_err *e);

/* T tuples with a and p uniform over their a_bits / p_bits (signed) ranges. */
void pp_char_uniform_tuples(int a_bits, int p_bits, size_t T, uint64_t seed, pp_char_tuple *out);

/* Weight range of a MAC or multiplier model from its port "w" (symmetric:
 * -(2^(b-1)-1) .. 2^(b-1)-1) and the activation count 2^a_bits. */
int pp_char_ranges(const pp_sim_model *m, int *w_min, int *n_w, int *n_a, pp_err *e);

/* The full MAC (ports w, a, p -> y) simulated with the timed event engine,
 * weight held at each value, on every tuple (each transition starts from the
 * settled old vector, as sim defines it). dyn_uw[w] = mean energy per tuple
 * (fJ) / clock_ps * 1000; leak_uw = the model's leakage. OpenMP over weights;
 * each weight's sum runs in tuple order, so the result does not depend on the
 * thread count. Fills the numeric fields of out (w range, dyn, leak, clock,
 * voltage, transitions); the caller fills the provenance strings.
 * When the library prices gates by their input state (`when` groups), the
 * model is first re-priced (pp_sim_model_use_states) for the states of the
 * new vectors of up to PP_CHAR_STATE_TUPLES tuples, evenly spaced, under
 * every weight: one leakage and one energy per arc for the whole table. */
#define PP_CHAR_STATE_TUPLES 256
int pp_char_power_run(pp_sim_model *mac, const pp_char_tuple *t, size_t T, double clock_ps,
                      pp_char_power *out, pp_err *e);
/* Mean energy (fJ) per tuple of one weight value (the kernel of the above,
 * exposed for tests and for the estimate check). ws belongs to mac. */
int pp_char_weight_energy(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                          double *mean_fj, pp_err *e);
/* The two engines behind it: the time-stepped bit-parallel one (256 tuples
 * per call, energy from integer counts; transport delays only, PP_EINVAL
 * otherwise) used whenever pp_sim_ts_exact(mac), and the event engine, the
 * reference, one tuple at a time (any delay model). They agree within
 * rounding (1e-9 relative, tested). */
int pp_char_weight_energy_ts(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                             double *mean_fj, pp_err *e);
int pp_char_weight_energy_event(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                                double *mean_fj, pp_err *e);

/* ---- timing characterization (paper Fig. 5) --------------------------------- */

/* MAC delay of one transition: max(max over product bits that changed of
 * t_i + d_i, d_psum); bits with t_i <= 0 never changed (no path sensitized). */
double pp_char_mac_delay(const double *t_bits, const double *d_bits, int n_bits, double d_psum);

/* Static side of the analysis, from STA of the adder (ports prod, p -> y):
 * d_bits[i] = longest path prod[i] -> any output, d_psum = longest p -> y. */
typedef struct pp_char_adder_sta {
  int n_prod;
  double d_bits[32];
  double d_psum;
  double max_d_bits;
} pp_char_adder_sta;
int pp_char_adder_sta_run(const pp_sim_model *adder, pp_char_adder_sta *out, pp_err *e);

/* Invariants of the split analysis (tested): d_psum <= D <= STA(multiplier) +
 * max_i d_i, and D = d_psum when nothing in the multiplier moves (w = 0 or
 * a_from = a_to). D is not bounded by the STA of the composed MAC: the adder
 * is timed alone, with primary-input slews at prod instead of the
 * multiplier's output slews and no multiplier load on its inputs.
 *
 * The whole table: for every weight value and every activation transition
 * a_from -> a_to, the multiplier (ports w, a -> prod) is simulated with the
 * time-stepped bit-parallel engine (256 transitions per call), each product
 * bit's settle time combined with the adder's static delays. Delays are
 * rounded up to whole ps. full (may be NULL) only supplies sta_mac_ps. OpenMP
 * over weights, deterministic. */
int pp_char_timing_run(const pp_sim_model *mult, const pp_sim_model *adder, const pp_sim_model *full,
                       pp_char_delay *out, pp_err *e);
/* The fast kernel for one weight: all n_a^2 transitions into out[a_from * n_a
 * + a_to] (what pp_char_timing_run does per weight). */
int pp_char_timing_weight(const pp_sim_model *mult, const pp_char_adder_sta *ad, int w, uint16_t *out, pp_err *e);
/* Reference for one weight and a list of transitions (pairs[k] = a_from << 8 |
 * a_to): the timed event engine, one transition at a time. */
int pp_char_timing_ref(const pp_sim_model *mult, const pp_char_adder_sta *ad, int w, const uint16_t *pairs, size_t n,
                       uint16_t *out, pp_err *e);

#endif

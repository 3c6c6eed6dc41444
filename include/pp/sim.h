/* sim: gate-level simulation and static timing of a pp_netlist.
 *
 * One immutable model (pp_sim_model), built once per netlist, holds every
 * per-instance delay and energy; every engine reads the same model, so the
 * timed event engine, the bit-parallel engines, STA and the Icarus Verilog
 * model written for cross-checking all mean the same circuit.
 *
 * ---- Delay model (the contract every engine and the Verilog model follow) ----
 * Time is integer ticks of opts.tick_ps (default 1 ps). Results are reported
 * in ps = ticks * tick_ps.
 *
 * Slews: primary inputs and constants have slew opts.input_slew_ps (default
 * lib->default_slew_ps) for both edges. Gates are visited in topological
 * order; for each arc (input pin i -> output pin o) the cell's timing group
 * of o with related_pin i gives, at the output net's load C (net.load_rise_ff for
 * the rise lookups, net.load_fall_ff for the fall ones),
 *   sense positive:  rise arc = cell_rise(slew_rise(in), C), fall arc = cell_fall(slew_fall(in), C)
 *   sense negative:  rise arc = cell_rise(slew_fall(in), C), fall arc = cell_fall(slew_rise(in), C)
 *   non-unate:       both = max of the four (cell_rise|cell_fall) x (slew_rise|slew_fall) lookups
 * and the output net's slews are the worst (max) rise_transition /
 * fall_transition over all its arcs (same input-slew choice as the delay).
 * A missing arc (no timing group for that pin) uses the cell's worst arc.
 *
 * Pin delays: each arc becomes a delay of the *input edge*:
 *   d_r = delay applied when the input net rises, d_f = when it falls
 *   (positive unate: d_r = rise arc, d_f = fall arc; negative unate: d_r =
 *   fall arc, d_f = rise arc; non-unate: d_r = d_f = max), each rounded to
 *   the nearest tick and at least 1 tick.
 * Each arc is a transport delay line with edge-dependent delays and VHDL
 * transport semantics (a new edge cancels pending ones that would land at or
 * after it). For integer ticks this is exactly
 *   x'(T) = AND of x(t) for t in [T - d_r, T - d_f]   when d_r >= d_f
 *   x'(T) = OR  of x(t) for t in [T - d_f, T - d_r]   when d_r <  d_f
 * (a pulse narrower than |d_r - d_f| is swallowed or widened, never inverted).
 * The gate output is the cell's Boolean function of its delayed pins, with no
 * further delay: out(T) = f(x1'(T), ..., xk'(T)). Net values are piecewise
 * constant between integer ticks; a toggle is a change of that value (no
 * zero-width glitches exist in the model).
 * The optional inertial mode (event engine only) replaces each delay line by
 * an inertial one: an input edge cancels the arc's pending edge, and is
 * scheduled only if it differs from the arc's projected value.
 *
 * Transition: the circuit is settled at the old input vector (zero-delay
 * values), every input bit switches to the new vector at T = 0.
 *
 * Energy of a transition (fJ): every toggle of a net costs 0.5 * load_ff * V^2
 * (V = lib->voltage; primary-input nets included, they are charged by the
 * MAC's drivers), plus, for a toggle of a gate output, the cell's internal
 * energy: the rise_power (output rising) or fall_power table of the
 * internal_power group whose related_pin is the lowest-numbered delayed pin
 * that changed at that tick (the group without related_pin when none
 * matches; 0 when the cell has none), looked up at that pin's net slew and
 * the output load. Leakage is the sum over gates of their cell's leakage
 * (nW). Where the library conditions a group on the input state (`when`),
 * a gate's leakage is its mean over the gate's input states
 * (pp_lib_leakage_at), and an arc's internal energy its mean over the states
 * in which that input decides the output, the only ones its edges can occur
 * in (pp_lib_power_at): every state equally likely as built, weighted by the
 * settled states of a stimulus after pp_sim_model_use_states. Input-pin
 * internal_power groups are ignored.
 *
 * ---- Threads ----
 * A model is read-only after pp_sim_model_new and may be shared by any number
 * of threads; each thread uses its own pp_sim_ws workspace.
 *
 * ---- Input vectors ----
 * A "bit vector" has one uint8_t (0/1) per primary input bit: the input ports
 * in netlist order, each LSB first (pp_sim_input_bit gives the index). The
 * bit-parallel engines take one uint64_t word per input bit instead, lane j
 * of every word being vector j. */
#ifndef PP_SIM_H
#define PP_SIM_H

#include <stdint.h>

#include "pp/netlist.h"
#include "pp/util.h"

typedef struct pp_sim_opts {
  double tick_ps;       /* time quantum (ps); delays round to it; default 1.0 */
  double input_slew_ps; /* < 0: lib->default_slew_ps (default -1) */
  int inertial;         /* event engine: inertial instead of transport (default 0) */
} pp_sim_opts;

void pp_sim_opts_default(pp_sim_opts *o);

typedef struct pp_sim_model pp_sim_model;

/* Builds the model (delays, slews, energies, compiled cell functions).
 * The netlist (and its library) must outlive the model. */
int pp_sim_model_new(const pp_netlist *nl, const pp_sim_opts *o, pp_sim_model **out, pp_err *e);
void pp_sim_model_free(pp_sim_model *m);

/* 1 when some gate's cell has a `when`-conditioned leakage_power or
 * output internal_power group, so that the input states change the prices. */
int pp_sim_model_state_dependent(const pp_sim_model *m);
/* Re-prices those gates for the input states they settle in under n bit
 * vectors (n_input_bits bytes each, see below): each gate's leakage and arc
 * energies become their means over its states in those vectors (see the
 * energy paragraph above). Call before
 * the model is shared between threads. Nothing changes for a model that is
 * not state dependent or for n == 0. PP_ENOMEM or PP_OK. */
int pp_sim_model_use_states(pp_sim_model *m, const uint8_t *vectors, long n, pp_err *e);

const pp_netlist *pp_sim_netlist(const pp_sim_model *m);
double pp_sim_tick_ps(const pp_sim_model *m);
double pp_sim_leakage_nw(const pp_sim_model *m);
int pp_sim_n_input_bits(const pp_sim_model *m);
int pp_sim_n_output_bits(const pp_sim_model *m);
/* Index of bit `bit` of input port `port` in a bit vector (-1 if out of range). */
int pp_sim_input_bit(const pp_sim_model *m, int port, int bit);
/* Index of bit `bit` of output port `port` among the output bits. */
int pp_sim_output_bit(const pp_sim_model *m, int port, int bit);
/* Net of input/output bit number i. */
int pp_sim_input_net(const pp_sim_model *m, int i);
int pp_sim_output_net(const pp_sim_model *m, int i);
/* Pin delays of the arc (gate, its input position `in`) -> output position
 * `out`, in ticks: d_r for a rising input edge, d_f for a falling one.
 * Returns -1 when the output is unconnected or an argument is out of range. */
int pp_sim_arc_delay(const pp_sim_model *m, int gate, int out, int in, int *d_r, int *d_f);
/* The same arc's delays for the shortest paths (ticks), per edge pair:
 * d[2 * in_rise + out_rise], -1 when that input edge cannot cause that
 * output edge. Each is the fastest timing group's lookup at the input net's
 * fastest slew of that edge (fastest slews propagate like the worst ones,
 * with min for max); a non-unate arc gives all four. Pairs no timing group
 * covers take the pin delay above. */
int pp_sim_arc_min_delay(const pp_sim_model *m, int gate, int out, int in, int d[4]);
/* Worst rise/fall slew (ps) the model propagated to a net. */
void pp_sim_net_slew(const pp_sim_model *m, int net, double *rise_ps, double *fall_ps);

/* Writes value (two's complement, wrapped to the port width) into the bits
 * of input port `port`. */
void pp_sim_bits_set_port(const pp_sim_model *m, uint8_t *bits, int port, int64_t value);
/* Same, by port name; PP_EINVAL when the netlist has no such input. */
int pp_sim_bits_set(const pp_sim_model *m, uint8_t *bits, const char *port, int64_t value, pp_err *e);
/* Same for bit-parallel words: lane `lane` of the port's words gets value. */
void pp_sim_words_set_port(const pp_sim_model *m, uint64_t *words, int port, int lane, int64_t value);

/* ---- per-thread workspace ---- */
typedef struct pp_sim_ws pp_sim_ws;
int pp_sim_ws_new(const pp_sim_model *m, pp_sim_ws **out, pp_err *e);
void pp_sim_ws_free(pp_sim_ws *w);

/* ---- timed event-driven engine ---- */
enum {
  PP_SIM_NET_DETAIL = 1, /* fill net_toggles and net_last_ps */
  PP_SIM_TRACE = 2,      /* record every net change (net, tick, value) */
  PP_SIM_ENERGY = 4,     /* time-stepped engines: energy summed over the lanes */
  PP_SIM_LANE_ENERGY = 8 /* time-stepped engines: also the energy of every lane */
};

typedef struct pp_sim_result {
  double energy_fj;     /* switching_fj + internal_fj */
  double switching_fj;  /* sum over toggles of 0.5 C V^2 */
  double internal_fj;   /* cell internal energy */
  long toggles;         /* all net toggles, glitches included */
  long output_toggles;  /* toggles of primary output bits */
  double max_settle_ps; /* max of settle_ps */
  int n_out_bits;
  /* The arrays below belong to the workspace: valid until its next use. */
  const double *settle_ps;    /* per output bit: time of its last change (0: never changed) */
  const uint8_t *out_values;  /* per output bit: final value */
  const int *net_toggles;     /* per net (PP_SIM_NET_DETAIL, else NULL) */
  const double *net_last_ps;  /* per net, time of last change, 0 if none (PP_SIM_NET_DETAIL) */
  const double *net_internal_fj; /* per net: internal energy of its driver's toggles (PP_SIM_NET_DETAIL) */
  const int32_t *trace;       /* PP_SIM_TRACE: n_trace triples (net, tick, value) in time order */
  long n_trace;
} pp_sim_result;

/* Simulates old_bits -> new_bits. Returns PP_OK, or PP_ENOMEM. */
int pp_sim_transition(pp_sim_ws *w, const uint8_t *old_bits, const uint8_t *new_bits, unsigned flags,
                      pp_sim_result *r);
/* Final value of an output port after the last pp_sim_transition (two's
 * complement when is_signed). */
int64_t pp_sim_output_value(const pp_sim_ws *w, int out_port, int is_signed);

/* ---- bit-parallel engines (64 vectors per call, lane j = bit j) ---- */
/* Zero-delay values of every net for 64 input vectors; net_words has n_nets
 * entries (in_words: one word per input bit). */
void pp_sim_bp_eval(const pp_sim_model *m, const uint64_t *in_words, uint64_t *net_words);
/* Zero-delay toggles of 64 transitions old->new: returns the total number of
 * net toggles over all lanes; net_toggles (n_nets, may be NULL) is added to. */
long pp_sim_bp_toggles(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, long *net_toggles);

/* Time-stepped bit-parallel engine: the exact delay model above, simulated
 * one tick at a time for 64 transitions at once (so it agrees exactly with
 * the transport event engine; choose tick_ps = 1 for speed). */
typedef struct pp_sim_ts_result {
  /* Workspace-owned, valid until the next call: */
  const int32_t *settle_ticks; /* [out_bit * 64 + lane]: last change tick (0: never) */
  const int32_t *max_settle_ticks; /* [lane]: max over output bits */
  long toggles;                /* all net toggles over all lanes */
  const long *net_toggles;     /* per net, summed over lanes (flag PP_SIM_NET_DETAIL), else NULL */
  /* PP_SIM_ENERGY (or PP_SIM_LANE_ENERGY): the energy of sim.h summed over
   * the lanes, from integer counts (so independent of the lane order), and
   * per pin (2 * pin + 0 rise, + 1 fall) the output changes whose internal
   * energy went to that pin's arc; 0 and NULL without the flag. */
  double switching_fj, internal_fj, energy_fj;
  const long *pin_rise_fall;
  /* PP_SIM_LANE_ENERGY: per lane (64 or 256 entries), else NULL */
  const double *lane_switching_fj, *lane_internal_fj;
} pp_sim_ts_result;
int pp_sim_ts_run(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, unsigned flags,
                  pp_sim_ts_result *r);
/* The same for 256 transitions per call (GCC vector words): 4 words per
 * input bit, words[4 * bit + j] holding lanes 64j .. 64j+63; results are
 * settle_ticks[out_bit * 256 + lane] and max_settle_ticks[256]. */
int pp_sim_ts_run256(pp_sim_ws *w, const uint64_t *old_words, const uint64_t *new_words, unsigned flags,
                     pp_sim_ts_result *r);
/* 1 when the time-stepped engines simulate m's delay model exactly (the
 * transport delays of sim.h), 0 for the inertial option (event engine only). */
int pp_sim_ts_exact(const pp_sim_model *m);
/* Sets lane `lane` (0..255) of an input port in that 4-word layout. */
void pp_sim_wide_set_port(const pp_sim_model *m, uint64_t *words, int port, int lane, int64_t value);

/* ---- static timing ---- */
/* Longest and shortest paths, rise and fall separately with each pin's
 * unateness taken from the cell function. Longest: the model's pin delays
 * (so they bound every engine's settle time). Shortest: the per-edge-pair
 * arcs of pp_sim_arc_min_delay, the min over the input edges that can cause
 * each output edge. */
typedef struct pp_sta_stage {
  int gate;            /* -1 for the starting primary input */
  int net;             /* net reached by this stage */
  int in_pos, out_pos; /* cell input/output position */
  const char *inst, *cell, *in_pin, *out_pin; /* names (NULL for the start) */
  int rise;            /* 1 when the net rises at this stage */
  double delay_ps;     /* pin delay of this stage */
  double arrival_ps;   /* arrival at the net */
} pp_sta_stage;

typedef struct pp_sta {
  int n_in_bits, n_out_bits;
  /* [in_bit * n_out_bits + out_bit], ps; -1 when no path */
  double *max_ps, *min_ps;
  double critical_ps;  /* longest path of the whole netlist */
  int crit_in_bit, crit_out_bit;
  pp_sta_stage *path;  /* critical path, from the input to the output */
  int n_path;
} pp_sta;

int pp_sta_run(const pp_sim_model *m, pp_sta **out, pp_err *e);
void pp_sta_free(pp_sta *s);
/* For input port `port`: per_bit[b] = longest delay (ps) from bit b to any
 * output bit (-1 when none); returns the max over the port's bits. */
double pp_sta_port_max(const pp_sim_model *m, const pp_sta *s, int port, double *per_bit);

/* ---- Icarus Verilog cross-check ---- */
/* Writes a self-contained Verilog file for Icarus: every net as a wire
 * n<index>; every arc as transport taps `always @(x) t <= #j x;` at each tick
 * j of [min(d_r,d_f), max(d_r,d_f)], combined by AND (d_r >= d_f) or OR,
 * which is the delay line of the model above; each gate output a continuous
 * assign of its truth table indexed by the delayed pins; `timescale` = one
 * tick. Zero-width (delta) glitches may occur inside Icarus but the values
 * at the end of each time step, which $strobe prints, are exactly the
 * model's. The testbench applies n_transitions transitions: with old_bits,
 * transition k settles old_bits[k] then switches to new_bits[k]; with
 * old_bits NULL they are chained, new_bits holding n_transitions + 1 vectors
 * (k: vector k -> k+1). Vectors are n_input_bits bytes each. watch_all:
 * print every net's changes, else only output bits'.
 * Requires tick_ps in {1, 0.1, 0.01, 0.001}. */
int pp_sim_icarus_write(const pp_sim_model *m, const char *path, const uint8_t *old_bits,
                        const uint8_t *new_bits, int n_transitions, int watch_all, pp_err *e);
/* Compiles and runs such a file (iverilog, vvp) and parses, per transition k,
 * toggles[k * n_nets + net] and last_tick[k * n_nets + net] (time of the last
 * change after the switch, 0 if none) for the watched nets (others 0); both
 * caller-allocated, n_transitions * n_nets. seconds (may be NULL) gets the
 * wall time of vvp alone. PP_EIO when the tools are missing or fail. */
int pp_sim_icarus_run(const pp_sim_model *m, const char *vfile, int n_transitions, int *toggles,
                      int32_t *last_tick, double *seconds, pp_err *e);
/* 1 when iverilog and vvp can be run. */
int pp_sim_icarus_available(void);

/* ---- energy oracle: OpenSTA report_power on our activities ---- */
/* Activity of a chained stimulus: vectors holds n_transitions + 1 bit
 * vectors, transition k is vector k -> k+1 (one per clock period). Per net:
 * toggles (the timed engine's, glitches included), ones = transitions after
 * which the net settles at 1 (its duty is ones / n_transitions), and the
 * internal energy our model charged to its driver. Totals: switching of
 * gate-driven nets and of primary-input nets (OpenSTA counts only the
 * former: a top-level port has no driving cell), internal energy. */
typedef struct pp_sim_activity {
  int n_nets;
  long n_transitions;
  long *toggles, *ones;
  double *internal_fj;
  double *gate_switching_fj, *gate_internal_fj; /* per gate: its output nets' switching, its internal energy */
  double switching_fj, input_switching_fj, internal_total_fj;
  double max_settle_ps;
} pp_sim_activity;
int pp_sim_activity_run(pp_sim_ws *w, const uint8_t *vectors, long n_transitions, pp_sim_activity *a, pp_err *e);
void pp_sim_activity_free(pp_sim_activity *a);

typedef struct pp_opensta_opts {
  const char *program;      /* NULL: "sta" on PATH */
  const char *netlist_path; /* the Verilog file the model's netlist was read from (OpenSTA reads it itself) */
  const char *lib_path;     /* the Liberty file */
  const char *work_dir;     /* NULL: a temporary directory, removed on success */
} pp_opensta_opts;

/* What OpenSTA computes for one toggle of every pin. */
typedef struct pp_opensta_power {
  double internal_w, switching_w, leakage_w, total_w; /* its report_power Total row (one toggle per 1000 ps) */
  /* per net, fJ per toggle: switching 0.5 C V^2 at OpenSTA's load and supply;
   * internal energy of the driving output: OpenSTA's arc energies (at its
   * slews and load), each the mean of its rise and fall tables, weighted by
   * the arc's sensitization probability over their sum (the rule of OpenSTA
   * releases since 2020); and what Debian's 2019 OpenSTA adds up per output
   * toggle, sum over arcs of P(sensitized) x (E_rise + E_fall), about twice
   * as much (net_internal_sum_fj);
   * input-pin internal_power groups of the net's fanout, per toggle. */
  double *net_switching_fj, *net_internal_fj, *net_internal_sum_fj, *net_input_internal_fj;
  uint8_t *net_seen;   /* OpenSTA reported this net's driver */
  uint8_t *inst_found; /* per gate */
  int n_found;
} pp_opensta_power;
/* Runs OpenSTA (fork/execvp; a Tcl script whose every name is quoted by
 * pp_tcl_quote) on the netlist and library files with the model's input
 * slew (set_input_transition), the library's output load (set_load on the
 * outputs), each net's wire capacitance of our reader (set_load on the net)
 * and one toggle per clock period on every pin (-global activity 1, duty
 * 0.5), then reads its per-pin and per-arc power report (debug level 2) as
 * energies per toggle. Per-pin activities cannot be handed over directly:
 * Debian's 2019 OpenSTA ignores user activity on any pin but a top-level
 * input (its propagation always recomputes a driver's activity from the
 * cell function); power being linear in each pin's activity, multiplying
 * OpenSTA's energy per toggle by our toggle counts (pp_sim_opensta_apply) is
 * what report_power would give with them. Loads, slews, supply, table lookups
 * and arc weights are all OpenSTA's own. Names must be OpenSTA's: flat
 * netlists (what Yosys and the generator write). PP_EIO when sta is missing
 * or fails (its files are kept, the message says where), PP_ECHECK when it
 * lacks one of our names. */
int pp_sim_opensta_energy(const pp_sim_model *m, const pp_opensta_opts *o, pp_opensta_power *r, pp_err *e);

/* OpenSTA's energies applied to a stimulus' toggles (fJ over the stimulus). */
typedef struct pp_opensta_on_activity {
  double switching_fj, internal_fj, internal_sum_fj, input_pin_internal_fj;
  double *gate_switching_fj, *gate_internal_fj; /* per gate */
} pp_opensta_on_activity;
int pp_sim_opensta_apply(const pp_sim_model *m, const pp_opensta_power *r, const pp_sim_activity *a,
                         pp_opensta_on_activity *out, pp_err *e);
void pp_opensta_on_activity_free(pp_opensta_on_activity *o);
void pp_opensta_power_free(pp_opensta_power *r);

#endif

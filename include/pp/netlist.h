/* netlist: the gate-level data model. A Liberty cell library (pp_lib), a
 * structural netlist flattened into one levelized gate graph (pp_netlist),
 * the readers for both formats and the MAC generator.
 *
 * Units inside the model are fixed, whatever the file used: time in ps,
 * capacitance in fF, energy in fJ, leakage power in nW, voltage in V, area in
 * the library's area unit. Readers convert on load. */
#ifndef PP_NETLIST_H
#define PP_NETLIST_H

#include <stdint.h>

#include "pp/liberty.h"
#include "pp/util.h"

/* ---- gate graph ---------------------------------------------------------- */

/* Every net has at most one driver: a gate output, a primary input bit or a
 * constant. Gates are stored in topological (levelized) order: every gate's
 * inputs are driven by primary inputs, constants or gates earlier in the
 * array; level[g] = 1 + max level of its driving gates (inputs are level 0). */
enum { PP_DRV_NONE = 0, PP_DRV_INPUT = 1, PP_DRV_GATE = 2, PP_DRV_CONST0 = 3, PP_DRV_CONST1 = 4 };

typedef struct pp_net {
  char *name;
  int drv_kind;     /* PP_DRV_* */
  int drv_gate;     /* gate index when drv_kind == PP_DRV_GATE */
  int drv_out;      /* which output of that gate (0..n_out-1) */
  int *fanout;      /* gate indices reading this net (a gate reading it twice is listed twice) */
  int *fanout_pin;  /* the input position (0..n_in-1) of each fanout entry */
  int n_fanout;
  double load_ff;   /* sum of fanout pin caps + wire-load estimate + output port load */
  int is_output;    /* drives a primary output bit */
} pp_net;

typedef struct pp_gate {
  char *name;       /* hierarchical instance name */
  int cell;         /* index into lib->cells */
  int n_in, n_out;
  int in[PP_LIB_MAX_INPUTS]; /* net per cell input, in the cell's truth-table order */
  int out[4];                /* net per cell output (-1 when left unconnected) */
  int level;
} pp_gate;

typedef struct pp_port {
  char *name;
  int width;
  int *bits;        /* net per bit, bits[0] = LSB (index range normalized) */
  int msb, lsb;     /* declared range, for writing back */
} pp_port;

typedef struct pp_netlist {
  const pp_lib *lib; /* not owned */
  char *top;         /* top module name */
  pp_net *nets;
  int n_nets;
  pp_gate *gates;    /* topological order */
  int n_gates;
  int n_levels;
  pp_port *inputs;
  int n_inputs;
  pp_port *outputs;
  int n_outputs;
} pp_netlist;

void pp_netlist_free(pp_netlist *nl);
/* For builders of a pp_netlist (the readers, the MAC generator): fills every
 * net's fanout lists and adds up load_ff from the gates' input pin caps, the
 * library's wire-load estimate and out_load_ff on nets that drive a primary
 * output. PP_OK or PP_ENOMEM (nothing set in an error: the caller reports). */
int pp_netlist_finish_loads(pp_netlist *nl, double out_load_ff);
int pp_netlist_find_input(const pp_netlist *nl, const char *name);  /* port index or -1 */
int pp_netlist_find_output(const pp_netlist *nl, const char *name); /* port index or -1 */
/* Writes the netlist back as structural Verilog. */
int pp_netlist_write_verilog(const pp_netlist *nl, const char *path, pp_err *e);

/* Zero-delay reference evaluation of one input vector, gate by gate (slow,
 * obviously right; the simulators are checked against it). values has
 * n_nets entries; primary input bits must be set by the caller. */
void pp_netlist_eval(const pp_netlist *nl, uint8_t *values);
/* The same over 64 vectors at once: bit k of values[n] is net n in vector k
 * (bit-parallel, for exhaustive checks; tested against pp_netlist_eval). */
void pp_netlist_eval64(const pp_netlist *nl, uint64_t *values);

/* ---- MAC generator -------------------------------------------------------- */
/* The MAC computes y = p + w * a: w signed (two's complement, w_bits), a
 * unsigned (a_bits), p and y signed p_bits wide, wrapping as hardware does.
 * Ports are named w, a, p, y (and the generator adds the same names to RTL). */
enum { PP_MULT_ARRAY = 0, PP_MULT_BOOTH = 1 };
enum { PP_ADDER_RIPPLE = 0, PP_ADDER_PREFIX = 1 };

typedef struct pp_mac_opts {
  int w_bits;  /* 2..8, default 8 */
  int a_bits;  /* 2..8, default 8 */
  int p_bits;  /* default 22 */
  int mult;    /* PP_MULT_* */
  int adder;   /* PP_ADDER_* */
  int part;    /* PP_MAC_FULL (default), PP_MAC_MULT or PP_MAC_ADDER */
} pp_mac_opts;

/* Parts, for the paper's split timing (Fig. 5): the multiplier alone has
 * ports w, a -> prod (w_bits+a_bits, signed); the adder alone has ports
 * prod, p -> y. The full MAC has w, a, p -> y and is the two composed. */
enum { PP_MAC_FULL = 0, PP_MAC_MULT = 1, PP_MAC_ADDER = 2 };

void pp_mac_opts_default(pp_mac_opts *o);
/* Writes a structural Verilog netlist of the MAC (or one part) in lib's cells.
 * Multipliers: PP_MULT_ARRAY is a Baugh-Wooley carry-save array (one row of
 * full adders per activation bit) with a ripple-carry final adder;
 * PP_MULT_BOOTH recodes the signed weight radix-4 (ceil(w_bits/2) partial
 * products, sign extension by the inverted-sign-plus-constant trick), reduces
 * them with a Dadda tree of HA/FA and finishes with the prefix adder. Adders
 * (the partial sum): ripple-carry, or Kogge-Stone with alternating
 * AOI21/OAI21 levels when the library has them (AND/OR otherwise).
 * Cells are found by Boolean function (smallest area among matches), so any
 * library with a 2-input NAND or NOR works; HA, FA, XOR, AOI21... are used
 * when present. Outputs of multi-output cells that nothing reads are left
 * unconnected (pp_gate.out[o] == -1 after reading). Module name:
 * pp_<mac|mult|adder>_<array|booth>_<ripple|prefix>_w<W>a<A>p<P>. */
int pp_mac_generate(const pp_mac_opts *o, const pp_lib *lib, const char *path, pp_err *e);

/* Exhaustive functional check of a MAC netlist (generated or synthesized).
 * The kind and widths come from the ports: w, a, p -> y (full MAC), w, a ->
 * prod (multiplier) or prod, p -> y (adder). Every (w, a) pair (every prod
 * value for the adder) is applied once with a seeded random partial sum,
 * plus edge cases (most negative/positive weights, largest activation,
 * partial sums at the wrap-around points); the expected value wraps modulo
 * 2^width as hardware does. Evaluation is 64-way bit-parallel. */
typedef struct pp_mac_check_result {
  int part;                       /* PP_MAC_* as found from the ports */
  int w_bits, a_bits, p_bits, prod_bits;
  long long pairs_checked;        /* distinct (w, a) pairs (prod values for the adder part) */
  long long vectors_checked;      /* all vectors applied, edge cases included */
  long long mismatches;
  /* the first mismatch (valid when mismatches > 0) */
  long long bad_w, bad_a, bad_p, bad_prod;
  unsigned long long got, want;
} pp_mac_check_result;
/* PP_OK when the check ran (look at r->mismatches), an error when the
 * netlist does not have MAC ports. */
int pp_mac_check(const pp_netlist *nl, uint64_t seed, pp_mac_check_result *r, pp_err *e);

#endif

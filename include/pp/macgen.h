/* macgen: the MAC generator and the exhaustive MAC checker. Generates the
 * default MAC y = p + w*a (or its multiplier or adder part) in the cells of
 * any library, in several architectures, as structural Verilog or straight
 * into a netlist; checks any MAC netlist (generated or synthesized) against
 * exact arithmetic for every (w, a) pair. */
#ifndef PP_MACGEN_H
#define PP_MACGEN_H

#include <stdint.h>

#include "pp/liberty.h"
#include "pp/netlist.h"
#include "pp/util.h"

/* The MAC computes y = p + w * a: w signed (two's complement, w_bits), a
 * unsigned (a_bits), p and y signed p_bits wide, wrapping as hardware does.
 * Ports are named w, a, p, y (and the generator adds the same names to RTL). */
enum { PP_MULT_ARRAY = 0, PP_MULT_BOOTH = 1 };
enum { PP_ADDER_RIPPLE = 0, PP_ADDER_PREFIX = 1 };
/* The one default architecture: pp_mac_opts_default, every subcommand's
 * --mult/--adder and the flow take it from here, so `sta` and `run` time the
 * same MAC. Booth: the power of a weight value follows its Booth digits
 * (powers of two are cheap, as in the paper's Fig. 2) and weight 0 does not
 * glitch, so its delay floor is the adder's path alone. */
#define PP_MAC_MULT_DEFAULT PP_MULT_BOOTH
#define PP_MAC_ADDER_DEFAULT PP_ADDER_RIPPLE
/* "array"/"booth" and "ripple"/"prefix" (NULL for an unknown value). */
const char *pp_mac_mult_name(int mult);
const char *pp_mac_adder_name(int adder);

typedef struct pp_mac_opts {
  int w_bits;  /* 2..8, default 8 */
  int a_bits;  /* 2..8, default 8 */
  int p_bits;  /* default 22 */
  int mult;    /* PP_MULT_* (default PP_MAC_MULT_DEFAULT) */
  int adder;   /* PP_ADDER_* (default PP_MAC_ADDER_DEFAULT) */
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
/* The same MAC as pp_mac_generate writes, read straight into a netlist over
 * lib (no file: the Verilog text is generated in memory and parsed, so the
 * netlist is the one pp_netlist_read would give for the written file). */
int pp_mac_build(const pp_mac_opts *o, const pp_lib *lib, pp_netlist **out, pp_err *e);

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

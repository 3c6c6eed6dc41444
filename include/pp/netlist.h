/* netlist: the gate-level data model. A structural netlist flattened into
 * one levelized gate graph (pp_netlist) over the cells of a pp_lib
 * (liberty.h), its zero-delay reference evaluation and the Verilog writer.
 * The reader is in verilog.h, the MAC generator in macgen.h.
 *
 * Units are liberty.h's: time in ps, capacitance in fF, energy in fJ. */
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
  /* The load a rising / falling transition of the net sees (fF): the fanout
   * pins' rise_capacitance / fall_capacitance + the same wire and port
   * loads. Delay and slew lookups use these, energy uses load_ff. Builders
   * that leave both 0 get load_ff for both (the simulation model's rule). */
  double load_rise_ff, load_fall_ff;
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

#endif

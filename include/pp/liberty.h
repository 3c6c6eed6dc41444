/* liberty: the cell library model and its reader. A Liberty (.lib) file is
 * read into pp_lib: cells, pins, capacitances, leakage, pin functions as
 * truth tables, timing() and internal_power() with scalar or NLDM tables, and
 * the bilinear table lookup.
 *
 * Units inside the model are fixed, whatever the file used: time in ps,
 * capacitance in fF, energy in fJ, leakage power in nW, voltage in V, area in
 * the library's area unit. The reader converts on load. */
#ifndef PP_LIBERTY_H
#define PP_LIBERTY_H

#include <stdint.h>

#include "pp/util.h"

/* A scalar or NLDM lookup table. The model stores it as (slew, load) so that
 * lookups never care about the template's variable order: index_slew in ps,
 * index_load in fF, values[i_slew * n_load + i_load]. A scalar has
 * n_slew = n_load = 1. n_slew == 0 means "absent". */
typedef struct pp_lut {
  int n_slew, n_load;
  double *index_slew;
  double *index_load;
  double *values;
} pp_lut;

/* Bilinear interpolation, linear extrapolation outside the table (as
 * commercial timers do); a 1-wide axis is constant along it. */
double pp_lut_eval(const pp_lut *t, double slew_ps, double load_ff);

enum { PP_SENSE_POSITIVE = 0, PP_SENSE_NEGATIVE = 1, PP_SENSE_NON_UNATE = 2 };

typedef struct pp_lib_timing {
  int related_pin; /* index into the cell's pins */
  int sense;       /* PP_SENSE_* */
  pp_lut cell_rise, cell_fall;             /* ps */
  pp_lut rise_transition, fall_transition; /* ps */
} pp_lib_timing;

/* internal_power groups, as the library lists them: on an output pin, energy
 * per output edge caused by related_pin; on an input pin (related_pin -1),
 * energy per input edge. A group naming several related pins becomes one
 * entry per pin; groups differing only in their `when` state are kept in file
 * order (several entries may share a related_pin: pp_lib_power_at picks). */
typedef struct pp_lib_power {
  int related_pin;            /* -1 when the group names none */
  pp_lut rise_power, fall_power; /* fJ per output rise/fall (internal energy) */
  /* The `when` condition as a truth table over the cell's inputs (bit s set:
   * it holds in input state s, see pp_lib_pin.truth); has_when 0 and when all
   * ones for a group without one. */
  uint64_t when;
  int has_when;
} pp_lib_power;

/* A leakage_power group with a `when` condition: leakage in input states
 * `when` (a truth table as above). */
typedef struct pp_lib_leak {
  uint64_t when;
  double nw;
} pp_lib_leak;

enum { PP_PIN_INPUT = 0, PP_PIN_OUTPUT = 1, PP_PIN_INOUT = 2, PP_PIN_INTERNAL = 3 };

typedef struct pp_lib_pin {
  char *name;
  int dir;              /* PP_PIN_* */
  double cap;           /* fF (input pins): capacitance, else the larger of rise/fall */
  char *function;       /* Liberty function text of an output pin, NULL otherwise */
  /* Output pins of combinational cells: truth table over the cell's input
   * pins (bit i of the row index = value of input number i, in the order of
   * pp_lib_cell.inputs). Cells have at most PP_LIB_MAX_INPUTS inputs. */
  uint64_t truth;
  pp_lib_timing *timings;
  int n_timings;
  pp_lib_power *powers;
  int n_powers;
  /* fF: the load the pin presents to a rising / falling net
   * (rise_capacitance / fall_capacitance, each else capacitance) */
  double cap_rise, cap_fall;
} pp_lib_pin;

#define PP_LIB_MAX_INPUTS 6

typedef struct pp_lib_cell {
  char *name;
  double area;
  /* State-independent leakage: cell_leakage_power, else the mean of the
   * leakage_power groups' values. */
  double leakage_nw;
  /* leakage_power groups with a `when`, in file order (pp_lib_leakage_at) */
  pp_lib_leak *leaks;
  int n_leaks;
  pp_lib_pin *pins;
  int n_pins;
  int inputs[PP_LIB_MAX_INPUTS]; /* pin indices of the inputs, in truth-table order */
  int n_inputs;
  int outputs[4];                /* pin indices of the outputs */
  int n_outputs;
  int is_sequential;             /* has an ff/latch group: not usable in the combinational graph */
  /* NULL when the cell can stand in the gate graph; otherwise why not (static
   * text, e.g. "has a tri-state output", "has more than 6 inputs"). Such
   * cells are read (so real libraries load) but cannot be instantiated. */
  const char *unsupported;
} pp_lib_cell;

/* A wire_load group: a net with n load pins gets a wire of length
 * L(n) from the fanout_length table, interpolated inside it and continued
 * with `slope` outside it (0 without a table, as OpenSTA), never below 0;
 * its capacitance is L * cap_per_length_ff. Resistance is kept, unused (the
 * delay model has no wire RC). */
typedef struct pp_lib_wire_load {
  char *name;
  double cap_per_length_ff; /* capacitance per unit length, fF */
  double res_per_length;    /* resistance per unit length, the library's unit */
  double slope;             /* length per fanout beyond the table */
  double *fanout, *length;  /* n_points fanout_length pairs, fanouts increasing */
  int n_points;
} pp_lib_wire_load;

typedef struct pp_lib {
  char *name;
  char *path;            /* file it was read from */
  double voltage;        /* nom_voltage (V) */
  pp_lib_cell *cells;
  int n_cells;
  /* Default input slew (ps) for primary inputs and the wire-load estimate
   * added to every net: wire_cap_ff + wire_cap_per_fanout_ff * fanout.
   * Liberty has no standard attribute for these, so the reader takes them
   * from the library-level attributes pp_default_input_slew (time unit),
   * pp_wire_cap and pp_wire_cap_per_fanout (capacitive_load_unit), which
   * other tools ignore. Without them: default_slew_ps = the smallest input
   * slew index of the library's delay tables, wire caps = 0. */
  double default_slew_ps;
  double wire_cap_ff, wire_cap_per_fanout_ff;
  /* Load (fF) a primary output drives (the next stage's input): attribute
   * pp_output_load, else the input capacitance of the smallest inverter. */
  double output_load_ff;
  /* wire_load groups; wire_load is the one every net's wire capacitance adds
   * (pp_lib_wire_cap): the reader sets default_wire_load's, -1 when the
   * library names none; pp_lib_use_wire_load changes it. */
  pp_lib_wire_load *wire_loads;
  int n_wire_loads;
  int wire_load;
} pp_lib;

int pp_lib_read(const char *path, pp_lib **out, pp_err *e);
int pp_lib_parse(const char *text, const char *name_for_errors, pp_lib **out, pp_err *e);
void pp_lib_free(pp_lib *lib);
int pp_lib_find_cell(const pp_lib *lib, const char *name);          /* index or -1 */
int pp_lib_find_pin(const pp_lib_cell *c, const char *name);         /* index or -1 */
/* Leakage (nW) of cell c in input state s (bit i = value of input i): the
 * first `when` group holding in s, else leakage_nw (what OpenSTA and
 * commercial tools do with states the groups leave out). */
double pp_lib_leakage_at(const pp_lib_cell *c, unsigned s);
/* The internal_power group of output pin p for an output edge caused by
 * input pin related_pin (a pin index) in input state s: the first group of
 * that pin whose `when` holds in s, else the last of that pin without a
 * `when`; failing both, among the groups without related_pin, the first
 * whose `when` holds, else the last without one; NULL when none. */
const pp_lib_power *pp_lib_power_at(const pp_lib_pin *p, int related_pin, unsigned s);
/* Wire capacitance (fF) of a net with `fanout` cell input pins that drives
 * out_ports primary outputs: wire_cap_ff + wire_cap_per_fanout_ff * fanout
 * + the selected wire_load's at fanout + out_ports loads (a top-level output
 * port is a load of the wire, as OpenSTA counts it). Every builder of net
 * loads and every oracle script uses this. */
double pp_lib_wire_cap(const pp_lib *lib, int fanout, int out_ports);
/* Length of wire_load w's wire for a fanout (see pp_lib_wire_load). */
double pp_lib_wire_load_length(const pp_lib_wire_load *w, double fanout);
int pp_lib_find_wire_load(const pp_lib *lib, const char *name); /* index or -1 */
/* The wire model of --wire-load: "library" (or NULL) keeps what the library
 * says (its default_wire_load and pp_wire_cap attributes); "none" drops all
 * wire capacitance (both); another word selects that wire_load group
 * (PP_EINVAL naming the groups there are when there is none of that name).
 * Call before the netlist's loads are built. */
int pp_lib_use_wire_load(pp_lib *lib, const char *choice, pp_err *e);
/* Name of the selected wire_load group, NULL for none. */
const char *pp_lib_wire_load_name(const pp_lib *lib);
/* The project's own library, data/pp_cells.lib: $PP_LIB if set, else found by
 * pp_data_path (installed copy, build tree, source tree). */
const char *pp_lib_default_path(void);

#endif

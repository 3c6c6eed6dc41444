/* liberty/lib_internal: what the Liberty reader's sources share (not a public
 * interface). lib_parse.c turns the text into a tree of lnode; lib_table.c
 * reads numbers, units and NLDM tables out of it; lib_func.c evaluates pin
 * functions; liberty.c builds the pp_lib model from the tree. */
#ifndef PP_LIB_INTERNAL_H
#define PP_LIB_INTERNAL_H

#include <stdint.h>

#include "pp/liberty.h"
#include "pp/util_mem.h"

/* ---- syntax tree (lib_parse.c) ---------------------------------------------- */

enum { N_SIMPLE, N_COMPLEX, N_GROUP };

typedef struct lnode {
  int kind, line;
  const char *name;
  const char **args; /* complex attribute / group arguments, unquoted */
  int n_args;
  const char *value; /* simple attribute value, unquoted */
  struct lnode *child, *next;
} lnode;

/* The whole file as a list of top-level statements (nodes in ar). PP_OK, or
 * a parse error in e with its line. */
int lib_parse_tree(const char *text, const char *file, pp_arena *ar, pp_err *e, lnode **top);

/* ---- interpretation context, numbers, units, tables (lib_table.c) ----------- */

typedef struct {
  const char *file;
  pp_err *e;
  /* unit scales into the model's units */
  double time_ps, cap_ff, leak_nw, volt_v, energy_fj;
} ictx;

/* A number that must lie in [lo, hi] (a physical quantity: a capacitance,
 * a leakage, a voltage); the message names the attribute and the range. */
int lib_parse_range(ictx *c, const lnode *n, const char *s, double lo, double hi, const char *expect, double *out);
#define LIB_NONNEG(c, n, s, out) lib_parse_range(c, n, s, 0, 1e30, "a value >= 0", out)
/* The first simple or complex attribute of group g named name, or NULL. */
const lnode *lib_find_attr(const lnode *g, const char *name);
/* Fills c's unit scales from the library group's unit attributes. */
int lib_read_units(ictx *c, const lnode *lib);

enum { AX_SLEW = 0, AX_LOAD = 1, AX_OTHER = 2 };

typedef struct {
  const char *name;
  int nvar;
  int var[3];
  const lnode *index[3];
  int line;
} ltemplate;

typedef struct {
  ltemplate *t;
  int n, cap;
} tmpl_set;

/* Collects the library's table templates into ts (ts->t is malloc'd). */
int lib_read_templates(ictx *c, const lnode *lib, tmpl_set *ts);

/* Range of a table's values in model units: transitions in ps (>= 0, below
 * 1 ms); delays likewise, except that a cell delay may be negative by up to
 * the input slew of its row (a slow input crosses 50% after a fast output
 * does: published libraries, e.g. OSU 0.18 um, carry such entries), never
 * by more; energies in fJ, where real libraries (e.g. SkyWater's) carry
 * small negative internal-power entries. */
typedef struct {
  double lo, hi;
  int slew_bound; /* lo is -(input slew) of the row */
  const char *expect;
} tbl_range;
extern const tbl_range LIB_TBL_TRANSITION, LIB_TBL_DELAY, LIB_TBL_ENERGY;

/* Reads one table group (cell_rise(tmpl) { index_1(..); values(..); }) into
 * t, scaling values by vscale. */
int lib_read_table(ictx *c, const tmpl_set *ts, const lnode *g, double vscale, const tbl_range *range, pp_lut *t);
void lib_lut_free(pp_lut *t);

/* ---- wire loads (lib_wire.c) -------------------------------------------------- */

/* The library's wire_load groups and default_wire_load (lib->wire_load). */
int lib_read_wire_loads(ictx *c, const lnode *lg, pp_lib *lib);
void lib_wire_loads_free(pp_lib *lib);

/* ---- pin functions (lib_func.c) --------------------------------------------- */

typedef struct {
  const char *s;
  size_t p;
  const pp_lib_cell *cell;
  int unknown; /* set when a name is not an input pin */
  char unknown_name[64];
  int syntax;  /* set on a syntax error */
  char what[128];
  int depth;
  int outputs_ok; /* a `when` condition: an output pin stands for its function */
} fparse;

/* Boolean function text -> truth table over the rows of cell's inputs.
 * 0 ok; 1 unknown name (f->unknown_name); 2 syntax error (f->what). */
int lib_eval_function(const char *text, const pp_lib_cell *cell, uint64_t *truth, fparse *f);
/* The same for a `when` condition, where an output pin whose function is
 * already known counts as that function of the inputs. */
int lib_eval_when(const char *text, const pp_lib_cell *cell, uint64_t *truth, fparse *f);

#endif

/* verilog/vlog_internal: what the structural Verilog reader's sources share
 * (not a public interface). vlog_parse.c tokenizes and reads modules into
 * vmod, vlog_elab.c flattens the hierarchy under the top module into
 * global bits and gates, vlog_build.c turns those into the levelized
 * pp_netlist, verilog.c drives the passes. */
#ifndef PP_VLOG_INTERNAL_H
#define PP_VLOG_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "pp/netlist.h"
#include "pp/util_mem.h"

/* ---- lexer state (vlog_parse.c) ------------------------------------------------------- */

enum { V_EOF, V_ID, V_NUM, V_SYM, V_ERR };

typedef struct {
  const char *s;
  size_t pos, len;
  int line;
  const char *file;
  pp_err *e;
  pp_arena *ar;
  int tok, tline;
  char sym;     /* V_SYM */
  char *text;   /* V_ID (unescaped) / V_NUM (raw) */
  int escaped;  /* V_ID came from an escaped identifier */
} vlex;


/* ---- modules (vlog_parse.c) ----------------------------------------------------- */

enum { SIG_WIRE = 0, SIG_IN = 1, SIG_OUT = 2, SIG_INOUT = 3 };

/* Size limits that keep hostile input from exhausting memory: net bits per
 * module, and nets and gates after flattening. Real gate-level designs of
 * this project are far below them. */
#define NL_MAX_BITS (1 << 22)
#define NL_MAX_FLAT (1 << 22)
#define NL_MAX_EXPR (1 << 16) /* bits of one expression (concatenation, replication) */

typedef struct {
  const char *name;
  int msb, lsb, width, dir, base, line, ranged;
} vsig;

/* A bit reference: >= 0 is a module-local bit; BIT_0 / BIT_1 constants; BIT_Z unconnected. */
enum { BIT_0 = -1, BIT_1 = -2, BIT_Z = -3 };

typedef struct {
  long long *b; /* LSB first; (signal, position) codes while parsing, flat bit ids after */
  int n;
} vbits;

typedef struct {
  const char *pin;
  vbits bits;
  int line;
} vconn;

typedef struct {
  const char *type, *name;
  vconn *c;
  int nc;
  int line;
} vinst;

typedef struct {
  vbits l, r;
  int line;
} vassign;

typedef struct vmod {
  const char *name;
  int line;
  vsig *s;
  int ns, cs;
  int nbits;
  const char **ports;
  int nports, cports;
  vinst *ins;
  int ni, ci;
  vassign *as;
  int na, ca;
  int instantiated;
  int busy; /* on the elaboration stack (recursion check) */
} vmod;

typedef struct {
  vlex L;
  vmod *m;
  int nm, cm;
} vfile;

/* Reads every module of the text L was set up on. 0, or V_ERR with the error in L->e. */
int vlog_parse_file(vfile *F);
void vlog_file_free(vfile *F);
int vlog_find_sig(const vmod *m, const char *name); /* signal index or -1 */
vmod *vlog_find_mod(vfile *F, const char *name);    /* NULL when absent */

/* ---- elaboration (vlog_elab.c) ---------------------------------------------------- */

/* Global nets before merging: id 0 = constant 0, id 1 = constant 1. */
typedef struct {
  int *parent;
  char **name;  /* hierarchical name of each global bit (NULL for constants) */
  int *depth;   /* hierarchy depth, to prefer top-level names */
  int n, cap;
} gnets;

typedef struct {
  const char *name; /* hierarchical (malloc) */
  int cell;
  int pins[PP_LIB_MAX_INPUTS + 4]; /* global ids: inputs in truth-table order, then outputs (-1 none) */
  int line;
} ggate;

typedef struct {
  vfile *F;
  const pp_lib *lib;
  const char *file;
  pp_err *e;
  gnets g;
  ggate *gates;
  int ngates, cgates;
} elab;

int vlog_gfind(gnets *g, int x);
/* A new global bit named name (taken over), at hierarchy depth: its id, -1
 * out of memory, -2 over NL_MAX_FLAT. */
int vlog_gnew(elab *E, char *name, int depth);
/* Elaborates module m whose port bits are already bound in map (or, for the
 * top, all fresh). prefix is the hierarchical instance path ("" or "u1."). */
int vlog_elaborate(elab *E, vmod *m, const char *prefix, int depth, int *map);

/* ---- the gate graph (vlog_build.c) ------------------------------------------------ */

/* Nets, names, ports, drivers and levels of the flattened design under top
 * (its bits bound in map): the levelized pp_netlist. */
int vlog_build(elab *E, vmod *top, const int *map, pp_netlist **out);

#endif

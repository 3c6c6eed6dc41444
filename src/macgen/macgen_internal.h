/* macgen/macgen_internal: what the MAC generator's sources share (not a
 * public interface): the design being built (mb: cells picked by function,
 * signals, gates), the gate primitives of mac_gates.c and the arithmetic of
 * mac_arith.c, which macgen.c drives and writes out. */
#ifndef PP_MACGEN_INTERNAL_H
#define PP_MACGEN_INTERNAL_H

#include <stdint.h>

#include "pp/macgen.h"
#include "pp/util_mem.h"

/* A library cell matched to a logical function: the cell, which cell input
 * each logical input goes to, and which cell output gives each logical output. */
typedef struct {
  int cell;
  int in_pin[3];  /* logical input -> cell input position */
  int out_pos[2]; /* logical output -> cell output position */
} cpick;

enum { F_INV, F_AND2, F_OR2, F_NAND2, F_NOR2, F_XOR2, F_XNOR2, F_HA, F_FA, F_AOI21, F_OAI21, F_N };

typedef struct {
  const pp_lib *lib;
  int have[F_N];
  cpick pick[F_N];
  /* signals: >= 0 are nets; constants are S0/S1 */
  char **names;
  int n_sig, c_sig;
  /* gates */
  struct mgate {
    int cell;
    int in[3];
    int out[2]; /* signals per cell output position, -1 unused */
    int n_in, n_out;
  } *g;
  int n_g, c_g;
  int oom;
} mb;

enum { S0 = -1, S1 = -2 };

/* ---- mac_gates.c ------------------------------------------------------------------- */

/* Finds the cells of every function in b->lib (b->have, b->pick); an error
 * when the library cannot build a MAC. */
int mac_pick_cells(mb *b, pp_err *e);
void mac_free(mb *b);
/* A new signal (name NULL: n<index>); S0 and b->oom set when out of memory. */
int mac_sig_new(mb *b, const char *name);
/* Instantiates pick f on inputs in[], returning its output signals. */
void mac_emit(mb *b, int f, const int *in, int n_in, int *out, int n_out);
static inline int mac_is_const(int s) { return s == S0 || s == S1; }
/* Logic on signals, folding constants, from whatever cells the library has. */
int mac_inv(mb *b, int a);
int mac_and2(mb *b, int a, int c);
int mac_nand2(mb *b, int a, int c);
int mac_or2(mb *b, int a, int c);
int mac_nor2(mb *b, int a, int c);
int mac_xor2(mb *b, int a, int c);
int mac_xnor2(mb *b, int a, int c);
void mac_ha(mb *b, int a, int c, int *s, int *co);
void mac_fa(mb *b, int a, int c, int d, int *s, int *co);
int mac_fa_sum(mb *b, int a, int c, int d);

/* ---- mac_arith.c ------------------------------------------------------------------- */

void mac_add_ripple(mb *b, const int *x, const int *y, int n, int *s);
void mac_add_prefix(mb *b, const int *x, const int *y, int n, int *s);
void mac_mult_array(mb *b, const int *w, int W, const int *a, int A, int *prod);
void mac_mult_booth(mb *b, const int *w, int W, const int *a, int A, int *prod);

#endif

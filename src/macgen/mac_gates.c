/* macgen/mac_gates: the MAC generator's gates. Library cells are found by
 * their Boolean function (smallest area among matches, any pin order), and
 * the logic primitives (INV, AND2 ... HA, FA) are built from whatever the
 * library has, folding constants on the way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macgen_internal.h"

/* ---- cells by function --------------------------------------------------------- */

/* Truth table of the cell output pos, re-indexed to logical input order perm. */
static uint64_t permuted_truth(const pp_lib_cell *c, int pos, const int *perm, int k) {
  uint64_t t = c->pins[c->outputs[pos]].truth, r = 0;
  for (int row = 0; row < (1 << k); row++) {
    int crow = 0;
    for (int l = 0; l < k; l++)
      if ((row >> l) & 1) crow |= 1 << perm[l];
    if ((t >> crow) & 1) r |= (uint64_t)1 << row;
  }
  return r;
}

/* Smallest-area cell with k inputs and n_out outputs realizing truth[0..n_out-1]. */
static int find_cell(const pp_lib *lib, int k, int n_out, const uint64_t *truth, cpick *pk) {
  static const int perms2[2][3] = {{0, 1, 2}, {1, 0, 2}};
  static const int perms3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  int best = -1;
  double best_area = 0;
  for (int ci = 0; ci < lib->n_cells; ci++) {
    const pp_lib_cell *c = &lib->cells[ci];
    if (c->unsupported || c->is_sequential || c->n_inputs != k || c->n_outputs != n_out) continue;
    int np = k == 1 ? 1 : k == 2 ? 2 : 6;
    for (int p = 0; p < np; p++) {
      const int *perm = k == 3 ? perms3[p] : perms2[p];
      int out_pos[2] = {-1, -1}, ok = 1;
      for (int o = 0; o < n_out && ok; o++) {
        for (int q = 0; q < n_out; q++) {
          int used = 0;
          for (int o2 = 0; o2 < o; o2++) used |= out_pos[o2] == q;
          if (!used && permuted_truth(c, q, perm, k) == truth[o]) {
            out_pos[o] = q;
            break;
          }
        }
        ok = out_pos[o] >= 0;
      }
      if (!ok) continue;
      if (best < 0 || c->area < best_area) {
        best = ci;
        best_area = c->area;
        pk->cell = ci;
        for (int l = 0; l < 3; l++) pk->in_pin[l] = l < k ? perm[l] : -1;
        pk->out_pos[0] = out_pos[0];
        pk->out_pos[1] = out_pos[1];
      }
      break;
    }
  }
  return best >= 0;
}



int mac_sig_new(mb *b, const char *name) {
  if (b->oom) return S0;
  if (pp_grow((void **)&b->names, &b->c_sig, b->n_sig, sizeof(char *))) {
    b->oom = 1;
    return S0;
  }
  char buf[64];
  if (!name) {
    snprintf(buf, sizeof buf, "n%d", b->n_sig);
    name = buf;
  }
  size_t l = strlen(name) + 1;
  b->names[b->n_sig] = malloc(l);
  if (!b->names[b->n_sig]) {
    b->oom = 1;
    return S0;
  }
  memcpy(b->names[b->n_sig], name, l);
  return b->n_sig++;
}

/* Instantiates pick f on inputs in[], returning its output signals. */
void mac_emit(mb *b, int f, const int *in, int n_in, int *out, int n_out) {
  for (int o = 0; o < n_out; o++) out[o] = S0;
  if (b->oom) return;
  if (pp_grow((void **)&b->g, &b->c_g, b->n_g, sizeof(struct mgate))) {
    b->oom = 1;
    return;
  }
  const cpick *pk = &b->pick[f];
  const pp_lib_cell *c = &b->lib->cells[pk->cell];
  struct mgate *g = &b->g[b->n_g++];
  g->cell = pk->cell;
  g->n_in = c->n_inputs;
  g->n_out = c->n_outputs;
  for (int l = 0; l < n_in; l++) g->in[pk->in_pin[l]] = in[l];
  g->out[0] = g->out[1] = -1;
  for (int o = 0; o < n_out; o++) {
    out[o] = mac_sig_new(b, NULL);
    g->out[pk->out_pos[o]] = out[o];
  }
}



int mac_inv(mb *b, int a) {
  if (mac_is_const(a)) return a == S0 ? S1 : S0;
  int in[1] = {a}, out;
  if (b->have[F_INV]) {
    mac_emit(b, F_INV, in, 1, &out, 1);
    return out;
  }
  int in2[2] = {a, a};
  mac_emit(b, b->have[F_NAND2] ? F_NAND2 : F_NOR2, in2, 2, &out, 1);
  return out;
}

int mac_and2(mb *b, int a, int c) {
  if (a == S0 || c == S0) return S0;
  if (a == S1) return c;
  if (c == S1 || a == c) return a;
  int in[2] = {a, c}, out;
  if (b->have[F_AND2]) {
    mac_emit(b, F_AND2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_NAND2]) return mac_inv(b, mac_nand2(b, a, c));
  in[0] = mac_inv(b, a);
  in[1] = mac_inv(b, c);
  mac_emit(b, F_NOR2, in, 2, &out, 1);
  return out;
}

int mac_nand2(mb *b, int a, int c) {
  if (a == S0 || c == S0) return S1;
  if (a == S1) return mac_inv(b, c);
  if (c == S1 || a == c) return mac_inv(b, a);
  int in[2] = {a, c}, out;
  if (b->have[F_NAND2]) {
    mac_emit(b, F_NAND2, in, 2, &out, 1);
    return out;
  }
  return mac_inv(b, mac_and2(b, a, c));
}

int mac_or2(mb *b, int a, int c) {
  if (a == S1 || c == S1) return S1;
  if (a == S0) return c;
  if (c == S0 || a == c) return a;
  int in[2] = {a, c}, out;
  if (b->have[F_OR2]) {
    mac_emit(b, F_OR2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_NOR2]) {
    mac_emit(b, F_NOR2, in, 2, &out, 1);
    return mac_inv(b, out);
  }
  return mac_nand2(b, mac_inv(b, a), mac_inv(b, c));
}

int mac_nor2(mb *b, int a, int c) {
  if (!mac_is_const(a) && !mac_is_const(c) && a != c && b->have[F_NOR2]) {
    int in[2] = {a, c}, out;
    mac_emit(b, F_NOR2, in, 2, &out, 1);
    return out;
  }
  return mac_inv(b, mac_or2(b, a, c));
}

int mac_xor2(mb *b, int a, int c) {
  if (a == S0) return c;
  if (c == S0) return a;
  if (a == S1) return mac_inv(b, c);
  if (c == S1) return mac_inv(b, a);
  if (a == c) return S0;
  int in[2] = {a, c}, out;
  if (b->have[F_XOR2]) {
    mac_emit(b, F_XOR2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_XNOR2]) {
    mac_emit(b, F_XNOR2, in, 2, &out, 1);
    return mac_inv(b, out);
  }
  int n = mac_nand2(b, a, c); /* the four-NAND XOR */
  return mac_nand2(b, mac_nand2(b, a, n), mac_nand2(b, c, n));
}

int mac_xnor2(mb *b, int a, int c) {
  if (!mac_is_const(a) && !mac_is_const(c) && a != c && b->have[F_XNOR2]) {
    int in[2] = {a, c}, out;
    mac_emit(b, F_XNOR2, in, 2, &out, 1);
    return out;
  }
  return mac_inv(b, mac_xor2(b, a, c));
}

/* half adder: s = a ^ c, co = a & c */
void mac_ha(mb *b, int a, int c, int *s, int *co) {
  if (mac_is_const(a) || mac_is_const(c) || a == c || !b->have[F_HA]) {
    *s = mac_xor2(b, a, c);
    *co = mac_and2(b, a, c);
    return;
  }
  int in[2] = {a, c}, out[2];
  mac_emit(b, F_HA, in, 2, out, 2);
  *s = out[0];
  *co = out[1];
}

/* full adder: s = a ^ c ^ d, co = majority */
void mac_fa(mb *b, int a, int c, int d, int *s, int *co) {
  /* constants first: fa(x, y, 0) is a half adder, fa(x, y, 1) = (xnor, or) */
  int in[3] = {a, c, d}, k = -1;
  for (int i = 0; i < 3; i++)
    if (mac_is_const(in[i])) k = i;
  if (k >= 0) {
    int x = in[(k + 1) % 3], y = in[(k + 2) % 3];
    if (in[k] == S0) {
      mac_ha(b, x, y, s, co);
    } else {
      *s = mac_xnor2(b, x, y);
      *co = mac_or2(b, x, y);
    }
    return;
  }
  if (b->have[F_FA]) {
    int out[2];
    mac_emit(b, F_FA, in, 3, out, 2);
    *s = out[0];
    *co = out[1];
    return;
  }
  int t, c1, c2;
  mac_ha(b, a, c, &t, &c1);
  mac_ha(b, t, d, s, &c2);
  *co = mac_or2(b, c1, c2);
}

/* sum bit only (the carry would leave the word) */
int mac_fa_sum(mb *b, int a, int c, int d) { return mac_xor2(b, mac_xor2(b, a, c), d); }

int mac_pick_cells(mb *b, pp_err *e) {
  static const uint64_t t_inv = 0x1, t_and = 0x8, t_or = 0xE, t_nand = 0x7, t_nor = 0x1, t_xor = 0x6, t_xnor = 0x9;
  static const uint64_t t_ha[2] = {0x6, 0x8}, t_fa[2] = {0x96, 0xE8};
  b->have[F_INV] = find_cell(b->lib, 1, 1, &t_inv, &b->pick[F_INV]);
  b->have[F_AND2] = find_cell(b->lib, 2, 1, &t_and, &b->pick[F_AND2]);
  b->have[F_OR2] = find_cell(b->lib, 2, 1, &t_or, &b->pick[F_OR2]);
  b->have[F_NAND2] = find_cell(b->lib, 2, 1, &t_nand, &b->pick[F_NAND2]);
  b->have[F_NOR2] = find_cell(b->lib, 2, 1, &t_nor, &b->pick[F_NOR2]);
  b->have[F_XOR2] = find_cell(b->lib, 2, 1, &t_xor, &b->pick[F_XOR2]);
  b->have[F_XNOR2] = find_cell(b->lib, 2, 1, &t_xnor, &b->pick[F_XNOR2]);
  b->have[F_HA] = find_cell(b->lib, 2, 2, t_ha, &b->pick[F_HA]);
  b->have[F_FA] = find_cell(b->lib, 3, 2, t_fa, &b->pick[F_FA]);
  /* logical inputs (a1, a2, b): aoi21 = !((a1 a2) + b), oai21 = !((a1 + a2) b) */
  static const uint64_t t_aoi = 0x07, t_oai = 0x1F;
  b->have[F_AOI21] = find_cell(b->lib, 3, 1, &t_aoi, &b->pick[F_AOI21]);
  b->have[F_OAI21] = find_cell(b->lib, 3, 1, &t_oai, &b->pick[F_OAI21]);
  /* everything is built from these; a library needs NAND2 or NOR2 (each
   * alone is universal), or an inverter with AND2 or OR2 */
  int ok = b->have[F_NAND2] || b->have[F_NOR2] || (b->have[F_INV] && (b->have[F_AND2] || b->have[F_OR2]));
  if (!ok)
    return pp_err_set(e, PP_EINVAL, b->lib->path, 0,
                      "library '%s' has no cells to build a MAC from: it needs a 2-input NAND or NOR, or an inverter "
                      "with a 2-input AND or OR (cells are found by their function)",
                      b->lib->name);
  return PP_OK;
}

void mac_free(mb *b) {
  for (int i = 0; i < b->n_sig; i++) free(b->names[i]);
  free(b->names);
  free(b->g);
}


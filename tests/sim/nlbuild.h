/* tests/sim/nlbuild: builds small pp_netlists by hand (and random ones) for
 * the sim tests, with loads computed as the netlist reader documents them. */
#ifndef PP_TEST_NLBUILD_H
#define PP_TEST_NLBUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"
#include "pp/util.h"

typedef struct nb {
  pp_netlist nl;
  int cap_nets, cap_gates;
  const pp_lib *lib;
} nb;

static char *nb_strdup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  strcpy(d, s);
  return d;
}

static void nb_init(nb *b, const pp_lib *lib) {
  memset(b, 0, sizeof *b);
  b->lib = lib;
  b->nl.lib = lib;
  b->nl.top = nb_strdup("top");
  b->cap_nets = 64;
  b->cap_gates = 64;
  b->nl.nets = calloc((size_t)b->cap_nets, sizeof(pp_net));
  b->nl.gates = calloc((size_t)b->cap_gates, sizeof(pp_gate));
}

static int nb_net(nb *b, int kind) {
  if (b->nl.n_nets == b->cap_nets) {
    b->cap_nets *= 2;
    b->nl.nets = realloc(b->nl.nets, (size_t)b->cap_nets * sizeof(pp_net));
  }
  int n = b->nl.n_nets++;
  pp_net *net = &b->nl.nets[n];
  memset(net, 0, sizeof *net);
  char name[32];
  snprintf(name, sizeof name, "n%d", n);
  net->name = nb_strdup(name);
  net->drv_kind = kind;
  net->drv_gate = -1;
  return n;
}

static pp_port *nb_port_add(pp_port **arr, int *n, const char *name, int width) {
  *arr = realloc(*arr, (size_t)(*n + 1) * sizeof(pp_port));
  pp_port *p = &(*arr)[(*n)++];
  p->name = nb_strdup(name);
  p->width = width;
  p->bits = calloc((size_t)width, sizeof(int));
  p->msb = width - 1;
  p->lsb = 0;
  return p;
}

/* New input port; returns the net of bit 0 (bits are consecutive nets). */
static int nb_input(nb *b, const char *name, int width) {
  pp_port *p = nb_port_add(&b->nl.inputs, &b->nl.n_inputs, name, width);
  int first = -1;
  for (int i = 0; i < width; i++) {
    int n = nb_net(b, PP_DRV_INPUT);
    p = &b->nl.inputs[b->nl.n_inputs - 1];
    p->bits[i] = n;
    if (i == 0) first = n;
  }
  return first;
}

static void nb_output(nb *b, const char *name, const int *nets, int width) {
  pp_port *p = nb_port_add(&b->nl.outputs, &b->nl.n_outputs, name, width);
  for (int i = 0; i < width; i++) {
    p->bits[i] = nets[i];
    b->nl.nets[nets[i]].is_output = 1;
  }
}

/* Instantiates cell on the given input nets; returns its first output net
 * (further outputs follow consecutively). */
static int nb_gate(nb *b, const char *cell, const int *in, int n_in) {
  int c = pp_lib_find_cell(b->lib, cell);
  if (c < 0) {
    fprintf(stderr, "nlbuild: no cell %s\n", cell);
    abort();
  }
  const pp_lib_cell *lc = &b->lib->cells[c];
  if (lc->n_inputs != n_in) {
    fprintf(stderr, "nlbuild: %s has %d inputs\n", cell, lc->n_inputs);
    abort();
  }
  if (b->nl.n_gates == b->cap_gates) {
    b->cap_gates *= 2;
    b->nl.gates = realloc(b->nl.gates, (size_t)b->cap_gates * sizeof(pp_gate));
  }
  int g = b->nl.n_gates++;
  pp_gate *gt = &b->nl.gates[g];
  memset(gt, 0, sizeof *gt);
  char name[32];
  snprintf(name, sizeof name, "g%d", g);
  gt->name = nb_strdup(name);
  gt->cell = c;
  gt->n_in = n_in;
  gt->n_out = lc->n_outputs;
  int lvl = 0;
  for (int i = 0; i < n_in; i++) {
    gt->in[i] = in[i];
    const pp_net *x = &b->nl.nets[in[i]];
    if (x->drv_kind == PP_DRV_GATE && b->nl.gates[x->drv_gate].level > lvl) lvl = b->nl.gates[x->drv_gate].level;
  }
  gt->level = lvl + 1;
  int first = -1;
  for (int k = 0; k < lc->n_outputs; k++) {
    int n = nb_net(b, PP_DRV_GATE);
    gt = &b->nl.gates[g];
    gt->out[k] = n;
    b->nl.nets[n].drv_gate = g;
    b->nl.nets[n].drv_out = k;
    if (k == 0) first = n;
  }
  return first;
}

static inline int nb_g1(nb *b, const char *cell, int a) { return nb_gate(b, cell, &a, 1); }
static inline int nb_g2(nb *b, const char *cell, int a, int c) {
  int in[2] = {a, c};
  return nb_gate(b, cell, in, 2);
}
static inline int nb_g3(nb *b, const char *cell, int a, int c, int d) {
  int in[3] = {a, c, d};
  return nb_gate(b, cell, in, 3);
}

/* Fanouts, loads (fanout pin caps + wire estimate + one INV_X1 input per
 * primary output) and levels. */
static void nb_finish(nb *b) {
  pp_netlist *nl = &b->nl;
  const pp_lib *lib = b->lib;
  for (int n = 0; n < nl->n_nets; n++) {
    free(nl->nets[n].fanout);
    free(nl->nets[n].fanout_pin);
    nl->nets[n].fanout = calloc((size_t)nl->n_gates * 6 + 1, sizeof(int));
    nl->nets[n].fanout_pin = calloc((size_t)nl->n_gates * 6 + 1, sizeof(int));
    nl->nets[n].n_fanout = 0;
    nl->nets[n].load_ff = nl->nets[n].load_rise_ff = nl->nets[n].load_fall_ff = 0;
  }
  int lv = 0;
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    const pp_lib_cell *c = &lib->cells[gt->cell];
    if (gt->level > lv) lv = gt->level;
    for (int i = 0; i < gt->n_in; i++) {
      pp_net *x = &nl->nets[gt->in[i]];
      x->fanout[x->n_fanout] = g;
      x->fanout_pin[x->n_fanout++] = i;
      x->load_ff += c->pins[c->inputs[i]].cap;
      x->load_rise_ff += c->pins[c->inputs[i]].cap_rise;
      x->load_fall_ff += c->pins[c->inputs[i]].cap_fall;
    }
  }
  nl->n_levels = lv + 1;
  int inv = pp_lib_find_cell(lib, "INV_X1");
  double out_cap = inv >= 0 ? lib->cells[inv].pins[lib->cells[inv].inputs[0]].cap : 0;
  for (int n = 0; n < nl->n_nets; n++) {
    pp_net *x = &nl->nets[n];
    double extra = pp_lib_wire_cap(lib, x->n_fanout, x->is_output != 0) + (x->is_output ? out_cap : 0);
    x->load_ff += extra;
    x->load_rise_ff += extra;
    x->load_fall_ff += extra;
  }
}

static void nb_free(nb *b) {
  pp_netlist *nl = &b->nl;
  for (int n = 0; n < nl->n_nets; n++) {
    free(nl->nets[n].name);
    free(nl->nets[n].fanout);
    free(nl->nets[n].fanout_pin);
  }
  for (int g = 0; g < nl->n_gates; g++) free(nl->gates[g].name);
  for (int p = 0; p < nl->n_inputs; p++) free(nl->inputs[p].name), free(nl->inputs[p].bits);
  for (int p = 0; p < nl->n_outputs; p++) free(nl->outputs[p].name), free(nl->outputs[p].bits);
  free(nl->inputs);
  free(nl->outputs);
  free(nl->nets);
  free(nl->gates);
  free(nl->top);
}

/* A random combinational circuit: n_in inputs (one port "x"), n_gates
 * random library cells, every dangling net and a few more as outputs. */
static void nb_random(nb *b, const pp_lib *lib, pp_rng *r, int n_in, int n_gates) {
  nb_init(b, lib);
  int x0 = nb_input(b, "x", n_in);
  (void)x0;
  int cells[64], nc = 0;
  for (int c = 0; c < lib->n_cells && nc < 64; c++)
    if (!lib->cells[c].is_sequential && lib->cells[c].n_inputs >= 1 && lib->cells[c].n_outputs >= 1) cells[nc++] = c;
  for (int g = 0; g < n_gates; g++) {
    const pp_lib_cell *c = &lib->cells[cells[pp_rng_below(r, (uint32_t)nc)]];
    int in[6];
    for (int i = 0; i < c->n_inputs; i++) {
      /* prefer recent nets so paths get deep */
      int n = b->nl.n_nets;
      int lo = n > 12 ? n - 12 : 0;
      in[i] = pp_rng_below(r, 4) == 0 ? (int)pp_rng_below(r, (uint32_t)n) : lo + (int)pp_rng_below(r, (uint32_t)(n - lo));
    }
    nb_gate(b, c->name, in, c->n_inputs);
  }
  int *outs = calloc((size_t)b->nl.n_nets, sizeof(int)), no = 0;
  int *used = calloc((size_t)b->nl.n_nets, sizeof(int));
  for (int g = 0; g < b->nl.n_gates; g++)
    for (int i = 0; i < b->nl.gates[g].n_in; i++) used[b->nl.gates[g].in[i]] = 1;
  for (int n = n_in; n < b->nl.n_nets; n++)
    if (!used[n] || pp_rng_below(r, 8) == 0) outs[no++] = n;
  nb_output(b, "y", outs, no);
  free(outs);
  free(used);
  nb_finish(b);
}

#endif

/* macgen/macgen: the MAC generator's driver. Checks the options, builds
 * y = p + w*a (or one part) from the gates and arithmetic of mac_gates.c and
 * mac_arith.c, drops gates nothing reads, and writes the structural Verilog
 * to a file (pp_mac_generate) or reads it straight into a netlist
 * (pp_mac_build). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macgen_internal.h"
#include "pp/verilog.h"

void pp_mac_opts_default(pp_mac_opts *o) {
  o->w_bits = 8;
  o->a_bits = 8;
  o->p_bits = 22;
  o->mult = PP_MAC_MULT_DEFAULT;
  o->adder = PP_MAC_ADDER_DEFAULT;
  o->part = PP_MAC_FULL;
}

const char *pp_mac_mult_name(int mult) {
  return mult == PP_MULT_ARRAY ? "array" : mult == PP_MULT_BOOTH ? "booth" : NULL;
}

const char *pp_mac_adder_name(int adder) {
  return adder == PP_ADDER_RIPPLE ? "ripple" : adder == PP_ADDER_PREFIX ? "prefix" : NULL;
}

static void put_ref(FILE *f, const mb *b, int s) {
  if (s == S0)
    fputs("1'b0", f);
  else if (s == S1)
    fputs("1'b1", f);
  else
    fputs(b->names[s], f);
}

static int check_opts(const pp_mac_opts *o, pp_err *e) {
  if (o->w_bits < 2 || o->w_bits > 8 || o->a_bits < 2 || o->a_bits > 8)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "weight and activation widths must be 2..8 bits (got %d and %d)",
                      o->w_bits, o->a_bits);
  int N = o->w_bits + o->a_bits, P = o->p_bits;
  if (P < N || P > 64)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the partial sum must be %d..64 bits (w_bits + a_bits at least), got %d",
                      N, P);
  if (o->mult != PP_MULT_ARRAY && o->mult != PP_MULT_BOOTH)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown multiplier kind %d", o->mult);
  if (o->adder != PP_ADDER_RIPPLE && o->adder != PP_ADDER_PREFIX)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown adder kind %d", o->adder);
  if (o->part != PP_MAC_FULL && o->part != PP_MAC_MULT && o->part != PP_MAC_ADDER)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown MAC part %d", o->part);
  return PP_OK;
}

/* A generated design ready to be written: the gates, the output signals and
 * which gates and signals are live. */
typedef struct {
  const pp_mac_opts *o;
  mb b;
  int y[64];  /* output bits (prod for the multiplier part) */
  int outw;
  int *reads; /* per signal: live readers */
  char *dead; /* per gate: nothing reads its outputs */
} design;

static void design_free(design *d) {
  free(d->reads);
  free(d->dead);
  mac_free(&d->b);
}

/* The ports, the multiplier and the adder of the part asked for. */
static void construct(design *d) {
  const pp_mac_opts *o = d->o;
  mb *b = &d->b;
  int W = o->w_bits, A = o->a_bits, N = W + A, P = o->p_bits;
  int w[8], a[8], p[64], prod[64];
  char nm[32];
  if (o->part != PP_MAC_ADDER) {
    for (int i = 0; i < W; i++) snprintf(nm, sizeof nm, "w[%d]", i), w[i] = mac_sig_new(b, nm);
    for (int i = 0; i < A; i++) snprintf(nm, sizeof nm, "a[%d]", i), a[i] = mac_sig_new(b, nm);
  } else {
    for (int i = 0; i < N; i++) snprintf(nm, sizeof nm, "prod[%d]", i), prod[i] = mac_sig_new(b, nm);
  }
  if (o->part != PP_MAC_MULT)
    for (int i = 0; i < P; i++) snprintf(nm, sizeof nm, "p[%d]", i), p[i] = mac_sig_new(b, nm);
  if (o->part != PP_MAC_ADDER) {
    if (o->mult == PP_MULT_ARRAY)
      mac_mult_array(b, w, W, a, A, prod);
    else
      mac_mult_booth(b, w, W, a, A, prod);
  }
  d->outw = o->part == PP_MAC_MULT ? N : P;
  if (o->part == PP_MAC_MULT) {
    for (int i = 0; i < N; i++) d->y[i] = prod[i];
  } else {
    int x[64];
    for (int i = 0; i < P; i++) x[i] = prod[i < N ? i : N - 1]; /* sign extension */
    if (o->adder == PP_ADDER_RIPPLE)
      mac_add_ripple(b, x, p, P, d->y);
    else
      mac_add_prefix(b, x, p, P, d->y);
  }
}

/* Drops gates whose outputs nobody reads (e.g. a carry out of the word). */
static int mark_live(design *d) {
  mb *b = &d->b;
  d->reads = calloc((size_t)b->n_sig + 1, sizeof(int));
  d->dead = calloc((size_t)b->n_g + 1, 1);
  if (!d->reads || !d->dead) return -1;
  for (int i = 0; i < d->outw; i++)
    if (d->y[i] >= 0) d->reads[d->y[i]]++;
  for (int k = 0; k < b->n_g; k++)
    for (int q = 0; q < b->g[k].n_in; q++)
      if (b->g[k].in[q] >= 0) d->reads[b->g[k].in[q]]++;
  for (int k = b->n_g - 1; k >= 0; k--) { /* gates are in creation (topological) order */
    int used = 0;
    for (int oo = 0; oo < b->g[k].n_out; oo++)
      if (b->g[k].out[oo] >= 0 && d->reads[b->g[k].out[oo]]) used = 1;
    if (used) continue;
    d->dead[k] = 1;
    for (int q = 0; q < b->g[k].n_in; q++)
      if (b->g[k].in[q] >= 0) d->reads[b->g[k].in[q]]--;
  }
  return 0;
}

/* Checks o, then generates and prunes the design (d freed on error). */
static int generate(const pp_mac_opts *o, const pp_lib *lib, design *d, pp_err *e) {
  memset(d, 0, sizeof *d);
  d->o = o;
  d->b.lib = lib;
  int rc = check_opts(o, e);
  if (!rc) rc = mac_pick_cells(&d->b, e);
  if (rc) return rc;
  construct(d);
  if (d->b.oom || mark_live(d)) {
    design_free(d);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  return PP_OK;
}

static const char *const mname[] = {"array", "booth"}, *const aname[] = {"ripple", "prefix"};
static const char *const pname[] = {"mac", "mult", "adder"};

static void module_name(const pp_mac_opts *o, char *mod, size_t n) {
  snprintf(mod, n, "pp_%s_%s_%s_w%da%dp%d", pname[o->part], mname[o->mult], aname[o->adder], o->w_bits, o->a_bits,
           o->p_bits);
}

/* The design as structural Verilog. */
static void write_text(FILE *f, const design *d) {
  const pp_mac_opts *o = d->o;
  const mb *b = &d->b;
  const pp_lib *lib = b->lib;
  int W = o->w_bits, A = o->a_bits, N = W + A, P = o->p_bits;
  fprintf(f,
          "/* generated by powerprune mac generate: %s, w %d bits signed x a %d bits unsigned%s%s,\n"
          "   %s multiplier, %s adder, library %s */\n",
          pname[o->part], W, A, o->part == PP_MAC_MULT ? "" : " + p ",
          o->part == PP_MAC_MULT ? "" : (P == 22 ? "22 bits signed" : "bits signed"), mname[o->mult],
          aname[o->adder], lib->name);
  char mod[96];
  module_name(o, mod, sizeof mod);
  if (o->part == PP_MAC_FULL)
    fprintf(f, "module %s(w, a, p, y);\n  input [%d:0] w;\n  input [%d:0] a;\n  input [%d:0] p;\n  output [%d:0] y;\n",
            mod, W - 1, A - 1, P - 1, P - 1);
  else if (o->part == PP_MAC_MULT)
    fprintf(f, "module %s(w, a, prod);\n  input [%d:0] w;\n  input [%d:0] a;\n  output [%d:0] prod;\n", mod, W - 1,
            A - 1, N - 1);
  else
    fprintf(f, "module %s(prod, p, y);\n  input [%d:0] prod;\n  input [%d:0] p;\n  output [%d:0] y;\n", mod, N - 1,
            P - 1, P - 1);
  for (int k = 0; k < b->n_g; k++) /* wires: the read outputs of live gates */
    for (int oo = 0; oo < b->g[k].n_out && !d->dead[k]; oo++)
      if (b->g[k].out[oo] >= 0 && d->reads[b->g[k].out[oo]]) fprintf(f, "  wire %s;\n", b->names[b->g[k].out[oo]]);
  int cnt = 0;
  for (int k = 0; k < b->n_g; k++) {
    if (d->dead[k]) continue;
    const pp_lib_cell *c = &lib->cells[b->g[k].cell];
    fprintf(f, "  %s g%d (", c->name, cnt++);
    for (int q = 0; q < c->n_inputs; q++) {
      fprintf(f, "%s.%s(", q ? ", " : "", c->pins[c->inputs[q]].name);
      put_ref(f, b, b->g[k].in[q]);
      fputs(")", f);
    }
    for (int oo = 0; oo < c->n_outputs; oo++) {
      fprintf(f, ", .%s(", c->pins[c->outputs[oo]].name);
      if (b->g[k].out[oo] >= 0 && d->reads[b->g[k].out[oo]]) fputs(b->names[b->g[k].out[oo]], f);
      fputs(")", f);
    }
    fputs(");\n", f);
  }
  const char *oname = o->part == PP_MAC_MULT ? "prod" : "y";
  for (int i = 0; i < d->outw; i++) {
    fprintf(f, "  assign %s[%d] = ", oname, i);
    put_ref(f, b, d->y[i]);
    fputs(";\n", f);
  }
  fputs("endmodule\n", f);
}

int pp_mac_generate(const pp_mac_opts *o, const pp_lib *lib, const char *path, pp_err *e) {
  design d;
  int rc = generate(o, lib, &d, e);
  if (rc) return rc;
  pp_outfile of;
  if (!(rc = pp_outfile_open(&of, path, e))) {
    write_text(of.f, &d);
    rc = pp_outfile_commit(&of, e);
  }
  design_free(&d);
  return rc;
}

int pp_mac_build(const pp_mac_opts *o, const pp_lib *lib, pp_netlist **out, pp_err *e) {
  *out = NULL;
  design d;
  int rc = generate(o, lib, &d, e);
  if (rc) return rc;
  /* the same text as pp_mac_generate writes, read by the same reader: the
   * netlist cannot differ from the file route */
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) {
    design_free(&d);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  write_text(f, &d);
  int bad = ferror(f);
  if (fclose(f) || bad || !text) rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory generating the MAC text");
  design_free(&d);
  if (!rc) {
    char name[128];
    module_name(o, name, sizeof name);
    rc = pp_netlist_parse(text, name, lib, NULL, out, e);
  }
  free(text);
  return rc;
}

/* netlist/write: writes the gate graph back as structural Verilog (one flat
 * module; escaped identifiers where a name is not a plain Verilog one), which
 * the reader, Yosys, Icarus and OpenSTA all read. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"

static int simple_id(const char *s) {
  if (!(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
  for (const char *p = s; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '$')) return 0;
  static const char *const kw[] = {"module", "endmodule", "input", "output", "inout", "wire", "reg", "assign",
                                   "begin", "end", "always", "if", "else", "case", "for", "signed", "supply0",
                                   "supply1", "parameter", "localparam", "initial", "tri"};
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (!strcmp(s, kw[i])) return 0;
  return 1;
}

static void put_id(FILE *f, const char *s) {
  if (simple_id(s))
    fputs(s, f);
  else
    fprintf(f, "\\%s ", s); /* escaped identifier: ends at the space */
}

static void port_bit(FILE *f, const pp_port *p, int bit) {
  put_id(f, p->name);
  if (!(p->width == 1 && p->msb == 0 && p->lsb == 0))
    fprintf(f, "[%d]", p->msb >= p->lsb ? p->lsb + bit : p->lsb - bit);
}

/* How each net is referred to: an input port bit, a constant, else its wire. */
typedef struct {
  const pp_netlist *nl;
  FILE *f;
  int *in_port, *in_bit; /* per net: the input port and bit driving it, in_port -1 for none */
} writer;

static void put_net(const writer *w, int n) {
  const pp_netlist *nl = w->nl;
  if (w->in_port[n] >= 0)
    port_bit(w->f, &nl->inputs[w->in_port[n]], w->in_bit[n]);
  else if (nl->nets[n].drv_kind == PP_DRV_CONST0 || nl->nets[n].drv_kind == PP_DRV_CONST1)
    fputs(nl->nets[n].drv_kind == PP_DRV_CONST1 ? "1'b1" : "1'b0", w->f);
  else
    fprintf(w->f, "\\n%d_%s ", n, nl->nets[n].name);
}

/* The module header and the port declarations. */
static void put_header(const writer *w) {
  const pp_netlist *nl = w->nl;
  FILE *f = w->f;
  fprintf(f, "/* written by powerprune: %d cells, library %s */\n", nl->n_gates, nl->lib->name);
  fputs("module ", f);
  put_id(f, nl->top);
  fputs("(", f);
  int first = 1;
  for (int pass = 0; pass < 2; pass++) {
    const pp_port *ps = pass ? nl->outputs : nl->inputs;
    int np = pass ? nl->n_outputs : nl->n_inputs;
    for (int i = 0; i < np; i++) {
      fputs(first ? "" : ", ", f);
      put_id(f, ps[i].name);
      first = 0;
    }
  }
  fputs(");\n", f);
  for (int pass = 0; pass < 2; pass++) {
    const pp_port *ps = pass ? nl->outputs : nl->inputs;
    int np = pass ? nl->n_outputs : nl->n_inputs;
    for (int i = 0; i < np; i++) {
      fputs(pass ? "  output " : "  input ", f);
      if (!(ps[i].width == 1 && ps[i].msb == 0 && ps[i].lsb == 0)) fprintf(f, "[%d:%d] ", ps[i].msb, ps[i].lsb);
      put_id(f, ps[i].name);
      fputs(";\n", f);
    }
  }
}

/* Wires, cell instances and the output assigns. */
static void put_body(const writer *w) {
  const pp_netlist *nl = w->nl;
  FILE *f = w->f;
  /* every non-input, non-constant net gets a wire named n<index>_<name> so
   * that names never collide with ports */
  for (int n = 0; n < nl->n_nets; n++) {
    const pp_net *net = &nl->nets[n];
    if (w->in_port[n] >= 0 || net->drv_kind == PP_DRV_CONST0 || net->drv_kind == PP_DRV_CONST1) continue;
    fprintf(f, "  wire \\n%d_%s ;\n", n, net->name);
  }
  for (int k = 0; k < nl->n_gates; k++) {
    const pp_gate *g = &nl->gates[k];
    const pp_lib_cell *cell = &nl->lib->cells[g->cell];
    fputs("  ", f);
    put_id(f, cell->name);
    fputs(" ", f);
    put_id(f, g->name);
    fputs(" (", f);
    for (int q = 0; q < g->n_in; q++) {
      fprintf(f, "%s.%s(", q ? ", " : "", cell->pins[cell->inputs[q]].name);
      put_net(w, g->in[q]);
      fputs(")", f);
    }
    for (int oo = 0; oo < g->n_out; oo++) {
      fprintf(f, ", .%s(", cell->pins[cell->outputs[oo]].name);
      if (g->out[oo] >= 0) put_net(w, g->out[oo]);
      fputs(")", f);
    }
    fputs(");\n", f);
  }
  for (int i = 0; i < nl->n_outputs; i++)
    for (int b = 0; b < nl->outputs[i].width; b++) {
      fputs("  assign ", f);
      port_bit(f, &nl->outputs[i], b);
      fputs(" = ", f);
      put_net(w, nl->outputs[i].bits[b]);
      fputs(";\n", f);
    }
  fputs("endmodule\n", f);
}

int pp_netlist_write_verilog(const pp_netlist *nl, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  writer w = {nl, o.f, NULL, NULL};
  w.in_port = malloc(sizeof(int) * (size_t)(nl->n_nets ? nl->n_nets : 1));
  w.in_bit = malloc(sizeof(int) * (size_t)(nl->n_nets ? nl->n_nets : 1));
  if (!w.in_port || !w.in_bit) {
    free(w.in_port);
    free(w.in_bit);
    pp_outfile_abort(&o);
    return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  for (int n = 0; n < nl->n_nets; n++) w.in_port[n] = -1;
  for (int i = 0; i < nl->n_inputs; i++)
    for (int b = 0; b < nl->inputs[i].width; b++) {
      w.in_port[nl->inputs[i].bits[b]] = i;
      w.in_bit[nl->inputs[i].bits[b]] = b;
    }
  put_header(&w);
  put_body(&w);
  free(w.in_port);
  free(w.in_bit);
  return pp_outfile_commit(&o, e);
}

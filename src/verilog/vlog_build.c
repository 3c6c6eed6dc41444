/* verilog/vlog_build: turns the flattened design (global bits and gates of
 * vlog_elab.c) into the levelized gate graph of netlist.h, in named steps:
 * nets, their names, ports, driver checks, levelization (with a report of
 * the loop when there is one) and the gates in level order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlog_internal.h"
#include "pp/util_mem.h"

/* The graph being built and the maps between the design and it. */
typedef struct {
  elab *E;
  const vmod *top;
  const int *map;  /* top-module bit -> global bit */
  gnets *g;
  pp_netlist *nl;
  int ncap;        /* capacity of nl->nets */
  int *netof;      /* global root -> net, -1 none */
  int *drv;        /* net -> driving gate (index into E->gates), -1 none */
  int *lvl;        /* gate -> level among gates (0 = reads only inputs and constants) */
  int *indeg;      /* gate -> number of its inputs driven by gates not yet placed */
  int *order;      /* gates in the order Kahn's sweep placed them */
  int *rstart, *rlist; /* gates reading each net: rlist[rstart[n] .. rstart[n + 1]) */
} bld;

static int oom(const bld *b) { return pp_err_set(b->E->e, PP_ENOMEM, b->E->file, 0, "out of memory"); }

static int net_of(bld *b, int gid) { return b->netof[vlog_gfind(b->g, gid)]; }

static int nz(int n) { return n ? n : 1; }

/* The net of global bit gid, made when first used. 0, or -1 out of memory. */
static int use_net(bld *b, int gid) {
  pp_netlist *nl = b->nl;
  int r = vlog_gfind(b->g, gid);
  if (b->netof[r] >= 0) return 0;
  if (pp_grow((void **)&nl->nets, &b->ncap, nl->n_nets, sizeof(pp_net))) return -1;
  memset(&nl->nets[nl->n_nets], 0, sizeof(pp_net));
  nl->nets[nl->n_nets].drv_kind = r == 0 ? PP_DRV_CONST0 : r == 1 ? PP_DRV_CONST1 : PP_DRV_NONE;
  nl->nets[nl->n_nets].drv_gate = -1;
  b->netof[r] = nl->n_nets++;
  return 0;
}

/* Nets: every root touched by a port bit or a gate pin. */
static int make_nets(bld *b) {
  const elab *E = b->E;
  b->netof = malloc(sizeof(int) * (size_t)b->g->n);
  if (!b->netof) return oom(b);
  for (int i = 0; i < b->g->n; i++) b->netof[i] = -1;
  for (int i = 0; i < b->top->ns; i++) {
    const vsig *s = &b->top->s[i];
    if (s->dir == SIG_WIRE) continue;
    if (s->dir == SIG_INOUT) return pp_err_set(E->e, PP_EPARSE, E->file, s->line, "inout port '%s' is not supported", s->name);
    for (int p = 0; p < s->width; p++)
      if (use_net(b, b->map[s->base + p])) return oom(b);
  }
  for (int k = 0; k < E->ngates; k++)
    for (int q = 0; q < PP_LIB_MAX_INPUTS + 4; q++)
      if (E->gates[k].pins[q] >= 0 && use_net(b, E->gates[k].pins[q])) return oom(b);
  return PP_OK;
}

/* Net names: prefer top-level names, then the shallowest, then the first made. */
static int name_nets(bld *b) {
  pp_netlist *nl = b->nl;
  const gnets *g = b->g;
  int *best = malloc(sizeof(int) * (size_t)nz(nl->n_nets));
  if (!best) return oom(b);
  for (int n = 0; n < nl->n_nets; n++) best[n] = -1;
  for (int i = 2; i < g->n; i++) {
    int n = net_of(b, i);
    if (n >= 0 && (best[n] < 0 || g->depth[i] < g->depth[best[n]])) best[n] = i;
  }
  for (int n = 0; n < nl->n_nets; n++) {
    pp_net *net = &nl->nets[n];
    const char *nm = net->drv_kind == PP_DRV_CONST0   ? "1'b0"
                     : net->drv_kind == PP_DRV_CONST1 ? "1'b1"
                     : best[n] >= 0 && g->name[best[n]] ? g->name[best[n]]
                                                        : "?";
    net->name = strdup(nm);
    if (!net->name) {
      free(best);
      return oom(b);
    }
  }
  free(best);
  return PP_OK;
}

/* The ports of one direction (SIG_IN or SIG_OUT), in port-list order. */
static int make_ports(bld *b, int want) {
  pp_netlist *nl = b->nl;
  const vmod *top = b->top;
  int cnt = 0;
  for (int i = 0; i < top->nports; i++) cnt += top->s[vlog_find_sig(top, top->ports[i])].dir == want;
  pp_port *ports = calloc((size_t)nz(cnt), sizeof(pp_port));
  if (!ports) return oom(b);
  if (want == SIG_IN)
    nl->inputs = ports, nl->n_inputs = cnt;
  else
    nl->outputs = ports, nl->n_outputs = cnt;
  int k = 0;
  for (int i = 0; i < top->nports; i++) {
    const vsig *s = &top->s[vlog_find_sig(top, top->ports[i])];
    if (s->dir != want) continue;
    pp_port *pt = &ports[k++];
    pt->name = strdup(s->name);
    pt->width = s->width;
    pt->msb = s->msb;
    pt->lsb = s->lsb;
    pt->bits = malloc(sizeof(int) * (size_t)s->width);
    if (!pt->name || !pt->bits) return oom(b);
    for (int p = 0; p < s->width; p++) {
      int n = net_of(b, b->map[s->base + p]);
      pt->bits[p] = n;
      pp_net *net = &nl->nets[n]; /* make_nets made a net for every port bit */
      if (want == SIG_IN) {
        if (net->drv_kind != PP_DRV_NONE) // NOLINT(clang-analyzer-core.NullDereference): see above
          return pp_err_set(b->E->e, PP_EPARSE, b->E->file, s->line, "input bit %s[%d] is joined to %s (multiple drivers)",
                            s->name, p, net->drv_kind == PP_DRV_INPUT ? "another input" : "a constant");
        net->drv_kind = PP_DRV_INPUT;
      } else {
        net->is_output = 1; // NOLINT(clang-analyzer-core.NullDereference): a net per port bit
      }
    }
  }
  return PP_OK;
}

/* The driving gate of every net; multiple drivers and undriven gate inputs
 * or output bits are errors. */
static int find_drivers(bld *b) {
  const elab *E = b->E;
  pp_netlist *nl = b->nl;
  b->drv = malloc(sizeof(int) * (size_t)nz(nl->n_nets));
  if (!b->drv) return oom(b);
  int *drv = b->drv;
  for (int n = 0; n < nl->n_nets; n++) drv[n] = -1;
  for (int k = 0; k < E->ngates; k++) {
    const ggate *gg = &E->gates[k];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    for (int o = 0; o < cell->n_outputs; o++) {
      int gid = gg->pins[PP_LIB_MAX_INPUTS + o];
      if (gid < 0) continue;
      int n = net_of(b, gid);
      const pp_net *net = &nl->nets[n];
      if (net->drv_kind != PP_DRV_NONE || drv[n] >= 0) {
        const char *other = drv[n] >= 0                    ? E->gates[drv[n]].name
                            : net->drv_kind == PP_DRV_INPUT ? "a primary input"
                                                            : "a constant";
        return pp_err_set(E->e, PP_EPARSE, E->file, gg->line,
                          "net '%s' has multiple drivers: instance '%s' (pin %s) and %s%s", net->name, gg->name,
                          cell->pins[cell->outputs[o]].name, drv[n] >= 0 ? "instance " : "", other);
      }
      drv[n] = k;
    }
  }
  for (int k = 0; k < E->ngates; k++) {
    const ggate *gg = &E->gates[k];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = net_of(b, gg->pins[q]);
      if (nl->nets[n].drv_kind == PP_DRV_NONE && drv[n] < 0)
        return pp_err_set(E->e, PP_EPARSE, E->file, gg->line,
                          "input '%s' of instance '%s' (%s) is driven by nothing (net '%s')",
                          cell->pins[cell->inputs[q]].name, gg->name, cell->name, nl->nets[n].name);
    }
  }
  for (int i = 0; i < nl->n_outputs; i++)
    for (int p = 0; p < nl->outputs[i].width; p++) {
      int n = nl->outputs[i].bits[p];
      if (nl->nets[n].drv_kind == PP_DRV_NONE && drv[n] < 0)
        return pp_err_set(E->e, PP_EPARSE, E->file, b->top->s[vlog_find_sig(b->top, nl->outputs[i].name)].line,
                          "output bit %s[%d] is driven by nothing", nl->outputs[i].name, p);
    }
  return PP_OK;
}

/* Reader lists per net (gate ids) for the sweep, and each gate's in-degree. */
static int list_readers(bld *b) {
  const elab *E = b->E;
  int n_nets = b->nl->n_nets;
  b->rstart = calloc((size_t)n_nets + 1, sizeof(int));
  if (!b->rstart) return oom(b);
  int nreads = 0;
  for (int k = 0; k < E->ngates; k++) {
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = net_of(b, E->gates[k].pins[q]);
      b->rstart[n + 1]++;
      nreads++;
      if (b->drv[n] >= 0) b->indeg[k]++;
    }
  }
  for (int n = 0; n < n_nets; n++) b->rstart[n + 1] += b->rstart[n];
  b->rlist = malloc(sizeof(int) * (size_t)nz(nreads));
  int *rfill = calloc((size_t)n_nets + 1, sizeof(int));
  if (!b->rlist || !rfill) {
    free(rfill);
    return oom(b);
  }
  for (int k = 0; k < E->ngates; k++) {
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = net_of(b, E->gates[k].pins[q]);
      b->rlist[b->rstart[n] + rfill[n]++] = k;
    }
  }
  free(rfill);
  return PP_OK;
}

/* The gate driving an input of gate k that is itself still unplaced (on or
 * behind a loop), or -1. */
static int stuck_driver(const bld *b, int k) {
  const elab *E = b->E;
  const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
  for (int q = 0; q < cell->n_inputs; q++) {
    int d = b->drv[b->netof[vlog_gfind(b->g, E->gates[k].pins[q])]];
    if (d >= 0 && b->indeg[d] > 0) return d;
  }
  return -1;
}

/* A combinational loop: walks back along drivers from a stuck gate until a
 * gate repeats, then names the loop's gates in signal-flow order. */
static int report_loop(bld *b) {
  const elab *E = b->E;
  int *seen = calloc((size_t)E->ngates, sizeof(int));
  char msg[600];
  size_t ml = 0;
  int start = -1;
  for (int k = 0; k < E->ngates && start < 0; k++)
    if (b->indeg[k] > 0) start = k;
  int k = start, step = 1;
  while (seen && !seen[k]) {
    seen[k] = step++;
    int nk = stuck_driver(b, k);
    if (nk < 0) break;
    k = nk;
  }
  /* k is on the loop: list it in signal-flow order */
  int cyc[64], nc = 0, x = k;
  do {
    if (nc < 64) cyc[nc++] = x;
    x = stuck_driver(b, x);
  } while (x >= 0 && x != k && nc < 64);
  ml += (size_t)snprintf(msg + ml, sizeof msg - ml, "combinational loop through");
  for (int i = nc - 1; i >= 0 && ml < sizeof msg - 80; i--) {
    const ggate *gg = &E->gates[cyc[i]];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    int on = gg->pins[PP_LIB_MAX_INPUTS];
    for (int o = 0; o < cell->n_outputs; o++) /* the output feeding the next gate of the loop */
      if (gg->pins[PP_LIB_MAX_INPUTS + o] >= 0) on = gg->pins[PP_LIB_MAX_INPUTS + o];
    ml += (size_t)snprintf(msg + ml, sizeof msg - ml, " instance '%s' -> net '%s'%s", gg->name,
                           b->nl->nets[net_of(b, on)].name, i ? " ->" : "");
  }
  free(seen);
  return pp_err_set(E->e, PP_EPARSE, E->file, E->gates[k].line, "%s", msg);
}

/* Levels by Kahn's sweep, keeping file order among ready gates. */
static int levelize(bld *b) {
  const elab *E = b->E;
  b->indeg = calloc((size_t)nz(E->ngates), sizeof(int));
  b->order = malloc(sizeof(int) * (size_t)nz(E->ngates));
  b->lvl = calloc((size_t)nz(E->ngates), sizeof(int));
  if (!b->indeg || !b->order || !b->lvl) return oom(b);
  int rc = list_readers(b);
  if (rc) return rc;
  int head = 0, tail = 0;
  for (int k = 0; k < E->ngates; k++)
    if (b->indeg[k] == 0) b->order[tail++] = k;
  while (head < tail) {
    int k = b->order[head++];
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int o = 0; o < cell->n_outputs; o++) {
      int gid = E->gates[k].pins[PP_LIB_MAX_INPUTS + o];
      if (gid < 0) continue;
      int n = net_of(b, gid);
      for (int r = b->rstart[n]; r < b->rstart[n + 1]; r++) {
        int x = b->rlist[r];
        if (b->lvl[k] + 1 > b->lvl[x]) b->lvl[x] = b->lvl[k] + 1;
        if (--b->indeg[x] == 0) b->order[tail++] = x;
      }
    }
  }
  return tail < E->ngates ? report_loop(b) : PP_OK;
}

/* The gates of the graph, stably sorted by level (file order within one),
 * and the driver fields of their output nets. */
static int place_gates(bld *b) {
  elab *E = b->E;
  pp_netlist *nl = b->nl;
  nl->n_levels = 0;
  for (int k = 0; k < E->ngates; k++)
    if (b->lvl[k] + 1 > nl->n_levels) nl->n_levels = b->lvl[k] + 1;
  int *gate_pos = malloc(sizeof(int) * (size_t)nz(E->ngates));
  int *cnt = calloc((size_t)nl->n_levels + 1, sizeof(int));
  nl->gates = calloc((size_t)nz(E->ngates), sizeof(pp_gate));
  if (!gate_pos || !cnt || !nl->gates) {
    free(gate_pos);
    free(cnt);
    return oom(b);
  }
  for (int k = 0; k < E->ngates; k++) cnt[b->lvl[k] + 1]++;
  for (int l = 0; l < nl->n_levels; l++) cnt[l + 1] += cnt[l];
  for (int k = 0; k < E->ngates; k++) gate_pos[k] = cnt[b->lvl[k]]++;
  free(cnt);
  nl->n_gates = E->ngates;
  for (int k = 0; k < E->ngates; k++) {
    ggate *gg = &E->gates[k];
    pp_gate *pg = &nl->gates[gate_pos[k]];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    pg->name = (char *)gg->name;
    gg->name = NULL; /* moved */
    pg->cell = gg->cell;
    pg->n_in = cell->n_inputs;
    pg->n_out = cell->n_outputs;
    pg->level = b->lvl[k] + 1;
    for (int q = 0; q < PP_LIB_MAX_INPUTS; q++) pg->in[q] = q < pg->n_in ? net_of(b, gg->pins[q]) : -1;
    for (int o = 0; o < 4; o++) {
      int gid = o < pg->n_out ? gg->pins[PP_LIB_MAX_INPUTS + o] : -1;
      pg->out[o] = gid >= 0 ? net_of(b, gid) : -1;
      if (pg->out[o] >= 0) {
        pp_net *net = &nl->nets[pg->out[o]];
        net->drv_kind = PP_DRV_GATE;
        net->drv_gate = gate_pos[k];
        net->drv_out = o;
      }
    }
  }
  free(gate_pos);
  if (nl->n_levels < 1) nl->n_levels = 1; /* level 0: inputs */
  else nl->n_levels += 1;
  return PP_OK;
}

int vlog_build(elab *E, vmod *top, const int *map, pp_netlist **out) {
  bld b;
  memset(&b, 0, sizeof b);
  b.E = E;
  b.top = top;
  b.map = map;
  b.g = &E->g;
  b.nl = calloc(1, sizeof *b.nl);
  if (!b.nl) return oom(&b);
  b.nl->lib = E->lib;
  b.nl->top = strdup(top->name);
  int rc = b.nl->top ? PP_OK : oom(&b);
  if (!rc) rc = make_nets(&b);
  if (!rc) rc = name_nets(&b);
  if (!rc) rc = make_ports(&b, SIG_IN);
  if (!rc) rc = make_ports(&b, SIG_OUT);
  if (!rc) rc = find_drivers(&b);
  if (!rc) rc = levelize(&b);
  if (!rc) rc = place_gates(&b);
  if (!rc && pp_netlist_finish_loads(b.nl, E->lib->output_load_ff)) rc = oom(&b);
  PP_FREE_ALL(b.netof, b.drv, b.lvl, b.indeg, b.order, b.rstart, b.rlist);
  if (rc) {
    pp_netlist_free(b.nl);
    return rc;
  }
  *out = b.nl;
  return PP_OK;
}

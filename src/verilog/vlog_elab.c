/* verilog/vlog_elab: flattens the module hierarchy under the top module:
 * every bit of every instance becomes a global bit, `assign` merges bits
 * (union-find, constants stay roots), library-cell instances become gates
 * with their pins bound to global bits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlog_internal.h"

int vlog_gfind(gnets *g, int x) {
  while (g->parent[x] != x) {
    g->parent[x] = g->parent[g->parent[x]];
    x = g->parent[x];
  }
  return x;
}

static void gunion(gnets *g, int a, int b) {
  a = vlog_gfind(g, a);
  b = vlog_gfind(g, b);
  if (a == b) return;
  if (a < b) /* the constants (0, 1) stay roots */
    g->parent[b] = a;
  else
    g->parent[a] = b;
}

int vlog_gnew(elab *E, char *name, int depth) {
  gnets *g = &E->g;
  if (g->n >= NL_MAX_FLAT) {
    free(name);
    return -2;
  }
  if (g->n >= g->cap) {
    int nc = g->cap ? g->cap * 2 : 1024;
    int *p = realloc(g->parent, sizeof(int) * (size_t)nc);
    if (p) g->parent = p;
    char **nm = realloc(g->name, sizeof(char *) * (size_t)nc);
    if (nm) g->name = nm;
    int *d = realloc(g->depth, sizeof(int) * (size_t)nc);
    if (d) g->depth = d;
    if (!p || !nm || !d) {
      free(name);
      return -1;
    }
    g->cap = nc;
  }
  g->parent[g->n] = g->n;
  g->name[g->n] = name;
  g->depth[g->n] = depth;
  return g->n++;
}

static char *bit_name(const char *prefix, const vsig *s, int pos) {
  char idx[32] = "";
  if (s->ranged) snprintf(idx, sizeof idx, "[%d]", s->msb >= s->lsb ? s->lsb + pos : s->lsb - pos);
  size_t n = strlen(prefix) + strlen(s->name) + strlen(idx) + 1;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s%s%s", prefix, s->name, idx);
  return r;
}

vmod *vlog_find_mod(vfile *F, const char *name) {
  for (int i = 0; i < F->nm; i++)
    if (!strcmp(F->m[i].name, name)) return &F->m[i];
  return NULL;
}

static int gbit(const int *map, long long b) { return b == BIT_0 ? 0 : b == BIT_1 ? 1 : b == BIT_Z ? -1 : map[b]; }

static int enomem(const elab *E) { return pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory"); }

/* A fresh global bit for every bit of m that map does not bind yet. */
static int elab_bits(elab *E, const vmod *m, const char *prefix, int depth, int *map) {
  for (int i = 0; i < m->ns; i++) {
    const vsig *s = &m->s[i];
    for (int p = 0; p < s->width; p++) {
      if (map[s->base + p] >= 0) continue;
      char *name = bit_name(prefix, s, p);
      if (!name) return enomem(E);
      int id = vlog_gnew(E, name, depth);
      if (id < 0)
        return id == -2 ? pp_err_set(E->e, PP_EPARSE, E->file, m->line,
                                     "the flattened netlist has more than %d nets (module '%s' at '%s')", NL_MAX_FLAT,
                                     m->name, prefix)
                        : enomem(E);
      map[s->base + p] = id;
    }
  }
  return PP_OK;
}

/* `assign l = r`: merges the global bits of both sides, bit by bit. */
static int elab_assigns(elab *E, const vmod *m, const int *map) {
  for (int a = 0; a < m->na; a++) {
    const vassign *as = &m->as[a];
    for (int i = 0; i < as->l.n; i++) {
      long long l = as->l.b[i];
      long long r = i < as->r.n ? as->r.b[i] : BIT_0; /* Verilog zero-extends, and truncates the extra bits */
      if (l < 0)
        return pp_err_set(E->e, PP_EPARSE, E->file, as->line, "the left side of 'assign' must be a net, not a constant");
      int gl = vlog_gfind(&E->g, map[l]), gr = vlog_gfind(&E->g, gbit(map, r));
      if ((gl == 0 && gr == 1) || (gl == 1 && gr == 0))
        return pp_err_set(E->e, PP_EPARSE, E->file, as->line, "net '%s' is tied to both 0 and 1",
                          E->g.name[map[l]] ? E->g.name[map[l]] : "?");
      gunion(&E->g, map[l], gbit(map, r));
    }
  }
  return PP_OK;
}

/* Binds the ports of submodule sub (instance in) to the parent's bits in smap. */
static int bind_ports(elab *E, const vmod *sub, const vinst *in, const int *map, int *smap) {
  for (int i = 0; i < sub->nbits; i++) smap[i] = -1;
  for (int c = 0; c < in->nc; c++) {
    int si = vlog_find_sig(sub, in->c[c].pin);
    if (si < 0 || sub->s[si].dir == SIG_WIRE)
      return pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "module '%s' has no port '%s' (instance '%s')",
                        sub->name, in->c[c].pin, in->name);
    const vsig *s = &sub->s[si];
    if (s->dir == SIG_INOUT)
      return pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "inout port '%s' is not supported", s->name);
    if (in->c[c].bits.n == 0) continue; /* .P() left open */
    if (in->c[c].bits.n != s->width)
      return pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line,
                        "port '%s' of module '%s' is %d bits wide but the connection has %d (instance '%s')", s->name,
                        sub->name, s->width, in->c[c].bits.n, in->name);
    for (int p = 0; p < s->width; p++) {
      long long b = in->c[c].bits.b[p];
      if (b == BIT_Z) continue;
      /* a constant on an output stays a fresh net (left dangling) */
      if (b >= 0 || s->dir == SIG_IN) smap[s->base + p] = gbit(map, b);
    }
  }
  return PP_OK;
}

/* An instance of a module of the file, named hname: elaborated in place. */
static int elab_submodule(elab *E, vmod *sub, const vinst *in, const char *hname, int depth, const int *map) {
  int *smap = malloc(sizeof(int) * (size_t)(sub->nbits ? sub->nbits : 1));
  if (!smap) return enomem(E);
  int rc = bind_ports(E, sub, in, map, smap);
  if (!rc) {
    size_t hl = strlen(hname) + 2;
    char *pfx = malloc(hl);
    if (!pfx) {
      rc = enomem(E);
    } else {
      snprintf(pfx, hl, "%s.", hname);
      rc = vlog_elaborate(E, sub, pfx, depth + 1, smap);
      free(pfx);
    }
  }
  free(smap);
  return rc;
}

/* Connects pin connection c of cell instance in to gate gg. */
static int connect_pin(elab *E, const pp_lib_cell *cell, const vinst *in, const vconn *c, const int *map, ggate *gg) {
  int pi = pp_lib_find_pin(cell, c->pin);
  if (pi < 0)
    return pp_err_set(E->e, PP_EPARSE, E->file, c->line, "cell '%s' has no pin '%s' (instance '%s')", cell->name,
                      c->pin, in->name);
  if (c->bits.n > 1)
    return pp_err_set(E->e, PP_EPARSE, E->file, c->line, "pin '%s' of instance '%s' is one bit but the connection has %d",
                      c->pin, in->name, c->bits.n);
  int g = c->bits.n ? gbit(map, c->bits.b[0]) : -1;
  int slot = -1;
  for (int k = 0; k < cell->n_inputs; k++)
    if (cell->inputs[k] == pi) slot = k;
  for (int k = 0; k < cell->n_outputs; k++)
    if (cell->outputs[k] == pi) slot = PP_LIB_MAX_INPUTS + k;
  if (slot < 0) return PP_OK; /* internal pins: nothing to connect */
  if (slot >= PP_LIB_MAX_INPUTS && g >= 0 && g <= 1)
    return pp_err_set(E->e, PP_EPARSE, E->file, c->line, "output '%s' of instance '%s' drives a constant", c->pin,
                      in->name);
  gg->pins[slot] = g;
  return PP_OK;
}

/* An instance of a library cell: a gate named hname (taken over, freed on error). */
static int elab_cell(elab *E, const vinst *in, char *hname, const int *map) {
  int ci = E->lib ? pp_lib_find_cell(E->lib, in->type) : -1;
  const pp_lib_cell *cell = ci >= 0 ? &E->lib->cells[ci] : NULL;
  int rc = PP_OK;
  if (!cell)
    rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line,
                    "unknown cell or module '%s' (instance '%s'): not in library '%s' and not a module of this file",
                    in->type, in->name, E->lib ? E->lib->name : "(none)");
  else if (cell->is_sequential || cell->unsupported)
    rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line, "cell '%s' (instance '%s') %s: the gate graph holds %s",
                    cell->name, in->name, cell->is_sequential ? "is sequential" : cell->unsupported,
                    cell->is_sequential ? "combinational logic only" : "plain single-driver logic cells only");
  else if (E->ngates >= NL_MAX_FLAT)
    rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line, "the flattened netlist has more than %d gates", NL_MAX_FLAT);
  else if (pp_grow((void **)&E->gates, &E->cgates, E->ngates, sizeof(ggate)))
    rc = enomem(E);
  if (rc) {
    free(hname);
    return rc;
  }
  ggate *gg = &E->gates[E->ngates++];
  gg->name = hname;
  gg->cell = ci;
  gg->line = in->line;
  for (int k = 0; k < PP_LIB_MAX_INPUTS + 4; k++) gg->pins[k] = -1;
  for (int c = 0; c < in->nc; c++)
    if ((rc = connect_pin(E, cell, in, &in->c[c], map, gg))) return rc;
  for (int k = 0; k < cell->n_inputs; k++)
    if (gg->pins[k] < 0)
      return pp_err_set(E->e, PP_EPARSE, E->file, in->line, "input '%s' of instance '%s' (%s) is not connected",
                        cell->pins[cell->inputs[k]].name, in->name, cell->name);
  return PP_OK;
}

int vlog_elaborate(elab *E, vmod *m, const char *prefix, int depth, int *map) {
  if (m->busy) return pp_err_set(E->e, PP_EPARSE, E->file, m->line, "module '%s' instantiates itself", m->name);
  if (depth > 64) return pp_err_set(E->e, PP_EPARSE, E->file, m->line, "hierarchy deeper than 64 levels");
  m->busy = 1;
  int rc = elab_bits(E, m, prefix, depth, map);
  if (!rc) rc = elab_assigns(E, m, map);
  for (int x = 0; x < m->ni && !rc; x++) {
    const vinst *in = &m->ins[x];
    vmod *sub = vlog_find_mod(E->F, in->type);
    size_t hl = strlen(prefix) + strlen(in->name) + 2;
    char *hname = malloc(hl);
    if (!hname) {
      rc = enomem(E);
      break;
    }
    snprintf(hname, hl, "%s%s", prefix, in->name);
    if (sub) {
      rc = elab_submodule(E, sub, in, hname, depth, map);
      free(hname);
    } else {
      rc = elab_cell(E, in, hname, map);
    }
  }
  m->busy = 0;
  return rc;
}

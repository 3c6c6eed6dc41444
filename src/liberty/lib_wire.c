/* liberty/lib_wire: wire_load groups and default_wire_load, and the wire
 * capacitance of a net from them (the fanout -> length table of the group
 * with its slope beyond the table, times the capacitance per unit length,
 * as timers estimate pre-layout wires). */
#include <stdlib.h>
#include <string.h>

#include "lib_internal.h"

static int wl_nonneg(ictx *c, const lnode *n, const char *s, double *out) { return LIB_NONNEG(c, n, s, out); }

/* wire_load ("NAME") { capacitance : C; resistance : R; slope : S;
 * fanout_length (FANOUT, LENGTH); ... } */
static int read_one(ictx *c, const lnode *g, pp_lib_wire_load *w) {
  if (g->n_args < 1 || !*g->args[0])
    return pp_err_set(c->e, PP_EPARSE, c->file, g->line, "expected a name: wire_load (\"NAME\") { ... }");
  w->name = strdup(g->args[0]);
  if (!w->name) return pp_err_set(c->e, PP_ENOMEM, c->file, g->line, "out of memory");
  int cap = 0, rc;
  for (const lnode *n = g->child; n; n = n->next) {
    double v;
    if (n->kind == N_SIMPLE && !strcmp(n->name, "capacitance")) {
      if ((rc = wl_nonneg(c, n, n->value, &v))) return rc;
      w->cap_per_length_ff = v * c->cap_ff;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "resistance")) {
      if ((rc = wl_nonneg(c, n, n->value, &v))) return rc;
      w->res_per_length = v;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "slope")) {
      if ((rc = wl_nonneg(c, n, n->value, &v))) return rc;
      w->slope = v;
    } else if (n->kind == N_COMPLEX && !strcmp(n->name, "fanout_length")) {
      double f, len;
      if (n->n_args < 2)
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected fanout_length (FANOUT, LENGTH);");
      if ((rc = wl_nonneg(c, n, n->args[0], &f)) || (rc = wl_nonneg(c, n, n->args[1], &len))) return rc;
      if (w->n_points && f <= w->fanout[w->n_points - 1])
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line,
                          "fanout_length fanouts of wire_load '%.60s' must increase, %g follows %g", w->name, f,
                          w->fanout[w->n_points - 1]);
      if (w->n_points >= cap) {
        int nc = cap ? 2 * cap : 8;
        double *a = realloc(w->fanout, sizeof(double) * (size_t)nc);
        if (!a) return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
        w->fanout = a;
        double *b = realloc(w->length, sizeof(double) * (size_t)nc);
        if (!b) return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
        w->length = b;
        cap = nc;
      }
      w->fanout[w->n_points] = f;
      w->length[w->n_points++] = len;
    }
  }
  return PP_OK;
}

int lib_read_wire_loads(ictx *c, const lnode *lg, pp_lib *lib) {
  int cap = 0, rc;
  const lnode *def = NULL;
  lib->wire_load = -1;
  for (const lnode *n = lg->child; n; n = n->next) {
    if (n->kind == N_SIMPLE && !strcmp(n->name, "default_wire_load")) def = n;
    if (n->kind != N_GROUP || strcmp(n->name, "wire_load")) continue;
    if (pp_grow((void **)&lib->wire_loads, &cap, lib->n_wire_loads, sizeof(pp_lib_wire_load)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    pp_lib_wire_load *w = &lib->wire_loads[lib->n_wire_loads++];
    memset(w, 0, sizeof *w);
    if ((rc = read_one(c, n, w))) return rc;
  }
  if (def) {
    lib->wire_load = pp_lib_find_wire_load(lib, def->value);
    if (lib->wire_load < 0)
      return pp_err_set(c->e, PP_EPARSE, c->file, def->line, "default_wire_load '%.60s' names no wire_load group",
                        def->value);
  }
  return PP_OK;
}

void lib_wire_loads_free(pp_lib *lib) {
  for (int i = 0; i < lib->n_wire_loads; i++) {
    free(lib->wire_loads[i].name);
    free(lib->wire_loads[i].fanout);
    free(lib->wire_loads[i].length);
  }
  free(lib->wire_loads);
  lib->wire_loads = NULL;
  lib->n_wire_loads = 0;
}

int pp_lib_find_wire_load(const pp_lib *lib, const char *name) {
  for (int i = 0; i < lib->n_wire_loads; i++)
    if (!strcmp(lib->wire_loads[i].name, name)) return i;
  return -1;
}

double pp_lib_wire_load_length(const pp_lib_wire_load *w, double fanout) {
  int n = w->n_points;
  double len;
  if (n == 0) len = 0; /* no table: no wire (OpenSTA 2.0 gives 0 as well) */
  else if (fanout < w->fanout[0]) len = w->length[0] - (w->fanout[0] - fanout) * w->slope;
  else if (fanout > w->fanout[n - 1]) len = w->length[n - 1] + (fanout - w->fanout[n - 1]) * w->slope;
  else {
    int k = 0;
    while (k < n - 1 && fanout > w->fanout[k + 1]) k++;
    if (k == n - 1 || fanout == w->fanout[k]) len = w->length[k];
    else
      len = w->length[k] + (fanout - w->fanout[k]) * (w->length[k + 1] - w->length[k]) / (w->fanout[k + 1] - w->fanout[k]);
  }
  return len > 0 ? len : 0;
}

double pp_lib_wire_cap(const pp_lib *lib, int fanout, int out_ports) {
  double c = lib->wire_cap_ff + lib->wire_cap_per_fanout_ff * fanout;
  if (lib->wire_load >= 0 && lib->wire_load < lib->n_wire_loads) {
    const pp_lib_wire_load *w = &lib->wire_loads[lib->wire_load];
    c += pp_lib_wire_load_length(w, fanout + out_ports) * w->cap_per_length_ff;
  }
  return c;
}

int pp_lib_use_wire_load(pp_lib *lib, const char *choice, pp_err *e) {
  if (!choice || !strcmp(choice, "library")) return PP_OK;
  if (!strcmp(choice, "none")) {
    lib->wire_load = -1;
    lib->wire_cap_ff = lib->wire_cap_per_fanout_ff = 0;
    return PP_OK;
  }
  int k = pp_lib_find_wire_load(lib, choice);
  if (k < 0) {
    char names[512];
    size_t o = 0;
    names[0] = 0;
    for (int i = 0; i < lib->n_wire_loads && o + 2 < sizeof names; i++) {
      int w = snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "", lib->wire_loads[i].name);
      if (w < 0) break;
      o += (size_t)w < sizeof names - o ? (size_t)w : sizeof names - o - 1;
    }
    return pp_err_set(e, PP_EINVAL, lib->path ? lib->path : "", 0,
                      "library '%s' has no wire_load '%s' (it has: %s)", lib->name ? lib->name : "",
                      choice, lib->n_wire_loads ? names : "none");
  }
  lib->wire_load = k;
  return PP_OK;
}

const char *pp_lib_wire_load_name(const pp_lib *lib) {
  if (lib->wire_load >= 0 && lib->wire_load < lib->n_wire_loads) return lib->wire_loads[lib->wire_load].name;
  return NULL;
}

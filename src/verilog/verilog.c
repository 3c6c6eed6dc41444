/* verilog/verilog: the structural Verilog reader's entry points: parse the
 * modules, choose the top, flatten it and build the levelized gate graph of
 * netlist.h (see vlog_internal.h for the passes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/verilog.h"
#include "vlog_internal.h"

/* The module to flatten: the one named top, else the one module no other
 * instantiates. */
static int choose_top(vfile *F, const char *top, const char *file, pp_err *e, vmod **out) {
  for (int i = 0; i < F->nm; i++)
    for (int x = 0; x < F->m[i].ni; x++) {
      vmod *s = vlog_find_mod(F, F->m[i].ins[x].type);
      if (s) s->instantiated = 1;
    }
  vmod *tm = NULL;
  if (top) {
    tm = vlog_find_mod(F, top);
    if (!tm) return pp_err_set(e, PP_EINVAL, file, 0, "no module named '%s' in this file", top);
  } else {
    int cand = 0;
    char names[300] = "";
    for (int i = 0; i < F->nm; i++)
      if (!F->m[i].instantiated) {
        if (!tm) tm = &F->m[i];
        cand++;
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, "%s%s", cand > 1 ? ", " : "", F->m[i].name);
      }
    if (cand != 1)
      return pp_err_set(e, PP_EINVAL, file, 0,
                        cand ? "several top-level modules (%s): name the one to use" : "no top-level module%s", names);
  }
  *out = tm;
  return PP_OK;
}

/* Flattens tm into E and builds the graph. */
static int flatten(elab *E, vmod *tm, pp_netlist **out) {
  if (vlog_gnew(E, NULL, 0) != 0 || vlog_gnew(E, NULL, 0) != 1)
    return pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
  int *map = malloc(sizeof(int) * (size_t)(tm->nbits ? tm->nbits : 1));
  if (!map) return pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
  for (int i = 0; i < tm->nbits; i++) map[i] = -1;
  int rc = vlog_elaborate(E, tm, "", 0, map);
  if (!rc) rc = vlog_build(E, tm, map, out);
  free(map);
  return rc;
}

static void elab_free(elab *E) {
  for (int i = 0; i < E->g.n; i++) free(E->g.name[i]);
  free(E->g.name);
  free(E->g.parent);
  free(E->g.depth);
  for (int k = 0; k < E->ngates; k++) free((char *)E->gates[k].name);
  free(E->gates);
}

int pp_netlist_parse(const char *text, const char *name_for_errors, const pp_lib *lib, const char *top,
                     pp_netlist **out, pp_err *e) {
  *out = NULL;
  const char *file = name_for_errors ? name_for_errors : "<verilog>";
  pp_arena ar = {NULL};
  vfile F;
  memset(&F, 0, sizeof F);
  vlex *L = &F.L;
  L->s = text;
  L->len = strlen(text);
  L->line = 1;
  L->file = file;
  L->e = e;
  L->ar = &ar;
  int rc = PP_OK;
  elab E;
  memset(&E, 0, sizeof E);
  vmod *tm = NULL;
  if (vlog_parse_file(&F)) {
    rc = e && e->status ? e->status : PP_EPARSE;
  } else if (F.nm == 0) {
    rc = pp_err_set(e, PP_EPARSE, file, L->line, "expected a module: the file has none");
  } else if (!lib) {
    rc = pp_err_set(e, PP_EINVAL, file, 0, "no cell library given");
  } else if (!(rc = choose_top(&F, top, file, e, &tm))) {
    E.F = &F;
    E.lib = lib;
    E.file = file;
    E.e = e;
    rc = flatten(&E, tm, out);
  }
  elab_free(&E);
  vlog_file_free(&F);
  pp_arena_free(&ar);
  return rc;
}

int pp_netlist_read(const char *path, const pp_lib *lib, const char *top, pp_netlist **out, pp_err *e) {
  *out = NULL;
  char *data;
  int rc = pp_read_file(path, &data, NULL, e);
  if (rc) return rc;
  rc = pp_netlist_parse(data, path, lib, top, out, e);
  free(data);
  return rc;
}


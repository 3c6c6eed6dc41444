/* liberty/liberty: builds the pp_lib model from the Liberty syntax tree
 * (lib_parse.c): library attributes, cells, pins, their functions, timing
 * arcs and internal power, and the library's defaults; plus the queries of
 * liberty.h. What the model does not need is skipped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib_internal.h"

/* ---- cells ----------------------------------------------------------------------- */

static void pin_free(pp_lib_pin *p) {
  free(p->name);
  free(p->function);
  for (int i = 0; i < p->n_timings; i++) {
    lib_lut_free(&p->timings[i].cell_rise);
    lib_lut_free(&p->timings[i].cell_fall);
    lib_lut_free(&p->timings[i].rise_transition);
    lib_lut_free(&p->timings[i].fall_transition);
  }
  free(p->timings);
  for (int i = 0; i < p->n_powers; i++) {
    lib_lut_free(&p->powers[i].rise_power);
    lib_lut_free(&p->powers[i].fall_power);
  }
  free(p->powers);
}

static void cell_free(pp_lib_cell *c) {
  free(c->name);
  free(c->leaks);
  for (int i = 0; i < c->n_pins; i++) pin_free(&c->pins[i]);
  free(c->pins);
}

void pp_lib_free(pp_lib *lib) {
  if (!lib) return;
  for (int i = 0; i < lib->n_cells; i++) cell_free(&lib->cells[i]);
  free(lib->cells);
  lib_wire_loads_free(lib);
  free(lib->name);
  free(lib->path);
  free(lib);
}

/* related_pin text (may list several names) -> pin indices; -1 for none */
typedef struct {
  const lnode *where;
  char names[8][64];
  int n;
} relpins;

static void split_related(const lnode *g, relpins *r) {
  r->n = 0;
  r->where = lib_find_attr(g, "related_pin");
  if (!r->where || !r->where->value) return;
  const char *s = r->where->value;
  while (*s && r->n < 8) {
    while (*s && (isspace((unsigned char)*s) || *s == ',')) s++;
    if (!*s) break;
    size_t k = 0;
    while (s[k] && !isspace((unsigned char)s[k]) && s[k] != ',') k++;
    snprintf(r->names[r->n], sizeof r->names[0], "%.*s", (int)(k < 63 ? k : 63), s);
    r->n++;
    s += k;
  }
}

static int is_constraint_type(const char *t) {
  static const char *const pre[] = {"setup", "hold", "recovery", "removal", "skew", "min_pulse", "minimum_period",
                                    "nochange", "non_seq", "max_clock_tree_path", "min_clock_tree_path"};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
    if (!strncmp(t, pre[i], strlen(pre[i]))) return 1;
  return 0;
}

/* The pins of a cell being read, with the group each came from and the
 * capacities of the growing arrays. */
typedef struct {
  ictx *c;
  const tmpl_set *ts;
  pp_lib_cell *cell;
  const lnode **src; /* pin group of each pin */
  int pcap, scap;
} cell_rd;

/* The simple attributes of one pin: direction, capacitances, function. */
static int read_pin_attrs(cell_rd *r, const lnode *n, pp_lib_pin *p) {
  ictx *c = r->c;
  int rc;
  double rcap = 0, fcap = 0;
  int has_cap = 0, has_r = 0, has_f = 0;
  for (const lnode *m = n->child; m; m = m->next) {
    if (m->kind != N_SIMPLE) continue;
    if (!strcmp(m->name, "direction")) {
      if (!strcmp(m->value, "input")) p->dir = PP_PIN_INPUT;
      else if (!strcmp(m->value, "output")) p->dir = PP_PIN_OUTPUT;
      else if (!strcmp(m->value, "inout")) p->dir = PP_PIN_INOUT;
      else if (!strcmp(m->value, "internal")) p->dir = PP_PIN_INTERNAL;
      else
        return pp_err_set(c->e, PP_EPARSE, c->file, m->line,
                          "expected input, output, inout or internal for direction, found '%.40s'", m->value);
    } else if (!strcmp(m->name, "capacitance")) {
      if ((rc = LIB_NONNEG(c, m, m->value, &p->cap))) return rc;
      has_cap = 1;
    } else if (!strcmp(m->name, "rise_capacitance")) {
      if ((rc = LIB_NONNEG(c, m, m->value, &rcap))) return rc;
      has_r = 1;
    } else if (!strcmp(m->name, "fall_capacitance")) {
      if ((rc = LIB_NONNEG(c, m, m->value, &fcap))) return rc;
      has_f = 1;
    } else if (!strcmp(m->name, "function")) {
      free(p->function);
      p->function = strdup(m->value);
      if (!p->function) return pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
    } else if (!strcmp(m->name, "three_state")) {
      if (!r->cell->unsupported) r->cell->unsupported = "has a tri-state output";
    }
  }
  if (p->dir < 0)
    return pp_err_set(c->e, PP_EPARSE, c->file, n->line,
                      "pin '%.60s' of cell '%.60s' has no direction (expected 'direction : input;' or output)", p->name,
                      r->cell->name);
  if (!has_cap) p->cap = rcap > fcap ? rcap : fcap;
  p->cap_rise = (has_r ? rcap : p->cap) * c->cap_ff;
  p->cap_fall = (has_f ? fcap : p->cap) * c->cap_ff;
  p->cap *= c->cap_ff;
  return PP_OK;
}

/* A pin group: one pin per name it lists (pin (A, B) { ... }). */
static int read_pin_group(cell_rd *r, const lnode *n) {
  ictx *c = r->c;
  pp_lib_cell *cell = r->cell;
  if (n->n_args < 1) return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a pin name: pin (NAME) { ... }");
  for (int a = 0; a < n->n_args; a++) {
    if (pp_lib_find_pin(cell, n->args[a]) >= 0)
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "pin '%.60s' of cell '%.60s' is declared twice", n->args[a],
                        cell->name);
    if (pp_grow((void **)&cell->pins, &r->pcap, cell->n_pins, sizeof(pp_lib_pin)) ||
        pp_grow((void **)&r->src, &r->scap, cell->n_pins, sizeof(const lnode *)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    pp_lib_pin *p = &cell->pins[cell->n_pins];
    memset(p, 0, sizeof *p);
    r->src[cell->n_pins] = n;
    cell->n_pins++;
    p->name = strdup(n->args[a]);
    if (!p->name) return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    p->dir = -1;
    int rc = read_pin_attrs(r, n, p);
    if (rc) return rc;
  }
  return PP_OK;
}

/* Inputs and outputs in declaration order, and what makes a cell unusable. */
static void classify_pins(pp_lib_cell *cell) {
  for (int i = 0; i < cell->n_pins; i++) {
    int d = cell->pins[i].dir;
    if (d == PP_PIN_INPUT) {
      if (cell->n_inputs < PP_LIB_MAX_INPUTS)
        cell->inputs[cell->n_inputs++] = i;
      else if (!cell->unsupported)
        cell->unsupported = "has more than 6 inputs";
    } else if (d == PP_PIN_OUTPUT) {
      if (cell->n_outputs < 4)
        cell->outputs[cell->n_outputs++] = i;
      else if (!cell->unsupported)
        cell->unsupported = "has more than 4 outputs";
    } else if (d == PP_PIN_INOUT && !cell->unsupported) {
      cell->unsupported = "has an inout pin";
    }
  }
  if (cell->n_outputs == 0 && !cell->unsupported) cell->unsupported = "has no output pin";
}

/* The truth table of an output pin from its function text. */
static int read_pin_function(cell_rd *r, pp_lib_pin *p, const lnode *pn) {
  ictx *c = r->c;
  pp_lib_cell *cell = r->cell;
  if (p->function && p->dir == PP_PIN_OUTPUT) {
    fparse f;
    const lnode *fn = lib_find_attr(pn, "function");
    int res = lib_eval_function(p->function, cell, &p->truth, &f);
    if (res == 2)
      return pp_err_set(c->e, PP_EPARSE, c->file, fn ? fn->line : pn->line, "function of pin '%s' of cell '%s': %s",
                        p->name, cell->name, f.what);
    if (res == 1) {
      p->truth = 0;
      if (!cell->is_sequential && !cell->unsupported)
        return pp_err_set(c->e, PP_EPARSE, c->file, fn ? fn->line : pn->line,
                          "function of pin '%s' of cell '%s' names '%s', which is not an input pin of the cell",
                          p->name, cell->name, f.unknown_name);
    }
  } else if (p->dir == PP_PIN_OUTPUT && !cell->is_sequential && !cell->unsupported) {
    cell->unsupported = "has an output without a function";
  }
  return PP_OK;
}

/* A timing group of output pin p: one arc per related pin. */
static int read_timing(cell_rd *r, pp_lib_pin *p, const lnode *m, const relpins *rp, const int *rel, int nrel,
                       int *tcap) {
  ictx *c = r->c;
  int rc;
  if (p->dir != PP_PIN_OUTPUT && p->dir != PP_PIN_INOUT) return PP_OK; /* constraint arcs of inputs */
  const lnode *tt = lib_find_attr(m, "timing_type");
  if (tt && is_constraint_type(tt->value)) return PP_OK;
  if (rp->n == 0)
    return pp_err_set(c->e, PP_EPARSE, c->file, m->line, "timing group of pin '%s' of cell '%s' has no related_pin",
                      p->name, r->cell->name);
  int sense = PP_SENSE_NON_UNATE;
  const lnode *ts_n = lib_find_attr(m, "timing_sense");
  if (ts_n) {
    if (!strcmp(ts_n->value, "positive_unate")) sense = PP_SENSE_POSITIVE;
    else if (!strcmp(ts_n->value, "negative_unate")) sense = PP_SENSE_NEGATIVE;
    else if (!strcmp(ts_n->value, "non_unate")) sense = PP_SENSE_NON_UNATE;
    else
      return pp_err_set(c->e, PP_EPARSE, c->file, ts_n->line,
                        "expected positive_unate, negative_unate or non_unate for timing_sense, found '%.40s'",
                        ts_n->value);
  }
  for (int k = 0; k < nrel; k++) {
    if (pp_grow((void **)&p->timings, tcap, p->n_timings, sizeof(pp_lib_timing)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
    pp_lib_timing *t = &p->timings[p->n_timings++];
    memset(t, 0, sizeof *t);
    t->related_pin = rel[k];
    t->sense = sense;
    for (const lnode *q = m->child; q; q = q->next) {
      if (q->kind != N_GROUP) continue;
      int is_delay = !strcmp(q->name, "cell_rise") || !strcmp(q->name, "cell_fall");
      pp_lut *dst = !strcmp(q->name, "cell_rise")         ? &t->cell_rise
                    : !strcmp(q->name, "cell_fall")       ? &t->cell_fall
                    : !strcmp(q->name, "rise_transition") ? &t->rise_transition
                    : !strcmp(q->name, "fall_transition") ? &t->fall_transition
                                                          : NULL;
      if (dst &&
          (rc = lib_read_table(c, r->ts, q, c->time_ps, is_delay ? &LIB_TBL_DELAY : &LIB_TBL_TRANSITION, dst)))
        return rc;
    }
  }
  return PP_OK;
}

/* The `when` attribute of group g as a truth table (all ones, *has 0, when
 * g has none). A name that is no pin of a usable cell is an error; in a cell
 * we cannot simulate anyway (sequential, tri-state) the condition is kept
 * as "always", so real libraries still load. */
static int read_when(cell_rd *r, const lnode *g, uint64_t *when, int *has) {
  ictx *c = r->c;
  const lnode *wn = lib_find_attr(g, "when");
  *when = ~(uint64_t)0;
  *has = 0;
  if (!wn || wn->kind != N_SIMPLE) return PP_OK;
  fparse f;
  uint64_t t;
  int res = lib_eval_when(wn->value, r->cell, &t, &f);
  if (res == 2)
    return pp_err_set(c->e, PP_EPARSE, c->file, wn->line, "when of a %s group of cell '%s': %s", g->name,
                      r->cell->name, f.what);
  if (res == 1) {
    if (r->cell->is_sequential || r->cell->unsupported) return PP_OK;
    return pp_err_set(c->e, PP_EPARSE, c->file, wn->line,
                      "when of a %s group of cell '%s' names '%s', which is not a pin of the cell (expected a "
                      "condition on its pins)",
                      g->name, r->cell->name, f.unknown_name);
  }
  *when = t;
  *has = 1;
  return PP_OK;
}

/* The cell's leakage_power groups that have a `when` (second pass: the
 * conditions need the pins). Those without one are in leakage_nw already. */
static int read_leakage_when(cell_rd *r, const lnode *g) {
  ictx *c = r->c;
  pp_lib_cell *cell = r->cell;
  int cap = 0, rc;
  for (const lnode *n = g->child; n; n = n->next) {
    if (n->kind != N_GROUP || strcmp(n->name, "leakage_power")) continue;
    const lnode *v = lib_find_attr(n, "value");
    uint64_t when;
    int has;
    double x;
    if (!v || v->kind != N_SIMPLE) continue;
    if ((rc = read_when(r, n, &when, &has))) return rc;
    if (!has) continue;
    if ((rc = LIB_NONNEG(c, v, v->value, &x))) return rc;
    if (pp_grow((void **)&cell->leaks, &cap, cell->n_leaks, sizeof(pp_lib_leak)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    cell->leaks[cell->n_leaks].when = when;
    cell->leaks[cell->n_leaks++].nw = x * c->leak_nw;
  }
  return PP_OK;
}

/* An internal_power group of pin p: one entry per related pin (or one with none). */
static int read_power(cell_rd *r, pp_lib_pin *p, const lnode *m, const int *rel, int nrel, int *wcap) {
  ictx *c = r->c;
  int rc;
  int nr = nrel ? nrel : 1;
  for (int k = 0; k < nr; k++) {
    if (pp_grow((void **)&p->powers, wcap, p->n_powers, sizeof(pp_lib_power)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
    pp_lib_power *w = &p->powers[p->n_powers++];
    memset(w, 0, sizeof *w);
    w->related_pin = nrel ? rel[k] : -1;
    if ((rc = read_when(r, m, &w->when, &w->has_when))) return rc;
    for (const lnode *q = m->child; q; q = q->next) {
      if (q->kind != N_GROUP) continue;
      if (!strcmp(q->name, "rise_power")) {
        if ((rc = lib_read_table(c, r->ts, q, c->energy_fj, &LIB_TBL_ENERGY, &w->rise_power))) return rc;
      } else if (!strcmp(q->name, "fall_power")) {
        if ((rc = lib_read_table(c, r->ts, q, c->energy_fj, &LIB_TBL_ENERGY, &w->fall_power))) return rc;
      } else if (!strcmp(q->name, "power")) { /* one table for both edges */
        if ((rc = lib_read_table(c, r->ts, q, c->energy_fj, &LIB_TBL_ENERGY, &w->rise_power))) return rc;
        if ((rc = lib_read_table(c, r->ts, q, c->energy_fj, &LIB_TBL_ENERGY, &w->fall_power))) return rc;
      }
    }
  }
  return PP_OK;
}

/* The timing and internal_power groups of pin p (group pn). */
static int read_pin_arcs(cell_rd *r, pp_lib_pin *p, const lnode *pn) {
  ictx *c = r->c;
  pp_lib_cell *cell = r->cell;
  int tcap = 0, wcap = 0;
  for (const lnode *m = pn->child; m; m = m->next) {
    if (m->kind != N_GROUP) continue;
    int is_timing = !strcmp(m->name, "timing"), is_power = !strcmp(m->name, "internal_power");
    if (!is_timing && !is_power) continue;
    relpins rp;
    split_related(m, &rp);
    int rel[8], nrel = 0;
    for (int k = 0; k < rp.n; k++) {
      int idx = pp_lib_find_pin(cell, rp.names[k]);
      if (idx < 0) {
        if (cell->unsupported) continue; /* e.g. a bus member: the cell is unusable anyway */
        return pp_err_set(c->e, PP_EPARSE, c->file, rp.where->line,
                          "related_pin '%s' is not a pin of cell '%s' (expected one of its pin names)", rp.names[k],
                          cell->name);
      }
      rel[nrel++] = idx;
    }
    int rc = is_timing ? read_timing(r, p, m, &rp, rel, nrel, &tcap) : read_power(r, p, m, rel, nrel, &wcap);
    if (rc) return rc;
  }
  return PP_OK;
}

/* Cell-level attributes and groups, pins included (first pass). */
static int read_cell_groups(cell_rd *r, const lnode *g) {
  ictx *c = r->c;
  pp_lib_cell *cell = r->cell;
  int rc;
  int has_leak = 0;
  double leak_sum = 0;
  int leak_n = 0;
  for (const lnode *n = g->child; n; n = n->next) {
    if (n->kind == N_SIMPLE && !strcmp(n->name, "area")) {
      if ((rc = LIB_NONNEG(c, n, n->value, &cell->area))) return rc;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "cell_leakage_power")) {
      double v;
      if ((rc = LIB_NONNEG(c, n, n->value, &v))) return rc;
      cell->leakage_nw = v * c->leak_nw;
      has_leak = 1;
    } else if (n->kind == N_GROUP && !strcmp(n->name, "leakage_power")) {
      const lnode *v = lib_find_attr(n, "value");
      double x;
      if (v && v->kind == N_SIMPLE) {
        if ((rc = LIB_NONNEG(c, v, v->value, &x))) return rc;
        leak_sum += x;
        leak_n++;
      }
    } else if (n->kind == N_GROUP && (!strcmp(n->name, "ff") || !strcmp(n->name, "latch") ||
                                      !strcmp(n->name, "ff_bank") || !strcmp(n->name, "latch_bank") ||
                                      !strcmp(n->name, "statetable"))) {
      cell->is_sequential = 1;
    } else if (n->kind == N_GROUP && (!strcmp(n->name, "bus") || !strcmp(n->name, "bundle"))) {
      if (!cell->unsupported) cell->unsupported = "has bus or bundle pins";
    } else if (n->kind == N_GROUP && !strcmp(n->name, "pin")) {
      if ((rc = read_pin_group(r, n))) return rc;
    }
  }
  if (!has_leak && leak_n) cell->leakage_nw = leak_sum / leak_n * c->leak_nw;
  return PP_OK;
}

static int read_cell(ictx *c, const tmpl_set *ts, const lnode *g, pp_lib_cell *cell) {
  if (g->n_args < 1) return pp_err_set(c->e, PP_EPARSE, c->file, g->line, "expected a cell name: cell (NAME) { ... }");
  cell->name = strdup(g->args[0]);
  if (!cell->name) return pp_err_set(c->e, PP_ENOMEM, c->file, g->line, "out of memory");
  cell_rd r = {c, ts, cell, NULL, 0, 0};
  int rc = read_cell_groups(&r, g);
  if (!rc) classify_pins(cell);
  /* second pass over pins: functions, then timing, power and `when`
   * conditions (which may name an output) now that all pins are known */
  for (int i = 0; i < cell->n_pins && !rc; i++)
    // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): read_pin_group gives every pin its src entry
    rc = read_pin_function(&r, &cell->pins[i], r.src[i]);
  for (int i = 0; i < cell->n_pins && !rc; i++)
    // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): as above
    rc = read_pin_arcs(&r, &cell->pins[i], r.src[i]);
  if (!rc) rc = read_leakage_when(&r, g);
  free(r.src);
  return rc;
}

/* ---- library ----------------------------------------------------------------------- */

/* Library-level simple attributes: supply and the project's pp_* defaults. */
static int read_lib_attrs(ictx *c, const lnode *lg, pp_lib *lib, int *has_slew) {
  int rc;
  for (const lnode *n = lg->child; n; n = n->next) {
    if (n->kind != N_SIMPLE) continue;
    double v;
    if (!strcmp(n->name, "nom_voltage")) {
      if ((rc = lib_parse_range(c, n, n->value, 1e-9, 1e6, "a supply voltage > 0", &v))) return rc;
      lib->voltage = v * c->volt_v;
    } else if (!strcmp(n->name, "pp_default_input_slew")) {
      if ((rc = LIB_NONNEG(c, n, n->value, &v))) return rc;
      lib->default_slew_ps = v * c->time_ps;
      *has_slew = 1;
    } else if (!strcmp(n->name, "pp_wire_cap")) {
      if ((rc = LIB_NONNEG(c, n, n->value, &v))) return rc;
      lib->wire_cap_ff = v * c->cap_ff;
    } else if (!strcmp(n->name, "pp_output_load")) {
      if ((rc = LIB_NONNEG(c, n, n->value, &v))) return rc;
      lib->output_load_ff = v * c->cap_ff;
    } else if (!strcmp(n->name, "pp_wire_cap_per_fanout")) {
      if ((rc = LIB_NONNEG(c, n, n->value, &v))) return rc;
      lib->wire_cap_per_fanout_ff = v * c->cap_ff;
    }
  }
  return PP_OK;
}

static int read_cells(ictx *c, const tmpl_set *ts, const lnode *lg, pp_lib *lib) {
  int ccap = 0, rc;
  for (const lnode *n = lg->child; n; n = n->next) {
    if (n->kind != N_GROUP || strcmp(n->name, "cell")) continue;
    if (pp_grow((void **)&lib->cells, &ccap, lib->n_cells, sizeof(pp_lib_cell)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    pp_lib_cell *cell = &lib->cells[lib->n_cells++];
    memset(cell, 0, sizeof *cell);
    if ((rc = read_cell(c, ts, n, cell))) return rc;
    if (pp_lib_find_cell(lib, cell->name) != lib->n_cells - 1)
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "cell '%.60s' is defined twice", cell->name);
  }
  if (lib->n_cells == 0)
    return pp_err_set(c->e, PP_EPARSE, c->file, lg->line,
                      "library '%s' has no cells (expected 'cell (NAME) { ... }' groups)", lib->name);
  return PP_OK;
}

/* What the library does not say: the output load (one input of the smallest
 * inverter) and, without pp_default_input_slew, the smallest input slew any
 * delay table was characterized at, i.e. a sharp edge as the library sees it. */
static void fill_defaults(pp_lib *lib, int has_slew) {
  if (lib->output_load_ff <= 0) {
    double best_area = -1;
    for (int i = 0; i < lib->n_cells; i++) {
      const pp_lib_cell *cl = &lib->cells[i];
      if (cl->n_inputs != 1 || cl->n_outputs != 1 || cl->unsupported || cl->is_sequential) continue;
      if (cl->pins[cl->outputs[0]].truth != 0x1) continue;
      if (best_area < 0 || cl->area < best_area) best_area = cl->area, lib->output_load_ff = cl->pins[cl->inputs[0]].cap;
    }
  }
  if (!has_slew) {
    double best = 0;
    for (int i = 0; i < lib->n_cells; i++)
      for (int j = 0; j < lib->cells[i].n_pins; j++)
        for (int k = 0; k < lib->cells[i].pins[j].n_timings; k++) {
          const pp_lut *t = &lib->cells[i].pins[j].timings[k].cell_rise;
          if (t->n_slew > 0 && t->n_slew * t->n_load > 1 && (best == 0 || t->index_slew[0] < best) &&
              t->index_slew[0] > 0)
            best = t->index_slew[0];
        }
    lib->default_slew_ps = best;
  }
}

int pp_lib_parse(const char *text, const char *name_for_errors, pp_lib **out, pp_err *e) {
  *out = NULL;
  const char *file = name_for_errors ? name_for_errors : "<liberty>";
  pp_arena ar = {NULL};
  lnode *top = NULL;
  pp_lib *lib = NULL;
  tmpl_set ts = {NULL, 0, 0};
  int rc = lib_parse_tree(text, file, &ar, e, &top);
  if (rc) goto done;
  const lnode *lg = NULL;
  for (lnode *n = top; n; n = n->next)
    if (n->kind == N_GROUP && !strcmp(n->name, "library")) {
      lg = n;
      break;
    }
  if (!lg) {
    rc = pp_err_set(e, PP_EPARSE, file, top ? top->line : 1, "expected a 'library (NAME) { ... }' group");
    goto done;
  }
  ictx c = {file, e, 0, 0, 0, 0, 0};
  if ((rc = lib_read_units(&c, lg))) goto done;
  if ((rc = lib_read_templates(&c, lg, &ts))) goto done;
  lib = calloc(1, sizeof *lib);
  if (!lib) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  lib->name = strdup(lg->n_args ? lg->args[0] : "");
  lib->path = strdup(file);
  if (!lib->name || !lib->path) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  lib->voltage = 0;
  int has_slew = 0;
  if ((rc = read_lib_attrs(&c, lg, lib, &has_slew))) goto done;
  if ((rc = lib_read_wire_loads(&c, lg, lib))) goto done;
  if ((rc = read_cells(&c, &ts, lg, lib))) goto done;
  fill_defaults(lib, has_slew);
done:
  free(ts.t);
  pp_arena_free(&ar);
  if (rc) {
    pp_lib_free(lib);
    return rc;
  }
  *out = lib;
  return PP_OK;
}
int pp_lib_read(const char *path, pp_lib **out, pp_err *e) {
  *out = NULL;
  char *data;
  int rc = pp_read_file(path, &data, NULL, e);
  if (rc) return rc;
  rc = pp_lib_parse(data, path, out, e);
  free(data);
  return rc;
}

int pp_lib_find_cell(const pp_lib *lib, const char *name) {
  for (int i = 0; i < lib->n_cells; i++)
    if (!strcmp(lib->cells[i].name, name)) return i;
  return -1;
}

int pp_lib_find_pin(const pp_lib_cell *c, const char *name) {
  for (int i = 0; i < c->n_pins; i++)
    if (!strcmp(c->pins[i].name, name)) return i;
  return -1;
}

double pp_lib_leakage_at(const pp_lib_cell *c, unsigned s) {
  for (int i = 0; i < c->n_leaks; i++)
    if (s < 64 && ((c->leaks[i].when >> s) & 1)) return c->leaks[i].nw;
  return c->leakage_nw;
}

const pp_lib_power *pp_lib_power_at(const pp_lib_pin *p, int related_pin, unsigned s) {
  const pp_lib_power *plain = NULL, *any_when = NULL, *any_plain = NULL;
  for (int q = 0; q < p->n_powers; q++) {
    const pp_lib_power *w = &p->powers[q];
    int holds = s < 64 && ((w->when >> s) & 1);
    if (w->related_pin >= 0 && w->related_pin == related_pin) {
      if (!w->has_when) plain = w;
      else if (holds) return w;
    } else if (w->related_pin < 0) {
      if (!w->has_when) any_plain = w;
      else if (holds && !any_when) any_when = w;
    }
  }
  return plain ? plain : any_when ? any_when : any_plain;
}

const char *pp_lib_default_path(void) {
  const char *env = getenv("PP_LIB");
  if (env && *env) return env;
  static char path[4096];
  (void)pp_data_path("pp_cells.lib", path, sizeof path); /* a missing file is reported by the reader */
  return path;
}


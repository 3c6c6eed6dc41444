/* liberty/lib_func: Liberty pin functions ("!(A*B)", "A ^ B'") evaluated to a
 * truth table over the cell's input pins. Precedence, loosest first: + | ;
 * * & juxtaposition ; ^ ; ! ' (as OpenSTA parses it). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib_internal.h"
static uint64_t var_mask(int i) {
  uint64_t m = 0;
  for (int r = 0; r < 64; r++)
    if ((r >> i) & 1) m |= (uint64_t)1 << r;
  return m;
}

static void fskip(fparse *f) {
  while (f->s[f->p] == ' ' || f->s[f->p] == '\t' || f->s[f->p] == '\n' || f->s[f->p] == '\r') f->p++;
}

static int fident_start(int c) { return isalpha(c) || c == '_' || c == '\\'; }
static int fident_char(int c) { return isalnum(c) || c == '_' || c == '[' || c == ']' || c == '.' || c == '\\'; }

static uint64_t f_or(fparse *f);

static uint64_t f_primary(fparse *f) {
  fskip(f);
  char c = f->s[f->p];
  if (c == '(') {
    f->p++;
    if (++f->depth > 200) {
      if (!f->syntax) snprintf(f->what, sizeof f->what, "expression nested too deeply");
      f->syntax = 1;
      return 0;
    }
    uint64_t v = f_or(f);
    f->depth--;
    fskip(f);
    if (f->s[f->p] != ')') {
      if (!f->syntax) snprintf(f->what, sizeof f->what, "expected ')' at column %zu", f->p + 1);
      f->syntax = 1;
      return 0;
    }
    f->p++;
    return v;
  }
  if (c == '0' || c == '1') {
    f->p++;
    return c == '1' ? ~(uint64_t)0 : 0;
  }
  if (fident_start((unsigned char)c)) {
    size_t st = f->p;
    while (fident_char((unsigned char)f->s[f->p])) f->p++;
    char name[64];
    size_t n = f->p - st < sizeof name - 1 ? f->p - st : sizeof name - 1;
    memcpy(name, f->s + st, n);
    name[n] = 0;
    for (int i = 0; i < f->cell->n_inputs; i++)
      if (!strcmp(f->cell->pins[f->cell->inputs[i]].name, name)) return var_mask(i);
    for (int i = 0; f->outputs_ok && i < f->cell->n_outputs; i++) {
      const pp_lib_pin *op = &f->cell->pins[f->cell->outputs[i]];
      if (!strcmp(op->name, name) && op->function) return op->truth;
    }
    if (!f->unknown) snprintf(f->unknown_name, sizeof f->unknown_name, "%s", name);
    f->unknown = 1;
    return 0;
  }
  if (!f->syntax) {
    if (c)
      snprintf(f->what, sizeof f->what, "expected a pin name, 0, 1, '!' or '(' at column %zu, found '%c'", f->p + 1, c);
    else
      snprintf(f->what, sizeof f->what, "expression ends early: expected a pin name, 0, 1, '!' or '('");
  }
  f->syntax = 1;
  return 0;
}

static uint64_t f_unary(fparse *f) {
  fskip(f);
  if (f->s[f->p] == '!') {
    f->p++;
    if (++f->depth > 200) {
      f->syntax = 1;
      snprintf(f->what, sizeof f->what, "expression nested too deeply");
      return 0;
    }
    uint64_t v = ~f_unary(f);
    f->depth--;
    return v;
  }
  uint64_t v = f_primary(f);
  for (;;) {
    fskip(f);
    if (f->s[f->p] != '\'') break;
    f->p++;
    v = ~v;
  }
  return v;
}

static uint64_t f_xor(fparse *f) {
  uint64_t v = f_unary(f);
  for (;;) {
    fskip(f);
    if (f->s[f->p] != '^' || f->syntax) return v;
    f->p++;
    v ^= f_unary(f);
  }
}

static uint64_t f_and(fparse *f) {
  uint64_t v = f_xor(f);
  for (;;) {
    fskip(f);
    char c = f->s[f->p];
    if (f->syntax) return v;
    if (c == '*' || c == '&') {
      f->p++;
      v &= f_xor(f);
    } else if (c == '(' || c == '!' || c == '0' || c == '1' || fident_start((unsigned char)c)) {
      v &= f_xor(f); /* juxtaposition is AND */
    } else {
      return v;
    }
  }
}

static uint64_t f_or(fparse *f) {
  uint64_t v = f_and(f);
  for (;;) {
    fskip(f);
    char c = f->s[f->p];
    if ((c != '+' && c != '|') || f->syntax) return v;
    f->p++;
    v |= f_and(f);
  }
}

static int eval_expr(const char *text, const pp_lib_cell *cell, int outputs_ok, uint64_t *truth, fparse *f) {
  memset(f, 0, sizeof *f);
  f->s = text;
  f->cell = cell;
  f->outputs_ok = outputs_ok;
  uint64_t v = f_or(f);
  fskip(f);
  if (!f->syntax && f->s[f->p]) {
    snprintf(f->what, sizeof f->what, "unexpected '%c' at column %zu (expected an operator or the end)", f->s[f->p],
             f->p + 1);
    f->syntax = 1;
  }
  if (f->syntax) return 2;
  if (f->unknown) return 1;
  int rows = 1 << cell->n_inputs;
  *truth = rows >= 64 ? v : v & (((uint64_t)1 << rows) - 1);
  return 0;
}

/* 0 ok; 1 unknown name (f->unknown_name); 2 syntax error (f->what) */
int lib_eval_function(const char *text, const pp_lib_cell *cell, uint64_t *truth, fparse *f) {
  return eval_expr(text, cell, 0, truth, f);
}

int lib_eval_when(const char *text, const pp_lib_cell *cell, uint64_t *truth, fparse *f) {
  return eval_expr(text, cell, 1, truth, f);
}

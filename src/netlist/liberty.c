/* netlist/liberty: the Liberty (.lib) cell-library reader.
 *
 * Two passes: a tolerant syntax pass turns the whole file into a tree of
 * groups and attributes (comments, `\` continuations and anything we do not
 * understand survive as plain nodes), then an interpretation pass picks out
 * what the model needs (units, table templates, cells, pins, timing and
 * internal power) and skips the rest. Every node keeps its line so that
 * semantic errors point at the file line too. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nl_internal.h"
#include "pp/netlist.h"

/* ---- syntax tree ------------------------------------------------------------ */

enum { N_SIMPLE, N_COMPLEX, N_GROUP };

typedef struct lnode {
  int kind, line;
  const char *name;
  const char **args; /* complex attribute / group arguments, unquoted */
  int n_args;
  const char *value; /* simple attribute value, unquoted */
  struct lnode *child, *next;
} lnode;

/* ---- lexer ------------------------------------------------------------------ */

enum { T_EOF, T_LBRACE, T_RBRACE, T_LPAR, T_RPAR, T_COLON, T_SEMI, T_COMMA, T_WORD, T_STRING, T_ERR };

typedef struct {
  const char *s;
  size_t pos, len;
  int line;
  const char *file;
  nl_arena *ar;
  pp_err *e;
  /* the current token */
  int tok, tline;
  char *text; /* WORD/STRING text (arena) */
  int depth;
} lexer;

static int lex_fail(lexer *L, int line, const char *fmt, const char *a, const char *b) {
  pp_err_set(L->e, PP_EPARSE, L->file, line, fmt, a, b);
  L->tok = T_ERR;
  return T_ERR;
}

static int is_word_char(int c) {
  return c && !isspace(c) && !strchr("{}():;,\"", c);
}

/* Skips white space, comments and backslash-newline continuations. */
static int skip_space(lexer *L) {
  for (;;) {
    if (L->pos >= L->len) return 0;
    char c = L->s[L->pos];
    if (c == '\n') {
      L->line++;
      L->pos++;
    } else if (isspace((unsigned char)c)) {
      L->pos++;
    } else if (c == '\\') {
      size_t p = L->pos + 1;
      while (p < L->len && (L->s[p] == ' ' || L->s[p] == '\t' || L->s[p] == '\r')) p++;
      if (p < L->len && L->s[p] == '\n') {
        L->pos = p; /* the newline itself is counted on the next round */
      } else if (p >= L->len) {
        L->pos = p;
      } else {
        return 0; /* a backslash inside a word (escaped name) */
      }
    } else if (c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*') {
      int start = L->line;
      size_t p = L->pos + 2;
      while (p + 1 < L->len && !(L->s[p] == '*' && L->s[p + 1] == '/')) {
        if (L->s[p] == '\n') L->line++;
        p++;
      }
      if (p + 1 >= L->len) {
        char ln[16];
        snprintf(ln, sizeof ln, "%d", start);
        lex_fail(L, start, "unterminated comment: expected '*/' to close the comment opened at line %s%s", ln, "");
        return -1;
      }
      L->pos = p + 2;
    } else if (c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '/') {
      while (L->pos < L->len && L->s[L->pos] != '\n') L->pos++;
    } else {
      return 0;
    }
  }
}

static int lex_next(lexer *L) {
  if (L->tok == T_ERR) return T_ERR;
  if (skip_space(L) < 0) return T_ERR;
  L->tline = L->line;
  L->text = NULL;
  if (L->pos >= L->len) return L->tok = T_EOF;
  char c = L->s[L->pos];
  const char *punct = "{}():;,";
  const char *p = strchr(punct, c);
  if (p && c) {
    L->pos++;
    static const int map[] = {T_LBRACE, T_RBRACE, T_LPAR, T_RPAR, T_COLON, T_SEMI, T_COMMA};
    return L->tok = map[p - punct];
  }
  if (c == '"') {
    int start = L->line;
    size_t q = L->pos + 1, n = 0;
    /* find the end first to size the copy */
    while (q < L->len && L->s[q] != '"') {
      if (L->s[q] == '\n') L->line++;
      q++;
    }
    if (q >= L->len) {
      char ln[16];
      snprintf(ln, sizeof ln, "%d", start);
      return lex_fail(L, start, "unterminated string: expected '\"' to close the string opened at line %s%s", ln,
                      "");
    }
    char *buf = nl_arena_alloc(L->ar, q - L->pos + 1);
    if (!buf) return lex_fail(L, start, "out of memory%s%s", "", "");
    for (size_t i = L->pos + 1; i < q; i++) {
      if (L->s[i] == '\\') { /* backslash-newline inside a string is a continuation */
        size_t j = i + 1;
        while (j < q && (L->s[j] == ' ' || L->s[j] == '\t' || L->s[j] == '\r')) j++;
        if (j < q && L->s[j] == '\n') {
          i = j;
          continue;
        }
      }
      buf[n++] = L->s[i] == '\n' || L->s[i] == '\r' || L->s[i] == '\t' ? ' ' : L->s[i];
    }
    buf[n] = 0;
    L->pos = q + 1;
    L->text = buf;
    L->tline = start;
    return L->tok = T_STRING;
  }
  size_t q = L->pos;
  while (q < L->len && is_word_char((unsigned char)L->s[q])) {
    if (L->s[q] == '/' && q + 1 < L->len && (L->s[q + 1] == '*' || L->s[q + 1] == '/')) break;
    if (L->s[q] == '\\') { /* continuation inside a word ends it */
      size_t j = q + 1;
      while (j < L->len && (L->s[j] == ' ' || L->s[j] == '\t' || L->s[j] == '\r')) j++;
      if (j >= L->len || L->s[j] == '\n') break;
    }
    q++;
  }
  if (q == L->pos) {
    char bad[8];
    unsigned char bc = (unsigned char)c;
    if (isprint(bc))
      snprintf(bad, sizeof bad, "'%c'", c);
    else
      snprintf(bad, sizeof bad, "0x%02x", bc);
    return lex_fail(L, L->line, "unexpected character %s%s", bad, "");
  }
  char *buf = nl_arena_alloc(L->ar, q - L->pos + 1);
  if (!buf) return lex_fail(L, L->line, "out of memory%s%s", "", "");
  memcpy(buf, L->s + L->pos, q - L->pos);
  buf[q - L->pos] = 0;
  L->pos = q;
  L->text = buf;
  return L->tok = T_WORD;
}

static const char *tok_desc(const lexer *L, char *buf, size_t n) {
  switch (L->tok) {
    case T_EOF: return "end of file";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_LPAR: return "'('";
    case T_RPAR: return "')'";
    case T_COLON: return "':'";
    case T_SEMI: return "';'";
    case T_COMMA: return "','";
    case T_WORD: snprintf(buf, n, "'%.60s'", L->text); return buf;
    case T_STRING: snprintf(buf, n, "\"%.60s\"", L->text); return buf;
    default: return "an error";
  }
}

#define MAX_DEPTH 64

/* statements until '}' (inside a group) or end of file (top level) */
static lnode *parse_stmts(lexer *L, int in_group, const char *gname, int gline);

static lnode *parse_stmt(lexer *L) {
  char tb[96];
  if (L->tok != T_WORD)
    return lex_fail(L, L->tline, "expected an attribute or group name, found %s%s", tok_desc(L, tb, sizeof tb), ""),
           NULL;
  lnode *n = nl_arena_alloc(L->ar, sizeof *n);
  if (!n) return lex_fail(L, L->tline, "out of memory%s%s", "", ""), NULL;
  n->name = L->text;
  n->line = L->tline;
  lex_next(L);
  if (L->tok == T_COLON) {
    n->kind = N_SIMPLE;
    int vline = L->tline;
    lex_next(L);
    /* value: one or more words/strings up to ';', '}' or the end of the line */
    size_t total = 0;
    const char *parts[64];
    int np = 0;
    while ((L->tok == T_WORD || L->tok == T_STRING) && (np == 0 || L->tline == vline)) {
      if (np < 64) parts[np++] = L->text;
      total += strlen(L->text) + 1;
      vline = L->tline;
      lex_next(L);
    }
    if (L->tok == T_ERR) return NULL;
    if (np == 0)
      return lex_fail(L, L->tline, "expected a value after '%s :', found %s", n->name, tok_desc(L, tb, sizeof tb)),
             NULL;
    char *v = nl_arena_alloc(L->ar, total + 1);
    if (!v) return lex_fail(L, L->tline, "out of memory%s%s", "", ""), NULL;
    for (int i = 0; i < np; i++) {
      if (i) strcat(v, " ");
      strcat(v, parts[i]);
    }
    n->value = v;
    if (L->tok == T_SEMI) lex_next(L);
    return n;
  }
  if (L->tok != T_LPAR)
    return lex_fail(L, L->tline, "expected ':' or '(' after '%s', found %s", n->name, tok_desc(L, tb, sizeof tb)),
           NULL;
  int pline = L->tline;
  lex_next(L);
  const char **args = NULL; /* heap, not stack: groups nest and tables have many rows */
  int na = 0, ca = 0;
  while (L->tok == T_WORD || L->tok == T_STRING || L->tok == T_COMMA) {
    if (L->tok != T_COMMA) {
      if (nl_grow((void **)&args, &ca, na, sizeof(char *))) {
        free(args);
        return lex_fail(L, L->tline, "out of memory%s%s", "", ""), NULL;
      }
      args[na++] = L->text;
    }
    lex_next(L);
  }
  if (L->tok == T_ERR) {
    free(args);
    return NULL;
  }
  if (L->tok != T_RPAR) {
    char ln[16];
    snprintf(ln, sizeof ln, "%d", pline);
    free(args);
    return lex_fail(L, L->tline, "expected ')' to close the '(' of line %s, found %s", ln, tok_desc(L, tb, sizeof tb)),
           NULL;
  }
  n->args = nl_arena_alloc(L->ar, sizeof(char *) * (size_t)(na ? na : 1));
  if (!n->args) {
    free(args);
    return lex_fail(L, L->tline, "out of memory%s%s", "", ""), NULL;
  }
  if (na) memcpy(n->args, args, sizeof(char *) * (size_t)na);
  free(args);
  n->n_args = na;
  lex_next(L);
  if (L->tok == T_LBRACE) {
    n->kind = N_GROUP;
    if (++L->depth > MAX_DEPTH) return lex_fail(L, L->tline, "groups nested too deeply%s%s", "", ""), NULL;
    lex_next(L);
    n->child = parse_stmts(L, 1, n->name, n->line);
    L->depth--;
    if (L->tok == T_ERR) return NULL;
    lex_next(L); /* past '}' */
    if (L->tok == T_SEMI) lex_next(L);
    return n;
  }
  n->kind = N_COMPLEX;
  if (L->tok == T_SEMI) lex_next(L);
  return n;
}

static lnode *parse_stmts(lexer *L, int in_group, const char *gname, int gline) {
  lnode *first = NULL, **tail = &first;
  for (;;) {
    if (L->tok == T_ERR) return NULL;
    if (L->tok == T_SEMI) { /* stray ';' are harmless */
      lex_next(L);
      continue;
    }
    if (L->tok == T_EOF) {
      if (in_group) {
        char ln[16];
        snprintf(ln, sizeof ln, "%d", gline);
        lex_fail(L, L->tline, "expected '}' to close group '%s' opened at line %s, found end of file", gname, ln);
        return NULL;
      }
      return first;
    }
    if (L->tok == T_RBRACE) {
      if (!in_group) {
        lex_fail(L, L->tline, "unexpected '}': no group is open here%s%s", "", "");
        return NULL;
      }
      return first;
    }
    lnode *n = parse_stmt(L);
    if (!n) return NULL;
    *tail = n;
    tail = &n->next;
  }
}

/* ---- numbers ---------------------------------------------------------------- */

typedef struct {
  const char *file;
  pp_err *e;
  /* unit scales into the model's units */
  double time_ps, cap_ff, leak_nw, volt_v, energy_fj;
} ictx;

static int parse_number(ictx *c, const lnode *n, const char *s, double *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  double v = strtod(s, &end);
  if (end == s || !isfinite(v)) goto bad;
  while (isspace((unsigned char)*end)) end++;
  if (*end) goto bad;
  *out = v;
  return PP_OK;
bad:
  return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a number for '%s', found '%.60s'", n->name, s);
}

/* "0.1, 0.2 0.3" -> numbers appended to *v */
static int parse_list(ictx *c, const lnode *n, const char *s, double **v, int *nv, int *cap) {
  const char *p = s;
  for (;;) {
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    if (!*p) return PP_OK;
    char *end;
    double x = strtod(p, &end);
    if (end == p || !isfinite(x) || (*end && *end != ',' && !isspace((unsigned char)*end))) {
      char tok[40];
      size_t k = 0;
      while (p[k] && p[k] != ',' && !isspace((unsigned char)p[k]) && k < sizeof tok - 1) {
        tok[k] = p[k];
        k++;
      }
      tok[k] = 0;
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a number in '%s', found '%s'", n->name, tok);
    }
    if (*nv >= *cap) {
      int nc = *cap ? *cap * 2 : 16;
      double *nb = realloc(*v, sizeof(double) * (size_t)nc);
      if (!nb) return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
      *v = nb;
      *cap = nc;
    }
    (*v)[(*nv)++] = x;
    p = end;
  }
}

static const lnode *find_attr(const lnode *g, const char *name) {
  for (const lnode *n = g->child; n; n = n->next)
    if (n->kind != N_GROUP && !strcmp(n->name, name)) return n;
  return NULL;
}

/* A unit string "1ns", "10ps", "1nW" -> multiplier in base units of kind. */
static int unit_scale(ictx *c, const lnode *n, const char *s, const char *const *suffix, const double *scale, int ns,
                      double *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  double m = strtod(s, &end);
  if (end == s) m = 1, end = (char *)s;
  while (isspace((unsigned char)*end)) end++;
  for (int i = 0; i < ns; i++)
    if (!strcasecmp(end, suffix[i]) && m > 0 && isfinite(m)) {
      *out = m * scale[i];
      return PP_OK;
    }
  return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "unknown unit '%.40s' for '%s' (expected e.g. %s)", s, n->name,
                    suffix[0]);
}

/* ---- table templates ---------------------------------------------------------- */

enum { AX_SLEW = 0, AX_LOAD = 1, AX_OTHER = 2 };

typedef struct {
  const char *name;
  int nvar;
  int var[3];
  const lnode *index[3];
  int line;
} ltemplate;

static int axis_of(const char *v) {
  if (!strcmp(v, "input_net_transition") || !strcmp(v, "input_transition_time")) return AX_SLEW;
  if (!strcmp(v, "total_output_net_capacitance")) return AX_LOAD;
  return AX_OTHER;
}

typedef struct {
  ltemplate *t;
  int n, cap;
} tmpl_set;

static const ltemplate *find_template(const tmpl_set *ts, const char *name) {
  for (int i = ts->n - 1; i >= 0; i--)
    if (!strcmp(ts->t[i].name, name)) return &ts->t[i];
  return NULL;
}

static void lut_free(pp_lut *t) {
  free(t->index_slew);
  free(t->index_load);
  free(t->values);
  memset(t, 0, sizeof *t);
}

/* Reads one table group (cell_rise(tmpl) { index_1(..); values(..); }) into
 * t, scaling values by vscale. */
static int read_table(ictx *c, const tmpl_set *ts, const lnode *g, double vscale, pp_lut *t) {
  const ltemplate *tp = NULL;
  static const ltemplate scalar_t = {"scalar", 0, {0, 0, 0}, {NULL, NULL, NULL}, 0};
  if (g->n_args == 0 || !strcmp(g->args[0], "scalar")) {
    tp = &scalar_t;
  } else {
    tp = find_template(ts, g->args[0]);
    if (!tp)
      return pp_err_set(c->e, PP_EPARSE, c->file, g->line,
                        "unknown table template '%.60s' in '%s' (expected a lu_table_template or power_lut_template of "
                        "that name)",
                        g->args[0], g->name);
  }
  double *ix[3] = {NULL, NULL, NULL};
  int nix[3] = {1, 1, 1}, cix[3] = {0, 0, 0};
  double *vals = NULL;
  int nvals = 0, cvals = 0;
  int rc = PP_OK;
  for (int k = 0; k < tp->nvar; k++) {
    char iname[24];
    snprintf(iname, sizeof iname, "index_%d", k + 1);
    const lnode *in = find_attr(g, iname);
    if (!in) in = tp->index[k];
    if (!in) {
      rc = pp_err_set(c->e, PP_EPARSE, c->file, g->line, "table '%s' has no %s (neither it nor template '%s' gives one)",
                      g->name, iname, tp->name);
      goto out;
    }
    nix[k] = 0;
    if (in->kind != N_COMPLEX || in->n_args < 1) {
      rc = pp_err_set(c->e, PP_EPARSE, c->file, in->line, "expected %s (\"v1, v2, ...\")", iname);
      goto out;
    }
    for (int a = 0; a < in->n_args && rc == PP_OK; a++) rc = parse_list(c, in, in->args[a], &ix[k], &nix[k], &cix[k]);
    if (rc) goto out;
    if (nix[k] == 0) {
      rc = pp_err_set(c->e, PP_EPARSE, c->file, in->line, "%s is empty: expected at least one number", iname);
      goto out;
    }
    for (int i = 1; i < nix[k]; i++)
      if (!(ix[k][i] > ix[k][i - 1])) {
        rc = pp_err_set(c->e, PP_EPARSE, c->file, in->line, "%s must be strictly increasing (value %d is %g after %g)",
                        iname, i + 1, ix[k][i], ix[k][i - 1]);
        goto out;
      }
  }
  const lnode *vn = find_attr(g, "values");
  if (!vn || vn->kind != N_COMPLEX) {
    rc = pp_err_set(c->e, PP_EPARSE, c->file, g->line, "table '%s' has no values (\"...\") attribute", g->name);
    goto out;
  }
  for (int a = 0; a < vn->n_args && rc == PP_OK; a++) rc = parse_list(c, vn, vn->args[a], &vals, &nvals, &cvals);
  if (rc) goto out;
  int want = nix[0] * nix[1] * nix[2];
  if (nvals != want) {
    rc = pp_err_set(c->e, PP_EPARSE, c->file, vn->line, "values of '%s': expected %d numbers (%d x %d x %d), found %d",
                    g->name, want, nix[0], nix[1], nix[2], nvals);
    goto out;
  }
  int ax_slew = -1, ax_load = -1;
  for (int k = 0; k < tp->nvar; k++) {
    if (tp->var[k] == AX_SLEW && ax_slew < 0) ax_slew = k;
    if (tp->var[k] == AX_LOAD && ax_load < 0) ax_load = k;
  }
  lut_free(t);
  t->n_slew = ax_slew >= 0 ? nix[ax_slew] : 1;
  t->n_load = ax_load >= 0 ? nix[ax_load] : 1;
  t->index_slew = malloc(sizeof(double) * (size_t)t->n_slew);
  t->index_load = malloc(sizeof(double) * (size_t)t->n_load);
  t->values = malloc(sizeof(double) * (size_t)(t->n_slew * t->n_load));
  if (!t->index_slew || !t->index_load || !t->values) {
    lut_free(t);
    rc = pp_err_set(c->e, PP_ENOMEM, c->file, g->line, "out of memory");
    goto out;
  }
  for (int i = 0; i < t->n_slew; i++) t->index_slew[i] = ax_slew >= 0 ? ix[ax_slew][i] * c->time_ps : 0;
  for (int i = 0; i < t->n_load; i++) t->index_load[i] = ax_load >= 0 ? ix[ax_load][i] * c->cap_ff : 0;
  for (int is = 0; is < t->n_slew; is++)
    for (int il = 0; il < t->n_load; il++) {
      int pos[3] = {0, 0, 0}; /* other axes are taken at their first index */
      if (ax_slew >= 0) pos[ax_slew] = is;
      if (ax_load >= 0) pos[ax_load] = il;
      int flat = (pos[0] * nix[1] + pos[1]) * nix[2] + pos[2];
      t->values[is * t->n_load + il] = vals[flat] * vscale;
    }
out:
  for (int k = 0; k < 3; k++) free(ix[k]);
  free(vals);
  return rc;
}

double pp_lut_eval(const pp_lut *t, double slew_ps, double load_ff) {
  if (!t || t->n_slew <= 0 || t->n_load <= 0) return 0.0;
  /* per axis: the segment holding x (end segments extended), weight unclamped */
  int i0 = 0, j0 = 0;
  double fs = 0, fl = 0;
  if (t->n_slew > 1) {
    while (i0 < t->n_slew - 2 && slew_ps > t->index_slew[i0 + 1]) i0++;
    double d = t->index_slew[i0 + 1] - t->index_slew[i0];
    fs = d > 0 ? (slew_ps - t->index_slew[i0]) / d : 0;
  }
  if (t->n_load > 1) {
    while (j0 < t->n_load - 2 && load_ff > t->index_load[j0 + 1]) j0++;
    double d = t->index_load[j0 + 1] - t->index_load[j0];
    fl = d > 0 ? (load_ff - t->index_load[j0]) / d : 0;
  }
  int i1 = t->n_slew > 1 ? i0 + 1 : i0, j1 = t->n_load > 1 ? j0 + 1 : j0;
  const double *v = t->values;
  int nl = t->n_load;
  double a = v[i0 * nl + j0] + (v[i0 * nl + j1] - v[i0 * nl + j0]) * fl;
  double b = v[i1 * nl + j0] + (v[i1 * nl + j1] - v[i1 * nl + j0]) * fl;
  return a + (b - a) * fs;
}

/* ---- function expressions ----------------------------------------------------- */

/* Boolean function text -> truth table as a 64-bit mask over the rows of the
 * cell's inputs. Precedence, loosest first: + | ; * & juxtaposition ; ^ ; ! '
 * (as OpenSTA parses it). */
typedef struct {
  const char *s;
  size_t p;
  const pp_lib_cell *cell;
  int unknown; /* set when a name is not an input pin */
  char unknown_name[64];
  int syntax;  /* set on a syntax error */
  char what[128];
  int depth;
} fparse;

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

/* 0 ok; 1 unknown name (f->unknown_name); 2 syntax error (f->what) */
static int eval_function(const char *text, const pp_lib_cell *cell, uint64_t *truth, fparse *f) {
  memset(f, 0, sizeof *f);
  f->s = text;
  f->cell = cell;
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

/* ---- cells ----------------------------------------------------------------------- */

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void pin_free(pp_lib_pin *p) {
  free(p->name);
  free(p->function);
  for (int i = 0; i < p->n_timings; i++) {
    lut_free(&p->timings[i].cell_rise);
    lut_free(&p->timings[i].cell_fall);
    lut_free(&p->timings[i].rise_transition);
    lut_free(&p->timings[i].fall_transition);
  }
  free(p->timings);
  for (int i = 0; i < p->n_powers; i++) {
    lut_free(&p->powers[i].rise_power);
    lut_free(&p->powers[i].fall_power);
  }
  free(p->powers);
}

static void cell_free(pp_lib_cell *c) {
  free(c->name);
  for (int i = 0; i < c->n_pins; i++) pin_free(&c->pins[i]);
  free(c->pins);
}

void pp_lib_free(pp_lib *lib) {
  if (!lib) return;
  for (int i = 0; i < lib->n_cells; i++) cell_free(&lib->cells[i]);
  free(lib->cells);
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
  r->where = find_attr(g, "related_pin");
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

typedef struct {
  pp_lib_pin *pin;
  const lnode *node;
} pin_src;

static int read_cell(ictx *c, const tmpl_set *ts, const lnode *g, pp_lib_cell *cell) {
  int rc;
  if (g->n_args < 1) return pp_err_set(c->e, PP_EPARSE, c->file, g->line, "expected a cell name: cell (NAME) { ... }");
  cell->name = xstrdup(g->args[0]);
  if (!cell->name) return pp_err_set(c->e, PP_ENOMEM, c->file, g->line, "out of memory");
  int pcap = 0;
  pin_src *src = NULL;
  int scap = 0;
  int has_leak = 0;
  double leak_sum = 0;
  int leak_n = 0;
  for (const lnode *n = g->child; n; n = n->next) {
    if (n->kind == N_SIMPLE && !strcmp(n->name, "area")) {
      if ((rc = parse_number(c, n, n->value, &cell->area))) goto fail;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "cell_leakage_power")) {
      double v;
      if ((rc = parse_number(c, n, n->value, &v))) goto fail;
      cell->leakage_nw = v * c->leak_nw;
      has_leak = 1;
    } else if (n->kind == N_GROUP && !strcmp(n->name, "leakage_power")) {
      const lnode *v = find_attr(n, "value");
      double x;
      if (v && v->kind == N_SIMPLE) {
        if ((rc = parse_number(c, v, v->value, &x))) goto fail;
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
      if (n->n_args < 1) {
        rc = pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a pin name: pin (NAME) { ... }");
        goto fail;
      }
      for (int a = 0; a < n->n_args; a++) {
        if (pp_lib_find_pin(cell, n->args[a]) >= 0) {
          rc = pp_err_set(c->e, PP_EPARSE, c->file, n->line, "pin '%.60s' of cell '%.60s' is declared twice",
                          n->args[a], cell->name);
          goto fail;
        }
        if (nl_grow((void **)&cell->pins, &pcap, cell->n_pins, sizeof(pp_lib_pin)) ||
            nl_grow((void **)&src, &scap, cell->n_pins, sizeof(pin_src))) {
          rc = pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
          goto fail;
        }
        pp_lib_pin *p = &cell->pins[cell->n_pins];
        memset(p, 0, sizeof *p);
        src[cell->n_pins].node = n;
        cell->n_pins++;
        p->name = xstrdup(n->args[a]);
        if (!p->name) {
          rc = pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
          goto fail;
        }
        p->dir = -1;
        double rcap = 0, fcap = 0;
        int has_cap = 0;
        for (const lnode *m = n->child; m; m = m->next) {
          if (m->kind != N_SIMPLE) continue;
          if (!strcmp(m->name, "direction")) {
            if (!strcmp(m->value, "input")) p->dir = PP_PIN_INPUT;
            else if (!strcmp(m->value, "output")) p->dir = PP_PIN_OUTPUT;
            else if (!strcmp(m->value, "inout")) p->dir = PP_PIN_INOUT;
            else if (!strcmp(m->value, "internal")) p->dir = PP_PIN_INTERNAL;
            else {
              rc = pp_err_set(c->e, PP_EPARSE, c->file, m->line,
                              "expected input, output, inout or internal for direction, found '%.40s'", m->value);
              goto fail;
            }
          } else if (!strcmp(m->name, "capacitance")) {
            if ((rc = parse_number(c, m, m->value, &p->cap))) goto fail;
            has_cap = 1;
          } else if (!strcmp(m->name, "rise_capacitance")) {
            if ((rc = parse_number(c, m, m->value, &rcap))) goto fail;
          } else if (!strcmp(m->name, "fall_capacitance")) {
            if ((rc = parse_number(c, m, m->value, &fcap))) goto fail;
          } else if (!strcmp(m->name, "function")) {
            free(p->function);
            p->function = xstrdup(m->value);
            if (!p->function) {
              rc = pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
              goto fail;
            }
          } else if (!strcmp(m->name, "three_state")) {
            if (!cell->unsupported) cell->unsupported = "has a tri-state output";
          }
        }
        if (p->dir < 0) {
          rc = pp_err_set(c->e, PP_EPARSE, c->file, n->line,
                          "pin '%.60s' of cell '%.60s' has no direction (expected 'direction : input;' or output)",
                          p->name, cell->name);
          goto fail;
        }
        if (!has_cap) p->cap = rcap > fcap ? rcap : fcap;
        p->cap *= c->cap_ff;
      }
    }
  }
  if (!has_leak && leak_n) cell->leakage_nw = leak_sum / leak_n * c->leak_nw;
  /* inputs and outputs in declaration order */
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
  /* second pass over pins: functions, timing and power now that all pins are known */
  for (int i = 0; i < cell->n_pins; i++) {
    pp_lib_pin *p = &cell->pins[i];
    const lnode *pn = src[i].node;
    if (p->function && p->dir == PP_PIN_OUTPUT) {
      fparse f;
      const lnode *fn = find_attr(pn, "function");
      int r = eval_function(p->function, cell, &p->truth, &f);
      if (r == 2) {
        rc = pp_err_set(c->e, PP_EPARSE, c->file, fn ? fn->line : pn->line, "function of pin '%s' of cell '%s': %s",
                        p->name, cell->name, f.what);
        goto fail;
      }
      if (r == 1) {
        p->truth = 0;
        if (!cell->is_sequential && !cell->unsupported) {
          rc = pp_err_set(c->e, PP_EPARSE, c->file, fn ? fn->line : pn->line,
                          "function of pin '%s' of cell '%s' names '%s', which is not an input pin of the cell",
                          p->name, cell->name, f.unknown_name);
          goto fail;
        }
      }
    } else if (p->dir == PP_PIN_OUTPUT && !cell->is_sequential && !cell->unsupported) {
      cell->unsupported = "has an output without a function";
    }
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
          rc = pp_err_set(c->e, PP_EPARSE, c->file, rp.where->line,
                          "related_pin '%s' is not a pin of cell '%s' (expected one of its pin names)", rp.names[k],
                          cell->name);
          goto fail;
        }
        rel[nrel++] = idx;
      }
      if (is_timing) {
        if (p->dir != PP_PIN_OUTPUT && p->dir != PP_PIN_INOUT) continue; /* constraint arcs of inputs */
        const lnode *tt = find_attr(m, "timing_type");
        if (tt && is_constraint_type(tt->value)) continue;
        if (rp.n == 0) {
          rc = pp_err_set(c->e, PP_EPARSE, c->file, m->line, "timing group of pin '%s' of cell '%s' has no related_pin",
                          p->name, cell->name);
          goto fail;
        }
        int sense = PP_SENSE_NON_UNATE;
        const lnode *ts_n = find_attr(m, "timing_sense");
        if (ts_n) {
          if (!strcmp(ts_n->value, "positive_unate")) sense = PP_SENSE_POSITIVE;
          else if (!strcmp(ts_n->value, "negative_unate")) sense = PP_SENSE_NEGATIVE;
          else if (!strcmp(ts_n->value, "non_unate")) sense = PP_SENSE_NON_UNATE;
          else {
            rc = pp_err_set(c->e, PP_EPARSE, c->file, ts_n->line,
                            "expected positive_unate, negative_unate or non_unate for timing_sense, found '%.40s'",
                            ts_n->value);
            goto fail;
          }
        }
        for (int k = 0; k < nrel; k++) {
          if (nl_grow((void **)&p->timings, &tcap, p->n_timings, sizeof(pp_lib_timing))) {
            rc = pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
            goto fail;
          }
          pp_lib_timing *t = &p->timings[p->n_timings++];
          memset(t, 0, sizeof *t);
          t->related_pin = rel[k];
          t->sense = sense;
          for (const lnode *q = m->child; q; q = q->next) {
            if (q->kind != N_GROUP) continue;
            pp_lut *dst = !strcmp(q->name, "cell_rise")         ? &t->cell_rise
                          : !strcmp(q->name, "cell_fall")       ? &t->cell_fall
                          : !strcmp(q->name, "rise_transition") ? &t->rise_transition
                          : !strcmp(q->name, "fall_transition") ? &t->fall_transition
                                                                : NULL;
            if (dst && (rc = read_table(c, ts, q, c->time_ps, dst))) goto fail;
          }
        }
      } else {
        int nr = nrel ? nrel : 1;
        for (int k = 0; k < nr; k++) {
          if (nl_grow((void **)&p->powers, &wcap, p->n_powers, sizeof(pp_lib_power))) {
            rc = pp_err_set(c->e, PP_ENOMEM, c->file, m->line, "out of memory");
            goto fail;
          }
          pp_lib_power *w = &p->powers[p->n_powers++];
          memset(w, 0, sizeof *w);
          w->related_pin = nrel ? rel[k] : -1;
          for (const lnode *q = m->child; q; q = q->next) {
            if (q->kind != N_GROUP) continue;
            if (!strcmp(q->name, "rise_power")) {
              if ((rc = read_table(c, ts, q, c->energy_fj, &w->rise_power))) goto fail;
            } else if (!strcmp(q->name, "fall_power")) {
              if ((rc = read_table(c, ts, q, c->energy_fj, &w->fall_power))) goto fail;
            } else if (!strcmp(q->name, "power")) { /* one table for both edges */
              if ((rc = read_table(c, ts, q, c->energy_fj, &w->rise_power))) goto fail;
              if ((rc = read_table(c, ts, q, c->energy_fj, &w->fall_power))) goto fail;
            }
          }
        }
      }
    }
  }
  free(src);
  return PP_OK;
fail:
  free(src);
  return rc;
}

/* ---- library ----------------------------------------------------------------------- */

static int read_templates(ictx *c, const lnode *lib, tmpl_set *ts) {
  for (const lnode *n = lib->child; n; n = n->next) {
    if (n->kind != N_GROUP) continue;
    if (strcmp(n->name, "lu_table_template") && strcmp(n->name, "power_lut_template") &&
        strcmp(n->name, "output_current_template"))
      continue;
    if (n->n_args < 1)
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a template name: %s (NAME) { ... }", n->name);
    if (nl_grow((void **)&ts->t, &ts->cap, ts->n, sizeof(ltemplate)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    ltemplate *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->name = n->args[0];
    t->line = n->line;
    for (int k = 0; k < 3; k++) {
      char vn[24], in[24];
      snprintf(vn, sizeof vn, "variable_%d", k + 1);
      snprintf(in, sizeof in, "index_%d", k + 1);
      const lnode *v = find_attr(n, vn);
      if (!v) break;
      if (v->kind != N_SIMPLE)
        return pp_err_set(c->e, PP_EPARSE, c->file, v->line, "expected '%s : <variable name>;'", vn);
      t->var[k] = axis_of(v->value);
      t->index[k] = find_attr(n, in);
      t->nvar = k + 1;
    }
  }
  return PP_OK;
}

static int read_units(ictx *c, const lnode *lib) {
  static const char *const tsuf[] = {"ns", "ps", "us", "fs"};
  static const double tsc[] = {1000, 1, 1e6, 1e-3};
  static const char *const lsuf[] = {"nW", "uW", "pW", "mW", "W", "fW"};
  static const double lsc[] = {1, 1e3, 1e-3, 1e6, 1e9, 1e-6};
  static const char *const vsuf[] = {"V", "mV", "kV"};
  static const double vsc[] = {1, 1e-3, 1e3};
  int rc;
  c->time_ps = 1000; /* Liberty's defaults: 1ns, 1V; pF and nW are what most libraries use */
  c->cap_ff = 1000;
  c->leak_nw = 1;
  c->volt_v = 1;
  for (const lnode *n = lib->child; n; n = n->next) {
    if (n->kind == N_SIMPLE && !strcmp(n->name, "time_unit")) {
      if ((rc = unit_scale(c, n, n->value, tsuf, tsc, 4, &c->time_ps))) return rc;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "leakage_power_unit")) {
      if ((rc = unit_scale(c, n, n->value, lsuf, lsc, 6, &c->leak_nw))) return rc;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "voltage_unit")) {
      if ((rc = unit_scale(c, n, n->value, vsuf, vsc, 3, &c->volt_v))) return rc;
    } else if (n->kind == N_COMPLEX && !strcmp(n->name, "capacitive_load_unit")) {
      double m;
      if (n->n_args != 2)
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected capacitive_load_unit (NUMBER, pf|ff);");
      if ((rc = parse_number(c, n, n->args[0], &m))) return rc;
      if (!strcasecmp(n->args[1], "pf"))
        c->cap_ff = m * 1000;
      else if (!strcasecmp(n->args[1], "ff"))
        c->cap_ff = m;
      else
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line,
                          "expected pf or ff as the unit of capacitive_load_unit, found '%.20s'", n->args[1]);
      if (!(m > 0)) return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "capacitive_load_unit must be positive");
    }
  }
  /* internal_power tables are energies in capacitance unit x voltage unit^2; 1 fF * 1 V^2 = 1 fJ */
  c->energy_fj = c->cap_ff * c->volt_v * c->volt_v;
  return PP_OK;
}

int pp_lib_parse(const char *text, const char *name_for_errors, pp_lib **out, pp_err *e) {
  *out = NULL;
  const char *file = name_for_errors ? name_for_errors : "<liberty>";
  nl_arena ar = {NULL};
  lexer L;
  memset(&L, 0, sizeof L);
  L.s = text;
  L.len = strlen(text);
  L.line = 1;
  L.file = file;
  L.ar = &ar;
  L.e = e;
  lex_next(&L);
  lnode *top = parse_stmts(&L, 0, "", 0);
  int rc = PP_OK;
  pp_lib *lib = NULL;
  tmpl_set ts = {NULL, 0, 0};
  if (L.tok == T_ERR) {
    rc = e && e->status ? e->status : PP_EPARSE;
    if (!e) rc = PP_EPARSE;
    goto done;
  }
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
  if ((rc = read_units(&c, lg))) goto done;
  if ((rc = read_templates(&c, lg, &ts))) goto done;
  lib = calloc(1, sizeof *lib);
  if (!lib) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  lib->name = xstrdup(lg->n_args ? lg->args[0] : "");
  lib->path = xstrdup(file);
  if (!lib->name || !lib->path) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  lib->voltage = 0;
  int has_slew = 0;
  for (const lnode *n = lg->child; n; n = n->next) {
    if (n->kind != N_SIMPLE) continue;
    double v;
    if (!strcmp(n->name, "nom_voltage")) {
      if ((rc = parse_number(&c, n, n->value, &v))) goto done;
      lib->voltage = v * c.volt_v;
    } else if (!strcmp(n->name, "pp_default_input_slew")) {
      if ((rc = parse_number(&c, n, n->value, &v))) goto done;
      lib->default_slew_ps = v * c.time_ps;
      has_slew = 1;
    } else if (!strcmp(n->name, "pp_wire_cap")) {
      if ((rc = parse_number(&c, n, n->value, &v))) goto done;
      lib->wire_cap_ff = v * c.cap_ff;
    } else if (!strcmp(n->name, "pp_output_load")) {
      if ((rc = parse_number(&c, n, n->value, &v))) goto done;
      lib->output_load_ff = v * c.cap_ff;
    } else if (!strcmp(n->name, "pp_wire_cap_per_fanout")) {
      if ((rc = parse_number(&c, n, n->value, &v))) goto done;
      lib->wire_cap_per_fanout_ff = v * c.cap_ff;
    }
  }
  int ccap = 0;
  for (const lnode *n = lg->child; n; n = n->next) {
    if (n->kind != N_GROUP || strcmp(n->name, "cell")) continue;
    if (nl_grow((void **)&lib->cells, &ccap, lib->n_cells, sizeof(pp_lib_cell))) {
      rc = pp_err_set(e, PP_ENOMEM, file, n->line, "out of memory");
      goto done;
    }
    pp_lib_cell *cell = &lib->cells[lib->n_cells++];
    memset(cell, 0, sizeof *cell);
    if ((rc = read_cell(&c, &ts, n, cell))) goto done;
    if (pp_lib_find_cell(lib, cell->name) != lib->n_cells - 1) {
      rc = pp_err_set(e, PP_EPARSE, file, n->line, "cell '%.60s' is defined twice", cell->name);
      goto done;
    }
  }
  if (lib->n_cells == 0) {
    rc = pp_err_set(e, PP_EPARSE, file, lg->line, "library '%s' has no cells (expected 'cell (NAME) { ... }' groups)",
                    lib->name);
    goto done;
  }
  if (lib->output_load_ff <= 0) { /* one input of the smallest inverter */
    double best_area = -1;
    for (int i = 0; i < lib->n_cells; i++) {
      const pp_lib_cell *cl = &lib->cells[i];
      if (cl->n_inputs != 1 || cl->n_outputs != 1 || cl->unsupported || cl->is_sequential) continue;
      if (cl->pins[cl->outputs[0]].truth != 0x1) continue;
      if (best_area < 0 || cl->area < best_area) best_area = cl->area, lib->output_load_ff = cl->pins[cl->inputs[0]].cap;
    }
  }
  if (!has_slew) {
    /* No project attribute: the smallest input slew any delay table was
     * characterized at, i.e. a sharp edge as the library sees it. */
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
done:
  free(ts.t);
  nl_arena_free(&ar);
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

const char *pp_lib_default_path(void) {
  const char *env = getenv("PP_LIB");
  if (env && *env) return env;
  static char path[4096];
  (void)pp_data_path("pp_cells.lib", path, sizeof path); /* a missing file is reported by the reader */
  return path;
}

/* verilog/vlog_parse: tokenizes and reads the modules of a structural Verilog file (what
 * `yosys write_verilog -noattr` prints, plus ANSI port lists and implicit
 * scalar nets): declarations, `assign`, instances with named or ordered
 * connections, constants, concatenations and replications, all as bits. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlog_internal.h"
#include "pp/util_mem.h"

/* ---- lexer -------------------------------------------------------------------- */

static int vlog_nomem(vlex *L, int line) {
  pp_err_set(L->e, PP_ENOMEM, L->file, line, "out of memory");
  L->tok = V_ERR;
  return V_ERR;
}

static int vlog_fail(vlex *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vlog_fail(vlex *L, int line, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  /* clang 14's analyzer loses the va_start above on some inlined paths */
  vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
  va_end(ap);
  pp_err_set(L->e, PP_EPARSE, L->file, line, "%s", msg);
  L->tok = V_ERR;
  return V_ERR;
}

static int vlog_next(vlex *L) {
  if (L->tok == V_ERR) return V_ERR;
  for (;;) {
    if (L->pos >= L->len) break;
    char c = L->s[L->pos];
    if (c == '\n') {
      L->line++;
      L->pos++;
    } else if (isspace((unsigned char)c)) {
      L->pos++;
    } else if ((c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '/') || c == '`') {
      /* a line comment, or a compiler directive (`timescale ...): skip the line */
      while (L->pos < L->len && L->s[L->pos] != '\n') L->pos++;
    } else if ((c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*') ||
               (c == '(' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*' &&
                !(L->pos + 2 < L->len && L->s[L->pos + 2] == ')'))) {
      /* comment or attribute instance (* ... *): both skipped */
      int start = L->line;
      char close = c == '/' ? '/' : ')';
      size_t p = L->pos + 2;
      while (p + 1 < L->len && !(L->s[p] == '*' && L->s[p + 1] == close)) {
        if (L->s[p] == '\n') L->line++;
        p++;
      }
      if (p + 1 >= L->len)
        return vlog_fail(L, start, "unterminated %s: expected '*%c' to close the one opened here",
                     c == '/' ? "comment" : "attribute", close);
      L->pos = p + 2;
    } else {
      break;
    }
  }
  L->tline = L->line;
  L->text = NULL;
  L->escaped = 0;
  if (L->pos >= L->len) return L->tok = V_EOF;
  char c = L->s[L->pos];
  size_t st = L->pos;
  if (c == '\\') {
    size_t q = st + 1;
    while (q < L->len && !isspace((unsigned char)L->s[q])) q++;
    if (q == st + 1) return vlog_fail(L, L->line, "expected an escaped identifier after '\\'");
    L->text = pp_arena_strndup(L->ar, L->s + st + 1, q - st - 1);
    L->pos = q;
    L->escaped = 1;
    return L->tok = L->text ? V_ID : vlog_nomem(L, L->line);
  }
  if (isalpha((unsigned char)c) || c == '_' || c == '$') {
    size_t q = st;
    while (q < L->len && (isalnum((unsigned char)L->s[q]) || L->s[q] == '_' || L->s[q] == '$')) q++;
    L->text = pp_arena_strndup(L->ar, L->s + st, q - st);
    L->pos = q;
    return L->tok = L->text ? V_ID : vlog_nomem(L, L->line);
  }
  if (isdigit((unsigned char)c) || c == '\'') {
    /* number: [size] ['[sS]base digits] */
    size_t q = st;
    while (q < L->len && (isdigit((unsigned char)L->s[q]) || L->s[q] == '_')) q++;
    size_t save = q;
    while (q < L->len && (L->s[q] == ' ' || L->s[q] == '\t')) q++;
    if (q < L->len && L->s[q] == '\'') {
      q++;
      if (q < L->len && (L->s[q] == 's' || L->s[q] == 'S')) q++;
      if (q < L->len && strchr("bBoOdDhH", L->s[q])) q++;
      while (q < L->len && (L->s[q] == ' ' || L->s[q] == '\t')) q++;
      while (q < L->len && (isalnum((unsigned char)L->s[q]) || L->s[q] == '_' || L->s[q] == '?')) q++;
    } else {
      q = save;
    }
    L->text = pp_arena_strndup(L->ar, L->s + st, q - st);
    L->pos = q;
    return L->tok = L->text ? V_NUM : vlog_nomem(L, L->line);
  }
  if (strchr("()[]{},;:.=#", c)) {
    L->pos++;
    L->sym = c;
    return L->tok = V_SYM;
  }
  if (isprint((unsigned char)c)) return vlog_fail(L, L->line, "unexpected character '%c'", c);
  return vlog_fail(L, L->line, "unexpected byte 0x%02x", (unsigned char)c);
}

static const char *vlog_desc(const vlex *L, char *b, size_t n) {
  switch (L->tok) {
    case V_EOF: return "end of file";
    case V_ID:
    case V_NUM: snprintf(b, n, "'%.60s'", L->text); return b;
    case V_SYM: snprintf(b, n, "'%c'", L->sym); return b;
    default: return "an error";
  }
}

static int vlog_is_sym(const vlex *L, char c) { return L->tok == V_SYM && L->sym == c; }
static int vlog_is_kw(const vlex *L, const char *k) {
  return L->tok == V_ID && !L->escaped && !strcmp(L->text, k);
}

static int vlog_expect_sym(vlex *L, char c, const char *context) {
  char b[96];
  if (!vlog_is_sym(L, c)) return vlog_fail(L, L->tline, "expected '%c' %s, found %s", c, context, vlog_desc(L, b, sizeof b));
  vlog_next(L);
  return L->tok == V_ERR ? V_ERR : 0;
}

/* ---- modules -------------------------------------------------------------------- */

int vlog_find_sig(const vmod *m, const char *name) {
  for (int i = 0; i < m->ns; i++)
    if (!strcmp(m->s[i].name, name)) return i;
  return -1;
}

static int add_sig(vlex *L, vmod *m, const char *name, int dir, int ranged, int msb, int lsb, int line) {
  int i = vlog_find_sig(m, name);
  if (i >= 0) {
    vsig *s = &m->s[i];
    /* `output y; wire y;` or `output [3:0] y; wire [3:0] y;` redeclare the same net */
    if (dir != SIG_WIRE && s->dir != SIG_WIRE && s->dir != dir)
      return vlog_fail(L, line, "'%s' is declared twice with different directions", name);
    if (ranged && s->ranged && (s->msb != msb || s->lsb != lsb))
      return vlog_fail(L, line, "'%s' is declared twice with different ranges", name);
    if (ranged && !s->ranged) {
      if (s->base >= 0 && s->width != abs(msb - lsb) + 1)
        return vlog_fail(L, line, "'%s' is used before its vector declaration", name);
      s->ranged = 1, s->msb = msb, s->lsb = lsb, s->width = abs(msb - lsb) + 1;
    }
    if (dir != SIG_WIRE) s->dir = dir;
    return i;
  }
  if (pp_grow((void **)&m->s, &m->cs, m->ns, sizeof(vsig))) return vlog_nomem(L, line);
  vsig *s = &m->s[m->ns];
  s->name = name;
  s->dir = dir;
  s->ranged = ranged;
  s->msb = ranged ? msb : 0;
  s->lsb = ranged ? lsb : 0;
  s->width = ranged ? abs(msb - lsb) + 1 : 1;
  s->base = -1; /* bits numbered after parsing */
  s->line = line;
  return m->ns++;
}

/* number text -> integer (for ranges and replication counts) */
static int parse_int(vlex *L, long *out) {
  char b[96];
  *out = 0; /* defined on every path, errors included */
  if (L->tok != V_NUM || strchr(L->text, '\''))
    return vlog_fail(L, L->tline, "expected a decimal number, found %s", vlog_desc(L, b, sizeof b));
  char *end;
  long v = strtol(L->text, &end, 10);
  if (*end || v < 0 || v > 1000000) return vlog_fail(L, L->tline, "expected a decimal number below 1e6, found '%s'", L->text);
  *out = v;
  vlog_next(L);
  return L->tok == V_ERR ? V_ERR : 0;
}

static int parse_range(vlex *L, int *msb, int *lsb) {
  long a, b;
  if (vlog_expect_sym(L, '[', "to open a range")) return V_ERR;
  if (parse_int(L, &a)) return V_ERR;
  if (vlog_expect_sym(L, ':', "in a range [msb:lsb]")) return V_ERR;
  if (parse_int(L, &b)) return V_ERR;
  if (vlog_expect_sym(L, ']', "to close a range")) return V_ERR;
  if (labs(a - b) >= 1 << 20) return vlog_fail(L, L->tline, "range [%ld:%ld] is too wide", a, b);
  *msb = (int)a;
  *lsb = (int)b;
  return 0;
}

/* Sized/unsized constant text -> bits (LSB first) appended to out. */
static int const_bits(vlex *L, const char *t, int line, long long **out, int *n, int *cap) {
  const char *q = strchr(t, '\'');
  long width = 32;
  int base = 10;
  const char *digits = t;
  if (q) {
    if (q != t) {
      char *end;
      width = strtol(t, &end, 10);
      if (width <= 0 || width > 4096) return vlog_fail(L, line, "constant '%s': width must be 1..4096", t);
    }
    q++;
    if (*q == 's' || *q == 'S') q++;
    switch (tolower((unsigned char)*q)) {
      case 'b': base = 2; break;
      case 'o': base = 8; break;
      case 'd': base = 10; break;
      case 'h': base = 16; break;
      default: return vlog_fail(L, line, "constant '%s': expected a base b, o, d or h after the quote", t);
    }
    digits = q + 1;
    while (*digits == ' ' || *digits == '\t') digits++;
  }
  /* collect value bits LSB first */
  int bits[4096];
  int nb = 0;
  size_t nd = strlen(digits);
  if (nd == 0) return vlog_fail(L, line, "constant '%s' has no digits", t);
  if (base == 10) {
    unsigned long long v = 0;
    for (const char *d = digits; *d; d++) {
      if (*d == '_') continue;
      if (!isdigit((unsigned char)*d)) return vlog_fail(L, line, "constant '%s': '%c' is not a decimal digit", t, *d);
      if (v > (~0ULL - 9) / 10) return vlog_fail(L, line, "constant '%s' is too large", t);
      v = v * 10 + (unsigned)(*d - '0');
    }
    for (int i = 0; i < 64 && i < width; i++) bits[nb++] = (int)((v >> i) & 1);
  } else {
    int per = base == 2 ? 1 : base == 8 ? 3 : 4;
    for (size_t k = nd; k-- > 0;) {
      char d = digits[k];
      if (d == '_') continue;
      int v;
      if (d == 'x' || d == 'X' || d == 'z' || d == 'Z' || d == '?')
        return vlog_fail(L, line, "constant '%s': x/z bits cannot drive a gate-level net (expected 0/1 digits)", t);
      if (isdigit((unsigned char)d))
        v = d - '0';
      else if (isxdigit((unsigned char)d))
        v = 10 + tolower((unsigned char)d) - 'a';
      else
        v = 99;
      if (v >= base) return vlog_fail(L, line, "constant '%s': '%c' is not a base-%d digit", t, d, base);
      for (int i = 0; i < per && nb < 4096; i++) bits[nb++] = (v >> i) & 1;
    }
  }
  for (long i = 0; i < width; i++) {
    if (pp_grow((void **)out, cap, *n, sizeof(long long))) return vlog_nomem(L, line);
    (*out)[(*n)++] = (i < nb && bits[i]) ? BIT_1 : BIT_0;
  }
  return 0;
}

static int bit_of(vlex *L, vmod *m, int si, long idx, int line) {
  vsig *s = &m->s[si];
  long pos = s->msb >= s->lsb ? idx - s->lsb : s->lsb - idx;
  if (!s->ranged) {
    if (idx != 0) return vlog_fail(L, line, "'%s' is a scalar: index [%ld] is out of range", s->name, idx), -1;
    pos = 0;
  }
  if (pos < 0 || pos >= s->width)
    return vlog_fail(L, line, "index [%ld] is out of the range [%d:%d] of '%s'", idx, s->msb, s->lsb, s->name), -1;
  return (int)pos;
}

/* Bits are first recorded as (signal, position) pairs encoded as
 * sig * 2^20 + pos + 16, and renumbered to flat bit ids once every signal's
 * width is known (implicit and late declarations). */
#define ENC(si, pos) ((long long)(si) * (1LL << 20) + (pos) + 16)

static int parse_expr(vlex *L, vmod *m, long long **out, int *n, int *cap, int depth);

static int push_bit(vlex *L, long long **out, int *n, int *cap, long long v) {
  if (*n >= NL_MAX_EXPR) return vlog_fail(L, L->tline, "expression wider than %d bits", NL_MAX_EXPR);
  if (pp_grow((void **)out, cap, *n, sizeof(long long))) return vlog_nomem(L, L->tline);
  (*out)[(*n)++] = v;
  return 0;
}

/* Appends the bits of one primary (identifier[sel], constant, {concat}) MSB
 * first; the caller reverses the whole expression at the end. */
static int parse_primary(vlex *L, vmod *m, long long **out, int *n, int *cap, int depth) {
  char b[96];
  if (depth > 64) return vlog_fail(L, L->tline, "expression nested too deeply");
  if (L->tok == V_NUM) {
    long long *cb = NULL;
    int cn = 0, cc = 0;
    int rc = const_bits(L, L->text, L->tline, &cb, &cn, &cc);
    for (int i = cn - 1; i >= 0 && !rc; i--) rc = push_bit(L, out, n, cap, cb[i]);
    free(cb);
    if (rc) return V_ERR;
    vlog_next(L);
    return L->tok == V_ERR ? V_ERR : 0;
  }
  if (vlog_is_sym(L, '{')) {
    int line = L->tline;
    vlog_next(L);
    /* replication {N{...}} */
    if (L->tok == V_NUM && !strchr(L->text, '\'')) {
      long rep;
      if (parse_int(L, &rep)) return V_ERR;
      if (!vlog_is_sym(L, '{')) return vlog_fail(L, L->tline, "expected '{' after the replication count %ld", rep);
      long long *ib = NULL;
      int in = 0, ic = 0;
      if (parse_primary(L, m, &ib, &in, &ic, depth + 1)) {
        free(ib);
        return V_ERR;
      }
      if ((long)in * rep + *n > NL_MAX_EXPR) {
        free(ib);
        return vlog_fail(L, line, "replication is too wide (more than %d bits)", NL_MAX_EXPR);
      }
      for (long r = 0; r < rep; r++)
        for (int i = 0; i < in; i++)
          if (push_bit(L, out, n, cap, ib[i])) {
            free(ib);
            return V_ERR;
          }
      free(ib);
      return vlog_expect_sym(L, '}', "to close the replication");
    }
    for (;;) {
      if (parse_primary(L, m, out, n, cap, depth + 1)) return V_ERR;
      if (vlog_is_sym(L, ',')) {
        vlog_next(L);
        continue;
      }
      if (vlog_is_sym(L, '}')) break;
      return vlog_fail(L, L->tline, "expected ',' or '}' in the concatenation opened at line %d, found %s", line,
                   vlog_desc(L, b, sizeof b));
    }
    vlog_next(L);
    return L->tok == V_ERR ? V_ERR : 0;
  }
  if (L->tok != V_ID) return vlog_fail(L, L->tline, "expected a net, a constant or '{', found %s", vlog_desc(L, b, sizeof b));
  const char *name = L->text;
  int line = L->tline;
  int si = vlog_find_sig(m, name);
  vlog_next(L);
  if (L->tok == V_ERR) return V_ERR;
  if (!vlog_is_sym(L, '[')) {
    if (si < 0) { /* implicit scalar net, as Verilog allows */
      si = add_sig(L, m, name, SIG_WIRE, 0, 0, 0, line);
      if (si < 0 || L->tok == V_ERR) return V_ERR;
    }
    vsig *s = &m->s[si];
    for (int p = s->width - 1; p >= 0; p--)
      if (push_bit(L, out, n, cap, ENC(si, p))) return V_ERR;
    return 0;
  }
  if (si < 0) return vlog_fail(L, line, "'%s' is not declared (expected a wire, input or output declaration)", name);
  vlog_next(L);
  long a, c;
  if (parse_int(L, &a)) return V_ERR;
  c = a;
  if (vlog_is_sym(L, ':')) {
    vlog_next(L);
    if (parse_int(L, &c)) return V_ERR;
  }
  if (vlog_expect_sym(L, ']', "to close the bit or part select")) return V_ERR;
  int pa = bit_of(L, m, si, a, line);
  if (pa < 0) return V_ERR;
  int pc = bit_of(L, m, si, c, line);
  if (pc < 0) return V_ERR;
  /* [a:c] lists a first: a is the more significant end */
  int step = pa >= pc ? -1 : 1;
  for (int p = pa;; p += step) {
    if (push_bit(L, out, n, cap, ENC(si, p))) return V_ERR;
    if (p == pc) break;
  }
  return 0;
}

static int parse_expr(vlex *L, vmod *m, long long **out, int *n, int *cap, int depth) {
  int start = *n;
  if (parse_primary(L, m, out, n, cap, depth)) return V_ERR;
  /* to LSB first */
  for (int i = start, j = *n - 1; i < j; i++, j--) {
    long long t = (*out)[i];
    (*out)[i] = (*out)[j];
    (*out)[j] = t;
  }
  return 0;
}

/* After the direction keyword: an optional net type, "signed" and [msb:lsb]. */
static int parse_decl_head(vlex *L, int *ranged, int *msb, int *lsb) {
  vlog_next(L);
  if (vlog_is_kw(L, "wire") || vlog_is_kw(L, "reg") || vlog_is_kw(L, "logic")) vlog_next(L);
  if (vlog_is_kw(L, "signed")) vlog_next(L);
  if (!vlog_is_sym(L, '[')) return 0;
  *ranged = 1;
  return parse_range(L, msb, lsb);
}

static int parse_decl(vlex *L, vmod *m, int dir) {
  int line = L->tline;
  int ranged = 0, msb = 0, lsb = 0;
  if (parse_decl_head(L, &ranged, &msb, &lsb)) return V_ERR;
  char b[96];
  for (;;) {
    if (L->tok != V_ID) return vlog_fail(L, L->tline, "expected a net name in the declaration, found %s", vlog_desc(L, b, sizeof b));
    if (add_sig(L, m, L->text, dir, ranged, msb, lsb, line) < 0) return V_ERR;
    vlog_next(L);
    if (vlog_is_sym(L, ',')) {
      vlog_next(L);
      continue;
    }
    if (vlog_is_sym(L, '=')) return vlog_fail(L, L->tline, "net declaration assignments are not supported: use 'assign'");
    return vlog_expect_sym(L, ';', "to end the declaration");
  }
}

static int parse_assign(vlex *L, vmod *m) {
  vlog_next(L);
  for (;;) {
    vassign a = {{NULL, 0}, {NULL, 0}, L->tline};
    int cl = 0, cr = 0;
    if (parse_expr(L, m, &a.l.b, &a.l.n, &cl, 0) || vlog_expect_sym(L, '=', "in the assignment") ||
        parse_expr(L, m, &a.r.b, &a.r.n, &cr, 0)) {
      free(a.l.b);
      free(a.r.b);
      return V_ERR;
    }
    if (pp_grow((void **)&m->as, &m->ca, m->na, sizeof(vassign))) {
      free(a.l.b);
      free(a.r.b);
      return vlog_nomem(L, a.line);
    }
    m->as[m->na++] = a;
    if (vlog_is_sym(L, ',')) {
      vlog_next(L);
      continue;
    }
    return vlog_expect_sym(L, ';', "to end the assignment");
  }
}

static int parse_instance(vlex *L, vmod *m) {
  char b[96];
  vinst in;
  memset(&in, 0, sizeof in);
  in.type = L->text;
  in.line = L->tline;
  vlog_next(L);
  if (vlog_is_sym(L, '#')) { /* parameters: skipped (cells take none) */
    vlog_next(L);
    if (!vlog_is_sym(L, '(')) return vlog_fail(L, L->tline, "expected '(' after '#', found %s", vlog_desc(L, b, sizeof b));
    int d = 0;
    do {
      if (vlog_is_sym(L, '(')) d++;
      if (vlog_is_sym(L, ')')) d--;
      vlog_next(L);
      if (L->tok == V_EOF) return vlog_fail(L, in.line, "unterminated parameter list");
    } while (d > 0 && L->tok != V_ERR);
  }
  if (L->tok != V_ID)
    return vlog_fail(L, L->tline, "expected an instance name after '%s', found %s", in.type, vlog_desc(L, b, sizeof b));
  in.name = L->text;
  vlog_next(L);
  if (vlog_expect_sym(L, '(', "to open the connection list")) return V_ERR;
  int cc = 0;
  int rc = 0;
  while (!vlog_is_sym(L, ')')) {
    if (!vlog_is_sym(L, '.')) {
      rc = vlog_fail(L, L->tline, "expected a named connection .PIN(net) in instance '%s', found %s", in.name,
                 vlog_desc(L, b, sizeof b));
      break;
    }
    vlog_next(L);
    if (L->tok != V_ID) {
      rc = vlog_fail(L, L->tline, "expected a pin name after '.', found %s", vlog_desc(L, b, sizeof b));
      break;
    }
    vconn c = {L->text, {NULL, 0}, L->tline};
    for (int k = 0; k < in.nc; k++)
      if (!strcmp(in.c[k].pin, c.pin)) {
        rc = vlog_fail(L, L->tline, "pin '%s' of instance '%s' is connected twice", c.pin, in.name);
        break;
      }
    if (rc) break;
    vlog_next(L);
    if ((rc = vlog_expect_sym(L, '(', "after the pin name"))) break;
    int cap = 0;
    if (!vlog_is_sym(L, ')') && (rc = parse_expr(L, m, &c.bits.b, &c.bits.n, &cap, 0))) {
      free(c.bits.b);
      break;
    }
    if (pp_grow((void **)&in.c, &cc, in.nc, sizeof(vconn))) {
      free(c.bits.b);
      rc = vlog_nomem(L, L->tline);
      break;
    }
    in.c[in.nc++] = c;
    if ((rc = vlog_expect_sym(L, ')', "to close the connection"))) break;
    if (vlog_is_sym(L, ',')) {
      vlog_next(L);
      if (vlog_is_sym(L, ')')) {
        rc = vlog_fail(L, L->tline, "expected another connection after ','");
        break;
      }
    } else if (!vlog_is_sym(L, ')')) {
      rc = vlog_fail(L, L->tline, "expected ',' or ')' in the connection list, found %s", vlog_desc(L, b, sizeof b));
      break;
    }
  }
  if (!rc) {
    vlog_next(L);
    rc = vlog_expect_sym(L, ';', "after the instance");
  }
  if (!rc && pp_grow((void **)&m->ins, &m->ci, m->ni, sizeof(vinst))) rc = vlog_nomem(L, in.line);
  if (rc) {
    for (int k = 0; k < in.nc; k++) free(in.c[k].bits.b);
    free(in.c);
    return V_ERR;
  }
  m->ins[m->ni++] = in;
  return 0;
}

/* The header's port list, ANSI declarations included: ( a, b ) or ( input [7:0] a, output y ). */
static int parse_port_list(vlex *L, vmod *m, int line) {
  char b[96];
  vlog_next(L);
  while (!vlog_is_sym(L, ')')) {
    int dir = -1;
    if (vlog_is_kw(L, "input")) dir = SIG_IN;
    else if (vlog_is_kw(L, "output")) dir = SIG_OUT;
    else if (vlog_is_kw(L, "inout")) dir = SIG_INOUT;
    if (dir >= 0) { /* ANSI: input [7:0] a, b */
      int dl = L->tline;
      int ranged = 0, msb = 0, lsb = 0;
      if (parse_decl_head(L, &ranged, &msb, &lsb)) return V_ERR;
      for (;;) {
        if (L->tok != V_ID) return vlog_fail(L, L->tline, "expected a port name, found %s", vlog_desc(L, b, sizeof b));
        if (add_sig(L, m, L->text, dir, ranged, msb, lsb, dl) < 0) return V_ERR;
        if (pp_grow((void **)&m->ports, &m->cports, m->nports, sizeof(char *))) return vlog_nomem(L, dl);
        m->ports[m->nports++] = L->text;
        vlog_next(L);
        if (vlog_is_sym(L, ',')) {
          vlog_next(L);
          if (vlog_is_kw(L, "input") || vlog_is_kw(L, "output") || vlog_is_kw(L, "inout")) break;
          continue;
        }
        break;
      }
      continue;
    }
    if (L->tok != V_ID) return vlog_fail(L, L->tline, "expected a port name, found %s", vlog_desc(L, b, sizeof b));
    if (pp_grow((void **)&m->ports, &m->cports, m->nports, sizeof(char *))) return vlog_nomem(L, line);
    m->ports[m->nports++] = L->text;
    vlog_next(L);
    if (vlog_is_sym(L, ',')) {
      vlog_next(L);
      continue;
    }
    if (!vlog_is_sym(L, ')'))
      return vlog_fail(L, L->tline, "expected ',' or ')' in the port list, found %s", vlog_desc(L, b, sizeof b));
  }
  vlog_next(L);
  return 0;
}

/* The module's items up to and including 'endmodule'. */
static int parse_items(vlex *L, vmod *m, int line) {
  char b[96];
  for (;;) {
    if (L->tok == V_ERR) return V_ERR;
    if (L->tok == V_EOF) return vlog_fail(L, L->tline, "expected 'endmodule' to close module '%s' of line %d", m->name, line);
    if (vlog_is_kw(L, "endmodule")) {
      vlog_next(L);
      break;
    }
    if (vlog_is_kw(L, "input") || vlog_is_kw(L, "output") || vlog_is_kw(L, "inout") || vlog_is_kw(L, "wire") || vlog_is_kw(L, "reg") ||
        vlog_is_kw(L, "supply0") || vlog_is_kw(L, "supply1") || vlog_is_kw(L, "tri")) {
      int dir = vlog_is_kw(L, "input") ? SIG_IN : vlog_is_kw(L, "output") ? SIG_OUT : vlog_is_kw(L, "inout") ? SIG_INOUT : SIG_WIRE;
      int sup = vlog_is_kw(L, "supply0") ? 0 : vlog_is_kw(L, "supply1") ? 1 : -1;
      int first = m->ns;
      if (parse_decl(L, m, dir)) return V_ERR;
      if (sup >= 0) { /* supply nets: tie to the constant */
        for (int i = first; i < m->ns; i++) {
          vassign a = {{NULL, 0}, {NULL, 0}, m->s[i].line};
          int cl = 0, cr = 0;
          int bad = 0;
          for (int p = 0; p < m->s[i].width && !bad; p++)
            bad = push_bit(L, &a.l.b, &a.l.n, &cl, ENC(i, p)) || push_bit(L, &a.r.b, &a.r.n, &cr, sup ? BIT_1 : BIT_0);
          if (!bad && pp_grow((void **)&m->as, &m->ca, m->na, sizeof(vassign))) bad = vlog_nomem(L, line);
          if (bad) { /* not yet owned by the module */
            free(a.l.b);
            free(a.r.b);
            return V_ERR;
          }
          m->as[m->na++] = a;
        }
      }
      continue;
    }
    if (vlog_is_kw(L, "assign")) {
      if (parse_assign(L, m)) return V_ERR;
      continue;
    }
    if (vlog_is_kw(L, "parameter") || vlog_is_kw(L, "localparam") || vlog_is_kw(L, "defparam")) {
      while (L->tok != V_EOF && L->tok != V_ERR && !vlog_is_sym(L, ';')) vlog_next(L);
      if (vlog_expect_sym(L, ';', "to end the parameter")) return V_ERR;
      continue;
    }
    if (vlog_is_kw(L, "always") || vlog_is_kw(L, "initial") || vlog_is_kw(L, "module") || vlog_is_kw(L, "function") ||
        vlog_is_kw(L, "generate") || vlog_is_kw(L, "task"))
      return vlog_fail(L, L->tline, "'%s' is behavioural Verilog: expected a structural netlist (synthesize it first)",
                   L->text);
    if (L->tok == V_ID) {
      if (parse_instance(L, m)) return V_ERR;
      continue;
    }
    return vlog_fail(L, L->tline, "expected a declaration, 'assign', an instance or 'endmodule', found %s",
                 vlog_desc(L, b, sizeof b));
  }
  return 0;
}

/* Numbers the module's bits once every declaration is known, checks the
 * ports against the header, and turns the (signal, position) codes recorded
 * while parsing into bit numbers. */
static int number_bits(vlex *L, vmod *m) {
  /* number the bits; every port named in the header must be declared */
  for (int i = 0; i < m->nports; i++) {
    int si = vlog_find_sig(m, m->ports[i]);
    if (si < 0 || m->s[si].dir == SIG_WIRE)
      return vlog_fail(L, m->line, "port '%s' of module '%s' has no input or output declaration", m->ports[i], m->name);
  }
  long long total = 0;
  for (int i = 0; i < m->ns; i++) total += m->s[i].width;
  if (total > NL_MAX_BITS)
    return vlog_fail(L, m->line, "module '%s' has %lld net bits: more than this reader takes (%d)", m->name, total,
                 NL_MAX_BITS);
  for (int i = 0; i < m->ns; i++) {
    if (m->s[i].dir != SIG_WIRE) {
      int listed = 0;
      for (int k = 0; k < m->nports; k++) listed |= !strcmp(m->ports[k], m->s[i].name);
      if (!listed)
        return vlog_fail(L, m->s[i].line, "'%s' is declared as a port but is not in the port list of module '%s'",
                     m->s[i].name, m->name);
    }
    m->s[i].base = m->nbits;
    m->nbits += m->s[i].width;
  }
  /* renumber recorded bits */
  long long *lists[3];
  for (int a = 0; a < m->na; a++) {
    lists[0] = m->as[a].l.b;
    lists[1] = m->as[a].r.b;
    int ns[2] = {m->as[a].l.n, m->as[a].r.n};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < ns[k]; i++)
        if (lists[k][i] >= 16) lists[k][i] = m->s[(lists[k][i] - 16) >> 20].base + ((lists[k][i] - 16) & ((1 << 20) - 1));
  }
  for (int x = 0; x < m->ni; x++)
    for (int c = 0; c < m->ins[x].nc; c++) {
      vbits *vb = &m->ins[x].c[c].bits;
      for (int i = 0; i < vb->n; i++)
        if (vb->b[i] >= 16) vb->b[i] = m->s[(vb->b[i] - 16) >> 20].base + ((vb->b[i] - 16) & ((1 << 20) - 1));
    }
  return 0;
}

static int parse_module(vfile *F) {
  vlex *L = &F->L;
  char b[96];
  int line = L->tline;
  vlog_next(L);
  if (L->tok != V_ID) return vlog_fail(L, L->tline, "expected a module name, found %s", vlog_desc(L, b, sizeof b));
  for (int i = 0; i < F->nm; i++)
    if (!strcmp(F->m[i].name, L->text)) return vlog_fail(L, L->tline, "module '%s' is defined twice", L->text);
  if (pp_grow((void **)&F->m, &F->cm, F->nm, sizeof(vmod))) return vlog_nomem(L, line);
  vmod *m = &F->m[F->nm++];
  memset(m, 0, sizeof *m);
  m->name = L->text;
  m->line = line;
  vlog_next(L);
  if (vlog_is_sym(L, '(') && parse_port_list(L, m, line)) return V_ERR;
  if (vlog_expect_sym(L, ';', "after the module header")) return V_ERR;
  if (parse_items(L, m, line)) return V_ERR;
  return number_bits(L, m);
}

void vlog_file_free(vfile *F) {
  for (int i = 0; i < F->nm; i++) {
    vmod *m = &F->m[i];
    for (int a = 0; a < m->na; a++) {
      free(m->as[a].l.b);
      free(m->as[a].r.b);
    }
    for (int x = 0; x < m->ni; x++) {
      for (int c = 0; c < m->ins[x].nc; c++) free(m->ins[x].c[c].bits.b);
      free(m->ins[x].c);
    }
    PP_FREE_ALL(m->as, m->ins, m->s, m->ports);
  }
  free(F->m);
}

int vlog_parse_file(vfile *F) {
  vlex *L = &F->L;
  vlog_next(L);
  while (L->tok != V_EOF && L->tok != V_ERR) {
    char b[96];
    if (vlog_is_kw(L, "module")) {
      if (parse_module(F)) break;
    } else {
      vlog_fail(L, L->tline, "expected 'module', found %s", vlog_desc(L, b, sizeof b));
    }
  }
  return L->tok == V_ERR ? V_ERR : 0;
}

/* netlist/verilog: the structural Verilog reader. Parses the subset that
 * `yosys write_verilog -noattr` prints (plus ANSI port lists and implicit
 * scalar nets), flattens the hierarchy under the top module, merges nets
 * joined by `assign`, maps instances to library cells and builds the
 * levelized gate graph of netlist.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"
#include "pp/util_mem.h"

/* ---- lexer -------------------------------------------------------------------- */

enum { V_EOF, V_ID, V_NUM, V_SYM, V_ERR };

typedef struct {
  const char *s;
  size_t pos, len;
  int line;
  const char *file;
  pp_err *e;
  pp_arena *ar;
  int tok, tline;
  char sym;     /* V_SYM */
  char *text;   /* V_ID (unescaped) / V_NUM (raw) */
  int escaped;  /* V_ID came from an escaped identifier */
} vlex;

static int vfail(vlex *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vfail(vlex *L, int line, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pp_err_set(L->e, PP_EPARSE, L->file, line, "%s", msg);
  L->tok = V_ERR;
  return V_ERR;
}

static int vnext(vlex *L) {
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
        return vfail(L, start, "unterminated %s: expected '*%c' to close the one opened here",
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
    if (q == st + 1) return vfail(L, L->line, "expected an escaped identifier after '\\'");
    L->text = pp_arena_strndup(L->ar, L->s + st + 1, q - st - 1);
    L->pos = q;
    L->escaped = 1;
    return L->tok = L->text ? V_ID : vfail(L, L->line, "out of memory");
  }
  if (isalpha((unsigned char)c) || c == '_' || c == '$') {
    size_t q = st;
    while (q < L->len && (isalnum((unsigned char)L->s[q]) || L->s[q] == '_' || L->s[q] == '$')) q++;
    L->text = pp_arena_strndup(L->ar, L->s + st, q - st);
    L->pos = q;
    return L->tok = L->text ? V_ID : vfail(L, L->line, "out of memory");
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
    return L->tok = L->text ? V_NUM : vfail(L, L->line, "out of memory");
  }
  if (strchr("()[]{},;:.=#", c)) {
    L->pos++;
    L->sym = c;
    return L->tok = V_SYM;
  }
  if (isprint((unsigned char)c)) return vfail(L, L->line, "unexpected character '%c'", c);
  return vfail(L, L->line, "unexpected byte 0x%02x", (unsigned char)c);
}

static const char *vdesc(const vlex *L, char *b, size_t n) {
  switch (L->tok) {
    case V_EOF: return "end of file";
    case V_ID:
    case V_NUM: snprintf(b, n, "'%.60s'", L->text); return b;
    case V_SYM: snprintf(b, n, "'%c'", L->sym); return b;
    default: return "an error";
  }
}

static int is_sym(const vlex *L, char c) { return L->tok == V_SYM && L->sym == c; }
static int is_kw(const vlex *L, const char *k) { return L->tok == V_ID && !L->escaped && !strcmp(L->text, k); }

static int expect_sym(vlex *L, char c, const char *context) {
  char b[96];
  if (!is_sym(L, c)) return vfail(L, L->tline, "expected '%c' %s, found %s", c, context, vdesc(L, b, sizeof b));
  vnext(L);
  return L->tok == V_ERR ? V_ERR : 0;
}

/* ---- modules -------------------------------------------------------------------- */

enum { SIG_WIRE = 0, SIG_IN = 1, SIG_OUT = 2, SIG_INOUT = 3 };

/* Size limits that keep hostile input from exhausting memory: net bits per
 * module, and nets and gates after flattening. Real gate-level designs of
 * this project are far below them. */
#define NL_MAX_BITS (1 << 22)
#define NL_MAX_FLAT (1 << 22)
#define NL_MAX_EXPR (1 << 16) /* bits of one expression (concatenation, replication) */

typedef struct {
  const char *name;
  int msb, lsb, width, dir, base, line, ranged;
} vsig;

/* A bit reference: >= 0 is a module-local bit; BIT_0 / BIT_1 constants; BIT_Z unconnected. */
enum { BIT_0 = -1, BIT_1 = -2, BIT_Z = -3 };

typedef struct {
  long long *b; /* LSB first; (signal, position) codes while parsing, flat bit ids after */
  int n;
} vbits;

typedef struct {
  const char *pin;
  vbits bits;
  int line;
} vconn;

typedef struct {
  const char *type, *name;
  vconn *c;
  int nc;
  int line;
} vinst;

typedef struct {
  vbits l, r;
  int line;
} vassign;

typedef struct vmod {
  const char *name;
  int line;
  vsig *s;
  int ns, cs;
  int nbits;
  const char **ports;
  int nports, cports;
  vinst *ins;
  int ni, ci;
  vassign *as;
  int na, ca;
  int instantiated;
  int busy; /* on the elaboration stack (recursion check) */
} vmod;

typedef struct {
  vlex L;
  vmod *m;
  int nm, cm;
} vfile;

static int find_sig(const vmod *m, const char *name) {
  for (int i = 0; i < m->ns; i++)
    if (!strcmp(m->s[i].name, name)) return i;
  return -1;
}

static int add_sig(vlex *L, vmod *m, const char *name, int dir, int ranged, int msb, int lsb, int line) {
  int i = find_sig(m, name);
  if (i >= 0) {
    vsig *s = &m->s[i];
    /* `output y; wire y;` or `output [3:0] y; wire [3:0] y;` redeclare the same net */
    if (dir != SIG_WIRE && s->dir != SIG_WIRE && s->dir != dir)
      return vfail(L, line, "'%s' is declared twice with different directions", name);
    if (ranged && s->ranged && (s->msb != msb || s->lsb != lsb))
      return vfail(L, line, "'%s' is declared twice with different ranges", name);
    if (ranged && !s->ranged) {
      if (s->base >= 0 && s->width != abs(msb - lsb) + 1)
        return vfail(L, line, "'%s' is used before its vector declaration", name);
      s->ranged = 1, s->msb = msb, s->lsb = lsb, s->width = abs(msb - lsb) + 1;
    }
    if (dir != SIG_WIRE) s->dir = dir;
    return i;
  }
  if (pp_grow((void **)&m->s, &m->cs, m->ns, sizeof(vsig))) return vfail(L, line, "out of memory");
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
  if (L->tok != V_NUM || strchr(L->text, '\''))
    return vfail(L, L->tline, "expected a decimal number, found %s", vdesc(L, b, sizeof b));
  char *end;
  long v = strtol(L->text, &end, 10);
  if (*end || v < 0 || v > 1000000) return vfail(L, L->tline, "expected a decimal number below 1e6, found '%s'", L->text);
  *out = v;
  vnext(L);
  return L->tok == V_ERR ? V_ERR : 0;
}

static int parse_range(vlex *L, int *msb, int *lsb) {
  long a, b;
  if (expect_sym(L, '[', "to open a range")) return V_ERR;
  if (parse_int(L, &a)) return V_ERR;
  if (expect_sym(L, ':', "in a range [msb:lsb]")) return V_ERR;
  if (parse_int(L, &b)) return V_ERR;
  if (expect_sym(L, ']', "to close a range")) return V_ERR;
  if (labs(a - b) >= 1 << 20) return vfail(L, L->tline, "range [%ld:%ld] is too wide", a, b);
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
      if (width <= 0 || width > 4096) return vfail(L, line, "constant '%s': width must be 1..4096", t);
    }
    q++;
    if (*q == 's' || *q == 'S') q++;
    switch (tolower((unsigned char)*q)) {
      case 'b': base = 2; break;
      case 'o': base = 8; break;
      case 'd': base = 10; break;
      case 'h': base = 16; break;
      default: return vfail(L, line, "constant '%s': expected a base b, o, d or h after the quote", t);
    }
    digits = q + 1;
    while (*digits == ' ' || *digits == '\t') digits++;
  }
  /* collect value bits LSB first */
  int bits[4096];
  int nb = 0;
  size_t nd = strlen(digits);
  if (nd == 0) return vfail(L, line, "constant '%s' has no digits", t);
  if (base == 10) {
    unsigned long long v = 0;
    for (const char *d = digits; *d; d++) {
      if (*d == '_') continue;
      if (!isdigit((unsigned char)*d)) return vfail(L, line, "constant '%s': '%c' is not a decimal digit", t, *d);
      if (v > (~0ULL - 9) / 10) return vfail(L, line, "constant '%s' is too large", t);
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
        return vfail(L, line, "constant '%s': x/z bits cannot drive a gate-level net (expected 0/1 digits)", t);
      if (isdigit((unsigned char)d))
        v = d - '0';
      else if (isxdigit((unsigned char)d))
        v = 10 + tolower((unsigned char)d) - 'a';
      else
        v = 99;
      if (v >= base) return vfail(L, line, "constant '%s': '%c' is not a base-%d digit", t, d, base);
      for (int i = 0; i < per && nb < 4096; i++) bits[nb++] = (v >> i) & 1;
    }
  }
  for (long i = 0; i < width; i++) {
    if (pp_grow((void **)out, cap, *n, sizeof(long long))) return vfail(L, line, "out of memory");
    (*out)[(*n)++] = (i < nb && bits[i]) ? BIT_1 : BIT_0;
  }
  return 0;
}

static int bit_of(vlex *L, vmod *m, int si, long idx, int line) {
  vsig *s = &m->s[si];
  long pos = s->msb >= s->lsb ? idx - s->lsb : s->lsb - idx;
  if (!s->ranged) {
    if (idx != 0) return vfail(L, line, "'%s' is a scalar: index [%ld] is out of range", s->name, idx), -1;
    pos = 0;
  }
  if (pos < 0 || pos >= s->width)
    return vfail(L, line, "index [%ld] is out of the range [%d:%d] of '%s'", idx, s->msb, s->lsb, s->name), -1;
  return (int)pos;
}

/* Bits are first recorded as (signal, position) pairs encoded as
 * sig * 2^20 + pos + 16, and renumbered to flat bit ids once every signal's
 * width is known (implicit and late declarations). */
#define ENC(si, pos) ((long long)(si) * (1LL << 20) + (pos) + 16)

static int parse_expr(vlex *L, vmod *m, long long **out, int *n, int *cap, int depth);

static int push_bit(vlex *L, long long **out, int *n, int *cap, long long v) {
  if (*n >= NL_MAX_EXPR) return vfail(L, L->tline, "expression wider than %d bits", NL_MAX_EXPR);
  if (pp_grow((void **)out, cap, *n, sizeof(long long))) return vfail(L, L->tline, "out of memory");
  (*out)[(*n)++] = v;
  return 0;
}

/* Appends the bits of one primary (identifier[sel], constant, {concat}) MSB
 * first; the caller reverses the whole expression at the end. */
static int parse_primary(vlex *L, vmod *m, long long **out, int *n, int *cap, int depth) {
  char b[96];
  if (depth > 64) return vfail(L, L->tline, "expression nested too deeply");
  if (L->tok == V_NUM) {
    long long *cb = NULL;
    int cn = 0, cc = 0;
    int rc = const_bits(L, L->text, L->tline, &cb, &cn, &cc);
    for (int i = cn - 1; i >= 0 && !rc; i--) rc = push_bit(L, out, n, cap, cb[i]);
    free(cb);
    if (rc) return V_ERR;
    vnext(L);
    return L->tok == V_ERR ? V_ERR : 0;
  }
  if (is_sym(L, '{')) {
    int line = L->tline;
    vnext(L);
    /* replication {N{...}} */
    if (L->tok == V_NUM && !strchr(L->text, '\'')) {
      long rep;
      if (parse_int(L, &rep)) return V_ERR;
      if (!is_sym(L, '{')) return vfail(L, L->tline, "expected '{' after the replication count %ld", rep);
      long long *ib = NULL;
      int in = 0, ic = 0;
      if (parse_primary(L, m, &ib, &in, &ic, depth + 1)) {
        free(ib);
        return V_ERR;
      }
      if ((long)in * rep + *n > NL_MAX_EXPR) {
        free(ib);
        return vfail(L, line, "replication is too wide (more than %d bits)", NL_MAX_EXPR);
      }
      for (long r = 0; r < rep; r++)
        for (int i = 0; i < in; i++)
          if (push_bit(L, out, n, cap, ib[i])) {
            free(ib);
            return V_ERR;
          }
      free(ib);
      return expect_sym(L, '}', "to close the replication");
    }
    for (;;) {
      if (parse_primary(L, m, out, n, cap, depth + 1)) return V_ERR;
      if (is_sym(L, ',')) {
        vnext(L);
        continue;
      }
      if (is_sym(L, '}')) break;
      return vfail(L, L->tline, "expected ',' or '}' in the concatenation opened at line %d, found %s", line,
                   vdesc(L, b, sizeof b));
    }
    vnext(L);
    return L->tok == V_ERR ? V_ERR : 0;
  }
  if (L->tok != V_ID) return vfail(L, L->tline, "expected a net, a constant or '{', found %s", vdesc(L, b, sizeof b));
  const char *name = L->text;
  int line = L->tline;
  int si = find_sig(m, name);
  vnext(L);
  if (L->tok == V_ERR) return V_ERR;
  if (!is_sym(L, '[')) {
    if (si < 0) { /* implicit scalar net, as Verilog allows */
      si = add_sig(L, m, name, SIG_WIRE, 0, 0, 0, line);
      if (si < 0 || L->tok == V_ERR) return V_ERR;
    }
    vsig *s = &m->s[si];
    for (int p = s->width - 1; p >= 0; p--)
      if (push_bit(L, out, n, cap, ENC(si, p))) return V_ERR;
    return 0;
  }
  if (si < 0) return vfail(L, line, "'%s' is not declared (expected a wire, input or output declaration)", name);
  vnext(L);
  long a, c;
  if (parse_int(L, &a)) return V_ERR;
  c = a;
  if (is_sym(L, ':')) {
    vnext(L);
    if (parse_int(L, &c)) return V_ERR;
  }
  if (expect_sym(L, ']', "to close the bit or part select")) return V_ERR;
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

static int parse_decl(vlex *L, vmod *m, int dir) {
  int line = L->tline;
  vnext(L);
  if (is_kw(L, "wire") || is_kw(L, "reg") || is_kw(L, "logic")) vnext(L);
  if (is_kw(L, "signed")) vnext(L);
  int ranged = 0, msb = 0, lsb = 0;
  if (is_sym(L, '[')) {
    if (parse_range(L, &msb, &lsb)) return V_ERR;
    ranged = 1;
  }
  char b[96];
  for (;;) {
    if (L->tok != V_ID) return vfail(L, L->tline, "expected a net name in the declaration, found %s", vdesc(L, b, sizeof b));
    if (add_sig(L, m, L->text, dir, ranged, msb, lsb, line) < 0) return V_ERR;
    vnext(L);
    if (is_sym(L, ',')) {
      vnext(L);
      continue;
    }
    if (is_sym(L, '=')) return vfail(L, L->tline, "net declaration assignments are not supported: use 'assign'");
    return expect_sym(L, ';', "to end the declaration");
  }
}

static int parse_assign(vlex *L, vmod *m) {
  vnext(L);
  for (;;) {
    vassign a = {{NULL, 0}, {NULL, 0}, L->tline};
    int cl = 0, cr = 0;
    if (parse_expr(L, m, &a.l.b, &a.l.n, &cl, 0) || expect_sym(L, '=', "in the assignment") ||
        parse_expr(L, m, &a.r.b, &a.r.n, &cr, 0)) {
      free(a.l.b);
      free(a.r.b);
      return V_ERR;
    }
    if (pp_grow((void **)&m->as, &m->ca, m->na, sizeof(vassign))) {
      free(a.l.b);
      free(a.r.b);
      return vfail(L, a.line, "out of memory");
    }
    m->as[m->na++] = a;
    if (is_sym(L, ',')) {
      vnext(L);
      continue;
    }
    return expect_sym(L, ';', "to end the assignment");
  }
}

static int parse_instance(vlex *L, vmod *m) {
  char b[96];
  vinst in;
  memset(&in, 0, sizeof in);
  in.type = L->text;
  in.line = L->tline;
  vnext(L);
  if (is_sym(L, '#')) { /* parameters: skipped (cells take none) */
    vnext(L);
    if (!is_sym(L, '(')) return vfail(L, L->tline, "expected '(' after '#', found %s", vdesc(L, b, sizeof b));
    int d = 0;
    do {
      if (is_sym(L, '(')) d++;
      if (is_sym(L, ')')) d--;
      vnext(L);
      if (L->tok == V_EOF) return vfail(L, in.line, "unterminated parameter list");
    } while (d > 0 && L->tok != V_ERR);
  }
  if (L->tok != V_ID)
    return vfail(L, L->tline, "expected an instance name after '%s', found %s", in.type, vdesc(L, b, sizeof b));
  in.name = L->text;
  vnext(L);
  if (expect_sym(L, '(', "to open the connection list")) return V_ERR;
  int cc = 0;
  int rc = 0;
  while (!is_sym(L, ')')) {
    if (!is_sym(L, '.')) {
      rc = vfail(L, L->tline, "expected a named connection .PIN(net) in instance '%s', found %s", in.name,
                 vdesc(L, b, sizeof b));
      break;
    }
    vnext(L);
    if (L->tok != V_ID) {
      rc = vfail(L, L->tline, "expected a pin name after '.', found %s", vdesc(L, b, sizeof b));
      break;
    }
    vconn c = {L->text, {NULL, 0}, L->tline};
    for (int k = 0; k < in.nc; k++)
      if (!strcmp(in.c[k].pin, c.pin)) {
        rc = vfail(L, L->tline, "pin '%s' of instance '%s' is connected twice", c.pin, in.name);
        break;
      }
    if (rc) break;
    vnext(L);
    if ((rc = expect_sym(L, '(', "after the pin name"))) break;
    int cap = 0;
    if (!is_sym(L, ')') && (rc = parse_expr(L, m, &c.bits.b, &c.bits.n, &cap, 0))) {
      free(c.bits.b);
      break;
    }
    if (pp_grow((void **)&in.c, &cc, in.nc, sizeof(vconn))) {
      free(c.bits.b);
      rc = vfail(L, L->tline, "out of memory");
      break;
    }
    in.c[in.nc++] = c;
    if ((rc = expect_sym(L, ')', "to close the connection"))) break;
    if (is_sym(L, ',')) {
      vnext(L);
      if (is_sym(L, ')')) {
        rc = vfail(L, L->tline, "expected another connection after ','");
        break;
      }
    } else if (!is_sym(L, ')')) {
      rc = vfail(L, L->tline, "expected ',' or ')' in the connection list, found %s", vdesc(L, b, sizeof b));
      break;
    }
  }
  if (!rc) {
    vnext(L);
    rc = expect_sym(L, ';', "after the instance");
  }
  if (!rc && pp_grow((void **)&m->ins, &m->ci, m->ni, sizeof(vinst))) rc = vfail(L, in.line, "out of memory");
  if (rc) {
    for (int k = 0; k < in.nc; k++) free(in.c[k].bits.b);
    free(in.c);
    return V_ERR;
  }
  m->ins[m->ni++] = in;
  return 0;
}

static int parse_module(vfile *F) {
  vlex *L = &F->L;
  char b[96];
  int line = L->tline;
  vnext(L);
  if (L->tok != V_ID) return vfail(L, L->tline, "expected a module name, found %s", vdesc(L, b, sizeof b));
  for (int i = 0; i < F->nm; i++)
    if (!strcmp(F->m[i].name, L->text)) return vfail(L, L->tline, "module '%s' is defined twice", L->text);
  if (pp_grow((void **)&F->m, &F->cm, F->nm, sizeof(vmod))) return vfail(L, line, "out of memory");
  vmod *m = &F->m[F->nm++];
  memset(m, 0, sizeof *m);
  m->name = L->text;
  m->line = line;
  vnext(L);
  if (is_sym(L, '(')) {
    vnext(L);
    while (!is_sym(L, ')')) {
      int dir = -1;
      if (is_kw(L, "input")) dir = SIG_IN;
      else if (is_kw(L, "output")) dir = SIG_OUT;
      else if (is_kw(L, "inout")) dir = SIG_INOUT;
      if (dir >= 0) { /* ANSI: input [7:0] a, b */
        int dl = L->tline;
        vnext(L);
        if (is_kw(L, "wire") || is_kw(L, "reg") || is_kw(L, "logic")) vnext(L);
        if (is_kw(L, "signed")) vnext(L);
        int ranged = 0, msb = 0, lsb = 0;
        if (is_sym(L, '[')) {
          if (parse_range(L, &msb, &lsb)) return V_ERR;
          ranged = 1;
        }
        for (;;) {
          if (L->tok != V_ID) return vfail(L, L->tline, "expected a port name, found %s", vdesc(L, b, sizeof b));
          if (add_sig(L, m, L->text, dir, ranged, msb, lsb, dl) < 0) return V_ERR;
          if (pp_grow((void **)&m->ports, &m->cports, m->nports, sizeof(char *))) return vfail(L, dl, "out of memory");
          m->ports[m->nports++] = L->text;
          vnext(L);
          if (is_sym(L, ',')) {
            vnext(L);
            if (is_kw(L, "input") || is_kw(L, "output") || is_kw(L, "inout")) break;
            continue;
          }
          break;
        }
        continue;
      }
      if (L->tok != V_ID) return vfail(L, L->tline, "expected a port name, found %s", vdesc(L, b, sizeof b));
      if (pp_grow((void **)&m->ports, &m->cports, m->nports, sizeof(char *))) return vfail(L, line, "out of memory");
      m->ports[m->nports++] = L->text;
      vnext(L);
      if (is_sym(L, ',')) {
        vnext(L);
        continue;
      }
      if (!is_sym(L, ')'))
        return vfail(L, L->tline, "expected ',' or ')' in the port list, found %s", vdesc(L, b, sizeof b));
    }
    vnext(L);
  }
  if (expect_sym(L, ';', "after the module header")) return V_ERR;
  for (;;) {
    if (L->tok == V_ERR) return V_ERR;
    if (L->tok == V_EOF) return vfail(L, L->tline, "expected 'endmodule' to close module '%s' of line %d", m->name, line);
    if (is_kw(L, "endmodule")) {
      vnext(L);
      break;
    }
    if (is_kw(L, "input") || is_kw(L, "output") || is_kw(L, "inout") || is_kw(L, "wire") || is_kw(L, "reg") ||
        is_kw(L, "supply0") || is_kw(L, "supply1") || is_kw(L, "tri")) {
      int dir = is_kw(L, "input") ? SIG_IN : is_kw(L, "output") ? SIG_OUT : is_kw(L, "inout") ? SIG_INOUT : SIG_WIRE;
      int sup = is_kw(L, "supply0") ? 0 : is_kw(L, "supply1") ? 1 : -1;
      int first = m->ns;
      if (parse_decl(L, m, dir)) return V_ERR;
      if (sup >= 0) { /* supply nets: tie to the constant */
        for (int i = first; i < m->ns; i++) {
          vassign a = {{NULL, 0}, {NULL, 0}, m->s[i].line};
          int cl = 0, cr = 0;
          for (int p = 0; p < m->s[i].width; p++)
            if (push_bit(L, &a.l.b, &a.l.n, &cl, ENC(i, p)) || push_bit(L, &a.r.b, &a.r.n, &cr, sup ? BIT_1 : BIT_0))
              return V_ERR;
          if (pp_grow((void **)&m->as, &m->ca, m->na, sizeof(vassign))) return vfail(L, line, "out of memory");
          m->as[m->na++] = a;
        }
      }
      continue;
    }
    if (is_kw(L, "assign")) {
      if (parse_assign(L, m)) return V_ERR;
      continue;
    }
    if (is_kw(L, "parameter") || is_kw(L, "localparam") || is_kw(L, "defparam")) {
      while (L->tok != V_EOF && L->tok != V_ERR && !is_sym(L, ';')) vnext(L);
      if (expect_sym(L, ';', "to end the parameter")) return V_ERR;
      continue;
    }
    if (is_kw(L, "always") || is_kw(L, "initial") || is_kw(L, "module") || is_kw(L, "function") ||
        is_kw(L, "generate") || is_kw(L, "task"))
      return vfail(L, L->tline, "'%s' is behavioural Verilog: expected a structural netlist (synthesize it first)",
                   L->text);
    if (L->tok == V_ID) {
      if (parse_instance(L, m)) return V_ERR;
      continue;
    }
    return vfail(L, L->tline, "expected a declaration, 'assign', an instance or 'endmodule', found %s",
                 vdesc(L, b, sizeof b));
  }
  /* number the bits; every port named in the header must be declared */
  for (int i = 0; i < m->nports; i++) {
    int si = find_sig(m, m->ports[i]);
    if (si < 0 || m->s[si].dir == SIG_WIRE)
      return vfail(L, m->line, "port '%s' of module '%s' has no input or output declaration", m->ports[i], m->name);
  }
  long long total = 0;
  for (int i = 0; i < m->ns; i++) total += m->s[i].width;
  if (total > NL_MAX_BITS)
    return vfail(L, m->line, "module '%s' has %lld net bits: more than this reader takes (%d)", m->name, total,
                 NL_MAX_BITS);
  for (int i = 0; i < m->ns; i++) {
    if (m->s[i].dir != SIG_WIRE) {
      int listed = 0;
      for (int k = 0; k < m->nports; k++) listed |= !strcmp(m->ports[k], m->s[i].name);
      if (!listed)
        return vfail(L, m->s[i].line, "'%s' is declared as a port but is not in the port list of module '%s'",
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

static void vfile_free(vfile *F) {
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
    free(m->as);
    free(m->ins);
    free(m->s);
    free(m->ports);
  }
  free(F->m);
}

/* ---- elaboration (flattening) ------------------------------------------------ */

/* Global nets before merging: id 0 = constant 0, id 1 = constant 1. */
typedef struct {
  int *parent;
  char **name;  /* hierarchical name of each global bit (NULL for constants) */
  int *depth;   /* hierarchy depth, to prefer top-level names */
  int n, cap;
} gnets;

typedef struct {
  const char *name; /* hierarchical (malloc) */
  int cell;
  int pins[PP_LIB_MAX_INPUTS + 4]; /* global ids: inputs in truth-table order, then outputs (-1 none) */
  int line;
} ggate;

typedef struct {
  vfile *F;
  const pp_lib *lib;
  const char *file;
  pp_err *e;
  gnets g;
  ggate *gates;
  int ngates, cgates;
} elab;

static int gfind(gnets *g, int x) {
  while (g->parent[x] != x) {
    g->parent[x] = g->parent[g->parent[x]];
    x = g->parent[x];
  }
  return x;
}

static void gunion(gnets *g, int a, int b) {
  a = gfind(g, a);
  b = gfind(g, b);
  if (a == b) return;
  if (a < b) /* the constants (0, 1) stay roots */
    g->parent[b] = a;
  else
    g->parent[a] = b;
}

static int gnew(elab *E, char *name, int depth) {
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

static vmod *find_mod(vfile *F, const char *name) {
  for (int i = 0; i < F->nm; i++)
    if (!strcmp(F->m[i].name, name)) return &F->m[i];
  return NULL;
}

static int gbit(const int *map, long long b) { return b == BIT_0 ? 0 : b == BIT_1 ? 1 : b == BIT_Z ? -1 : map[b]; }

/* Elaborates module m whose port bits are already bound in map (or, for the
 * top, all fresh). prefix is the hierarchical instance path ("" or "u1."). */
static int elaborate(elab *E, vmod *m, const char *prefix, int depth, int *map) {
  if (m->busy) return pp_err_set(E->e, PP_EPARSE, E->file, m->line, "module '%s' instantiates itself", m->name);
  if (depth > 64) return pp_err_set(E->e, PP_EPARSE, E->file, m->line, "hierarchy deeper than 64 levels");
  m->busy = 1;
  int rc = PP_OK;
  for (int i = 0; i < m->ns; i++) {
    const vsig *s = &m->s[i];
    for (int p = 0; p < s->width; p++) {
      if (map[s->base + p] >= 0) continue;
      int id = gnew(E, bit_name(prefix, s, p), depth);
      if (id < 0) {
        rc = id == -2 ? pp_err_set(E->e, PP_EPARSE, E->file, m->line,
                                   "the flattened netlist has more than %d nets (module '%s' at '%s')", NL_MAX_FLAT,
                                   m->name, prefix)
                      : pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
        goto out;
      }
      map[s->base + p] = id;
    }
  }
  for (int a = 0; a < m->na; a++) {
    const vassign *as = &m->as[a];
    for (int i = 0; i < as->l.n; i++) {
      long long l = as->l.b[i];
      long long r = i < as->r.n ? as->r.b[i] : BIT_0; /* Verilog zero-extends, and truncates the extra bits */
      if (l < 0) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, as->line, "the left side of 'assign' must be a net, not a constant");
        goto out;
      }
      int gl = gfind(&E->g, map[l]), gr = gfind(&E->g, gbit(map, r));
      if ((gl == 0 && gr == 1) || (gl == 1 && gr == 0)) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, as->line, "net '%s' is tied to both 0 and 1",
                        E->g.name[map[l]] ? E->g.name[map[l]] : "?");
        goto out;
      }
      gunion(&E->g, map[l], gbit(map, r));
    }
  }
  for (int x = 0; x < m->ni; x++) {
    const vinst *in = &m->ins[x];
    vmod *sub = find_mod(E->F, in->type);
    size_t hl = strlen(prefix) + strlen(in->name) + 2;
    char *hname = malloc(hl);
    if (!hname) {
      rc = pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
      goto out;
    }
    snprintf(hname, hl, "%s%s", prefix, in->name);
    if (sub) {
      int *smap = malloc(sizeof(int) * (size_t)(sub->nbits ? sub->nbits : 1));
      if (!smap) {
        free(hname);
        rc = pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
        goto out;
      }
      for (int i = 0; i < sub->nbits; i++) smap[i] = -1;
      for (int c = 0; c < in->nc && !rc; c++) {
        int si = find_sig(sub, in->c[c].pin);
        if (si < 0 || sub->s[si].dir == SIG_WIRE) {
          rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "module '%s' has no port '%s' (instance '%s')",
                          sub->name, in->c[c].pin, in->name);
          break;
        }
        const vsig *s = &sub->s[si];
        if (s->dir == SIG_INOUT) {
          rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "inout port '%s' is not supported", s->name);
          break;
        }
        if (in->c[c].bits.n == 0) continue; /* .P() left open */
        if (in->c[c].bits.n != s->width) {
          rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line,
                          "port '%s' of module '%s' is %d bits wide but the connection has %d (instance '%s')",
                          s->name, sub->name, s->width, in->c[c].bits.n, in->name);
          break;
        }
        for (int p = 0; p < s->width; p++) {
          long long b = in->c[c].bits.b[p];
          if (b == BIT_Z) continue;
          if (b >= 0 || s->dir == SIG_IN) {
            smap[s->base + p] = gbit(map, b);
          } else { /* a constant on an output: a fresh net (left dangling) */
          }
        }
      }
      if (!rc) {
        char *pfx = malloc(hl + 1);
        if (!pfx) {
          rc = pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
        } else {
          snprintf(pfx, hl + 1, "%s.", hname);
          rc = elaborate(E, sub, pfx, depth + 1, smap);
          free(pfx);
        }
      }
      free(smap);
      free(hname);
      if (rc) goto out;
      continue;
    }
    int ci = E->lib ? pp_lib_find_cell(E->lib, in->type) : -1;
    if (ci < 0) {
      free(hname);
      rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line,
                      "unknown cell or module '%s' (instance '%s'): not in library '%s' and not a module of this file",
                      in->type, in->name, E->lib ? E->lib->name : "(none)");
      goto out;
    }
    const pp_lib_cell *cell = &E->lib->cells[ci];
    if (cell->is_sequential || cell->unsupported) {
      free(hname);
      rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line, "cell '%s' (instance '%s') %s: the gate graph holds %s",
                      cell->name, in->name, cell->is_sequential ? "is sequential" : cell->unsupported,
                      cell->is_sequential ? "combinational logic only" : "plain single-driver logic cells only");
      goto out;
    }
    if (E->ngates >= NL_MAX_FLAT) {
      free(hname);
      rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line, "the flattened netlist has more than %d gates", NL_MAX_FLAT);
      goto out;
    }
    if (pp_grow((void **)&E->gates, &E->cgates, E->ngates, sizeof(ggate))) {
      free(hname);
      rc = pp_err_set(E->e, PP_ENOMEM, E->file, 0, "out of memory");
      goto out;
    }
    ggate *gg = &E->gates[E->ngates++];
    gg->name = hname;
    gg->cell = ci;
    gg->line = in->line;
    for (int k = 0; k < PP_LIB_MAX_INPUTS + 4; k++) gg->pins[k] = -1;
    for (int c = 0; c < in->nc; c++) {
      int pi = pp_lib_find_pin(cell, in->c[c].pin);
      if (pi < 0) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "cell '%s' has no pin '%s' (instance '%s')",
                        cell->name, in->c[c].pin, in->name);
        goto out;
      }
      if (in->c[c].bits.n > 1) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line,
                        "pin '%s' of instance '%s' is one bit but the connection has %d", in->c[c].pin, in->name,
                        in->c[c].bits.n);
        goto out;
      }
      int g = in->c[c].bits.n ? gbit(map, in->c[c].bits.b[0]) : -1;
      int slot = -1;
      for (int k = 0; k < cell->n_inputs; k++)
        if (cell->inputs[k] == pi) slot = k;
      for (int k = 0; k < cell->n_outputs; k++)
        if (cell->outputs[k] == pi) slot = PP_LIB_MAX_INPUTS + k;
      if (slot < 0) continue; /* internal pins: nothing to connect */
      if (slot >= PP_LIB_MAX_INPUTS && g >= 0 && g <= 1) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, in->c[c].line, "output '%s' of instance '%s' drives a constant",
                        in->c[c].pin, in->name);
        goto out;
      }
      gg->pins[slot] = g;
    }
    for (int k = 0; k < cell->n_inputs; k++)
      if (gg->pins[k] < 0) {
        rc = pp_err_set(E->e, PP_EPARSE, E->file, in->line, "input '%s' of instance '%s' (%s) is not connected",
                        cell->pins[cell->inputs[k]].name, in->name, cell->name);
        goto out;
      }
  }
out:
  m->busy = 0;
  return rc;
}

/* ---- building the graph ---------------------------------------------------------- */

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}


static int build(elab *E, vmod *top, const int *map, pp_netlist **out) {
  pp_err *e = E->e;
  const char *file = E->file;
  gnets *g = &E->g;
  pp_netlist *nl = calloc(1, sizeof *nl);
  int rc = PP_OK;
  int *netof = NULL, *drv = NULL, *indeg = NULL, *order = NULL, *gate_pos = NULL;
  if (!nl) return pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
  nl->lib = E->lib;
  nl->top = xstrdup(top->name);
  netof = malloc(sizeof(int) * (size_t)g->n);
  if (!netof || !nl->top) goto oom;
  for (int i = 0; i < g->n; i++) netof[i] = -1;
  /* nets: every root touched by a gate pin or a port bit */
  int ncap = 0;
#define USE(gid)                                                                         \
  do {                                                                                   \
    int r_ = gfind(g, (gid));                                                            \
    if (netof[r_] < 0) {                                                                 \
      if (pp_grow((void **)&nl->nets, &ncap, nl->n_nets, sizeof(pp_net))) goto oom;     \
      memset(&nl->nets[nl->n_nets], 0, sizeof(pp_net));                                  \
      nl->nets[nl->n_nets].drv_kind = r_ == 0 ? PP_DRV_CONST0 : r_ == 1 ? PP_DRV_CONST1 : PP_DRV_NONE; \
      nl->nets[nl->n_nets].drv_gate = -1;                                                \
      netof[r_] = nl->n_nets++;                                                          \
    }                                                                                    \
  } while (0)
  for (int i = 0; i < top->ns; i++) {
    const vsig *s = &top->s[i];
    if (s->dir == SIG_WIRE) continue;
    if (s->dir == SIG_INOUT) {
      rc = pp_err_set(e, PP_EPARSE, file, s->line, "inout port '%s' is not supported", s->name);
      goto fail;
    }
    for (int p = 0; p < s->width; p++) USE(map[s->base + p]);
  }
  for (int k = 0; k < E->ngates; k++)
    for (int q = 0; q < PP_LIB_MAX_INPUTS + 4; q++)
      if (E->gates[k].pins[q] >= 0) USE(E->gates[k].pins[q]);
#undef USE
  /* net names: prefer top-level names, then the shallowest, then the first made */
  {
    int *best = malloc(sizeof(int) * (size_t)(nl->n_nets ? nl->n_nets : 1));
    if (!best) goto oom;
    for (int n = 0; n < nl->n_nets; n++) best[n] = -1;
    for (int i = 2; i < g->n; i++) {
      int n = netof[gfind(g, i)];
      if (n >= 0 && (best[n] < 0 || g->depth[i] < g->depth[best[n]])) best[n] = i;
    }
    for (int n = 0; n < nl->n_nets; n++) {
      pp_net *net = &nl->nets[n];
      const char *nm = net->drv_kind == PP_DRV_CONST0   ? "1'b0"
                       : net->drv_kind == PP_DRV_CONST1 ? "1'b1"
                       : best[n] >= 0 && g->name[best[n]] ? g->name[best[n]]
                                                          : "?";
      net->name = xstrdup(nm);
      if (!net->name) {
        free(best);
        goto oom;
      }
    }
    free(best);
  }
  /* ports */
  for (int pass = 0; pass < 2; pass++) {
    int want = pass == 0 ? SIG_IN : SIG_OUT;
    int cnt = 0;
    for (int i = 0; i < top->nports; i++) cnt += top->s[find_sig(top, top->ports[i])].dir == want;
    pp_port *ports = calloc((size_t)(cnt ? cnt : 1), sizeof(pp_port));
    if (!ports) goto oom;
    if (pass == 0)
      nl->inputs = ports, nl->n_inputs = cnt;
    else
      nl->outputs = ports, nl->n_outputs = cnt;
    int k = 0;
    for (int i = 0; i < top->nports; i++) {
      const vsig *s = &top->s[find_sig(top, top->ports[i])];
      if (s->dir != want) continue;
      pp_port *pt = &ports[k++];
      pt->name = xstrdup(s->name);
      pt->width = s->width;
      pt->msb = s->msb;
      pt->lsb = s->lsb;
      pt->bits = malloc(sizeof(int) * (size_t)s->width);
      if (!pt->name || !pt->bits) goto oom;
      for (int p = 0; p < s->width; p++) {
        int n = netof[gfind(g, map[s->base + p])];
        pt->bits[p] = n;
        pp_net *net = &nl->nets[n];
        if (pass == 0) {
          if (net->drv_kind != PP_DRV_NONE) {
            rc = pp_err_set(e, PP_EPARSE, file, s->line, "input bit %s[%d] is joined to %s (multiple drivers)", s->name,
                            p, net->drv_kind == PP_DRV_INPUT ? "another input" : "a constant");
            goto fail;
          }
          net->drv_kind = PP_DRV_INPUT;
        } else {
          net->is_output = 1;
        }
      }
    }
  }
  /* gates: drivers first */
  drv = malloc(sizeof(int) * (size_t)(nl->n_nets ? nl->n_nets : 1));
  if (!drv) goto oom;
  for (int n = 0; n < nl->n_nets; n++) drv[n] = -1;
  for (int k = 0; k < E->ngates; k++) {
    const ggate *gg = &E->gates[k];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    for (int o = 0; o < cell->n_outputs; o++) {
      int gid = gg->pins[PP_LIB_MAX_INPUTS + o];
      if (gid < 0) continue;
      int n = netof[gfind(g, gid)];
      pp_net *net = &nl->nets[n];
      if (net->drv_kind != PP_DRV_NONE || drv[n] >= 0) {
        const char *other = drv[n] >= 0                        ? E->gates[drv[n]].name
                            : net->drv_kind == PP_DRV_INPUT     ? "a primary input"
                                                                : "a constant";
        rc = pp_err_set(e, PP_EPARSE, file, gg->line, "net '%s' has multiple drivers: instance '%s' (pin %s) and %s%s",
                        net->name, gg->name, cell->pins[cell->outputs[o]].name, drv[n] >= 0 ? "instance " : "",
                        other);
        goto fail;
      }
      drv[n] = k;
    }
  }
  for (int k = 0; k < E->ngates; k++) {
    const ggate *gg = &E->gates[k];
    const pp_lib_cell *cell = &E->lib->cells[gg->cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = netof[gfind(g, gg->pins[q])];
      if (nl->nets[n].drv_kind == PP_DRV_NONE && drv[n] < 0) {
        rc = pp_err_set(e, PP_EPARSE, file, gg->line, "input '%s' of instance '%s' (%s) is driven by nothing (net '%s')",
                        cell->pins[cell->inputs[q]].name, gg->name, cell->name, nl->nets[n].name);
        goto fail;
      }
    }
  }
  for (int i = 0; i < nl->n_outputs; i++)
    for (int p = 0; p < nl->outputs[i].width; p++) {
      int n = nl->outputs[i].bits[p];
      if (nl->nets[n].drv_kind == PP_DRV_NONE && drv[n] < 0) {
        rc = pp_err_set(e, PP_EPARSE, file, top->s[find_sig(top, nl->outputs[i].name)].line,
                        "output bit %s[%d] is driven by nothing", nl->outputs[i].name, p);
        goto fail;
      }
    }
  /* levelize (Kahn), keeping file order among ready gates */
  indeg = calloc((size_t)(E->ngates ? E->ngates : 1), sizeof(int));
  order = malloc(sizeof(int) * (size_t)(E->ngates ? E->ngates : 1));
  gate_pos = malloc(sizeof(int) * (size_t)(E->ngates ? E->ngates : 1));
  int *lvl = calloc((size_t)(E->ngates ? E->ngates : 1), sizeof(int));
  if (!indeg || !order || !gate_pos || !lvl) {
    free(lvl);
    goto oom;
  }
  /* reader lists per net (gate ids) for the sweep */
  int *rstart = calloc((size_t)nl->n_nets + 1, sizeof(int));
  int *rlist = NULL;
  if (!rstart) {
    free(lvl);
    goto oom;
  }
  int nreads = 0;
  for (int k = 0; k < E->ngates; k++) {
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = netof[gfind(g, E->gates[k].pins[q])];
      rstart[n + 1]++;
      nreads++;
      if (drv[n] >= 0) indeg[k]++;
    }
  }
  for (int n = 0; n < nl->n_nets; n++) rstart[n + 1] += rstart[n];
  rlist = malloc(sizeof(int) * (size_t)(nreads ? nreads : 1));
  int *rfill = calloc((size_t)nl->n_nets + 1, sizeof(int));
  if (!rlist || !rfill) {
    free(lvl);
    free(rstart);
    free(rlist);
    free(rfill);
    goto oom;
  }
  for (int k = 0; k < E->ngates; k++) {
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int q = 0; q < cell->n_inputs; q++) {
      int n = netof[gfind(g, E->gates[k].pins[q])];
      rlist[rstart[n] + rfill[n]++] = k;
    }
  }
  free(rfill);
  int head = 0, tail = 0;
  for (int k = 0; k < E->ngates; k++)
    if (indeg[k] == 0) order[tail++] = k;
  while (head < tail) {
    int k = order[head++];
    const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
    for (int o = 0; o < cell->n_outputs; o++) {
      int gid = E->gates[k].pins[PP_LIB_MAX_INPUTS + o];
      if (gid < 0) continue;
      int n = netof[gfind(g, gid)];
      for (int r = rstart[n]; r < rstart[n + 1]; r++) {
        int x = rlist[r];
        if (lvl[k] + 1 > lvl[x]) lvl[x] = lvl[k] + 1;
        if (--indeg[x] == 0) order[tail++] = x;
      }
    }
  }
  if (tail < E->ngates) {
    /* a loop: walk back along drivers from a stuck gate until a gate repeats */
    int *seen = calloc((size_t)E->ngates, sizeof(int));
    char msg[600];
    size_t ml = 0;
    int start = -1;
    for (int k = 0; k < E->ngates && start < 0; k++)
      if (indeg[k] > 0) start = k;
    int k = start, step = 1;
    while (seen && !seen[k]) {
      seen[k] = step++;
      const pp_lib_cell *cell = &E->lib->cells[E->gates[k].cell];
      int nk = -1;
      for (int q = 0; q < cell->n_inputs && nk < 0; q++) {
        int d = drv[netof[gfind(g, E->gates[k].pins[q])]];
        if (d >= 0 && indeg[d] > 0) nk = d;
      }
      if (nk < 0) break;
      k = nk;
    }
    /* k is on the loop: list it in signal-flow order */
    int cyc[64], nc = 0, x = k;
    do {
      if (nc < 64) cyc[nc++] = x;
      const pp_lib_cell *cell = &E->lib->cells[E->gates[x].cell];
      int nk = -1;
      for (int q = 0; q < cell->n_inputs && nk < 0; q++) {
        int d = drv[netof[gfind(g, E->gates[x].pins[q])]];
        if (d >= 0 && indeg[d] > 0) nk = d;
      }
      x = nk;
    } while (x >= 0 && x != k && nc < 64);
    ml += (size_t)snprintf(msg + ml, sizeof msg - ml, "combinational loop through");
    for (int i = nc - 1; i >= 0 && ml < sizeof msg - 80; i--) {
      const ggate *gg = &E->gates[cyc[i]];
      const pp_lib_cell *cell = &E->lib->cells[gg->cell];
      int on = gg->pins[PP_LIB_MAX_INPUTS];
      for (int o = 0; o < cell->n_outputs; o++) /* the output feeding the next gate of the loop */
        if (gg->pins[PP_LIB_MAX_INPUTS + o] >= 0) on = gg->pins[PP_LIB_MAX_INPUTS + o];
      ml += (size_t)snprintf(msg + ml, sizeof msg - ml, " instance '%s' -> net '%s'%s", gg->name,
                             nl->nets[netof[gfind(g, on)]].name, i ? " ->" : "");
    }
    free(seen);
    free(lvl);
    free(rstart);
    free(rlist);
    rc = pp_err_set(e, PP_EPARSE, file, E->gates[k].line, "%s", msg);
    goto fail;
  }
  /* stable sort by level: gates in order of level, file order within */
  nl->n_levels = 0;
  for (int k = 0; k < E->ngates; k++)
    if (lvl[k] + 1 > nl->n_levels) nl->n_levels = lvl[k] + 1;
  {
    int *cnt = calloc((size_t)nl->n_levels + 1, sizeof(int));
    if (!cnt) {
      free(lvl);
      free(rstart);
      free(rlist);
      goto oom;
    }
    for (int k = 0; k < E->ngates; k++) cnt[lvl[k] + 1]++;
    for (int l = 0; l < nl->n_levels; l++) cnt[l + 1] += cnt[l];
    for (int k = 0; k < E->ngates; k++) gate_pos[k] = cnt[lvl[k]]++;
    free(cnt);
  }
  free(rstart);
  free(rlist);
  nl->gates = calloc((size_t)(E->ngates ? E->ngates : 1), sizeof(pp_gate));
  if (!nl->gates) {
    free(lvl);
    goto oom;
  }
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
    pg->level = lvl[k] + 1;
    for (int q = 0; q < PP_LIB_MAX_INPUTS; q++) pg->in[q] = q < pg->n_in ? netof[gfind(g, gg->pins[q])] : -1;
    for (int o = 0; o < 4; o++) {
      int gid = o < pg->n_out ? gg->pins[PP_LIB_MAX_INPUTS + o] : -1;
      pg->out[o] = gid >= 0 ? netof[gfind(g, gid)] : -1;
      if (pg->out[o] >= 0) {
        pp_net *net = &nl->nets[pg->out[o]];
        net->drv_kind = PP_DRV_GATE;
        net->drv_gate = gate_pos[k];
        net->drv_out = o;
      }
    }
  }
  free(lvl);
  if (nl->n_levels < 1) nl->n_levels = 1; /* level 0: inputs */
  else nl->n_levels += 1;
  rc = pp_netlist_finish_loads(nl, E->lib->output_load_ff);
  if (rc) goto oom;
  free(netof);
  free(drv);
  free(indeg);
  free(order);
  free(gate_pos);
  *out = nl;
  return PP_OK;
oom:
  rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
fail:
  free(netof);
  free(drv);
  free(indeg);
  free(order);
  free(gate_pos);
  pp_netlist_free(nl);
  return rc;
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
  int *map = NULL;
  vnext(L);
  while (L->tok != V_EOF && L->tok != V_ERR) {
    char b[96];
    if (is_kw(L, "module")) {
      if (parse_module(&F)) break;
    } else {
      vfail(L, L->tline, "expected 'module', found %s", vdesc(L, b, sizeof b));
    }
  }
  if (L->tok == V_ERR) {
    rc = e && e->status ? e->status : PP_EPARSE;
    goto done;
  }
  if (F.nm == 0) {
    rc = pp_err_set(e, PP_EPARSE, file, L->line, "expected a module: the file has none");
    goto done;
  }
  if (!lib) {
    rc = pp_err_set(e, PP_EINVAL, file, 0, "no cell library given");
    goto done;
  }
  for (int i = 0; i < F.nm; i++)
    for (int x = 0; x < F.m[i].ni; x++) {
      vmod *s = find_mod(&F, F.m[i].ins[x].type);
      if (s) s->instantiated = 1;
    }
  vmod *tm = NULL;
  if (top) {
    tm = find_mod(&F, top);
    if (!tm) {
      rc = pp_err_set(e, PP_EINVAL, file, 0, "no module named '%s' in this file", top);
      goto done;
    }
  } else {
    int cand = 0;
    char names[300] = "";
    for (int i = 0; i < F.nm; i++)
      if (!F.m[i].instantiated) {
        if (!tm) tm = &F.m[i];
        cand++;
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, "%s%s", cand > 1 ? ", " : "", F.m[i].name);
      }
    if (cand != 1) {
      rc = pp_err_set(e, PP_EINVAL, file, 0,
                      cand ? "several top-level modules (%s): name the one to use" : "no top-level module%s", names);
      goto done;
    }
  }
  E.F = &F;
  E.lib = lib;
  E.file = file;
  E.e = e;
  if (gnew(&E, NULL, 0) != 0 || gnew(&E, NULL, 0) != 1) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  map = malloc(sizeof(int) * (size_t)(tm->nbits ? tm->nbits : 1));
  if (!map) {
    rc = pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    goto done;
  }
  for (int i = 0; i < tm->nbits; i++) map[i] = -1;
  if ((rc = elaborate(&E, tm, "", 0, map))) goto done;
  rc = build(&E, tm, map, out);
done:
  free(map);
  for (int i = 0; i < E.g.n; i++) free(E.g.name[i]);
  free(E.g.name);
  free(E.g.parent);
  free(E.g.depth);
  for (int k = 0; k < E.ngates; k++) free((char *)E.gates[k].name);
  free(E.gates);
  vfile_free(&F);
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

/* util/json_read: the one JSON reader (pp/util_json.h), a recursive-descent
 * parser into a tree. Every JSON file the tools read back goes through it, so
 * a malformed or hostile file must give one clear error with its line and
 * column and never a crash, a silent default or a lost bit of a seed. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pp/util_json.h"

typedef struct {
  const char *s;
  size_t len, i;
  size_t line_start; /* offset of the current line's first byte, for columns */
  int line;
  const char *name;
  pp_err *e;
  int depth;
} parser;

/* The byte at the cursor, or -1 at the end of the input. */
static int peek(const parser *p) { return p->i < p->len ? (unsigned char)p->s[p->i] : -1; }
static int peek_at(const parser *p, size_t k) { return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : -1; }
static int col_of(const parser *p) { return (int)(p->i - p->line_start) + 1; }

static void found(const parser *p, char *buf, size_t n) {
  int c = peek(p);
  if (c < 0) snprintf(buf, n, "the end of the input");
  else if (c == 0) snprintf(buf, n, "a NUL byte");
  else if (c < 0x20 || c >= 0x7f) snprintf(buf, n, "byte 0x%02x", (unsigned)c);
  else snprintf(buf, n, "'%c'", c);
}

/* "expected <what>, found <the byte at the cursor>" at the cursor. */
static int fail(parser *p, const char *what) {
  char f[32];
  found(p, f, sizeof f);
  return pp_err_set_at(p->e, PP_EPARSE, p->name, p->line, col_of(p), "invalid JSON: expected %s, found %s", what, f);
}

static int fail_msg(parser *p, const char *msg) {
  return pp_err_set_at(p->e, PP_EPARSE, p->name, p->line, col_of(p), "invalid JSON: %s", msg);
}

static int oom(parser *p) { return pp_err_set_at(p->e, PP_ENOMEM, p->name, p->line, col_of(p), "out of memory"); }

static void skip_ws(parser *p) {
  for (;;) {
    int c = peek(p);
    if (c == '\n') {
      p->i++;
      p->line++;
      p->line_start = p->i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      p->i++;
    } else {
      break;
    }
  }
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(char *out, size_t *k, unsigned cp) {
  if (cp < 0x80) {
    out[(*k)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*k)++] = (char)(0xC0 | (cp >> 6));
    out[(*k)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*k)++] = (char)(0xE0 | (cp >> 12));
    out[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*k)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*k)++] = (char)(0xF0 | (cp >> 18));
    out[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*k)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* At the 'u' of \uXXXX: the code unit, cursor after it. */
static int read_hex4(parser *p, unsigned *cp) {
  unsigned v = 0;
  p->i++;
  for (int k = 0; k < 4; k++) {
    int h = hexval(peek(p));
    if (h < 0) return fail(p, "4 hex digits after \\u");
    v = v * 16 + (unsigned)h;
    p->i++;
  }
  *cp = v;
  return PP_OK;
}

/* One escape after the backslash (cursor on the character after it). */
static int read_escape(parser *p, char *buf, size_t *k) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  int c = peek(p);
  const char *hit = c > 0 ? strchr(from, c) : NULL;
  if (hit) {
    buf[(*k)++] = to[hit - from];
    p->i++;
    return PP_OK;
  }
  if (c != 'u') return fail(p, "an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
  unsigned cp;
  int rc = read_hex4(p, &cp);
  if (rc) return rc;
  if (cp >= 0xDC00 && cp < 0xE000) return fail_msg(p, "a low surrogate \\uDC00..\\uDFFF without a high one before it");
  if (cp >= 0xD800 && cp < 0xDC00) {
    unsigned lo;
    if (peek(p) != '\\' || peek_at(p, 1) != 'u') return fail(p, "a low surrogate \\uDC00..\\uDFFF after a high one");
    p->i++;
    if ((rc = read_hex4(p, &lo))) return rc;
    if (lo < 0xDC00 || lo >= 0xE000) return fail_msg(p, "expected a low surrogate \\uDC00..\\uDFFF after a high one");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  }
  if (cp == 0) return fail_msg(p, "\\u0000 is not supported (strings are NUL-terminated)");
  put_utf8(buf, k, cp);
  return PP_OK;
}

/* At the opening quote. The decoded string is never longer than the raw one
 * (an escape of 6 or 12 bytes gives at most 3 or 4). */
static int parse_string(parser *p, char **out) {
  size_t start = ++p->i, end = start;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  if (end > p->len) end = p->len;
  char *buf = malloc(end - start + 1);
  if (!buf) return oom(p);
  size_t k = 0;
  for (;;) {
    int c = peek(p);
    if (c == '"') break;
    if (c < 0x20) { /* end of input, NUL, raw control character or newline */
      free(buf);
      return fail(p, c < 0 ? "'\"' to close the string" : "a character (control characters must be escaped)");
    }
    p->i++;
    if (c != '\\') {
      buf[k++] = (char)c;
      continue;
    }
    int rc = read_escape(p, buf, &k);
    if (rc) {
      free(buf);
      return rc;
    }
  }
  p->i++;
  buf[k] = 0;
  *out = buf;
  return PP_OK;
}

static int parse_value(parser *p, pp_jv *v);

static int push(parser *p, pp_jv *v, size_t *cap, char *key) {
  if (v->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 4;
    pp_jv *ni = realloc(v->items, nc * sizeof *ni);
    if (!ni) return oom(p);
    v->items = ni;
    if (v->type == PP_JV_OBJ) {
      char **nk = realloc(v->keys, nc * sizeof *nk);
      if (!nk) return oom(p);
      v->keys = nk;
    }
    *cap = nc;
  }
  memset(&v->items[v->n], 0, sizeof v->items[0]);
  if (v->type == PP_JV_OBJ) v->keys[v->n] = key;
  v->n++;
  return PP_OK;
}

typedef struct {
  const char *key;
  size_t i;
} key_ref;

static int key_cmp(const void *a, const void *b) {
  const key_ref *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  return x->i < y->i ? -1 : x->i > y->i;
}

static int dup_error(parser *p, const pp_jv *v, size_t first, size_t again) {
  const pp_jv *a = &v->items[first], *b = &v->items[again];
  return pp_err_set_at(p->e, PP_EPARSE, p->name, b->line, b->col,
                       "invalid JSON: member \"%s\" given twice (first at line %d, column %d); expected unique names",
                       v->keys[again], a->line, a->col);
}

/* Duplicate member names are an error: which one a reader would take is
 * otherwise up to the reader. Small objects pairwise, large ones sorted. */
static int check_unique(parser *p, const pp_jv *v) {
  if (v->n <= 16) {
    for (size_t j = 1; j < v->n; j++)
      for (size_t i = 0; i < j; i++)
        if (!strcmp(v->keys[i], v->keys[j])) return dup_error(p, v, i, j);
    return PP_OK;
  }
  key_ref *r = malloc(v->n * sizeof *r);
  if (!r) return oom(p);
  for (size_t i = 0; i < v->n; i++) r[i] = (key_ref){v->keys[i], i};
  qsort(r, v->n, sizeof *r, key_cmp);
  int rc = PP_OK;
  for (size_t i = 1; i < v->n && !rc; i++)
    if (!strcmp(r[i - 1].key, r[i].key)) rc = dup_error(p, v, r[i - 1].i, r[i].i);
  free(r);
  return rc;
}

static int parse_member_name(parser *p, char **key) {
  skip_ws(p);
  if (peek(p) != '"') return fail(p, "a member name in quotes");
  int rc = parse_string(p, key);
  if (rc) return rc;
  skip_ws(p);
  if (peek(p) != ':') {
    free(*key);
    *key = NULL;
    return fail(p, "':' after a member name");
  }
  p->i++;
  return PP_OK;
}

static int parse_container(parser *p, pp_jv *v, int obj) {
  if (++p->depth > PP_JV_MAX_DEPTH) return fail_msg(p, "nesting deeper than 128 levels");
  v->type = obj ? PP_JV_OBJ : PP_JV_ARR;
  char close = obj ? '}' : ']';
  size_t cap = 0;
  p->i++;
  skip_ws(p);
  if (peek(p) == close) {
    p->i++;
    p->depth--;
    return PP_OK;
  }
  for (;;) {
    char *key = NULL;
    int rc;
    if (obj && (rc = parse_member_name(p, &key))) return rc;
    if ((rc = push(p, v, &cap, key))) {
      free(key);
      return rc;
    }
    if ((rc = parse_value(p, &v->items[v->n - 1]))) return rc;
    skip_ws(p);
    int c = peek(p);
    if (c == ',') {
      p->i++;
      continue;
    }
    if (c == close) break;
    return fail(p, obj ? "',' or '}'" : "',' or ']'");
  }
  p->i++;
  p->depth--;
  return obj ? check_unique(p, v) : PP_OK;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number grammar; integers also exactly (int64/uint64 when they
 * fit); anything that does not fit a finite double is rejected. */
static int parse_number(parser *p, pp_jv *v) {
  size_t k = 0;
  int neg = 0, integer = 1;
  if (peek_at(p, k) == '-') neg = 1, k++;
  if (peek_at(p, k) == '0') {
    k++;
  } else if (is_digit(peek_at(p, k))) {
    while (is_digit(peek_at(p, k))) k++;
  } else {
    return fail(p, "a value (object, array, string, number, true, false or null)");
  }
  size_t int_end = k;
  if (peek_at(p, k) == '.') {
    integer = 0;
    k++;
    if (!is_digit(peek_at(p, k))) {
      p->i += k;
      return fail(p, "digits after '.'");
    }
    while (is_digit(peek_at(p, k))) k++;
  }
  if (peek_at(p, k) == 'e' || peek_at(p, k) == 'E') {
    integer = 0;
    k++;
    if (peek_at(p, k) == '+' || peek_at(p, k) == '-') k++;
    if (!is_digit(peek_at(p, k))) {
      p->i += k;
      return fail(p, "digits in the exponent");
    }
    while (is_digit(peek_at(p, k))) k++;
  }
  const char *s = p->s + p->i;
  char small[64], *tmp = k < sizeof small ? small : malloc(k + 1);
  if (!tmp) return oom(p);
  memcpy(tmp, s, k);
  tmp[k] = 0;
  errno = 0;
  double d = strtod(tmp, NULL); /* underflow (ERANGE towards 0) is accepted: the nearest double */
  if (tmp != small) free(tmp);
  if (!isfinite(d)) return fail_msg(p, "number out of range (expected a finite number)");
  v->type = PP_JV_NUM;
  v->num = d;
  if (integer) {
    uint64_t mag = 0;
    int over = 0;
    for (size_t j = (size_t)neg; j < int_end; j++) {
      unsigned dig = (unsigned)(s[j] - '0');
      if (mag > (UINT64_MAX - dig) / 10) over = 1;
      mag = mag * 10 + dig;
    }
    if (!over && !neg) {
      v->u64 = mag;
      v->ints = PP_JV_UINT64;
      if (mag <= (uint64_t)INT64_MAX) v->i64 = (int64_t)mag, v->ints |= PP_JV_INT64;
    } else if (!over && mag <= (uint64_t)INT64_MAX + 1) {
      v->i64 = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
      v->ints = PP_JV_INT64;
      if (mag == 0) v->ints |= PP_JV_UINT64; /* -0 */
    }
  }
  p->i += k;
  return PP_OK;
}

static int parse_word(parser *p, const char *word, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (peek_at(p, k) != word[k]) {
      char want[16];
      snprintf(want, sizeof want, "'%s'", word);
      return fail(p, want);
    }
  }
  p->i += n;
  return PP_OK;
}

static int parse_value(parser *p, pp_jv *v) {
  skip_ws(p);
  v->line = p->line;
  v->col = col_of(p);
  switch (peek(p)) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"': v->type = PP_JV_STR; return parse_string(p, &v->str);
    case 't': v->type = PP_JV_BOOL, v->num = 1; return parse_word(p, "true", 4);
    case 'f': v->type = PP_JV_BOOL, v->num = 0; return parse_word(p, "false", 5);
    case 'n': v->type = PP_JV_NULL; return parse_word(p, "null", 4);
    default: return parse_number(p, v);
  }
}

int pp_jv_parse_n(const char *text, size_t len, const char *name, pp_jv *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  parser p = {text, len, 0, 0, 1, name ? name : "", e, 0};
  int rc = parse_value(&p, out);
  if (!rc) {
    skip_ws(&p);
    if (p.i < p.len) rc = fail(&p, "the end of the input after the value");
  }
  if (rc) pp_jv_free(out);
  return rc;
}

int pp_jv_parse(const char *text, const char *name, pp_jv *out, pp_err *e) {
  return pp_jv_parse_n(text, strlen(text), name, out, e);
}

int pp_jv_load(const char *path, pp_jv *out, pp_err *e) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  int rc = pp_read_file(path, &text, &len, e);
  if (rc) return rc;
  rc = pp_jv_parse_n(text, len, path, out, e);
  free(text);
  return rc;
}

void pp_jv_free(pp_jv *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n; i++) {
    pp_jv_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
  memset(v, 0, sizeof *v);
}

/* ---- lenient access ------------------------------------------------------ */

const pp_jv *pp_jv_get(const pp_jv *v, const char *key) {
  if (!v || v->type != PP_JV_OBJ) return NULL;
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->keys[i], key)) return &v->items[i];
  return NULL;
}

const pp_jv *pp_jv_path(const pp_jv *v, const char *path) {
  char part[128];
  while (v && *path) {
    size_t k = strcspn(path, ".");
    if (k >= sizeof part) return NULL;
    memcpy(part, path, k);
    part[k] = 0;
    v = pp_jv_get(v, part);
    path += k;
    if (*path == '.') path++;
  }
  return v;
}

double pp_jv_num(const pp_jv *v, const char *path, double dflt) {
  const pp_jv *x = pp_jv_path(v, path);
  if (x && x->type == PP_JV_NUM) return x->num;
  if (x && x->type == PP_JV_NULL) return NAN;
  return dflt;
}

const char *pp_jv_str(const pp_jv *v, const char *path, const char *dflt) {
  const pp_jv *x = pp_jv_path(v, path);
  return x && x->type == PP_JV_STR ? x->str : dflt;
}

int pp_jv_int64(const pp_jv *v, const char *path, int64_t *out) {
  const pp_jv *x = pp_jv_path(v, path);
  if (!x || x->type != PP_JV_NUM || !(x->ints & PP_JV_INT64)) return PP_EINVAL;
  *out = x->i64;
  return PP_OK;
}

int pp_jv_uint64(const pp_jv *v, const char *path, uint64_t *out) {
  const pp_jv *x = pp_jv_path(v, path);
  if (!x || x->type != PP_JV_NUM || !(x->ints & PP_JV_UINT64)) return PP_EINVAL;
  *out = x->u64;
  return PP_OK;
}

/* ---- strict access ------------------------------------------------------- */

static const char *type_name(int t) {
  switch (t) {
    case PP_JV_NULL: return "null";
    case PP_JV_BOOL: return "true or false";
    case PP_JV_NUM: return "a number";
    case PP_JV_STR: return "a string";
    case PP_JV_ARR: return "an array";
    default: return "an object";
  }
}

/* What a value is, for "got ..." in messages. */
static void describe(const pp_jv *v, char *buf, size_t n) {
  if (v->type == PP_JV_NUM && (v->ints & PP_JV_INT64)) snprintf(buf, n, "%lld", (long long)v->i64);
  else if (v->type == PP_JV_NUM && (v->ints & PP_JV_UINT64)) snprintf(buf, n, "%llu", (unsigned long long)v->u64);
  else if (v->type == PP_JV_NUM) snprintf(buf, n, "%.17g", v->num);
  else if (v->type == PP_JV_STR) snprintf(buf, n, "\"%.40s%s\"", v->str, strlen(v->str) > 40 ? "..." : "");
  else if (v->type == PP_JV_BOOL) snprintf(buf, n, "%s", v->num ? "true" : "false");
  else snprintf(buf, n, "%s", type_name(v->type));
}

int pp_jv_fail(const pp_jv_ctx *c, const pp_jv *v, const char *path, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return pp_err_set_at(c->e, PP_EPARSE, c->file, v ? v->line : 0, v ? v->col : 0, "\"%s\": %s", path, msg);
}

static void join(char *buf, size_t n, const char *at, const char *key) {
  if (at && at[0]) snprintf(buf, n, "%s.%s", at, key);
  else snprintf(buf, n, "%s", key);
}

/* Looks up obj.key: 1 with *v set when present and not an accepted null, 0
 * when the caller is done (absent optional, accepted null), <0 on error. */
static int member(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, const char *what,
                  const pp_jv **v, char *path, size_t n) {
  join(path, n, at, key);
  *v = pp_jv_get(obj, key);
  if (!obj || obj->type != PP_JV_OBJ) return pp_jv_fail(c, obj, at && at[0] ? at : "(top level)", "expected an object");
  if (!*v) return (flags & PP_JV_OPTIONAL) ? 0 : pp_jv_fail(c, obj, path, "missing; expected %s", what);
  if ((*v)->type == PP_JV_NULL && (flags & PP_JV_NULLABLE)) return 0;
  return 1;
}

static int wrong(const pp_jv_ctx *c, const pp_jv *v, const char *path, const char *what) {
  char got[64];
  describe(v, got, sizeof got);
  return pp_jv_fail(c, v, path, "expected %s, got %s", what, got);
}

int pp_jv_want(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int type,
               const pp_jv **out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags, type_name(type), &v, path, sizeof path);
  if (r <= 0) {
    if (!r) *out = NULL;
    return r;
  }
  if (v->type != type) return wrong(c, v, path, type_name(type));
  *out = v;
  return PP_OK;
}

static void range_text(char *buf, size_t n, const char *kind, double lo, double hi) {
  if (lo <= -DBL_MAX && hi >= DBL_MAX) snprintf(buf, n, "a finite %s", kind);
  else if (hi >= DBL_MAX) snprintf(buf, n, "a finite %s >= %.17g", kind, lo);
  else if (lo <= -DBL_MAX) snprintf(buf, n, "a finite %s <= %.17g", kind, hi);
  else snprintf(buf, n, "a %s in [%.17g, %.17g]", kind, lo, hi);
}

int pp_jv_check_num(const pp_jv_ctx *c, const pp_jv *v, const char *path, double lo, double hi, double *out) {
  if (v->type != PP_JV_NUM || !(v->num >= lo && v->num <= hi)) {
    char what[96];
    range_text(what, sizeof what, "number", lo, hi);
    return wrong(c, v, path, what);
  }
  *out = v->num;
  return PP_OK;
}

int pp_jv_want_num(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, double lo,
                   double hi, double *out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags, "a number", &v, path, sizeof path);
  if (r <= 0) {
    if (!r && v) *out = NAN; /* accepted null */
    return r;
  }
  return pp_jv_check_num(c, v, path, lo, hi, out);
}

int pp_jv_check_int(const pp_jv_ctx *c, const pp_jv *v, const char *path, int64_t lo, int64_t hi, int64_t *out) {
  if (v->type != PP_JV_NUM || !(v->ints & PP_JV_INT64) || v->i64 < lo || v->i64 > hi) {
    char what[96];
    snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    return wrong(c, v, path, what);
  }
  *out = v->i64;
  return PP_OK;
}

int pp_jv_want_int(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int64_t lo,
                   int64_t hi, int64_t *out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags & ~PP_JV_NULLABLE, "an integer", &v, path, sizeof path);
  if (r <= 0) return r;
  return pp_jv_check_int(c, v, path, lo, hi, out);
}

int pp_jv_want_u64(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, uint64_t *out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags & ~PP_JV_NULLABLE, "an integer", &v, path, sizeof path);
  if (r <= 0) return r;
  if (v->type != PP_JV_NUM || !(v->ints & PP_JV_UINT64))
    return wrong(c, v, path, "an integer in [0, 18446744073709551615]");
  *out = v->u64;
  return PP_OK;
}

int pp_jv_want_str(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags,
                   const char **out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags, "a string", &v, path, sizeof path);
  if (r <= 0) {
    if (!r && v) *out = NULL; /* accepted null */
    return r;
  }
  if (v->type != PP_JV_STR) return wrong(c, v, path, "a string");
  *out = v->str;
  return PP_OK;
}

int pp_jv_want_bool(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int *out) {
  char path[256];
  const pp_jv *v;
  int r = member(c, obj, at, key, flags & ~PP_JV_NULLABLE, "true or false", &v, path, sizeof path);
  if (r <= 0) return r;
  if (v->type != PP_JV_BOOL) return wrong(c, v, path, "true or false");
  *out = v->num != 0;
  return PP_OK;
}

/* report/jv: a small recursive-descent JSON reader. Results and stage files
 * are JSON; the flow reads its own files back when it resumes and `powerprune
 * report` re-renders a folder from summary.json, so a malformed file must give
 * one clear error with its line, never a crash. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/report.h"

typedef struct {
  const char *s;
  size_t i;
  int line;
  const char *name;
  pp_err *e;
  int depth;
} parser;

static int fail(parser *p, const char *what) {
  return pp_err_set(p->e, PP_EPARSE, p->name, p->line, "invalid JSON: %s", what);
}

static void skip_ws(parser *p) {
  for (;;) {
    char c = p->s[p->i];
    if (c == '\n') p->line++;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') p->i++;
    else break;
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int put_utf8(char *out, size_t *k, unsigned cp) {
  if (cp < 0x80) out[(*k)++] = (char)cp;
  else if (cp < 0x800) {
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
  return 0;
}

static int read_hex4(parser *p, unsigned *cp) {
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(p->s[p->i]);
    if (h < 0) return fail(p, "expected 4 hex digits after \\u");
    v = v * 16 + (unsigned)h;
    p->i++;
  }
  *cp = v;
  return PP_OK;
}

/* At the opening quote. The decoded string is never longer than the raw one. */
static int parse_string(parser *p, char **out) {
  p->i++;
  size_t start = p->i, end = start;
  while (p->s[end] && p->s[end] != '"') {
    if (p->s[end] == '\\' && p->s[end + 1]) end++;
    end++;
  }
  if (!p->s[end]) return fail(p, "unterminated string");
  char *buf = malloc(end - start + 1);
  if (!buf) return pp_err_set(p->e, PP_ENOMEM, p->name, p->line, "out of memory");
  size_t k = 0;
  while (p->s[p->i] != '"') {
    unsigned char c = (unsigned char)p->s[p->i];
    if (c < 0x20) {
      free(buf);
      return fail(p, "control character inside a string");
    }
    if (c != '\\') {
      buf[k++] = (char)c;
      p->i++;
      continue;
    }
    p->i++;
    char esc = p->s[p->i++];
    switch (esc) {
      case '"': buf[k++] = '"'; break;
      case '\\': buf[k++] = '\\'; break;
      case '/': buf[k++] = '/'; break;
      case 'b': buf[k++] = '\b'; break;
      case 'f': buf[k++] = '\f'; break;
      case 'n': buf[k++] = '\n'; break;
      case 'r': buf[k++] = '\r'; break;
      case 't': buf[k++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (read_hex4(p, &cp)) {
          free(buf);
          return PP_EPARSE;
        }
        if (cp >= 0xD800 && cp < 0xDC00 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
          unsigned lo;
          p->i += 2;
          if (read_hex4(p, &lo)) {
            free(buf);
            return PP_EPARSE;
          }
          if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(buf, &k, cp);
        break;
      }
      default:
        free(buf);
        return fail(p, "unknown escape in a string");
    }
  }
  p->i++;
  buf[k] = 0;
  *out = buf;
  return PP_OK;
}

static int parse_value(parser *p, pp_report_jv *v);

static int push(parser *p, pp_report_jv *v, size_t *cap, char *key) {
  if (v->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 4;
    pp_report_jv *ni = realloc(v->items, nc * sizeof *ni);
    if (!ni) return pp_err_set(p->e, PP_ENOMEM, p->name, p->line, "out of memory");
    v->items = ni;
    if (v->type == PP_JV_OBJ) {
      char **nk = realloc(v->keys, nc * sizeof *nk);
      if (!nk) return pp_err_set(p->e, PP_ENOMEM, p->name, p->line, "out of memory");
      v->keys = nk;
    }
    *cap = nc;
  }
  memset(&v->items[v->n], 0, sizeof v->items[0]);
  if (v->type == PP_JV_OBJ) v->keys[v->n] = key;
  v->n++;
  return PP_OK;
}

static int parse_container(parser *p, pp_report_jv *v, int obj) {
  if (++p->depth > 200) return fail(p, "nesting too deep");
  v->type = obj ? PP_JV_OBJ : PP_JV_ARR;
  char close = obj ? '}' : ']';
  size_t cap = 0;
  p->i++;
  skip_ws(p);
  if (p->s[p->i] == close) {
    p->i++;
    p->depth--;
    return PP_OK;
  }
  for (;;) {
    char *key = NULL;
    if (obj) {
      skip_ws(p);
      if (p->s[p->i] != '"') return fail(p, "expected a member name in quotes");
      int rc = parse_string(p, &key);
      if (rc) return rc;
      skip_ws(p);
      if (p->s[p->i] != ':') {
        free(key);
        return fail(p, "expected ':' after a member name");
      }
      p->i++;
    }
    int rc = push(p, v, &cap, key);
    if (rc) {
      free(key);
      return rc;
    }
    rc = parse_value(p, &v->items[v->n - 1]);
    if (rc) return rc;
    skip_ws(p);
    char c = p->s[p->i];
    if (c == ',') {
      p->i++;
      continue;
    }
    if (c == close) {
      p->i++;
      p->depth--;
      return PP_OK;
    }
    return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int parse_number(parser *p, pp_report_jv *v) {
  const char *s = p->s + p->i;
  size_t k = 0;
  if (s[k] == '-') k++;
  if (s[k] == '0') k++;
  else if (s[k] >= '1' && s[k] <= '9')
    while (s[k] >= '0' && s[k] <= '9') k++;
  else return fail(p, "expected a value");
  if (s[k] == '.') {
    k++;
    if (!(s[k] >= '0' && s[k] <= '9')) return fail(p, "expected digits after '.'");
    while (s[k] >= '0' && s[k] <= '9') k++;
  }
  if (s[k] == 'e' || s[k] == 'E') {
    k++;
    if (s[k] == '+' || s[k] == '-') k++;
    if (!(s[k] >= '0' && s[k] <= '9')) return fail(p, "expected digits in an exponent");
    while (s[k] >= '0' && s[k] <= '9') k++;
  }
  char tmp[64];
  if (k >= sizeof tmp) return fail(p, "number too long");
  memcpy(tmp, s, k);
  tmp[k] = 0;
  v->type = PP_JV_NUM;
  v->num = strtod(tmp, NULL);
  p->i += k;
  return PP_OK;
}

static int parse_value(parser *p, pp_report_jv *v) {
  skip_ws(p);
  const char *s = p->s + p->i;
  switch (*s) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"': v->type = PP_JV_STR; return parse_string(p, &v->str);
    case 't':
      if (strncmp(s, "true", 4)) return fail(p, "expected 'true'");
      v->type = PP_JV_BOOL, v->num = 1, p->i += 4;
      return PP_OK;
    case 'f':
      if (strncmp(s, "false", 5)) return fail(p, "expected 'false'");
      v->type = PP_JV_BOOL, v->num = 0, p->i += 5;
      return PP_OK;
    case 'n':
      if (strncmp(s, "null", 4)) return fail(p, "expected 'null'");
      v->type = PP_JV_NULL, p->i += 4;
      return PP_OK;
    case 0: return fail(p, "unexpected end of input");
    default: return parse_number(p, v);
  }
}

int pp_report_jv_parse(const char *text, const char *name, pp_report_jv *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  parser p = {text, 0, 1, name ? name : "", e, 0};
  int rc = parse_value(&p, out);
  if (!rc) {
    skip_ws(&p);
    if (p.s[p.i]) rc = fail(&p, "text after the end of the value");
  }
  if (rc) pp_report_jv_free(out);
  return rc;
}

int pp_report_jv_load(const char *path, pp_report_jv *out, pp_err *e) {
  char *text;
  memset(out, 0, sizeof *out);
  int rc = pp_read_file(path, &text, NULL, e);
  if (rc) return rc;
  rc = pp_report_jv_parse(text, path, out, e);
  free(text);
  return rc;
}

void pp_report_jv_free(pp_report_jv *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n; i++) {
    pp_report_jv_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
  memset(v, 0, sizeof *v);
}

const pp_report_jv *pp_report_jv_get(const pp_report_jv *v, const char *key) {
  if (!v || v->type != PP_JV_OBJ) return NULL;
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->keys[i], key)) return &v->items[i];
  return NULL;
}

const pp_report_jv *pp_report_jv_path(const pp_report_jv *v, const char *path) {
  char part[128];
  while (v && *path) {
    size_t k = strcspn(path, ".");
    if (k >= sizeof part) return NULL;
    memcpy(part, path, k);
    part[k] = 0;
    v = pp_report_jv_get(v, part);
    path += k;
    if (*path == '.') path++;
  }
  return v;
}

double pp_report_jv_num(const pp_report_jv *v, const char *path, double dflt) {
  const pp_report_jv *x = pp_report_jv_path(v, path);
  if (x && x->type == PP_JV_NUM) return x->num;
  if (x && x->type == PP_JV_NULL) return NAN;
  return dflt;
}

const char *pp_report_jv_str(const pp_report_jv *v, const char *path, const char *dflt) {
  const pp_report_jv *x = pp_report_jv_path(v, path);
  return x && x->type == PP_JV_STR ? x->str : dflt;
}

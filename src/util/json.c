/* util/json: a streaming JSON writer; results are machine-read, so escaping
 * and number formatting must be exact. */
#include "pp/util.h"

#include <math.h>
#include <stdlib.h>

void pp_json_init(pp_json *j, FILE *f, int pretty) {
  j->f = f;
  j->depth = 0;
  j->pretty = pretty;
  j->first[0] = 1;
  j->after_key = 0;
}

static void indent(pp_json *j) {
  if (!j->pretty) return;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

/* Comma and indentation before a value or key at the current level. */
static void pre_value(pp_json *j) {
  if (j->after_key) {
    j->after_key = 0;
    return;
  }
  if (j->depth > 0) {
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    indent(j);
  }
}

static void open(pp_json *j, char c) {
  pre_value(j);
  fputc(c, j->f);
  if (j->depth < 32) j->depth++;
  j->first[j->depth] = 1;
}

static void close_(pp_json *j, char c) {
  int empty = j->first[j->depth];
  if (j->depth > 0) j->depth--;
  if (!empty) indent(j);
  fputc(c, j->f);
}

void pp_json_obj_begin(pp_json *j) { open(j, '{'); }
void pp_json_obj_end(pp_json *j) { close_(j, '}'); }
void pp_json_arr_begin(pp_json *j) { open(j, '['); }
void pp_json_arr_end(pp_json *j) { close_(j, ']'); }

static void write_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
  }
  fputc('"', f);
}

void pp_json_key(pp_json *j, const char *key) {
  pre_value(j);
  write_str(j->f, key);
  fputs(j->pretty ? ": " : ":", j->f);
  j->after_key = 1;
}

void pp_json_str(pp_json *j, const char *s) {
  pre_value(j);
  write_str(j->f, s ? s : "");
}

void pp_json_int(pp_json *j, long long v) {
  pre_value(j);
  fprintf(j->f, "%lld", v);
}

void pp_json_uint(pp_json *j, unsigned long long v) {
  pre_value(j);
  fprintf(j->f, "%llu", v);
}

int pp_json_num_format(char *buf, size_t n, double v) {
  if (!isfinite(v)) return snprintf(buf, n, "null");
  /* integral values keep a ".0" so that readers see a number of type double */
  if (v == floor(v) && fabs(v) < 1e15) return snprintf(buf, n, "%.1f", v);
  /* the shortest of 15..17 significant digits that reads back as the same double: 0.6, not 0.59999999999999998 */
  int len = 0;
  for (int prec = 15; prec <= 17; prec++) {
    len = snprintf(buf, n, "%.*g", prec, v);
    if (len > 0 && (size_t)len < n && strtod(buf, NULL) == v) break;
  }
  return len;
}

void pp_json_num(pp_json *j, double v) {
  char b[40];
  pre_value(j);
  pp_json_num_format(b, sizeof b, v);
  fputs(b, j->f);
}

void pp_json_bool(pp_json *j, int v) {
  pre_value(j);
  fputs(v ? "true" : "false", j->f);
}

void pp_json_null(pp_json *j) {
  pre_value(j);
  fputs("null", j->f);
}

void pp_json_end(pp_json *j) { fputc('\n', j->f); }

void pp_json_key_str(pp_json *j, const char *key, const char *s) { pp_json_key(j, key), pp_json_str(j, s); }
void pp_json_key_int(pp_json *j, const char *key, long long v) { pp_json_key(j, key), pp_json_int(j, v); }
void pp_json_key_uint(pp_json *j, const char *key, unsigned long long v) { pp_json_key(j, key), pp_json_uint(j, v); }
void pp_json_key_num(pp_json *j, const char *key, double v) { pp_json_key(j, key), pp_json_num(j, v); }
void pp_json_key_bool(pp_json *j, const char *key, int v) { pp_json_key(j, key), pp_json_bool(j, v); }
void pp_json_key_null(pp_json *j, const char *key) { pp_json_key(j, key), pp_json_null(j); }
void pp_json_key_obj_begin(pp_json *j, const char *key) { pp_json_key(j, key), pp_json_obj_begin(j); }
void pp_json_key_arr_begin(pp_json *j, const char *key) { pp_json_key(j, key), pp_json_arr_begin(j); }

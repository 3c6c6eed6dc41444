/* util_json: the one JSON reader, beside the writer (pp_json_* in util.h).
 * Every module reads its JSON files through it: the power tables, the PANN
 * power models, stage files and summary.json. It builds a tree (pp_jv) and
 * is strict: RFC 8259 grammar only, no duplicate member names, no text after
 * the value, no NUL bytes, numbers finite, nesting at most PP_JV_MAX_DEPTH.
 * Integers (no fraction, no exponent) are also kept as int64/uint64 so that
 * a 64-bit seed reads back exactly. Errors carry file:line:column (pp_err's
 * file, line and col) and what was expected.
 *
 * The pp_jv_want_* helpers are for readers of a fixed schema: each checks one
 * member's presence, type and range and reports the member's dotted path. */
#ifndef PP_UTIL_JSON_H
#define PP_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "pp/util.h"

#define PP_JV_MAX_DEPTH 128

enum { PP_JV_NULL, PP_JV_BOOL, PP_JV_NUM, PP_JV_STR, PP_JV_ARR, PP_JV_OBJ };

/* pp_jv.ints: which exact integer fields hold the number's value. */
enum { PP_JV_INT64 = 1, PP_JV_UINT64 = 2 };

typedef struct pp_jv {
  int type;
  double num;          /* PP_JV_NUM (nearest double), PP_JV_BOOL (0/1) */
  int ints;            /* PP_JV_NUM written as an integer: PP_JV_INT64 | PP_JV_UINT64 when it fits */
  int64_t i64;         /* exact value when ints & PP_JV_INT64 */
  uint64_t u64;        /* exact value when ints & PP_JV_UINT64 */
  char *str;           /* PP_JV_STR, UTF-8, NUL-terminated (\u0000 is rejected) */
  size_t n;            /* PP_JV_ARR / PP_JV_OBJ: number of members */
  char **keys;         /* PP_JV_OBJ: member names */
  struct pp_jv *items; /* members */
  int line, col;       /* 1-based position of the value's first character */
} pp_jv;

/* Parses the whole text; `name` is the file name used in errors. On error
 * *out is empty (safe to free) and e says where and what was expected. */
int pp_jv_parse(const char *text, const char *name, pp_jv *out, pp_err *e);
/* The same for len bytes (a NUL byte among them is an error). */
int pp_jv_parse_n(const char *text, size_t len, const char *name, pp_jv *out, pp_err *e);
int pp_jv_load(const char *path, pp_jv *out, pp_err *e);
void pp_jv_free(pp_jv *v);

/* Lenient access (absent or another type gives the default). */
/* Member of an object by name (NULL when absent or v is not an object). */
const pp_jv *pp_jv_get(const pp_jv *v, const char *key);
/* Dotted path "a.b.c" through objects. */
const pp_jv *pp_jv_path(const pp_jv *v, const char *path);
/* A number at path; null (how the writer stores NaN/Inf) gives NAN. */
double pp_jv_num(const pp_jv *v, const char *path, double dflt);
const char *pp_jv_str(const pp_jv *v, const char *path, const char *dflt);
/* The exact integer at path into *out: PP_OK, or PP_EINVAL when absent, not
 * an integer or out of the type's range (*out untouched). */
int pp_jv_int64(const pp_jv *v, const char *path, int64_t *out);
int pp_jv_uint64(const pp_jv *v, const char *path, uint64_t *out);

/* ---- strict, schema-checked access ------------------------------------- */
/* A reader's context: the file name for errors and the error to fill. */
typedef struct pp_jv_ctx {
  const char *file;
  pp_err *e;
} pp_jv_ctx;

/* flags of pp_jv_want_*: an absent member leaves *out untouched and is
 * PP_OK; null is accepted (a number then reads as NAN, a string as NULL). */
enum { PP_JV_OPTIONAL = 1, PP_JV_NULLABLE = 2 };

/* PP_EPARSE at v's position: "<path>: <message>". */
int pp_jv_fail(const pp_jv_ctx *c, const pp_jv *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Member `key` of object `obj` (whose dotted path is `at`, "" for the root)
 * of JSON type `type` into *out (NULL when absent and optional). */
int pp_jv_want(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int type,
               const pp_jv **out);
/* A finite number in [lo, hi]. */
int pp_jv_want_num(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, double lo,
                   double hi, double *out);
/* An integer in [lo, hi] (exactly: 1.0 and 1e0 are not integers). */
int pp_jv_want_int(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int64_t lo,
                   int64_t hi, int64_t *out);
/* An integer in [0, 2^64-1]. */
int pp_jv_want_u64(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, uint64_t *out);
int pp_jv_want_str(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags,
                   const char **out);
int pp_jv_want_bool(const pp_jv_ctx *c, const pp_jv *obj, const char *at, const char *key, int flags, int *out);
/* The same checks for a value already in hand (an array element, say);
 * `path` names it in the error. */
int pp_jv_check_num(const pp_jv_ctx *c, const pp_jv *v, const char *path, double lo, double hi, double *out);
int pp_jv_check_int(const pp_jv_ctx *c, const pp_jv *v, const char *path, int64_t lo, int64_t hi, int64_t *out);

#endif

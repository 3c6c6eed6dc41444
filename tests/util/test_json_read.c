/* Tests of util's JSON reader: nested values, escapes, exact 64-bit
 * integers, the strict rejections (each with its line and column), the
 * schema helpers' messages, and a writer/reader round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/util_json.h"

static void test_nested(void **st) {
  (void)st;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  const char *t = "{\"a\": {\"b\": [1, 2.5, -3e2, true, false, null, \"x\"]},\n \"c\": {}, \"d\": []}";
  assert_int_equal(pp_jv_parse(t, "t.json", &v, &e), PP_OK);
  assert_int_equal(v.type, PP_JV_OBJ);
  assert_int_equal(v.n, 3);
  const pp_jv *b = pp_jv_path(&v, "a.b");
  assert_non_null(b);
  assert_int_equal(b->type, PP_JV_ARR);
  assert_int_equal(b->n, 7);
  assert_true(b->items[0].num == 1 && (b->items[0].ints & PP_JV_INT64) && b->items[0].i64 == 1);
  assert_true(b->items[1].num == 2.5 && b->items[1].ints == 0);
  assert_true(b->items[2].num == -300 && b->items[2].ints == 0); /* an exponent is not an integer literal */
  assert_int_equal(b->items[3].type, PP_JV_BOOL);
  assert_true(b->items[3].num == 1 && b->items[4].num == 0);
  assert_int_equal(b->items[5].type, PP_JV_NULL);
  assert_string_equal(b->items[6].str, "x");
  assert_int_equal(pp_jv_path(&v, "c")->type, PP_JV_OBJ);
  assert_int_equal(pp_jv_path(&v, "d")->n, 0);
  /* positions of values */
  assert_int_equal(pp_jv_get(&v, "c")->line, 2);
  assert_int_equal(pp_jv_get(&v, "c")->col, 7);
  assert_null(pp_jv_path(&v, "a.z"));
  assert_true(pp_jv_num(&v, "a.z", 7) == 7);
  assert_string_equal(pp_jv_str(&v, "zz", "dflt"), "dflt");
  pp_jv_free(&v);
}

static void test_escapes(void **st) {
  (void)st;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  const char *t = "[\"q\\\"b\\\\s\\/n\\n t\\t r\\r b\\b f\\f\", \"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\", \"caf\xc3\xa9\"]";
  assert_int_equal(pp_jv_parse(t, "s.json", &v, &e), PP_OK);
  assert_string_equal(v.items[0].str, "q\"b\\s/n\n t\t r\r b\b f\f");
  assert_string_equal(v.items[1].str, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  assert_string_equal(v.items[2].str, "caf\xc3\xa9");
  pp_jv_free(&v);
}

static void test_big_integers(void **st) {
  (void)st;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  const char *t = "{\"max\": 9223372036854775807, \"min\": -9223372036854775808, \"seed\": 18446744073709551615,"
                  " \"odd\": 9007199254740993, \"over\": 18446744073709551616, \"neg0\": -0}";
  assert_int_equal(pp_jv_parse(t, "i.json", &v, &e), PP_OK);
  int64_t i = 0;
  uint64_t u = 0;
  assert_int_equal(pp_jv_int64(&v, "max", &i), PP_OK);
  assert_true(i == INT64_MAX);
  assert_int_equal(pp_jv_uint64(&v, "max", &u), PP_OK);
  assert_true(u == (uint64_t)INT64_MAX);
  assert_int_equal(pp_jv_int64(&v, "min", &i), PP_OK);
  assert_true(i == INT64_MIN);
  assert_int_equal(pp_jv_uint64(&v, "min", &u), PP_EINVAL);
  assert_int_equal(pp_jv_uint64(&v, "seed", &u), PP_OK);
  assert_true(u == UINT64_MAX);
  assert_int_equal(pp_jv_int64(&v, "seed", &i), PP_EINVAL);
  /* 2^53 + 1: a double would round it to 2^53 */
  assert_int_equal(pp_jv_uint64(&v, "odd", &u), PP_OK);
  assert_true(u == 9007199254740993ULL);
  assert_true(pp_jv_num(&v, "odd", 0) == 9007199254740992.0);
  /* above 2^64-1: a number still, but no exact integer */
  assert_int_equal(pp_jv_uint64(&v, "over", &u), PP_EINVAL);
  assert_true(pp_jv_num(&v, "over", 0) == 18446744073709551616.0);
  assert_int_equal(pp_jv_int64(&v, "neg0", &i), PP_OK);
  assert_true(i == 0);

  /* the writer's pp_json_uint / pp_json_int and the reader agree on all 64 bits */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  pp_json j;
  pp_json_init(&j, f, 1);
  pp_json_obj_begin(&j);
  pp_json_key_uint(&j, "seed", 0xfedcba9876543211ULL);
  pp_json_key_int(&j, "i", INT64_MIN + 1);
  pp_json_obj_end(&j);
  pp_json_end(&j);
  fclose(f);
  pp_jv w;
  assert_int_equal(pp_jv_parse(buf, "w.json", &w, &e), PP_OK);
  assert_int_equal(pp_jv_uint64(&w, "seed", &u), PP_OK);
  assert_true(u == 0xfedcba9876543211ULL);
  assert_int_equal(pp_jv_int64(&w, "i", &i), PP_OK);
  assert_true(i == INT64_MIN + 1);
  pp_jv_free(&w);
  free(buf);
  pp_jv_free(&v);
}

/* Each bad text is rejected at the given line and column with a message that
 * contains `what`. */
static void test_rejections(void **st) {
  (void)st;
  static const struct {
    const char *text;
    int line, col;
    const char *what;
  } bad[] = {
      {"", 1, 1, "expected a value"},
      {"{\"a\": 1,\n \"a\": 2}", 2, 7, "\"a\" given twice (first at line 1, column 7)"},
      {"{\"a\": 1} x", 1, 10, "end of the input after the value"},
      {"[1, 2]\n\n]", 3, 1, "end of the input after the value"},
      {"{\"a\":\n  1e400}", 2, 3, "finite"},
      {"[-1e999]", 1, 2, "finite"},
      {"[NaN]", 1, 2, "expected a value"},
      {"[Infinity]", 1, 2, "expected a value"},
      {"[01]", 1, 3, "expected ',' or ']'"},
      {"[1.]", 1, 4, "digits after '.'"},
      {"[1e]", 1, 4, "digits in the exponent"},
      {"[+1]", 1, 2, "expected a value"},
      {"{\"a\" 1}", 1, 6, "':' after a member name"},
      {"{a: 1}", 1, 2, "member name in quotes"},
      {"[1,]", 1, 4, "expected a value"},
      {"[1 2]", 1, 4, "expected ',' or ']'"},
      {"\n\n  [\"abc", 3, 8, "to close the string"},
      {"[\"a\nb\"]", 1, 4, "control characters must be escaped"},
      {"[\"\\x\"]", 1, 4, "an escape"},
      {"[\"\\u12g4\"]", 1, 7, "4 hex digits"},
      {"[\"\\ud800\"]", 1, 9, "low surrogate"},
      {"[\"\\udc00\"]", 1, 9, "low surrogate"},
      {"[\"\\u0000\"]", 1, 9, "\\u0000"},
      {"[tru]", 1, 2, "expected 'true'"},
      {"[nul", 1, 2, "expected 'null'"},
      {"{\"a\": [1, 2}", 1, 12, "expected ',' or ']'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    pp_jv v;
    pp_err e;
    pp_err_clear(&e);
    int rc = pp_jv_parse(bad[k].text, "bad.json", &v, &e);
    if (rc != PP_EPARSE) fail_msg("case %zu (%s) gave %d", k, bad[k].text, rc);
    if (e.line != bad[k].line || e.col != bad[k].col || !strstr(e.msg, bad[k].what))
      fail_msg("case %zu (%s): %d:%d: %s", k, bad[k].text, e.line, e.col, e.msg);
    assert_string_equal(e.file, "bad.json");
    assert_int_equal(v.type, PP_JV_NULL); /* emptied, safe to free */
    pp_jv_free(&v);
  }
  /* a NUL byte inside the text, and a depth bound */
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse_n("[1]\0[2]", 7, "nul.json", &v, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "NUL byte"));
  char deep[600];
  memset(deep, '[', 300);
  memset(deep + 300, ']', 300);
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse_n(deep, 600, "deep.json", &v, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "nesting"));
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse_n(deep + 300 - PP_JV_MAX_DEPTH, 2 * PP_JV_MAX_DEPTH, "ok.json", &v, &e), PP_OK);
  pp_jv_free(&v);
  /* a duplicate in a large object (the sorted path) */
  char big[4096];
  size_t n = 0;
  n += (size_t)snprintf(big + n, sizeof big - n, "{");
  for (int i = 0; i < 100; i++) n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\": %d, ", i, i);
  snprintf(big + n, sizeof big - n, "\"k42\": 0}");
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse(big, "big.json", &v, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "\"k42\" given twice"));
  char buf[1200];
  pp_err_format(&e, buf, sizeof buf);
  assert_non_null(strstr(buf, "big.json:1:"));
}

static void test_load(void **st) {
  (void)st;
  char path[64];
  snprintf(path, sizeof path, "jr_%d.json", (int)getpid());
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite("{\"a\": 1}\0{", 1, 10, f);
  fclose(f);
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(path, &v, &e), PP_EPARSE); /* the NUL is not an end of file */
  assert_string_equal(e.file, path);
  assert_int_equal(e.col, 9);
  remove(path);
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(path, &v, &e), PP_EIO);
}

static void test_schema_helpers(void **st) {
  (void)st;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  const char *t = "{\"o\": {\"x\": -1.5, \"n\": 7, \"s\": \"str\", \"b\": true, \"z\": null, \"f\": 2.5,\n"
                  " \"big\": 18446744073709551615}}";
  assert_int_equal(pp_jv_parse(t, "h.json", &v, &e), PP_OK);
  pp_jv_ctx c = {"h.json", &e};
  const pp_jv *o;
  assert_int_equal(pp_jv_want(&c, &v, "", "o", 0, PP_JV_OBJ, &o), PP_OK);
  double d = 0;
  int64_t i = 0;
  uint64_t u = 0;
  const char *s = NULL;
  int b = 0;
  assert_int_equal(pp_jv_want_num(&c, o, "o", "x", 0, -2, 0, &d), PP_OK);
  assert_true(d == -1.5);
  assert_int_equal(pp_jv_want_int(&c, o, "o", "n", 0, 0, 10, &i), PP_OK);
  assert_true(i == 7);
  assert_int_equal(pp_jv_want_str(&c, o, "o", "s", 0, &s), PP_OK);
  assert_string_equal(s, "str");
  assert_int_equal(pp_jv_want_bool(&c, o, "o", "b", 0, &b), PP_OK);
  assert_int_equal(b, 1);
  assert_int_equal(pp_jv_want_num(&c, o, "o", "z", PP_JV_NULLABLE, 0, 1, &d), PP_OK);
  assert_true(isnan(d));
  assert_int_equal(pp_jv_want_u64(&c, o, "o", "big", 0, &u), PP_OK);
  assert_true(u == UINT64_MAX);
  d = 5;
  assert_int_equal(pp_jv_want_num(&c, o, "o", "absent", PP_JV_OPTIONAL, 0, 1, &d), PP_OK);
  assert_true(d == 5);

  static const struct {
    int which;
    const char *key;
    int line;
    const char *what;
  } bad[] = {
      {0, "x", 1, "\"o.x\": expected a finite number >= 0, got -1.5"},
      {0, "s", 1, "\"o.s\": expected a finite number >= 0, got \"str\""},
      {0, "z", 1, "\"o.z\": expected a finite number >= 0, got null"},
      {0, "absent", 1, "\"o.absent\": missing; expected a number"},
      {1, "f", 1, "\"o.f\": expected an integer in [0, 10], got 2.5"},
      {1, "big", 2, "\"o.big\": expected an integer in [0, 10], got 18446744073709551615"},
      {2, "b", 1, "\"o.b\": expected a string, got true"},
      {3, "n", 1, "\"o.n\": expected true or false, got 7"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    pp_err_clear(&e);
    int rc = PP_OK;
    switch (bad[k].which) {
      case 0: rc = pp_jv_want_num(&c, o, "o", bad[k].key, 0, 0, INFINITY, &d); break;
      case 1: rc = pp_jv_want_int(&c, o, "o", bad[k].key, 0, 0, 10, &i); break;
      case 2: rc = pp_jv_want_str(&c, o, "o", bad[k].key, 0, &s); break;
      default: rc = pp_jv_want_bool(&c, o, "o", bad[k].key, 0, &b); break;
    }
    assert_int_equal(rc, PP_EPARSE);
    if (!strstr(e.msg, bad[k].what) || e.line != bad[k].line)
      fail_msg("case %zu: %d:%d %s (expected %s)", k, e.line, e.col, e.msg, bad[k].what);
    assert_string_equal(e.file, "h.json");
  }
  pp_err_clear(&e);
  assert_int_equal(pp_jv_want(&c, o, "o", "s", 0, PP_JV_ARR, &o), PP_EPARSE);
  assert_non_null(strstr(e.msg, "expected an array"));
  pp_jv_free(&v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nested),    cmocka_unit_test(test_escapes), cmocka_unit_test(test_big_integers),
      cmocka_unit_test(test_rejections), cmocka_unit_test(test_load),   cmocka_unit_test(test_schema_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

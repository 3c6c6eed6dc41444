/* tests/util/test_alloc_fail: allocation-failure injection, SQLite style.
 * This program is linked with -Wl,--wrap=malloc,calloc,realloc,strdup (see
 * CMakeLists.txt), so every allocation the library makes goes through the
 * counters below. Each reader is first run once to count its allocations,
 * then again with allocation n made to fail, for every n (or an even sample
 * when there are very many): each such run must return PP_ENOMEM with a
 * message, and the ASan build (make asan-test) checks it leaks nothing.
 * Allocations inside shared libraries (zlib, protobuf-c, libgomp) are not
 * wrapped; those are theirs to handle. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "pp/array.h"
#include "pp/characterize.h"
#include "pp/interop.h"
#include "pp/liberty.h"
#include "pp/netlist.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/report.h"
#include "pp/select.h"
#include "pp/util.h"
#include "pp/util_json.h"
#include "pp/verilog.h"
#include "pp_test.h"

/* ---- the wrapped allocator ---- */
static long g_fail_at; /* the allocation (1-based) that fails; 0: none */
static long g_count;   /* allocations since the counter was reset */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static int fail_now(void) {
  g_count++;
  return g_fail_at > 0 && g_count == g_fail_at;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return fail_now() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = __wrap_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---- the harness ---- */
static char g_dir[256];

/* One reader call on a fixed input: returns its status and fills e; frees
 * whatever it produced on success. */
typedef int (*op_fn)(pp_err *e);

/* Runs op with every allocation in turn made to fail (a sample of at most
 * ~1500 when it makes more). */
static void inject(const char *name, op_fn op) {
  pp_err e;
  pp_err_clear(&e);
  g_count = 0;
  g_fail_at = 0;
  int rc = op(&e);
  long total = g_count;
  if (rc != PP_OK) fail_msg("%s: fails without injection: %s", name, e.msg);
  assert_true(total > 0);
  long step = total > 1500 ? total / 1000 : 1;
  long tried = 0;
  for (long n = 1; n <= total; n += (n <= 300 ? 1 : step)) {
    pp_err_clear(&e);
    g_count = 0;
    g_fail_at = n;
    rc = op(&e);
    g_fail_at = 0;
    tried++;
    if (rc == PP_OK) fail_msg("%s: allocation %ld of %ld failed but the call returned PP_OK", name, n, total);
    if (rc != PP_ENOMEM || e.status != PP_ENOMEM || !e.msg[0])
      fail_msg("%s: allocation %ld of %ld failed: status %d (%d), \"%s\"; expected PP_ENOMEM with a message", name,
               n, total, rc, e.status, e.msg);
  }
  print_message("%s: %ld allocations, %ld failure points tried\n", name, total, tried);
}

/* ---- the inputs, written once by the library's own writers ---- */
static char p_model[300], p_delay[300], p_power[300], p_summary[300], p_values[300], p_img[300], p_lab[300],
    p_pann[300], p_stats[300], p_onnx[300], p_verilog[300];
static char *pann_text;

static int op_lib(pp_err *e) {
  pp_lib *lib = NULL;
  int rc = pp_lib_read(pp_lib_default_path(), &lib, e);
  pp_lib_free(lib);
  return rc;
}

static int op_netlist(pp_err *e) {
  g_fail_at = -g_fail_at; /* the library is the fixture here, not the subject */
  pp_lib *lib = NULL;
  int rc = pp_lib_read(pp_lib_default_path(), &lib, e);
  g_fail_at = -g_fail_at;
  g_count = 0;
  if (rc) return rc;
  pp_netlist *nl = NULL;
  rc = pp_netlist_read(p_verilog, lib, NULL, &nl, e);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return rc;
}

static int op_model(pp_err *e) {
  pp_nn_model *m = NULL;
  int rc = pp_nn_model_load(p_model, &m, e);
  pp_nn_model_free(m);
  return rc;
}

static int op_delay(pp_err *e) {
  pp_char_delay t;
  memset(&t, 0, sizeof t);
  int rc = pp_char_delay_read(p_delay, &t, e);
  pp_char_delay_free(&t);
  return rc;
}

static int op_power(pp_err *e) {
  static pp_char_power p;
  return pp_char_power_read(p_power, &p, e);
}

static int op_summary(pp_err *e) {
  static pp_report r;
  return pp_report_load(p_summary, &r, e);
}

static int op_values(pp_err *e) {
  uint8_t mask[256];
  int count = 0;
  return pp_select_read_values(p_values, -127, 127, mask, &count, e);
}

static int op_idx(pp_err *e) {
  pp_nn_data d;
  memset(&d, 0, sizeof d);
  int rc = pp_nn_data_load_idx(p_img, p_lab, &d, e);
  pp_nn_data_free(&d);
  return rc;
}

static int op_pann(pp_err *e) {
  static pp_pann_power pw;
  return pp_pann_power_parse(pann_text, p_pann, &pw, e);
}

static int op_stats(pp_err *e) {
  pp_array_stats *s = NULL;
  int rc = pp_array_stats_read(p_stats, &s, e);
  if (s) pp_array_stats_free(s);
  return rc;
}

static int op_onnx(pp_err *e) {
  pp_nn_model *m = NULL;
  int rc = pp_interop_model_load(p_onnx, NULL, &m, e);
  pp_nn_model_free(m);
  return rc;
}

static int op_json(pp_err *e) {
  pp_jv v;
  int rc = pp_jv_parse("{\"a\": [1, 2.5, {\"b\": \"x\\u00e9\"}], \"c\": null, \"d\": true}", "t.json", &v, e);
  if (!rc) pp_jv_free(&v);
  return rc;
}

static int setup(void **st) {
  (void)st;
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_alloc_fail") || pp_test_write_seeds(g_dir)) return -1;
  snprintf(p_model, sizeof p_model, "%s", pp_test_seed_path(g_dir, "model"));
  snprintf(p_delay, sizeof p_delay, "%s", pp_test_seed_path(g_dir, "delay"));
  snprintf(p_power, sizeof p_power, "%s", pp_test_seed_path(g_dir, "power"));
  snprintf(p_summary, sizeof p_summary, "%s", pp_test_seed_path(g_dir, "summary"));
  snprintf(p_values, sizeof p_values, "%s", pp_test_seed_path(g_dir, "values"));
  snprintf(p_pann, sizeof p_pann, "%s", pp_test_seed_path(g_dir, "pann"));
  snprintf(p_stats, sizeof p_stats, "%s", pp_test_seed_path(g_dir, "stats"));
  snprintf(p_onnx, sizeof p_onnx, "%s", pp_test_seed_path(g_dir, "onnx"));
  snprintf(p_verilog, sizeof p_verilog, "%s", pp_test_seed_path(g_dir, "verilog"));
  /* the IDX seed is the fuzzer's (a 2-byte split, then images, then labels) */
  char *idx = NULL;
  size_t n = 0;
  pp_err e;
  pp_err_clear(&e);
  if (pp_read_file(pp_test_seed_path(g_dir, "idx"), &idx, &n, &e) || n < 2) return -1;
  size_t cut = (size_t)(uint8_t)idx[0] << 8 | (uint8_t)idx[1];
  snprintf(p_img, sizeof p_img, "%s/img-idx3-ubyte", g_dir);
  snprintf(p_lab, sizeof p_lab, "%s/lab-idx1-ubyte", g_dir);
  FILE *f = fopen(p_img, "wb"), *g = fopen(p_lab, "wb");
  if (!f || !g) return -1;
  int bad = fwrite(idx + 2, 1, cut, f) != cut || fwrite(idx + 2 + cut, 1, n - 2 - cut, g) != n - 2 - cut;
  bad |= fclose(f) | fclose(g);
  free(idx);
  pann_text = pp_test_slurp(p_pann);
  return bad || !pann_text ? -1 : 0;
}

static int teardown(void **st) {
  (void)st;
  free(pann_text);
  return pp_test_rmtree(g_dir);
}

static void test_liberty(void **st) {
  (void)st;
  inject("liberty (data/pp_cells.lib)", op_lib);
}
static void test_netlist(void **st) {
  (void)st;
  inject("verilog netlist (a 4-bit MAC)", op_netlist);
}
static void test_model(void **st) {
  (void)st;
  inject("model (.ppnn)", op_model);
}
static void test_delay(void **st) {
  (void)st;
  inject("delay table", op_delay);
}
static void test_power(void **st) {
  (void)st;
  inject("power.json", op_power);
}
static void test_summary(void **st) {
  (void)st;
  inject("summary.json", op_summary);
}
static void test_values(void **st) {
  (void)st;
  inject("allowed-values file", op_values);
}
static void test_idx(void **st) {
  (void)st;
  inject("IDX images and labels", op_idx);
}
static void test_pann(void **st) {
  (void)st;
  inject("PANN power models", op_pann);
}
static void test_stats(void **st) {
  (void)st;
  inject("array statistics", op_stats);
}
static void test_onnx(void **st) {
  (void)st;
  inject("ONNX import", op_onnx);
}
static void test_json(void **st) {
  (void)st;
  inject("JSON reader", op_json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_liberty), cmocka_unit_test(test_netlist), cmocka_unit_test(test_model),
      cmocka_unit_test(test_delay),   cmocka_unit_test(test_power),   cmocka_unit_test(test_summary),
      cmocka_unit_test(test_values),  cmocka_unit_test(test_idx),     cmocka_unit_test(test_pann),
      cmocka_unit_test(test_stats),   cmocka_unit_test(test_onnx),    cmocka_unit_test(test_json),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

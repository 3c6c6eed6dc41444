/* tests/flow/test_alloc_fail_run: allocation-failure injection over one whole
 * `run --quick` (pp_flow_run) on a tiny synthetic set. Linked with
 * -Wl,--wrap=malloc,calloc,realloc,strdup like test_alloc_fail: a clean run
 * counts the library's allocations, then runs in fresh folders each make one
 * of them fail (all of the first 30, then 40 points spread evenly in log
 * scale up to the last; under ASan 10 and 20). Each must return PP_ENOMEM with a message and leave no
 * summary.json that would look like a finished run; the ASan build checks
 * that nothing leaks. One thread, so that the count is the same each run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <omp.h>

#include <setjmp.h>
#include <cmocka.h>

#include "pp/flow.h"
#include "pp/report.h"
#include "pp_test.h"

static long g_fail_at, g_count;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static int fail_now(void) {
  long c = __atomic_add_fetch(&g_count, 1, __ATOMIC_RELAXED);
  return g_fail_at > 0 && c == g_fail_at;
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

static char g_dir[256];

static void quiet(void *user, const char *msg) { (void)user, (void)msg; }

static int run_in(const char *sub, pp_err *e) {
  char out[400];
  snprintf(out, sizeof out, "%s/%s", g_dir, sub);
  pp_flow_opts o;
  pp_flow_opts_default(&o);
  o.out_dir = out;
  o.model = "lenet5";
  o.data = "synthetic";
  o.quick = 1;
  o.seed = 3;
  o.train_images = 300;
  o.test_images = 100;
  o.val_images = 60;
  o.epochs = 1;
  o.qat_epochs = 1;
  o.retrain_epochs = 1;
  o.trace_images = 1;
  o.transitions = 30;
  o.array = 16;
  o.repeats = 1;
  o.tick_ps = 10;
  o.candidates = 2;
  o.refine_retrains = 1;
  o.power_counts[0] = 96;
  o.power_counts[1] = 0;
  o.no_pann = 1;
  o.no_cache = 1;
  o.log = quiet;
  pp_report r;
  pp_report_init(&r);
  return pp_flow_run(&o, &r, e);
}

static void test_quick_run(void **st) {
  (void)st;
  omp_set_num_threads(1);
  pp_err e;
  pp_err_clear(&e);
  g_fail_at = 0;
  g_count = 0;
  int rc = run_in("clean", &e);
  long total = g_count;
  if (rc != PP_OK) fail_msg("the run fails without injection: %s", e.msg);
  assert_true(total > 1000);
  char summary[400];
  snprintf(summary, sizeof summary, "%s/clean/summary.json", g_dir);
  assert_int_equal(access(summary, F_OK), 0);
  /* the sanitizer build runs each flow about four times slower: fewer points */
  int asan = getenv("PP_ASAN") != NULL, first = asan ? 10 : 30, spread = asan ? 20 : 40;
  long pts[80];
  int np = 0;
  for (long n = 1; n <= first; n++) pts[np++] = n;
  for (int k = 1; k <= spread; k++) {
    long n = (long)llround(first * pow((double)total / first, (double)k / spread));
    if (n > pts[np - 1] && n <= total) pts[np++] = n;
  }
  for (int i = 0; i < np; i++) {
    char sub[32];
    snprintf(sub, sizeof sub, "f%d", i);
    pp_err_clear(&e);
    g_count = 0;
    if (getenv("PP_ALLOC_VERBOSE")) fprintf(stderr, "failing allocation %ld of %ld\n", pts[i], total);
    g_fail_at = pts[i];
    rc = run_in(sub, &e);
    g_fail_at = 0;
    if (rc == PP_OK) fail_msg("allocation %ld of %ld failed but the run returned PP_OK", pts[i], total);
    if (rc != PP_ENOMEM || e.status != PP_ENOMEM || !e.msg[0])
      fail_msg("allocation %ld of %ld failed: status %d (%d), \"%s\"; expected PP_ENOMEM with a message", pts[i], total,
               rc, e.status, e.msg);
    snprintf(summary, sizeof summary, "%s/%s/summary.json", g_dir, sub);
    if (access(summary, F_OK) == 0) fail_msg("allocation %ld of %ld failed, and %s exists", pts[i], total, summary);
  }
  print_message("run --quick: %ld allocations, %d failure points tried\n", total, np);
}

static int setup(void **st) {
  (void)st;
  return pp_test_tmpdir(g_dir, sizeof g_dir, "pp_alloc_run");
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(g_dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_quick_run)};
  return cmocka_run_group_tests(tests, setup, teardown);
}

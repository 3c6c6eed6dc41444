/* tests/util/test_alloc_fail: allocation-failure injection, SQLite style.
 * This program is linked with -Wl,--wrap=malloc,calloc,realloc,strdup (see
 * CMakeLists.txt), so every allocation the library makes goes through the
 * counters below. Every reader is driven through fuzz/fuzz_readers.c's entry
 * on its seed file (tests/support/pp_seeds.c), run once to count allocations,
 * then again with allocation n made to fail, for every n (or an even sample
 * when there are very many): each such run must return PP_ENOMEM with a
 * message, and the ASan build (make asan-test) checks it leaks nothing.
 * Allocations inside shared libraries (zlib, protobuf-c, libgomp) are not
 * wrapped; those are theirs to handle. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "fuzz_readers.h"
#include "pp/util.h"
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
static char g_dir[256], g_scratch[256];

/* Runs reader on its seed with every allocation in turn made to fail (a
 * sample of at most ~1500 when it makes more). */
static void inject(const char *reader) {
  size_t size = 0;
  char *seed = NULL;
  pp_err e;
  pp_err_clear(&e);
  if (pp_read_file(pp_test_seed_path(g_dir, reader), &seed, &size, &e)) fail_msg("%s", e.msg);
  const uint8_t *data = (const uint8_t *)seed;
  g_fail_at = 0;
  (void)pp_fuzz_one(reader, data, size, g_scratch, &e); /* warm-up: the harness's own one-time state */
  g_count = 0;
  int rc = pp_fuzz_one(reader, data, size, g_scratch, &e);
  long total = g_count;
  if (rc != PP_OK) fail_msg("%s: fails without injection: %s", reader, e.msg);
  assert_true(total > 0);
  long step = total > 1500 ? total / 1000 : 1;
  long tried = 0;
  for (long n = 1; n <= total; n += (n <= 300 ? 1 : step)) {
    g_count = 0;
    g_fail_at = n;
    rc = pp_fuzz_one(reader, data, size, g_scratch, &e);
    g_fail_at = 0;
    tried++;
    if (rc == PP_OK) fail_msg("%s: allocation %ld of %ld failed but the call returned PP_OK", reader, n, total);
    if (rc != PP_ENOMEM || e.status != PP_ENOMEM || !e.msg[0])
      fail_msg("%s: allocation %ld of %ld failed: status %d (%d), \"%s\"; expected PP_ENOMEM with a message", reader,
               n, total, rc, e.status, e.msg);
  }
  print_message("%s: %ld allocations, %ld failure points tried\n", reader, total, tried);
  free(seed);
}

static void test_every_reader(void **st) {
  (void)st;
  int k = 0;
  for (; pp_fuzz_readers[k]; k++) inject(pp_fuzz_readers[k]);
  assert_int_equal(k, 13);
}

static int setup(void **st) {
  (void)st;
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_alloc_fail") || pp_test_write_seeds(g_dir)) return -1;
  return pp_test_tmpdir(g_scratch, sizeof g_scratch, "pp_alloc_scratch");
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(g_dir) | pp_test_rmtree(g_scratch);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_reader)};
  return cmocka_run_group_tests(tests, setup, teardown);
}

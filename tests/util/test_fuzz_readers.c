/* tests/util/test_fuzz_readers: every reader of fuzz/fuzz_readers.c on a real
 * file of its kind and on deterministic damage to it: every truncation (or
 * an even sample of them for big files), single-byte overwrites with the
 * interesting values 0x00, 0xff, '-', '9', '"', and seeded random bursts.
 * Formats that end in a CRC-32 get it recomputed after the damage, so that
 * the parser behind the check is what is attacked. A reader may accept or
 * reject; it must not crash, leak (ASan build) or fail without a message.
 * Then every input in fuzz/corpus/<reader>/ (inputs that once found a bug).
 * With PP_FUZZ_SEEDS_OUT=DIR the seed files are also copied to DIR/<reader>/
 * for make fuzz (fuzz/run.sh) to start its corpora from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

#include <setjmp.h>
#include <cmocka.h>

#include "fuzz_readers.h"
#include "pp/util.h"
#include "pp_test.h"

static char g_dir[256], g_scratch[256];

static int asan(void) { return getenv("PP_ASAN") != NULL; }

static int crc_tail(const char *reader) {
  return !strcmp(reader, "model") || !strcmp(reader, "stats") || !strcmp(reader, "delay");
}

static void fix_crc(const char *reader, uint8_t *b, size_t n) {
  if (!crc_tail(reader) || n < 4) return;
  uint32_t c = (uint32_t)crc32(0L, b, (uInt)(n - 4));
  b[n - 4] = (uint8_t)c;
  b[n - 3] = (uint8_t)(c >> 8);
  b[n - 2] = (uint8_t)(c >> 16);
  b[n - 1] = (uint8_t)(c >> 24);
}

static uint8_t *load(const char *path, size_t *n) {
  pp_err e;
  pp_err_clear(&e);
  char *d = NULL;
  if (pp_read_file(path, &d, n, &e)) fail_msg("%s", e.msg);
  return (uint8_t *)d;
}

static void save_seed(const char *reader, const uint8_t *b, size_t n) {
  const char *out = getenv("PP_FUZZ_SEEDS_OUT");
  if (!out || !*out) return;
  char d[1024], p[1100];
  snprintf(d, sizeof d, "%s/%s", out, reader);
  (void)mkdir(out, 0777);
  (void)mkdir(d, 0777);
  snprintf(p, sizeof p, "%s/seed", d);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

static void attack(const char *reader) {
  size_t n = 0;
  uint8_t *seed = load(pp_test_seed_path(g_dir, reader), &n);
  save_seed(reader, seed, n);
  uint8_t *b = malloc(n + 1);
  assert_non_null(b);
  /* the undamaged file is read back */
  int rc = pp_fuzz_one(reader, seed, n, g_scratch, NULL);
  if (rc != PP_OK) fail_msg("%s: its own seed file is rejected (status %d)", reader, rc);
  long runs = 0, accepted = 0;
  size_t cuts = asan() ? 150 : 600;
  size_t step = n > cuts ? n / cuts : 1;
  for (size_t len = 0; len < n; len += (len < 64 ? 1 : step)) {
    memcpy(b, seed, len);
    fix_crc(reader, b, len);
    accepted += pp_fuzz_one(reader, b, len, g_scratch, NULL) == PP_OK;
    runs++;
  }
  static const uint8_t vals[] = {0x00, 0xff, '-', '9', '"'};
  pp_rng r;
  pp_rng_seed(&r, 2026);
  int flips = asan() ? 80 : 400;
  for (int k = 0; k < flips; k++) {
    memcpy(b, seed, n);
    size_t at = (size_t)(pp_rng_u64(&r) % n);
    if (k % 2)
      b[at] = vals[k / 2 % 5];
    else
      for (size_t i = at; i < n && i < at + 1 + pp_rng_u64(&r) % 8; i++) b[i] = (uint8_t)pp_rng_u64(&r);
    fix_crc(reader, b, n);
    accepted += pp_fuzz_one(reader, b, n, g_scratch, NULL) == PP_OK;
    runs++;
  }
  print_message("%s: %zu-byte seed, %ld damaged inputs, %ld accepted\n", reader, n, runs, accepted);
  free(b);
  free(seed);
}

/* Inputs the fuzzers once found a bug with, kept in fuzz/corpus/<reader>/:
 * each must now be read without a crash, a leak or an error without message. */
static void test_regressions(void **st) {
  (void)st;
  int files = 0;
  for (int k = 0; pp_fuzz_readers[k]; k++) {
    char d[1024];
    snprintf(d, sizeof d, "%s/fuzz/corpus/%s", PP_SOURCE_DIR, pp_fuzz_readers[k]);
    DIR *dir = opendir(d);
    if (!dir) continue;
    struct dirent *de;
    while ((de = readdir(dir))) {
      if (de->d_name[0] == '.') continue;
      size_t n = 0;
      uint8_t *b = load(pp_test_path(d, de->d_name), &n);
      (void)pp_fuzz_one(pp_fuzz_readers[k], b, n, g_scratch, NULL);
      free(b);
      files++;
    }
    closedir(dir);
  }
  assert_true(files >= 1);
}

static void test_every_reader(void **st) {
  (void)st;
  int k = 0;
  for (; pp_fuzz_readers[k]; k++) attack(pp_fuzz_readers[k]);
  assert_int_equal(k, 13); /* a reader added to fuzz_readers.c gets a seed in tests/support/pp_seeds.c */
}

static int setup(void **st) {
  (void)st;
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_fuzz_seeds") || pp_test_write_seeds(g_dir)) return -1;
  return pp_test_tmpdir(g_scratch, sizeof g_scratch, "pp_fuzz_scratch");
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(g_dir) | pp_test_rmtree(g_scratch);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_reader), cmocka_unit_test(test_regressions)};
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* Regression corpus of the readers (fuzzer finds and hand-made edge cases):
 * every file in tests/netlist/corpus/lib is given to the Liberty reader and
 * every file in tests/netlist/corpus/v to the Verilog reader; each must give
 * a result or one clean error with a message, never a crash (ASan checks
 * memory in the sanitizer pass). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"

#define CORPUS PP_SOURCE_DIR "/tests/netlist/corpus/"

typedef int (*one_fn)(const char *text, const char *name, const pp_lib *lib, int *ok);

static int run_lib(const char *text, const char *name, const pp_lib *lib, int *ok) {
  (void)lib;
  pp_lib *out = (pp_lib *)1;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_lib_parse(text, name, &out, &e);
  if (rc == PP_OK) {
    (*ok)++;
    pp_lib_free(out);
    return 1;
  }
  return out == NULL && e.msg[0] && e.status == rc;
}

static int run_v(const char *text, const char *name, const pp_lib *lib, int *ok) {
  pp_netlist *out = (pp_netlist *)1;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_netlist_parse(text, name, lib, NULL, &out, &e);
  if (rc == PP_OK) {
    (*ok)++;
    uint8_t *v = calloc((size_t)out->n_nets + 1, 1);
    pp_netlist_eval(out, v);
    free(v);
    pp_netlist_free(out);
    return 1;
  }
  return out == NULL && e.msg[0] && e.status == rc;
}

static int walk(const char *dir, one_fn fn, const pp_lib *lib, int *ok) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    char *text;
    size_t len;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_read_file(path, &text, &len, &e), PP_OK);
    /* readers take NUL-terminated text: an embedded NUL ends the input early */
    if (!fn(text, de->d_name, lib, ok)) fail_msg("%s: error without a message, or output left behind", path);
    free(text);
    n++;
  }
  closedir(d);
  return n;
}

static void test_liberty_corpus(void **st) {
  (void)st;
  int ok = 0;
  int n = walk(CORPUS "lib", run_lib, NULL, &ok);
  assert_true(n >= 10);
  print_message("liberty corpus: %d files, %d parse\n", n, ok);
}

static void test_verilog_corpus(void **st) {
  (void)st;
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &lib, &e), PP_OK);
  int ok = 0;
  int n = walk(CORPUS "v", run_v, lib, &ok);
  assert_true(n >= 10);
  print_message("verilog corpus: %d files, %d parse\n", n, ok);
  pp_lib_free(lib);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_liberty_corpus), cmocka_unit_test(test_verilog_corpus)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Regression corpus of the readers (fuzzer finds and hand-made edge cases):
 * every file in tests/netlist/corpus/lib is given to the Liberty reader and
 * every file in tests/netlist/corpus/v to the Verilog reader; each must give
 * the result corpus/expect.txt records for it -- a parse, or one clean error
 * with a message naming the file -- never a crash (ASan checks memory in
 * the sanitizer pass). */
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
#include "pp/verilog.h"

#define CORPUS PP_SOURCE_DIR "/tests/netlist/corpus/"

/* What each corpus file must give: corpus/expect.txt holds one line
 * "<dir>/<file> ok|error" per file, so that a reader change which starts to
 * reject a good file or to accept a broken one fails here; a file without a
 * line fails too, until its expected result is written down. */
typedef struct {
  char name[128];
  int ok;
  int seen;
} expect;

static expect g_exp[512];
static int g_nexp;

static void load_expect(void) {
  char *text;
  size_t len;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_read_file(CORPUS "expect.txt", &text, &len, &e), PP_OK);
  int line = 0;
  for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
    line++;
    if (!*s || *s == '#') continue;
    char what[16];
    assert_true(g_nexp < 512);
    expect *x = &g_exp[g_nexp++];
    if (sscanf(s, "%127s %15s", x->name, what) != 2 || (strcmp(what, "ok") && strcmp(what, "error")))
      fail_msg("expect.txt:%d: expected \"<dir>/<file> ok|error\", got \"%s\"", line, s);
    x->ok = !strcmp(what, "ok");
  }
  free(text);
}

static expect *find_expect(const char *name) {
  for (int i = 0; i < g_nexp; i++)
    if (!strcmp(g_exp[i].name, name)) return &g_exp[i];
  return NULL;
}

/* Parses one file; 1 when it parsed, 0 when it failed cleanly (the status
 * returned and recorded, a message that names the file, no output left). */
typedef int (*one_fn)(const char *path, const char *text, const char *name, const pp_lib *lib);

static void check_clean_error(const char *path, int rc, const void *out, const pp_err *e, const char *name) {
  if (out != NULL) fail_msg("%s: error %d with output left behind", path, rc);
  if (!e->msg[0]) fail_msg("%s: error %d without a message", path, rc);
  if (e->status != rc) fail_msg("%s: returned %d, recorded %d", path, rc, e->status);
  if (strcmp(e->file, name)) fail_msg("%s: the error names '%s', not the input '%s'", path, e->file, name);
}

static int run_lib(const char *path, const char *text, const char *name, const pp_lib *lib) {
  (void)lib;
  pp_lib *out = (pp_lib *)1;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_lib_parse(text, name, &out, &e);
  if (rc == PP_OK) {
    assert_non_null(out);
    pp_lib_free(out);
    return 1;
  }
  check_clean_error(path, rc, out, &e, name);
  return 0;
}

static int run_v(const char *path, const char *text, const char *name, const pp_lib *lib) {
  pp_netlist *out = (pp_netlist *)1;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_netlist_parse(text, name, lib, NULL, &out, &e);
  if (rc == PP_OK) {
    assert_non_null(out);
    uint8_t *v = calloc((size_t)out->n_nets + 1, 1);
    pp_netlist_eval(out, v);
    free(v);
    pp_netlist_free(out);
    return 1;
  }
  check_clean_error(path, rc, out, &e, name);
  return 0;
}

/* Every file of CORPUS<sub> through fn, each against its line in expect.txt;
 * returns how many files there were, *nok how many parsed. */
static int walk(const char *sub, one_fn fn, const pp_lib *lib, int *nok) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s%s", CORPUS, sub);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char path[4096 + 256], key[512];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    snprintf(key, sizeof key, "%s/%s", sub, de->d_name);
    char *text;
    size_t len;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_read_file(path, &text, &len, &e), PP_OK);
    /* readers take NUL-terminated text: an embedded NUL ends the input early */
    int ok = fn(path, text, de->d_name, lib);
    free(text);
    expect *x = find_expect(key);
    if (!x) fail_msg("%s: no line in corpus/expect.txt (it gives: %s %s)", path, key, ok ? "ok" : "error");
    if (x->ok != ok) fail_msg("%s: expected %s, got %s", path, x->ok ? "ok" : "a clean error", ok ? "ok" : "an error");
    x->seen = 1;
    *nok += ok;
    n++;
  }
  closedir(d);
  return n;
}

static void test_liberty_corpus(void **st) {
  (void)st;
  int ok = 0;
  int n = walk("lib", run_lib, NULL, &ok);
  assert_true(n >= 10);
  assert_true(ok >= 1 && ok < n); /* both kinds present */
  print_message("liberty corpus: %d files, %d parse\n", n, ok);
}

static void test_verilog_corpus(void **st) {
  (void)st;
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &lib, &e), PP_OK);
  int ok = 0;
  int n = walk("v", run_v, lib, &ok);
  assert_true(n >= 10);
  assert_true(ok >= 1 && ok < n);
  print_message("verilog corpus: %d files, %d parse\n", n, ok);
  pp_lib_free(lib);
}

/* Every line of expect.txt names a file that is there. */
static void test_expect_complete(void **st) {
  (void)st;
  for (int i = 0; i < g_nexp; i++)
    if (!g_exp[i].seen) fail_msg("corpus/expect.txt names %s, which is not in the corpus", g_exp[i].name);
}

static int setup(void **st) {
  (void)st;
  load_expect();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_liberty_corpus), cmocka_unit_test(test_verilog_corpus),
                                     cmocka_unit_test(test_expect_complete)};
  return cmocka_run_group_tests(tests, setup, NULL);
}

/* Tests of `powerprune sim` and `powerprune sta` on the built-in MAC: the
 * JSON a user scripts against (critical path, values, energies) and clear
 * errors for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char *run(const char *args, int *status) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", exe, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += k;
    if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return buf;
}

static double num_after(const char *s, const char *key) {
  const char *p = strstr(s, key);
  assert_non_null(p);
  p = strchr(p, ':');
  assert_non_null(p);
  return strtod(p + 1, NULL);
}

static void test_sta_json(void **st) {
  (void)st;
  int rc;
  char *out = run("sta --json", &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "\"format\": \"powerprune-sta/1\""));
  double crit = num_after(out, "\"critical_path_ps\"");
  assert_true(crit > 50 && crit < 5000);
  assert_non_null(strstr(out, "\"cell\": \"")); /* the path names its cells */
  assert_non_null(strstr(out, "\"input_bit_max_ps\""));
  free(out);
  out = run("sta --part adder --json", &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "\"prod\": ["));
  free(out);
}

static void test_sim_values(void **st) {
  (void)st;
  int rc;
  char *out = run("sim --set w=5 --from a=3,p=100 --to a=200,p=-7 --json", &rc);
  assert_int_equal(rc, 0);
  assert_true(num_after(out, "\"value\"") == 993.0); /* 5 * 200 - 7 */
  double e = num_after(out, "\"energy_fj\""), sw = num_after(out, "\"switching_fj\""),
         in = num_after(out, "\"internal_fj\"");
  assert_true(e > 0 && sw > 0 && in > 0);
  assert_true(e - sw - in < 1e-6 && e - sw - in > -1e-6);
  assert_true(num_after(out, "\"max_settle_ps\"") > 0);
  free(out);
  out = run("sim --set w=-128 --from a=0 --to a=255,p=-1 --json", &rc);
  assert_int_equal(rc, 0);
  assert_true(num_after(out, "\"value\"") == -128.0 * 255 - 1);
  free(out);
}

static void test_sim_errors(void **st) {
  (void)st;
  int rc;
  char *out = run("sim --from q=1 --to a=1", &rc);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "no input port 'q'"));
  free(out);
  out = run("sim --from a=256 --to a=1", &rc);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "does not fit"));
  free(out);
  char path[] = "/tmp/pp_sim_tr_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "# transitions\na=1 -> a=2\n\na=3, a=4\n");
  fclose(f);
  char args[256];
  snprintf(args, sizeof args, "sim --transitions %s", path);
  out = run(args, &rc);
  assert_int_equal(rc, 3);
  assert_non_null(strstr(out, ":4: expected"));
  free(out);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sta_json), cmocka_unit_test(test_sim_values),
                                     cmocka_unit_test(test_sim_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

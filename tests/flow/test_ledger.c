/* Tests of the flow ledger: finished stages are skipped on a rerun, a changed
 * option redoes that stage and every later one, a missing output file or a
 * corrupt stage file redoes the stage, and results read back unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/flow.h"

static char dir[256];
static char logbuf[8192];

static void logger(void *u, const char *msg) {
  (void)u;
  strncat(logbuf, msg, sizeof logbuf - strlen(logbuf) - 2);
  strcat(logbuf, "\n");
}

static int setup(void **st) {
  (void)st;
  snprintf(dir, sizeof dir, "/tmp/pp_test_ledger.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st) {
  (void)st;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Two fake stages: "make" writes data.txt = a*b; "use" reads it and adds c. */
typedef struct {
  int ran_make, ran_use;
  double made, used;
} run_out;

static void run_flow(int a, int b, int c, run_out *out) {
  pp_flow_ledger l = {0};
  l.log = logger;
  pp_err e;
  pp_err_clear(&e);
  memset(out, 0, sizeof *out);
  assert_int_equal(pp_flow_ledger_open(&l, dir, &e), PP_OK);

  pp_flow_opts_str o1 = {0};
  pp_flow_opt(&o1, "a", "%d", a);
  pp_flow_opt(&o1, "b", "%d", b);
  pp_report_jv res;
  int done = pp_flow_stage_check(&l, "01-make", &o1, &res, &e);
  assert_true(done >= 0);
  if (done) {
    out->made = pp_report_jv_num(&res, "value", -1);
    pp_report_jv_free(&res);
  } else {
    out->ran_make = 1;
    out->made = a * b;
    char p[512];
    FILE *f = fopen(pp_flow_path(&l, "data.txt", p, sizeof p), "w");
    fprintf(f, "%g\n", out->made);
    fclose(f);
    char js[128];
    snprintf(js, sizeof js, "{\"value\": %g}", out->made);
    const char *files[] = {"data.txt", NULL};
    assert_int_equal(pp_flow_stage_commit(&l, "01-make", &o1, js, files, 0.5, &e), PP_OK);
  }

  pp_flow_opts_str o2 = {0};
  pp_flow_opt(&o2, "c", "%d", c);
  done = pp_flow_stage_check(&l, "02-use", &o2, &res, &e);
  if (done) {
    out->used = pp_report_jv_num(&res, "value", -1);
    pp_report_jv_free(&res);
  } else {
    out->ran_use = 1;
    char p[512], *t;
    assert_int_equal(pp_read_file(pp_flow_path(&l, "data.txt", p, sizeof p), &t, NULL, &e), PP_OK);
    out->used = atof(t) + c;
    free(t);
    char js[128];
    snprintf(js, sizeof js, "{\"value\": %g, \"note\": \"x\\\"y\"}", out->used);
    assert_int_equal(pp_flow_stage_commit(&l, "02-use", &o2, js, NULL, 0.1, &e), PP_OK);
  }
}

static void test_resume(void **st) {
  (void)st;
  run_out r;
  logbuf[0] = 0;
  run_flow(3, 4, 5, &r);
  assert_true(r.ran_make && r.ran_use);
  assert_true(r.made == 12 && r.used == 17);

  /* rerun: both skipped, same results, and the log says so */
  logbuf[0] = 0;
  run_flow(3, 4, 5, &r);
  assert_true(!r.ran_make && !r.ran_use);
  assert_true(r.made == 12 && r.used == 17);
  assert_non_null(strstr(logbuf, "stage 01-make: done already"));
  assert_non_null(strstr(logbuf, "stage 02-use: done already"));

  /* a later option changed: only the later stage runs */
  logbuf[0] = 0;
  run_flow(3, 4, 6, &r);
  assert_true(!r.ran_make && r.ran_use);
  assert_true(r.used == 18);
  assert_non_null(strstr(logbuf, "02-use: options or an earlier stage changed"));

  /* an earlier option changed: everything after it runs again */
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make && r.ran_use);
  assert_true(r.made == 8 && r.used == 14);

  /* interrupted: the late stage file is gone; the early stage is skipped */
  char p[512];
  snprintf(p, sizeof p, "%s/stages/02-use.json", dir);
  assert_int_equal(unlink(p), 0);
  run_flow(2, 4, 6, &r);
  assert_true(!r.ran_make && r.ran_use);
  assert_true(r.used == 14);

  /* a file a stage made is gone: that stage runs again */
  snprintf(p, sizeof p, "%s/data.txt", dir);
  assert_int_equal(unlink(p), 0);
  logbuf[0] = 0;
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make);
  assert_non_null(strstr(logbuf, "data.txt is missing"));

  /* a corrupt stage file (e.g. hand-edited) is run again, not trusted */
  snprintf(p, sizeof p, "%s/stages/01-make.json", dir);
  FILE *f = fopen(p, "w");
  fputs("{\"format\": \"powerprune-stage/1\", \"stage\": \"01-make\", \"res", f);
  fclose(f);
  logbuf[0] = 0;
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make && !r.ran_use);
  assert_non_null(strstr(logbuf, "cannot read"));

  /* the stage file records the options that produced it */
  pp_report_jv v;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_report_jv_load(p, &v, &e), PP_OK);
  assert_string_equal(pp_report_jv_str(&v, "options.a", ""), "2");
  assert_string_equal(pp_report_jv_str(&v, "options.b", ""), "4");
  assert_true(pp_report_jv_num(&v, "result.value", 0) == 8);
  assert_int_equal(strlen(pp_report_jv_str(&v, "key", "")), 16);
  pp_report_jv_free(&v);
}

static void test_force_and_keys(void **st) {
  (void)st;
  pp_flow_ledger l = {0};
  l.force = 1;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l, dir, &e), PP_OK);
  assert_int_equal(l.force, 1);
  pp_flow_opts_str o = {0};
  pp_flow_opt(&o, "a", "%d", 1);
  pp_report_jv res;
  assert_int_equal(pp_flow_stage_check(&l, "x", &o, &res, &e), 0);
  assert_int_equal(pp_flow_stage_commit(&l, "x", &o, "{}", NULL, 0, &e), PP_OK);
  assert_int_equal(pp_flow_stage_check(&l, "x", &o, &res, &e), 0); /* forced */
  /* a result that is not an object is refused */
  pp_err_clear(&e);
  assert_int_not_equal(pp_flow_stage_commit(&l, "x", &o, "[1]", NULL, 0, &e), PP_OK);
  pp_err_clear(&e);
  assert_int_equal(pp_flow_stage_commit(&l, "x", &o, "{bad", NULL, 0, &e), PP_EPARSE);
  /* keys differ by name, options and order */
  assert_true(pp_flow_hash(1, "ab", 2) != pp_flow_hash(1, "ba", 2));
  /* no output folder is an error, not a crash */
  pp_flow_ledger l2 = {0};
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l2, "", &e), PP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resume),
      cmocka_unit_test(test_force_and_keys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

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
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
  pp_jv res;
  int done = pp_flow_stage_check(&l, "01-make", &o1, &res, &e);
  assert_true(done >= 0);
  if (done) {
    out->made = pp_jv_num(&res, "value", -1);
    pp_jv_free(&res);
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
    out->used = pp_jv_num(&res, "value", -1);
    pp_jv_free(&res);
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
  pp_flow_ledger_close(&l);
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

  /* a file a stage made changed (truncated; or same size, other bytes): the
   * stage runs again, the later one (whose own files are intact) does not */
  FILE *f = fopen(p, "w");
  fputs("8", f); /* was "8\n" */
  fclose(f);
  logbuf[0] = 0;
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make && !r.ran_use);
  assert_true(r.made == 8 && r.used == 14);
  assert_non_null(strstr(logbuf, "data.txt changed since the stage made it"));
  f = fopen(p, "w");
  fputs("9\n", f);
  fclose(f);
  logbuf[0] = 0;
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make);
  assert_non_null(strstr(logbuf, "CRC"));
  run_flow(2, 4, 6, &r);
  assert_true(!r.ran_make && !r.ran_use); /* rewritten by the rerun: trusted again */

  /* a corrupt stage file (e.g. hand-edited) is run again, not trusted */
  snprintf(p, sizeof p, "%s/stages/01-make.json", dir);
  f = fopen(p, "w");
  fputs("{\"format\": \"powerprune-stage/2\", \"stage\": \"01-make\", \"res", f);
  fclose(f);
  logbuf[0] = 0;
  run_flow(2, 4, 6, &r);
  assert_true(r.ran_make && !r.ran_use);
  assert_non_null(strstr(logbuf, "cannot read"));

  /* the stage file records the options that produced it */
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(p, &v, &e), PP_OK);
  assert_string_equal(pp_jv_str(&v, "options.a", ""), "2");
  assert_string_equal(pp_jv_str(&v, "options.b", ""), "4");
  assert_true(pp_jv_num(&v, "result.value", 0) == 8);
  assert_int_equal(strlen(pp_jv_str(&v, "key", "")), 16);
  const pp_jv *fl = pp_jv_get(&v, "files");
  assert_non_null(fl);
  assert_int_equal(fl->n, 1);
  assert_string_equal(pp_jv_str(&fl->items[0], "name", ""), "data.txt");
  assert_true(pp_jv_num(&fl->items[0], "bytes", 0) == 2);
  assert_int_equal(strlen(pp_jv_str(&fl->items[0], "crc32", "")), 8);
  pp_jv_free(&v);
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
  pp_jv res;
  assert_int_equal(pp_flow_stage_check(&l, "x", &o, &res, &e), 0);
  assert_int_equal(pp_flow_stage_commit(&l, "x", &o, "{}", NULL, 0, &e), PP_OK);
  assert_int_equal(pp_flow_stage_check(&l, "x", &o, &res, &e), 0); /* forced */
  pp_flow_ledger_close(&l);
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

/* One writer per folder: a second ledger on a locked folder fails naming the
 * lock and its holder; a holder that was killed leaves a stale lock that the
 * next run takes over. */
static void test_lock(void **st) {
  (void)st;
  int go[2], done[2];
  assert_int_equal(pipe(go), 0);
  assert_int_equal(pipe(done), 0);
  pid_t kid = fork();
  assert_true(kid >= 0);
  if (kid == 0) { /* holds the folder until killed */
    pp_flow_ledger l = {0};
    pp_err e;
    pp_err_clear(&e);
    char c = pp_flow_ledger_open(&l, dir, &e) == PP_OK ? 'y' : 'n';
    if (write(go[1], &c, 1) != 1) _exit(1);
    if (read(done[0], &c, 1) < 0) _exit(1);
    _exit(0);
  }
  char c = 0;
  assert_int_equal(read(go[0], &c, 1), 1);
  assert_int_equal(c, 'y');
  pp_flow_ledger l = {0};
  l.log = logger;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l, dir, &e), PP_EIO);
  char want[64];
  snprintf(want, sizeof want, "process %ld holds this lock", (long)kid);
  assert_non_null(strstr(e.msg, want));
  assert_non_null(strstr(e.file, PP_FLOW_LOCK_NAME));
  assert_non_null(strstr(e.msg, "in use"));
  /* the holder is killed (SIGKILL: no cleanup at all): the lock is stale */
  kill(kid, SIGKILL);
  int ws;
  waitpid(kid, &ws, 0);
  logbuf[0] = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l, dir, &e), PP_OK);
  assert_non_null(strstr(logbuf, "stale lock"));
  /* while we hold it, a second open in this process is refused too */
  pp_flow_ledger l2 = {0};
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l2, dir, &e), PP_EIO);
  snprintf(want, sizeof want, "process %ld holds", (long)getpid());
  assert_non_null(strstr(e.msg, want));
  pp_flow_ledger_close(&l);
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l2, dir, &e), PP_OK);
  pp_flow_ledger_close(&l2);
  close(go[0]), close(go[1]), close(done[0]), close(done[1]);
}

/* Temporary files of a killed run are removed by the next one (and only they). */
static void test_cleans_temporaries(void **st) {
  (void)st;
  char p[512];
  const char *junk[] = {"summary.json.tmp.4242", "stages/01-make.json.tmp.77", "x.svg.tmp.9.v", NULL};
  for (int i = 0; junk[i]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, junk[i]);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
  }
  snprintf(p, sizeof p, "%s/.pp-stage.abc123", dir);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/.pp-stage.abc123/out.v", dir);
  FILE *f = fopen(p, "w");
  fclose(f);
  snprintf(p, sizeof p, "%s/notes.tmp.txt", dir); /* a user's file: kept */
  f = fopen(p, "w");
  fclose(f);
  pp_flow_ledger l = {0};
  l.log = logger;
  logbuf[0] = 0;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_flow_ledger_open(&l, dir, &e), PP_OK);
  pp_flow_ledger_close(&l);
  assert_non_null(strstr(logbuf, "removed 4 temporary files"));
  for (int i = 0; junk[i]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, junk[i]);
    assert_int_not_equal(access(p, F_OK), 0);
  }
  snprintf(p, sizeof p, "%s/.pp-stage.abc123", dir);
  assert_int_not_equal(access(p, F_OK), 0);
  snprintf(p, sizeof p, "%s/notes.tmp.txt", dir);
  assert_int_equal(access(p, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resume),
      cmocka_unit_test(test_lock),
      cmocka_unit_test(test_cleans_temporaries),
      cmocka_unit_test(test_force_and_keys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

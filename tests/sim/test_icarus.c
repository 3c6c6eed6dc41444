/* Cross-check of the event engine against Icarus Verilog: the same netlist
 * and delays written as Verilog, the same random transitions, identical
 * toggle counts and last-change times on every net (skipped without iverilog). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlbuild.h"
#include "pp/macgen.h"
#include "pp/sim.h"
#include "pp/verilog.h"
#include "pp_hostile.h"

static pp_lib *LIB;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  return pp_lib_read(pp_lib_default_path(), &LIB, &e) ? -1 : 0;
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(LIB);
  return 0;
}

/* Simulates the transitions with both, compares every net; returns the
 * number of (transition, net) pairs compared. */
static long cross_check(const pp_netlist *nl, pp_rng *r, int n_tr, int chained, const char *name) {
  pp_sim_opts o;
  pp_sim_opts_default(&o);
  pp_sim_model *m;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_sim_model_new(nl, &o, &m, &e), PP_OK);
  int nb = pp_sim_n_input_bits(m), nn = nl->n_nets;
  uint8_t *oldv = calloc((size_t)(n_tr + 1) * nb, 1), *newv = calloc((size_t)(n_tr + 1) * nb, 1);
  for (int i = 0; i < (n_tr + 1) * nb; i++) oldv[i] = pp_rng_below(r, 2), newv[i] = pp_rng_below(r, 2);
  /* the model file carries a hostile name: iverilog and vvp get it as an
   * argument, never through a shell; a leading '-' stays relative */
  char path[512];
  if (name[0] == '-') snprintf(path, sizeof path, "%s_%d_%d.v", name, (int)getpid(), chained);
  else snprintf(path, sizeof path, "%s/pp_icarus_%d_%d_%s.v", P_tmpdir, (int)getpid(), chained, name);
  assert_int_equal(pp_sim_icarus_write(m, path, chained ? NULL : oldv, newv, n_tr, 1, &e), PP_OK);
  int *tog = calloc((size_t)n_tr * nn, sizeof(int));
  int32_t *last = calloc((size_t)n_tr * nn, sizeof(int32_t));
  int st = pp_sim_icarus_run(m, path, n_tr, tog, last, NULL, &e);
  if (st) {
    char buf[1200];
    fprintf(stderr, "%s\n", pp_err_format(&e, buf, sizeof buf));
  }
  assert_int_equal(st, PP_OK);
  remove(path);
  pp_sim_ws *w;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  long compared = 0, glitches = 0;
  for (int k = 0; k < n_tr; k++) {
    const uint8_t *a = chained ? newv + (size_t)k * nb : oldv + (size_t)k * nb;
    const uint8_t *b = chained ? newv + (size_t)(k + 1) * nb : newv + (size_t)k * nb;
    pp_sim_result res;
    assert_int_equal(pp_sim_transition(w, a, b, PP_SIM_NET_DETAIL, &res), PP_OK);
    for (int n = 0; n < nn; n++) {
      if (res.net_toggles[n] != tog[(size_t)k * nn + n] ||
          (int32_t)(res.net_last_ps[n] + 0.5) != last[(size_t)k * nn + n])
        fail_msg("transition %d net %d: ours %d toggles, last %g; icarus %d, last %d", k, n, res.net_toggles[n],
                 res.net_last_ps[n], tog[(size_t)k * nn + n], last[(size_t)k * nn + n]);
      glitches += res.net_toggles[n] > 1;
      compared++;
    }
  }
  assert_true(glitches > 0); /* the check covered glitches, not only clean edges */
  free(oldv), free(newv), free(tog), free(last);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  return compared;
}

static void test_icarus_random(void **st) {
  (void)st;
  if (!pp_sim_icarus_available()) skip();
  pp_rng r;
  pp_rng_seed(&r, 5);
  long total = 0;
  for (int c = 0; c < (int)PP_N_HOSTILE; c++) {
    nb b;
    nb_random(&b, LIB, &r, 6 + c % 6, 60 + 20 * (c % 6));
    total += cross_check(&b.nl, &r, 150, c & 1, pp_hostile_names[c]);
    nb_free(&b);
  }
  fprintf(stderr, "icarus: %ld (transition, net) pairs identical\n", total);
  assert_int_not_equal(access("pwned", F_OK), 0);
  char pw[300];
  snprintf(pw, sizeof pw, "%s/pwned", P_tmpdir);
  assert_int_not_equal(access(pw, F_OK), 0);
}

/* The generated MAC, both architectures, every net of every transition. */
static void test_icarus_mac(void **st) {
  (void)st;
  if (!pp_sim_icarus_available()) skip();
  pp_rng r;
  pp_rng_seed(&r, 8);
  for (int arch = 0; arch < 2; arch++) {
    pp_mac_opts o;
    pp_mac_opts_default(&o);
    o.mult = arch ? PP_MULT_BOOTH : PP_MULT_ARRAY;
    o.adder = arch ? PP_ADDER_PREFIX : PP_ADDER_RIPPLE;
    char path[] = "/tmp/pp_test_icmac_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    pp_err e;
    pp_err_clear(&e);
    pp_netlist *nl;
    assert_int_equal(pp_mac_generate(&o, LIB, path, &e), PP_OK);
    assert_int_equal(pp_netlist_read(path, LIB, NULL, &nl, &e), PP_OK);
    remove(path);
    long n = cross_check(nl, &r, 200, arch, "mac");
    fprintf(stderr, "icarus: MAC %s: %ld (transition, net) pairs identical\n", nl->top, n);
    pp_netlist_free(nl);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_icarus_random), cmocka_unit_test(test_icarus_mac)};
  return cmocka_run_group_tests(tests, setup, teardown);
}

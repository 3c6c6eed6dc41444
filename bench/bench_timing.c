/* bench_timing: the delay-table kernel (time-stepped bit-parallel DTA, 256
 * transitions per call) against its event-driven reference on the same
 * weight of the default 8-bit MAC; prints both rates and the ratio.
 * Run: make bench-timing */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/characterize.h"

int main(int argc, char **argv) {
  int w = argc > 1 ? atoi(argv[1]) : -105;
  char dir[] = "/tmp/pp_bench_timing_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.work_dir = dir;
  pp_char_mac mac;
  pp_err e;
  pp_err_clear(&e);
  char b[1200];
  if (pp_char_mac_load(&s, PP_CHAR_MULT | PP_CHAR_ADDER, &mac, &e)) {
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  pp_char_adder_sta ad;
  if (pp_char_adder_sta_run(mac.m[2], &ad, &e)) return 1;
  enum { NA = 256, ALL = NA * NA };
  uint16_t *fast = malloc(ALL * sizeof *fast), *ref = malloc(ALL * sizeof *ref), *pairs = malloc(ALL * sizeof *pairs);
  for (int k = 0; k < ALL; k++) pairs[k] = (uint16_t)k; /* a_from << 8 | a_to */
  double t0 = pp_now();
  if (pp_char_timing_weight(mac.m[1], &ad, w, fast, &e)) return 1;
  double t1 = pp_now();
  if (pp_char_timing_ref(mac.m[1], &ad, w, pairs, ALL, ref, &e)) return 1;
  double t2 = pp_now();
  long diff = 0;
  for (int k = 0; k < ALL; k++) diff += fast[k] != ref[k];
  printf("weight %d, %d transitions: bit-parallel %.3f s (%.2f us/transition), event reference %.3f s "
         "(%.2f us/transition), speed-up %.1fx, %ld differences\n",
         w, ALL, t1 - t0, (t1 - t0) / ALL * 1e6, t2 - t1, (t2 - t1) / ALL * 1e6, (t2 - t1) / (t1 - t0), diff);
  printf("projected single-thread time for all 255 weights: %.0f s\n", (t1 - t0) * 255);
  free(fast);
  free(ref);
  free(pairs);
  pp_char_mac_free(&mac);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) != 0 || diff != 0;
}

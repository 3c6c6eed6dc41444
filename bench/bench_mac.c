/* bench_mac: speed of the exhaustive MAC check. Times pp_mac_check (64-way
 * bit-parallel, pp_netlist_eval64) against the same 2^16 (w, a) vectors run
 * one at a time through the reference pp_netlist_eval, on the default
 * Booth/prefix MAC, and prints the ratio. Run: make bench-mac */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/verilog.h"

int main(void) {
  pp_err e;
  pp_err_clear(&e);
  char buf[1200], path[64];
  pp_lib *lib;
  if (pp_lib_read(pp_lib_default_path(), &lib, &e)) return fprintf(stderr, "%s\n", pp_err_format(&e, buf, sizeof buf)), 1;
  snprintf(path, sizeof path, "/tmp/bench_mac_%ld.v", (long)getpid());
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.mult = PP_MULT_BOOTH;
  o.adder = PP_ADDER_PREFIX;
  pp_netlist *nl;
  if (pp_mac_generate(&o, lib, path, &e) || pp_netlist_read(path, lib, NULL, &nl, &e))
    return fprintf(stderr, "%s\n", pp_err_format(&e, buf, sizeof buf)), 1;
  remove(path);
  double t0 = pp_now();
  pp_mac_check_result r;
  int reps = 10;
  for (int i = 0; i < reps; i++) pp_mac_check(nl, 1, &r, &e);
  double fast = (pp_now() - t0) / reps;
  /* naive: one vector at a time */
  uint8_t *v = calloc((size_t)nl->n_nets, 1);
  const pp_port *pw = &nl->inputs[pp_netlist_find_input(nl, "w")], *pa = &nl->inputs[pp_netlist_find_input(nl, "a")];
  const pp_port *pp = &nl->inputs[pp_netlist_find_input(nl, "p")], *py = &nl->outputs[pp_netlist_find_output(nl, "y")];
  pp_rng g;
  pp_rng_seed(&g, 1);
  long bad = 0;
  t0 = pp_now();
  for (int w = -128; w < 128; w++)
    for (int a = 0; a < 256; a++) {
      long long p = (long long)(pp_rng_u64(&g) & 0x3fffff) - (1 << 21);
      for (int b = 0; b < 8; b++) v[pw->bits[b]] = (w >> b) & 1, v[pa->bits[b]] = (a >> b) & 1;
      for (int b = 0; b < 22; b++) v[pp->bits[b]] = (p >> b) & 1;
      pp_netlist_eval(nl, v);
      unsigned long y = 0;
      for (int b = 0; b < 22; b++) y |= (unsigned long)v[py->bits[b]] << b;
      bad += y != ((unsigned long)(p + (long long)w * a) & 0x3fffff);
    }
  double slow = pp_now() - t0;
  printf("bench-mac: %d cells; exhaustive check (65536 pairs + edges) bit-parallel %.4f s, one vector at a time "
         "%.4f s: %.1fx faster (mismatches %lld / %ld)\n",
         nl->n_gates, fast, slow, slow / fast, r.mismatches, bad);
  free(v);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return r.mismatches || bad;
}

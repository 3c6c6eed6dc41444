/* pann internals shared by fit.c and accum.c: a generated MAC part ready
 * for the timed simulator. Not a public API. */
#ifndef PP_PANN_INTERNAL_H
#define PP_PANN_INTERNAL_H

#include "pp/pann.h"
#include "pp/sim.h"

typedef struct part {
  pp_netlist *nl;
  pp_sim_model *sm;
  pp_sim_ws *ws;
  int port[3]; /* input ports in the order the stream gives values */
  int nports;
} part;

/* Generates the part mo in dir (file removed after reading), builds the
 * simulation model and finds the named input ports. */
int pann_part_build(const pp_lib *lib, const pp_mac_opts *mo, const char *dir, const char *const *ports, int nports,
                    part *p, pp_err *e);
void pann_part_free(part *p);
/* Energies (fJ) of the n-1 transitions of a stream of input vectors (n x nports). */
int pann_part_stream(part *p, const int64_t *vals, long n, double *E, pp_err *e);

#endif

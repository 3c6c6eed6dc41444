/* netlist/eval: zero-delay evaluation of the gate graph (one vector at a
 * time as the obviously-right reference, and 64 vectors per machine word for
 * exhaustive checks). */
#include <stdint.h>

#include "pp/netlist.h"

static void set_consts(const pp_netlist *nl, uint8_t *v) {
  for (int n = 0; n < nl->n_nets; n++) {
    if (nl->nets[n].drv_kind == PP_DRV_CONST0) v[n] = 0;
    if (nl->nets[n].drv_kind == PP_DRV_CONST1) v[n] = 1;
  }
}

void pp_netlist_eval(const pp_netlist *nl, uint8_t *values) {
  set_consts(nl, values);
  for (int k = 0; k < nl->n_gates; k++) {
    const pp_gate *g = &nl->gates[k];
    const pp_lib_cell *cell = &nl->lib->cells[g->cell];
    unsigned row = 0;
    for (int q = 0; q < g->n_in; q++) row |= (unsigned)(values[g->in[q]] & 1) << q;
    for (int o = 0; o < g->n_out; o++)
      if (g->out[o] >= 0) values[g->out[o]] = (uint8_t)((cell->pins[cell->outputs[o]].truth >> row) & 1);
  }
}

/* One output word of a truth table over n input words: Shannon expansion on
 * the last input, down to constants. */
static uint64_t tt_eval64(uint64_t truth, int n, const uint64_t *in) {
  if (n == 0) return (truth & 1) ? ~(uint64_t)0 : 0;
  int half = 1 << (n - 1);
  uint64_t lo_mask = half >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << half) - 1);
  uint64_t f0 = truth & lo_mask, f1 = (half >= 64 ? 0 : truth >> half) & lo_mask;
  if (f0 == f1) return tt_eval64(f0, n - 1, in); /* the function ignores this input */
  uint64_t a = tt_eval64(f0, n - 1, in), b = tt_eval64(f1, n - 1, in);
  uint64_t x = in[n - 1];
  return (a & ~x) | (b & x);
}

void pp_netlist_eval64(const pp_netlist *nl, uint64_t *values) {
  for (int n = 0; n < nl->n_nets; n++) {
    if (nl->nets[n].drv_kind == PP_DRV_CONST0) values[n] = 0;
    if (nl->nets[n].drv_kind == PP_DRV_CONST1) values[n] = ~(uint64_t)0;
  }
  for (int k = 0; k < nl->n_gates; k++) {
    const pp_gate *g = &nl->gates[k];
    const pp_lib_cell *cell = &nl->lib->cells[g->cell];
    uint64_t in[PP_LIB_MAX_INPUTS];
    for (int q = 0; q < g->n_in; q++) in[q] = values[g->in[q]];
    for (int o = 0; o < g->n_out; o++)
      if (g->out[o] >= 0) values[g->out[o]] = tt_eval64(cell->pins[cell->outputs[o]].truth, g->n_in, in);
  }
}

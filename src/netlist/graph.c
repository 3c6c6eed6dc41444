/* netlist/graph: the gate graph's life cycle and queries: freeing it, port
 * lookup by name, and the fanout/load pass every builder (the Verilog
 * reader, the MAC generator) ends with. */
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"

void pp_netlist_free(pp_netlist *nl) {
  if (!nl) return;
  for (int i = 0; i < nl->n_nets; i++) {
    free(nl->nets[i].name);
    free(nl->nets[i].fanout);
    free(nl->nets[i].fanout_pin);
  }
  free(nl->nets);
  for (int i = 0; i < nl->n_gates; i++) free(nl->gates[i].name);
  free(nl->gates);
  for (int i = 0; i < nl->n_inputs; i++) {
    free(nl->inputs[i].name);
    free(nl->inputs[i].bits);
  }
  free(nl->inputs);
  for (int i = 0; i < nl->n_outputs; i++) {
    free(nl->outputs[i].name);
    free(nl->outputs[i].bits);
  }
  free(nl->outputs);
  free(nl->top);
  free(nl);
}

int pp_netlist_finish_loads(pp_netlist *nl, double out_load) {
  for (int n = 0; n < nl->n_nets; n++) {
    nl->nets[n].n_fanout = 0;
    free(nl->nets[n].fanout);
    free(nl->nets[n].fanout_pin);
    nl->nets[n].fanout = NULL;
    nl->nets[n].fanout_pin = NULL;
    nl->nets[n].load_rise_ff = nl->nets[n].load_ff;
    nl->nets[n].load_fall_ff = nl->nets[n].load_ff;
  }
  for (int k = 0; k < nl->n_gates; k++)
    for (int q = 0; q < nl->gates[k].n_in; q++) nl->nets[nl->gates[k].in[q]].n_fanout++;
  for (int n = 0; n < nl->n_nets; n++) {
    pp_net *net = &nl->nets[n];
    int c = net->n_fanout ? net->n_fanout : 1;
    net->fanout = malloc(sizeof(int) * (size_t)c);
    net->fanout_pin = malloc(sizeof(int) * (size_t)c);
    if (!net->fanout || !net->fanout_pin) return PP_ENOMEM;
    net->n_fanout = 0;
  }
  for (int k = 0; k < nl->n_gates; k++) {
    const pp_lib_cell *cell = &nl->lib->cells[nl->gates[k].cell];
    for (int q = 0; q < nl->gates[k].n_in; q++) {
      pp_net *net = &nl->nets[nl->gates[k].in[q]];
      net->fanout[net->n_fanout] = k;
      net->fanout_pin[net->n_fanout] = q;
      net->n_fanout++;
      net->load_ff += cell->pins[cell->inputs[q]].cap;
      net->load_rise_ff += cell->pins[cell->inputs[q]].cap_rise;
      net->load_fall_ff += cell->pins[cell->inputs[q]].cap_fall;
    }
  }
  for (int n = 0; n < nl->n_nets; n++) {
    pp_net *net = &nl->nets[n];
    double extra = pp_lib_wire_cap(nl->lib, net->n_fanout, net->is_output != 0) + (net->is_output ? out_load : 0);
    net->load_ff += extra;
    net->load_rise_ff += extra;
    net->load_fall_ff += extra;
  }
  return PP_OK;
}

int pp_netlist_find_input(const pp_netlist *nl, const char *name) {
  for (int i = 0; i < nl->n_inputs; i++)
    if (!strcmp(nl->inputs[i].name, name)) return i;
  return -1;
}

int pp_netlist_find_output(const pp_netlist *nl, const char *name) {
  for (int i = 0; i < nl->n_outputs; i++)
    if (!strcmp(nl->outputs[i].name, name)) return i;
  return -1;
}

/* netlist/nl_internal: helpers shared by the netlist module's sources (not a
 * public interface): the fanout/load pass every netlist builder ends with. */
#ifndef PP_NL_INTERNAL_H
#define PP_NL_INTERNAL_H

#include "pp/netlist.h"
#include "pp/util_mem.h"

/* Fills every net's fanout lists and load_ff from the gates (netlist.h). */
int nl_finish_loads(pp_netlist *nl, double out_load_ff);

#endif

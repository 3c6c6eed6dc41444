/* verilog: the structural Verilog reader. Reads what `yosys write_verilog
 * -noattr` prints (plus ANSI port lists and implicit scalar nets), flattens
 * the hierarchy, merges nets joined by `assign`, maps instances to library
 * cells and builds the levelized gate graph of netlist.h. (The writer,
 * pp_netlist_write_verilog, is netlist's.) The functions keep their
 * pp_netlist_ names: they are the netlist's constructors. */
#ifndef PP_VERILOG_H
#define PP_VERILOG_H

#include "pp/liberty.h"
#include "pp/netlist.h"
#include "pp/util.h"

/* Reads a structural Verilog netlist (what `yosys write_verilog -noattr`
 * prints), flattens it under top (NULL: the one module no other instantiates),
 * maps cells to lib and levelizes. Unknown cells, unconnected or undriven
 * inputs, multiple drivers and combinational loops are errors. */
int pp_netlist_read(const char *path, const pp_lib *lib, const char *top, pp_netlist **out, pp_err *e);
int pp_netlist_parse(const char *text, const char *name_for_errors, const pp_lib *lib, const char *top,
                     pp_netlist **out, pp_err *e);

#endif

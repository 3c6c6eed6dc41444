/* flow/mac: the MAC's power and delay tables for the flow, from the built-in
 * MAC and cell library (module netlist) or the user's files, through the
 * timed simulator (module sim) and module characterize. */
#include "flow_internal.h"

int flow_hw_characterize(flow_ctx *c, const char *power_json_path, pp_err *e) {
  (void)c;
  return pp_err_set(e, PP_EINTERNAL, power_json_path, 0,
                    "power characterization of the MAC is not in this build yet (module characterize)");
}

int flow_hw_timing(flow_ctx *c, const char *delay_path, pp_err *e) {
  (void)c;
  return pp_err_set(e, PP_EINTERNAL, delay_path, 0,
                    "timing of the MAC is not in this build yet (module characterize)");
}

/* fuzz/fuzz_verilog: libFuzzer entry for the structural Verilog reader,
 * against data/pp_cells.lib. Successful parses are evaluated and written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pp/netlist.h"
#include "pp/verilog.h"

static pp_lib *lib;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!lib) {
    pp_err e;
    pp_err_clear(&e);
    if (pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &lib, &e)) abort();
  }
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  pp_netlist *nl = NULL;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_netlist_parse(text, "fuzz.v", lib, NULL, &nl, &e);
  if (rc == PP_OK) {
    uint8_t *v = calloc((size_t)nl->n_nets + 1, 1);
    uint64_t *w = calloc((size_t)nl->n_nets + 1, sizeof(uint64_t));
    if (v && w) {
      pp_netlist_eval(nl, v);
      pp_netlist_eval64(nl, w);
      for (int n = 0; n < nl->n_nets; n++)
        if ((w[n] & 1) != v[n]) abort(); /* the two evaluators must agree */
    }
    free(v);
    free(w);
    pp_netlist_free(nl);
  } else if (!e.msg[0] || nl) {
    abort();
  }
  free(text);
  return 0;
}

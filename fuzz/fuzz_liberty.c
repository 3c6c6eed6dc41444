/* fuzz/fuzz_liberty: libFuzzer entry for the Liberty reader. Any input must
 * give PP_OK or a clean error with a message, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pp/liberty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  pp_lib *lib = NULL;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_lib_parse(text, "fuzz.lib", &lib, &e);
  if (rc == PP_OK) {
    /* exercise what consumers touch */
    for (int i = 0; i < lib->n_cells; i++)
      for (int j = 0; j < lib->cells[i].n_pins; j++)
        for (int k = 0; k < lib->cells[i].pins[j].n_timings; k++)
          (void)pp_lut_eval(&lib->cells[i].pins[j].timings[k].cell_rise, 10.0, 1.0);
    pp_lib_free(lib);
  } else if (!e.msg[0] || lib) {
    abort(); /* an error must say what was wrong and leave nothing behind */
  }
  free(text);
  return 0;
}

/* interop/export: powerprune models as ONNX (placeholder filled below). */
#include "interop_internal.h"

int pp_interop_export(const pp_nn_model *m, int mode, const char *path, pp_err *e) {
  (void)m, (void)mode;
  return pp_err_set(e, PP_EINTERNAL, path, 0, "export: not built yet");
}

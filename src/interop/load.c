/* interop/load: the one model loader of every command. A .ppnn file goes to
 * nn; anything else is read as ONNX. With a data set, the model input is
 * checked against it and an imported model's quantizers are calibrated. */
#include <string.h>

#include "interop_internal.h"

static int is_ppnn(const char *path) {
  FILE *f = fopen(path, "rb");
  char magic[8] = {0};
  if (!f) return 1; /* let nn report the open error */
  size_t n = fread(magic, 1, 8, f);
  fclose(f);
  return n == 8 && !memcmp(magic, "PPNNMDL", 8);
}

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

int pp_interop_model_load(const char *path, const pp_nn_data *data, pp_nn_model **out, pp_err *e) {
  *out = NULL;
  pp_nn_model *m = NULL;
  int st;
  if (ends_with(path, ".ppnn") || (!ends_with(path, ".onnx") && is_ppnn(path))) {
    if ((st = pp_nn_model_load(path, &m, e))) return st;
  } else if (ends_with(path, ".onnx")) {
    if ((st = pp_interop_import(path, NULL, 0, &m, NULL, e))) return st;
  } else { /* neither name nor magic says powerprune: try ONNX; if that fails, say both were expected */
    pp_err sub;
    pp_err_clear(&sub);
    st = pp_interop_import(path, NULL, 0, &m, NULL, &sub);
    if (st == PP_EPARSE && !strstr(sub.msg, "node"))
      return pp_err_set(e, PP_EPARSE, path, 0,
                        "not a powerprune model file (magic \"PPNNMDL\") nor an ONNX model (a protobuf ModelProto)");
    if (st) return pp_err_set(e, st, sub.file, sub.line, "%s", sub.msg);
  }
  if (data) {
    int graph = !strcmp(m->arch, "graph");
    if (data->c != m->in_c || (graph ? data->h != m->in_h || data->w != m->in_w : data->h > m->in_h || data->w > m->in_w)) {
      st = pp_err_set(e, PP_EINVAL, path, 0, "the model takes %dx%dx%d inputs, data set %s has %dx%dx%d images", m->in_c,
                      m->in_h, m->in_w, data->name, data->c, data->h, data->w);
      pp_nn_model_free(m);
      return st;
    }
    if (!pp_nn_calibrated(m) && (st = pp_nn_calibrate(m, data, PP_INTEROP_CALIB_IMAGES, e))) {
      pp_nn_model_free(m);
      return st;
    }
  }
  *out = m;
  return PP_OK;
}

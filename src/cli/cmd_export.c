/* cli/cmd_export: `powerprune export MODEL -o OUT.onnx`, a powerprune model as
 * ONNX: the float network, or the int8 network as QuantizeLinear /
 * DequantizeLinear (QDQ) with the allowed weight levels as integers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *export_help =
    "usage: powerprune export MODEL -o OUT.onnx [--format float|qdq] [--data NAME [--data-dir DIR]]\n"
    "  Writes MODEL (.ppnn or .onnx) as an ONNX model, opset 13. The input is [N, C, H, W] float\n"
    "  pixels/255 at the model's input size; the output is the logits.\n"
    "  --format float  the float network (batch norm kept)\n"
    "  --format qdq    the integer network: QuantizeLinear/DequantizeLinear around every activation,\n"
    "                  int8 weight levels (after restriction) and int32 biases as initializers\n"
    "                  (default: qdq for a quantization-aware model, float otherwise)\n"
    "  --data NAME     calibrate the activation ranges of a model that has none (qdq)\n";

int pp_cmd_export(int argc, char **argv) {
  const char *cmd = "export", *in = NULL, *out = NULL, *fmt = NULL, *data = NULL, *dir = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(export_help, stdout);
      return PP_EXIT_OK;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--format") || !strcmp(a, "--data") || !strcmp(a, "--data-dir")) {
      if (!v) return pp_cli_usage(cmd, "%s needs a value", a);
      i++;
      if (!strcmp(a, "-o")) out = v;
      else if (!strcmp(a, "--format")) fmt = v;
      else if (!strcmp(a, "--data")) data = v;
      else dir = v;
    } else if (a[0] == '-') {
      return pp_cli_usage(cmd, "unknown option '%s'", a);
    } else if (in) {
      return pp_cli_usage(cmd, "one model only, got '%s' and '%s'", in, a);
    } else {
      in = a;
    }
  }
  if (!in) return pp_cli_usage(cmd, "missing the model");
  if (!out) return pp_cli_usage(cmd, "-o FILE is required");
  if (fmt && strcmp(fmt, "float") && strcmp(fmt, "qdq"))
    return pp_cli_usage(cmd, "--format: expected float or qdq, got '%s'", fmt);
  if (dir && !data) return pp_cli_usage(cmd, "--data-dir needs --data");
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  pp_nn_data train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  int rc = PP_EXIT_OK;
  if (data && pp_nn_data_load(data, dir, &train, &test, &e)) goto fail;
  if (pp_interop_model_load(in, data ? &train : NULL, &m, &e)) goto fail;
  int mode = fmt ? (!strcmp(fmt, "qdq") ? PP_INTEROP_QDQ : PP_INTEROP_FLOAT) : (m->q.qat ? PP_INTEROP_QDQ : PP_INTEROP_FLOAT);
  if (pp_interop_export(m, mode, out, &e)) goto fail;
  printf("exported %s -> %s (%s, input %dx%dx%d, %d outputs)\n", in, out, mode == PP_INTEROP_QDQ ? "int8 QDQ" : "float",
         m->in_c, m->in_h, m->in_w, m->classes);
  goto done;
fail:
  rc = pp_cli_fail(cmd, &e);
done:
  pp_nn_model_free(m);
  pp_nn_data_free(&train);
  pp_nn_data_free(&test);
  return rc;
}

/* cli/cmd_export: `powerprune export MODEL -o OUT.onnx`, a powerprune model as
 * ONNX: the float network, or the int8 network as QuantizeLinear /
 * DequantizeLinear (QDQ) with the allowed weight levels as integers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *export_usage =
    "usage: powerprune export MODEL -o OUT.onnx [--format float|qdq] [--data NAME [--data-dir DIR]]\n"
    "  Writes MODEL (.ppnn or .onnx) as an ONNX model, opset 13. The input is [N, C, H, W] float\n"
    "  pixels/255 at the model's input size; the output is the logits.\n"
    "\n";

static const pp_opt_choice formats[] = {{"float", PP_INTEROP_FLOAT}, {"qdq", PP_INTEROP_QDQ}, {NULL, 0}};

int pp_cmd_export(int argc, char **argv) {
  const char *cmd = "export", *out = NULL, *data = NULL, *dir = NULL;
  int mode = -1; /* from the model */
  pp_opt opts[] = {
      PP_OPT_PATH("out", &out, "OUT.onnx", "the ONNX file to write (required)", .short_name = 'o'),
      PP_OPT_ENUM("format", &mode, formats,
                  "float: the float network (batch norm kept);\n"
                  "qdq: the integer network: QuantizeLinear/DequantizeLinear around every activation,\n"
                  "int8 weight levels (after restriction) and int32 biases as initializers",
                  .def = "qdq for a quantization-aware model, float otherwise"),
      PP_OPT_STRING("data", &data, "NAME", "calibrate the activation ranges of a model that has none (qdq)"),
      PP_OPT_PATH("data-dir", &dir, "DIR", "where the data set's files are"),
      PP_OPT_END(),
  };
  int npos = 0;
  int rc = pp_opt_parse(cmd, export_usage, opts, argc, argv, &npos);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if ((rc = pp_cli_convert_args(cmd, npos, argv, "model", out, data, dir))) return rc;
  const char *in = argv[1];
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  pp_nn_data train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  if (data && pp_nn_data_load(data, dir, &train, &test, &e)) goto fail;
  if (pp_interop_model_load(in, data ? &train : NULL, &m, &e)) goto fail;
  if (mode < 0) mode = m->q.qat ? PP_INTEROP_QDQ : PP_INTEROP_FLOAT;
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

/* cli/cmd_import: `powerprune import MODEL.onnx -o MODEL.ppnn`, an ONNX model
 * as a powerprune model file (optionally checked against a data set and with
 * its activation quantizers calibrated on that set's training images). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *import_usage =
    "usage: powerprune import MODEL.onnx -o MODEL.ppnn [--data NAME [--data-dir DIR]]\n"
    "  Reads an ONNX model (opsets 9..17, float32 initializers; operators Conv, Gemm, MatMul, Add,\n"
    "  Relu, Clip (ReLU6), MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Flatten,\n"
    "  Reshape (a flatten), Softmax, Identity, Dropout, Constant) and writes it as a powerprune model.\n"
    "\n";

int pp_cmd_import(int argc, char **argv) {
  const char *cmd = "import", *out = NULL, *data = NULL, *dir = NULL;
  pp_opt opts[] = {
      PP_OPT_PATH("out", &out, "MODEL.ppnn", "the powerprune model to write (required)", .short_name = 'o'),
      PP_OPT_STRING("data", &data, "NAME",
                    "check the graph's input shape against this data set and calibrate the int8\n"
                    "activation ranges on its first 1000 training images"),
      PP_OPT_PATH("data-dir", &dir, "DIR", "where the data set's files are"),
      PP_OPT_END(),
  };
  int npos = 0;
  int rc = pp_opt_parse(cmd, import_usage, opts, argc, argv, &npos);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if ((rc = pp_cli_convert_args(cmd, npos, argv, "ONNX model", out, data, dir))) return rc;
  const char *in = argv[1];
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  pp_nn_data train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  pp_interop_info info;
  if (pp_interop_import(in, NULL, 0, &m, &info, &e)) goto fail;
  if (data) { /* the shared loader's checks, on the model just imported */
    pp_nn_model_free(m);
    m = NULL;
    if (pp_nn_data_load(data, dir, &train, &test, &e) || pp_interop_model_load(in, &train, &m, &e)) goto fail;
  }
  if (pp_nn_model_save(m, out, &e)) goto fail;
  printf("imported %s (opset %d, %d nodes%s%s) -> %s: %d layers, %zu parameters, input %dx%dx%d, %d outputs%s\n", in,
         info.opset, info.nnodes, info.producer[0] ? ", from " : "", info.producer, out, m->nlayers, m->nparams, m->in_c,
         m->in_h, m->in_w, m->classes, pp_nn_calibrated(m) ? ", int8 ranges calibrated" : "");
  goto done;
fail:
  rc = pp_cli_fail(cmd, &e);
done:
  pp_nn_model_free(m);
  pp_nn_data_free(&train);
  pp_nn_data_free(&test);
  return rc;
}

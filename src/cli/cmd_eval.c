/* cli/cmd_eval: `powerprune eval`, accuracy of a saved model on a data set's
 * test split through the float path, the fake-quantized path and the true
 * integer path, with the agreement of the last two. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *eval_usage =
    "usage: powerprune eval --model-file FILE --data NAME [--data-dir DIR] [--limit N] [--json]\n"
    "  Float accuracy of the saved network, and the int8 accuracy of its integer path together with\n"
    "  the largest logit difference and argmax agreement against the fake-quantized float path.\n"
    "\n";

/* Evaluation takes 15-30 s on a full test split: it goes in chunks of images so that progress (with ETA on a
 * terminal) reaches stderr. Accuracies are summed as counts, so the numbers are those of one pass. */
static int eval_chunked(pp_nn_model *m, const pp_nn_data *test, double *facc, double *floss, pp_nn_qcompare *qc,
                        pp_err *e) {
  enum { CHUNK = 500 };
  size_t img = (size_t)test->c * (size_t)test->h * (size_t)test->w;
  double f_ok = 0, loss = 0, q_ok = 0, i_ok = 0, agree = 0, maxd = 0;
  pp_progress pg;
  /* the float pass, then the fake-quantized and integer pass (about twice the work) over every image */
  pp_progress_start_lines(&pg, "powerprune eval", 3LL * test->n);
  int qat = m->q.qat, st = PP_OK;
  for (int first = 0; first < test->n && !st; first += CHUNK) {
    int cnt = test->n - first < CHUNK ? test->n - first : CHUNK;
    pp_nn_data part = *test;
    part.n = cnt;
    part.x = test->x + (size_t)first * img;
    part.y = test->y + first;
    double a = 0, l = 0;
    m->q.qat = 0;
    st = pp_nn_eval(m, &part, &a, &l, NULL, e);
    m->q.qat = qat;
    if (st) break;
    f_ok += floor(a * cnt / 100 + 0.5);
    loss += l * cnt;
    pp_nn_qcompare c;
    if ((st = pp_nn_qcompare_run(m, test, first, cnt, &c, e))) break;
    q_ok += floor(c.float_accuracy * cnt / 100 + 0.5);
    i_ok += floor(c.int_accuracy * cnt / 100 + 0.5);
    agree += floor(c.argmax_agree * cnt / 100 + 0.5);
    if (c.max_logit_diff > maxd) maxd = c.max_logit_diff;
    pp_progress_update(&pg, 3LL * (first + cnt));
  }
  pp_progress_end(&pg);
  if (st) return st;
  int n = test->n > 0 ? test->n : 1;
  *facc = 100.0 * f_ok / n;
  *floss = loss / n;
  qc->float_accuracy = 100.0 * q_ok / n;
  qc->int_accuracy = 100.0 * i_ok / n;
  qc->argmax_agree = 100.0 * agree / n;
  qc->max_logit_diff = maxd;
  qc->n = test->n;
  return PP_OK;
}

int pp_cmd_eval(int argc, char **argv) {
  const char *cmd = "eval", *mf = NULL, *data = NULL, *dir = NULL;
  int json = 0, limit = 0;
  pp_opt opts[] = {
      PP_OPT_PATH("model-file", &mf, "FILE", "the saved model (.ppnn or .onnx; required)"),
      PP_OPT_STRING("data", &data, "NAME", "the data set (required)"),
      PP_OPT_PATH("data-dir", &dir, "DIR", "where the data set's files are"),
      PP_OPT_INT("limit", &limit, 1, PP_OPT_INT_MAX, "N", "only the first N test images", .def = "all"),
      PP_OPT_FLAG("json", &json, "print the result as one JSON object"),
      PP_OPT_END(),
  };
  int rc = pp_opt_parse(cmd, eval_usage, opts, argc, argv, NULL);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if (!mf) return pp_cli_usage(cmd, "--model-file is required");
  if (!data) return pp_cli_usage(cmd, "--data is required");
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  pp_nn_data train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  if (pp_nn_data_load(data, dir, &train, &test, &e) || pp_interop_model_load(mf, &train, &m, &e)) goto fail;
  pp_nn_data_free(&train);
  if (limit && limit < test.n) test.n = (int)limit;
  double facc = 0, floss = 0;
  pp_nn_qcompare qc;
  if (eval_chunked(m, &test, &facc, &floss, &qc, &e)) goto fail;
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-eval/1");
    pp_json_key_str(&j, "model_file", mf);
    pp_json_key_str(&j, "model", m->arch);
    pp_json_key_str(&j, "data", data);
    pp_json_key_int(&j, "test_images", test.n);
    pp_json_key_bool(&j, "qat", m->q.qat);
    pp_json_key_num(&j, "sparsity", pp_nn_sparsity(m));
    pp_json_key_num(&j, "float_accuracy", facc);
    pp_json_key_num(&j, "float_loss", floss);
    pp_json_key_num(&j, "fake_quant_accuracy", qc.float_accuracy);
    pp_json_key_num(&j, "int8_accuracy", qc.int_accuracy);
    pp_json_key_num(&j, "int_vs_fake_quant_max_logit_diff", qc.max_logit_diff);
    pp_json_key_num(&j, "int_vs_fake_quant_argmax_agreement", qc.argmax_agree);
    pp_json_key_num(&j, "test_accuracy", m->q.qat ? qc.int_accuracy : facc);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  } else {
    printf("%s on %s (%d test images)\n", m->arch, data, test.n);
    printf("float %.2f%%  fake-quant %.2f%%  int8 %.2f%%\n", facc, qc.float_accuracy, qc.int_accuracy);
    printf("integer vs fake-quant: max logit diff %.4g, argmax agreement %.2f%%\n", qc.max_logit_diff, qc.argmax_agree);
  }
  goto done;
fail:
  rc = pp_cli_fail(cmd, &e);
done:
  pp_nn_model_free(m);
  pp_nn_data_free(&train);
  pp_nn_data_free(&test);
  return rc;
}

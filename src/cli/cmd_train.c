/* cli/cmd_train: `powerprune train`, training a network (float, int8 QAT,
 * pruning, restricted values) and reporting its test accuracy as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *train_help =
    "usage: powerprune train --model {lenet5|resnet20|dwnet} --data NAME [options] -o FILE\n"
    "  --data NAME          fashion-mnist, mnist, cifar10, cifar100, synthetic, or a directory\n"
    "  --data-dir DIR       where the data files are (default for fashion-mnist: " PP_NN_FASHION_MNIST_DIR ")\n"
    "  --epochs N           (default 5)      --seed S (default 1)    --batch B (default 64)\n"
    "  --lr X               (default 1e-3 adam, 0.1 sgd)\n"
    "  --optimizer adam|sgd (default adam)   --momentum X (0.9)      --weight-decay X (0)\n"
    "  --schedule const|step|cosine          --step-every N (30)     --step-gamma X (0.1)\n"
    "  --augment / --no-augment  random crop (pad 4) + flip (default: on for 32x32 colour data)\n"
    "  --qat                int8 quantization-aware training (weights 255 levels, uint8 activations)\n"
    "  --per-channel        weight scales per output channel (default per tensor)\n"
    "  --prune S            magnitude-prune conv/fc weights to sparsity S (0..1) before training\n"
    "  --prune-per-layer    prune each layer to S instead of one global threshold\n"
    "  --weights-allowed F  allowed weight levels (-127..127), one integer per line, '#' comments\n"
    "  --acts-allowed F     allowed activation levels (0..255), same format; both imply --qat\n"
    "  --init MODELFILE     start from a saved model (its masks and sets are kept)\n"
    "  --train-limit N      use only the first N training images    --max-steps N  stop early\n"
    "  --int-eval           also run the integer path for a float model (post-training quantization)\n"
    "  -o FILE              write the trained model here\n"
    "  --json               print the result as one JSON object (last on stdout)\n";

typedef struct train_log {
  pp_nn_epoch_stats ep[1024];
  int n, verbose, total;
} train_log;

static void on_epoch(const pp_nn_epoch_stats *s, void *ctx) {
  train_log *l = ctx;
  if (l->n < 1024) l->ep[l->n++] = *s;
  if (l->verbose)
    fprintf(stderr, "epoch %d/%d  loss %.4f  train %.2f%%  lr %.3g  %.1f s\n", s->epoch, l->total, s->loss,
            s->train_accuracy, s->lr, s->seconds);
}

int pp_cmd_train(int argc, char **argv) {
  const char *cmd = "train", *arch = NULL, *data = NULL, *dir = NULL, *outp = NULL, *wfile = NULL, *afile = NULL,
             *init = NULL;
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  int json = 0, qat = 0, per_channel = 0, per_layer = 0, augment = -1, lr_set = 0, int_eval = 0;
  long train_limit = 0;
  double prune = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long lv;
    double dv;
#define NEED()                                                   \
  do {                                                           \
    if (!v) return pp_cli_usage(cmd, "%s needs a value", a);     \
    i++;                                                         \
  } while (0)
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(train_help, stdout);
      return PP_EXIT_OK;
    } else if (!strcmp(a, "--model")) {
      NEED();
      arch = v;
    } else if (!strcmp(a, "--data")) {
      NEED();
      data = v;
    } else if (!strcmp(a, "--data-dir")) {
      NEED();
      dir = v;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
      NEED();
      outp = v;
    } else if (!strcmp(a, "--epochs")) {
      NEED();
      if (pp_cli_parse_long(v, 1, 100000, &lv)) return pp_cli_usage(cmd, "--epochs: expected 1..100000, got '%s'", v);
      o.epochs = (int)lv;
    } else if (!strcmp(a, "--seed")) {
      NEED();
      if (pp_cli_parse_long(v, 0, 0x7fffffffL, &lv)) return pp_cli_usage(cmd, "--seed: expected a non-negative integer");
      o.seed = (uint64_t)lv;
    } else if (!strcmp(a, "--batch")) {
      NEED();
      if (pp_cli_parse_long(v, 1, 65536, &lv)) return pp_cli_usage(cmd, "--batch: expected 1..65536, got '%s'", v);
      o.batch = (int)lv;
    } else if (!strcmp(a, "--max-steps")) {
      NEED();
      if (pp_cli_parse_long(v, 1, 0x7fffffffL, &lv)) return pp_cli_usage(cmd, "--max-steps: expected a positive integer");
      o.max_steps = lv;
    } else if (!strcmp(a, "--train-limit")) {
      NEED();
      if (pp_cli_parse_long(v, 2, 0x7fffffffL, &lv)) return pp_cli_usage(cmd, "--train-limit: expected an integer >= 2");
      train_limit = lv;
    } else if (!strcmp(a, "--lr")) {
      NEED();
      if (pp_cli_parse_double(v, &dv) || !(dv > 0)) return pp_cli_usage(cmd, "--lr: expected a positive number");
      o.lr = dv, lr_set = 1;
    } else if (!strcmp(a, "--momentum")) {
      NEED();
      if (pp_cli_parse_double(v, &dv) || dv < 0 || dv >= 1) return pp_cli_usage(cmd, "--momentum: expected 0 <= m < 1");
      o.momentum = dv;
    } else if (!strcmp(a, "--weight-decay")) {
      NEED();
      if (pp_cli_parse_double(v, &dv) || dv < 0) return pp_cli_usage(cmd, "--weight-decay: expected >= 0");
      o.weight_decay = dv;
    } else if (!strcmp(a, "--optimizer")) {
      NEED();
      if (!strcmp(v, "adam")) o.optimizer = PP_NN_OPT_ADAM;
      else if (!strcmp(v, "sgd")) o.optimizer = PP_NN_OPT_SGD;
      else return pp_cli_usage(cmd, "--optimizer: expected adam or sgd, got '%s'", v);
    } else if (!strcmp(a, "--schedule")) {
      NEED();
      if (!strcmp(v, "const")) o.schedule = PP_NN_SCHED_CONST;
      else if (!strcmp(v, "step")) o.schedule = PP_NN_SCHED_STEP;
      else if (!strcmp(v, "cosine")) o.schedule = PP_NN_SCHED_COSINE;
      else return pp_cli_usage(cmd, "--schedule: expected const, step or cosine, got '%s'", v);
    } else if (!strcmp(a, "--step-every")) {
      NEED();
      if (pp_cli_parse_long(v, 1, 100000, &lv)) return pp_cli_usage(cmd, "--step-every: expected a positive integer");
      o.step_every = (int)lv;
    } else if (!strcmp(a, "--step-gamma")) {
      NEED();
      if (pp_cli_parse_double(v, &dv) || !(dv > 0)) return pp_cli_usage(cmd, "--step-gamma: expected a positive number");
      o.step_gamma = dv;
    } else if (!strcmp(a, "--augment")) {
      augment = 1;
    } else if (!strcmp(a, "--no-augment")) {
      augment = 0;
    } else if (!strcmp(a, "--qat")) {
      qat = 1;
    } else if (!strcmp(a, "--per-channel")) {
      per_channel = 1;
    } else if (!strcmp(a, "--prune")) {
      NEED();
      if (pp_cli_parse_double(v, &dv) || dv < 0 || dv >= 1) return pp_cli_usage(cmd, "--prune: expected a sparsity 0 <= s < 1");
      prune = dv;
    } else if (!strcmp(a, "--prune-per-layer")) {
      per_layer = 1;
    } else if (!strcmp(a, "--weights-allowed")) {
      NEED();
      wfile = v;
    } else if (!strcmp(a, "--acts-allowed")) {
      NEED();
      afile = v;
    } else if (!strcmp(a, "--init")) {
      NEED();
      init = v;
    } else if (!strcmp(a, "--int-eval")) {
      int_eval = 1;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else {
      return pp_cli_usage(cmd, "unknown option '%s'", a);
    }
  }
  if (!data) return pp_cli_usage(cmd, "--data is required");
  if (!arch && !init) return pp_cli_usage(cmd, "--model (or --init) is required");
  if (!outp) return pp_cli_usage(cmd, "-o FILE is required");
  if (!lr_set && o.optimizer == PP_NN_OPT_SGD) o.lr = 0.1;
  if (wfile || afile) qat = 1;

  pp_err e;
  pp_err_clear(&e);
  pp_nn_data train, test;
  pp_nn_model *m = NULL;
  int rc = PP_EXIT_OK;
  double t_load = pp_now();
  if (pp_nn_data_load(data, dir, &train, &test, &e)) return pp_cli_fail(cmd, &e);
  if (train_limit && train_limit < train.n) train.n = (int)train_limit;
  if (init) {
    if (pp_interop_model_load(init, &train, &m, &e)) goto fail;
    if (arch && strcmp(arch, m->arch)) {
      pp_err_set(&e, PP_EINVAL, init, 0, "holds a %s model, --model asks for %s", m->arch, arch);
      goto fail;
    }
  } else if (pp_nn_model_create(arch, train.c, train.h, train.w, train.classes, o.seed, &m, &e)) {
    goto fail;
  }
  if (augment < 0) augment = train.c == 3 && train.h == 32 && train.w == 32;
  o.augment = augment;
  o.progress = 1;
  if (wfile && pp_nn_read_allowed(wfile, 1, m->q.w_allowed, &e)) goto fail;
  if (afile && pp_nn_read_allowed(afile, 0, m->q.a_allowed, &e)) goto fail;
  if (prune > 0 && pp_nn_prune(m, prune, !per_layer, &e)) goto fail;

  /* From scratch, the first epoch trains in float so that BN statistics,
   * activation ranges and weight magnitudes exist before quantization (and
   * restriction) take over. */
  train_log log = {.verbose = 1, .total = o.epochs};
  double t0 = pp_now();
  if (qat && !m->q.qat && !init && o.epochs > 1) {
    pp_nn_train_opts o1 = o;
    o1.epochs = 1;
    if (pp_nn_train(m, &train, &o1, on_epoch, &log, &e)) goto fail;
    o.epochs--;
    o.seed++;
  }
  if (qat) pp_nn_set_qat(m, 1, per_channel || m->q.per_channel);
  else if (per_channel) m->q.per_channel = 1;
  if (pp_nn_train(m, &train, &o, on_epoch, &log, &e)) goto fail;
  double t_train = pp_now() - t0;
  long images = 0;
  for (int i = 0; i < log.n; i++) images += (long)(train.n / (o.batch < train.n ? o.batch : train.n)) * (o.batch < train.n ? o.batch : train.n);
  if (o.max_steps) images = o.max_steps * (o.batch < train.n ? o.batch : train.n);

  /* float accuracy: the network without quantization (BN with running stats) */
  double float_acc = 0, float_loss = 0;
  int was_qat = m->q.qat;
  m->q.qat = 0;
  if (pp_nn_eval(m, &test, &float_acc, &float_loss, NULL, &e)) goto fail;
  m->q.qat = was_qat;
  pp_nn_qcompare qc = {0};
  int have_q = was_qat || int_eval;
  if (have_q && pp_nn_qcompare_run(m, &test, 0, test.n, &qc, &e)) goto fail;
  if (pp_nn_model_save(m, outp, &e)) goto fail;
  double test_acc = was_qat ? qc.int_accuracy : float_acc;

  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-train/1");
    pp_json_key(&j, "model");
    pp_json_str(&j, m->arch);
    pp_json_key(&j, "data");
    pp_json_str(&j, data);
    pp_json_key(&j, "train_images");
    pp_json_int(&j, train.n);
    pp_json_key(&j, "test_images");
    pp_json_int(&j, test.n);
    pp_json_key(&j, "epochs");
    pp_json_int(&j, log.n);
    pp_json_key(&j, "seed");
    pp_json_int(&j, (long long)o.seed);
    pp_json_key(&j, "batch");
    pp_json_int(&j, o.batch);
    pp_json_key(&j, "optimizer");
    pp_json_str(&j, o.optimizer == PP_NN_OPT_SGD ? "sgd" : "adam");
    pp_json_key(&j, "lr");
    pp_json_num(&j, o.lr);
    pp_json_key(&j, "schedule");
    pp_json_str(&j, o.schedule == PP_NN_SCHED_COSINE ? "cosine" : o.schedule == PP_NN_SCHED_STEP ? "step" : "const");
    pp_json_key(&j, "augment");
    pp_json_bool(&j, o.augment);
    pp_json_key(&j, "qat");
    pp_json_bool(&j, was_qat);
    pp_json_key(&j, "per_channel");
    pp_json_bool(&j, m->q.per_channel);
    pp_json_key(&j, "sparsity");
    pp_json_num(&j, pp_nn_sparsity(m));
    int nw = 0, na = 0;
    for (int k = 0; k < 255; k++) nw += m->q.w_allowed[k] != 0;
    for (int k = 0; k < 256; k++) na += m->q.a_allowed[k] != 0;
    pp_json_key(&j, "weights_allowed");
    pp_json_int(&j, nw);
    pp_json_key(&j, "acts_allowed");
    pp_json_int(&j, na);
    pp_json_key(&j, "init");
    if (init) pp_json_str(&j, init);
    else pp_json_null(&j);
    pp_json_key(&j, "history");
    pp_json_arr_begin(&j);
    for (int k = 0; k < log.n; k++) {
      pp_json_obj_begin(&j);
      pp_json_key(&j, "epoch");
      pp_json_int(&j, log.ep[k].epoch);
      pp_json_key(&j, "loss");
      pp_json_num(&j, log.ep[k].loss);
      pp_json_key(&j, "train_accuracy");
      pp_json_num(&j, log.ep[k].train_accuracy);
      pp_json_key(&j, "seconds");
      pp_json_num(&j, log.ep[k].seconds);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_key(&j, "train_seconds");
    pp_json_num(&j, t_train);
    pp_json_key(&j, "train_images_per_second");
    pp_json_num(&j, t_train > 0 ? (double)images / t_train : 0);
    pp_json_key(&j, "float_accuracy");
    pp_json_num(&j, float_acc);
    pp_json_key(&j, "float_loss");
    pp_json_num(&j, float_loss);
    if (have_q) {
      pp_json_key(&j, "fake_quant_accuracy");
      pp_json_num(&j, qc.float_accuracy);
      pp_json_key(&j, "int8_accuracy");
      pp_json_num(&j, qc.int_accuracy);
      pp_json_key(&j, "int_vs_fake_quant_max_logit_diff");
      pp_json_num(&j, qc.max_logit_diff);
      pp_json_key(&j, "int_vs_fake_quant_argmax_agreement");
      pp_json_num(&j, qc.argmax_agree);
    }
    pp_json_key(&j, "test_accuracy");
    pp_json_num(&j, test_acc);
    pp_json_key(&j, "model_file");
    pp_json_str(&j, outp);
    pp_json_key(&j, "seconds_total");
    pp_json_num(&j, pp_now() - t_load);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  } else {
    printf("float test accuracy %.2f%%\n", float_acc);
    if (have_q)
      printf("fake-quant %.2f%%  int8 %.2f%%  (integer vs fake-quant: max logit diff %.3g, argmax agreement %.2f%%)\n",
             qc.float_accuracy, qc.int_accuracy, qc.max_logit_diff, qc.argmax_agree);
    printf("test_accuracy %.2f%%  model written to %s\n", test_acc, outp);
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

/* cli/cmd_train: `powerprune train`, training a network (float, int8 QAT,
 * pruning, restricted values) and reporting its test accuracy as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "pp/interop.h"
#include "pp/nn.h"

static const char *train_help =
    "usage: powerprune train --model {lenet5|resnet20|dwnet} --data NAME [options] -o FILE\n"
    "\n";

static const pp_opt_choice optimizers[] = {{"adam", PP_NN_OPT_ADAM}, {"sgd", PP_NN_OPT_SGD}, {NULL, 0}};
static const pp_opt_choice schedules[] = {
    {"const", PP_NN_SCHED_CONST}, {"step", PP_NN_SCHED_STEP}, {"cosine", PP_NN_SCHED_COSINE}, {NULL, 0}};
#define SGD_LR 0.1 /* the learning rate of sgd when --lr is not given */

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
  int json = 0, qat = 0, per_channel = 0, per_layer = 0, augment = -1, int_eval = 0, train_limit = 0;
  int seed = (int)o.seed, max_steps = (int)o.max_steps, optimizer = o.optimizer, schedule = o.schedule;
  double prune = 0, lr = 0; /* 0: the optimizer's default */
  char lr_def[64];
  snprintf(lr_def, sizeof lr_def, "%g with adam, %g with sgd", o.lr, SGD_LR);
  pp_opt opts[] = {
      PP_OPT_STRING("model", &arch, "NAME", "lenet5, resnet20 or dwnet"),
      PP_OPT_STRING("data", &data, "NAME", "fashion-mnist, mnist, cifar10, cifar100, synthetic, or a directory"),
      PP_OPT_PATH("data-dir", &dir, "DIR", "where the data files are",
                  .def = "for fashion-mnist: " PP_NN_FASHION_MNIST_DIR),
      PP_OPT_INT("epochs", &o.epochs, 1, 100000, "N", "training epochs"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "seed of initialization, shuffling and augmentation"),
      PP_OPT_INT("batch", &o.batch, 1, 65536, "B", "batch size"),
      PP_OPT_DOUBLE("lr", &lr, 0, PP_OPT_INF, "X", "learning rate", .flags = PP_OPT_LO_OPEN, .def = lr_def),
      PP_OPT_ENUM("optimizer", &optimizer, optimizers, "optimizer"),
      PP_OPT_DOUBLE("momentum", &o.momentum, 0, 1, "X", "sgd momentum", .flags = PP_OPT_HI_OPEN),
      PP_OPT_DOUBLE("weight-decay", &o.weight_decay, 0, PP_OPT_INF, "X", "weight decay"),
      PP_OPT_ENUM("schedule", &schedule, schedules, "learning-rate schedule"),
      PP_OPT_INT("step-every", &o.step_every, 1, 100000, "N", "step schedule: decay every N epochs"),
      PP_OPT_DOUBLE("step-gamma", &o.step_gamma, 0, PP_OPT_INF, "X", "step schedule: lr *= X at each step",
                    .flags = PP_OPT_LO_OPEN),
      PP_OPT_BOOL("augment", &augment, "random crop (pad 4) + flip", .def = "on for 32x32 colour data"),
      PP_OPT_FLAG("qat", &qat, "int8 quantization-aware training (weights 255 levels, uint8 activations)"),
      PP_OPT_FLAG("per-channel", &per_channel, "weight scales per output channel (default per tensor)"),
      PP_OPT_DOUBLE("prune", &prune, 0, 1, "S", "magnitude-prune conv/fc weights to sparsity S before training",
                    .flags = PP_OPT_HI_OPEN),
      PP_OPT_FLAG("prune-per-layer", &per_layer, "prune each layer to S instead of one global threshold"),
      PP_OPT_PATH("weights-allowed", &wfile, "F", "allowed weight levels (-127..127), one integer per line, '#' comments"),
      PP_OPT_PATH("acts-allowed", &afile, "F", "allowed activation levels (0..255), same format; both imply --qat"),
      PP_OPT_PATH("init", &init, "MODELFILE", "start from a saved model (its masks and sets are kept)"),
      PP_OPT_INT("train-limit", &train_limit, 2, PP_OPT_INT_MAX, "N", "use only the first N training images",
                 .def = "all"),
      PP_OPT_INT("max-steps", &max_steps, 1, PP_OPT_INT_MAX, "N", "stop early after N steps", .def = "no limit"),
      PP_OPT_FLAG("int-eval", &int_eval, "also run the integer path for a float model (post-training quantization)"),
      PP_OPT_PATH("out", &outp, "FILE", "write the trained model here", .short_name = 'o'),
      PP_OPT_FLAG("json", &json, "print the result as one JSON object (last on stdout)"),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, train_help, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  o.seed = (uint64_t)seed;
  o.max_steps = max_steps;
  o.optimizer = optimizer;
  o.schedule = schedule;
  if (lr > 0) o.lr = lr;
  else if (o.optimizer == PP_NN_OPT_SGD) o.lr = SGD_LR;
  if (!data) return pp_cli_usage(cmd, "--data is required");
  if (!arch && !init) return pp_cli_usage(cmd, "--model (or --init) is required");
  if (!outp) return pp_cli_usage(cmd, "-o FILE is required");
  if (wfile || afile) qat = 1;

  pp_err e;
  pp_err_clear(&e);
  pp_nn_data train, test;
  pp_nn_model *m = NULL;
  int rc = PP_EXIT_OK;
  double t_load = pp_now();
  if (pp_nn_data_load(data, dir, &train, &test, &e)) return pp_cli_fail(cmd, &e);
  if (train_limit && train_limit < train.n) train.n = train_limit;
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
    pp_json_key_str(&j, "format", "powerprune-train/1");
    pp_json_key_str(&j, "model", m->arch);
    pp_json_key_str(&j, "data", data);
    pp_json_key_int(&j, "train_images", train.n);
    pp_json_key_int(&j, "test_images", test.n);
    pp_json_key_int(&j, "epochs", log.n);
    pp_json_key_int(&j, "seed", (long long)o.seed);
    pp_json_key_int(&j, "batch", o.batch);
    pp_json_key_str(&j, "optimizer", o.optimizer == PP_NN_OPT_SGD ? "sgd" : "adam");
    pp_json_key_num(&j, "lr", o.lr);
    pp_json_key_str(&j, "schedule", o.schedule == PP_NN_SCHED_COSINE ? "cosine" : o.schedule == PP_NN_SCHED_STEP ? "step" : "const");
    pp_json_key_bool(&j, "augment", o.augment);
    pp_json_key_bool(&j, "qat", was_qat);
    pp_json_key_bool(&j, "per_channel", m->q.per_channel);
    pp_json_key_num(&j, "sparsity", pp_nn_sparsity(m));
    int nw = 0, na = 0;
    for (int k = 0; k < 255; k++) nw += m->q.w_allowed[k] != 0;
    for (int k = 0; k < 256; k++) na += m->q.a_allowed[k] != 0;
    pp_json_key_int(&j, "weights_allowed", nw);
    pp_json_key_int(&j, "acts_allowed", na);
    pp_json_key(&j, "init");
    if (init) pp_json_str(&j, init);
    else pp_json_null(&j);
    pp_json_key_arr_begin(&j, "history");
    for (int k = 0; k < log.n; k++) {
      pp_json_obj_begin(&j);
      pp_json_key_int(&j, "epoch", log.ep[k].epoch);
      pp_json_key_num(&j, "loss", log.ep[k].loss);
      pp_json_key_num(&j, "train_accuracy", log.ep[k].train_accuracy);
      pp_json_key_num(&j, "seconds", log.ep[k].seconds);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_key_num(&j, "train_seconds", t_train);
    pp_json_key_num(&j, "train_images_per_second", t_train > 0 ? (double)images / t_train : 0);
    pp_json_key_num(&j, "float_accuracy", float_acc);
    pp_json_key_num(&j, "float_loss", float_loss);
    if (have_q) {
      pp_json_key_num(&j, "fake_quant_accuracy", qc.float_accuracy);
      pp_json_key_num(&j, "int8_accuracy", qc.int_accuracy);
      pp_json_key_num(&j, "int_vs_fake_quant_max_logit_diff", qc.max_logit_diff);
      pp_json_key_num(&j, "int_vs_fake_quant_argmax_agreement", qc.argmax_agree);
    }
    pp_json_key_num(&j, "test_accuracy", test_acc);
    pp_json_key_str(&j, "model_file", outp);
    pp_json_key_num(&j, "seconds_total", pp_now() - t_load);
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

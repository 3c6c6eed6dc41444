/* Tests of nn training and files: the loss of a tiny run falls, the same seed
 * gives identical weights, SGD/Adam and the schedules run, model files
 * round-trip, bad IDX / model files give clear errors, the CLI trains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/nn_internal.h"

static pp_nn_data TR, TE;
static char DIR_[64];

typedef struct {
  double first, last;
  int n;
} losses;
static void on_epoch(const pp_nn_epoch_stats *s, void *ctx) {
  losses *l = ctx;
  if (!l->n) l->first = s->loss;
  l->last = s->loss;
  l->n++;
}

static void test_loss_falls(void **st) {
  (void)st;
  const char *arch[2] = {"lenet5", "dwnet"};
  for (int a = 0; a < 2; a++)
    for (int opt = 0; opt < 2; opt++) {
      pp_err e;
      pp_err_clear(&e);
      pp_nn_model *m;
      assert_int_equal(pp_nn_model_create(arch[a], 1, 12, 12, 10, 1, &m, &e), PP_OK);
      pp_nn_train_opts o;
      pp_nn_train_defaults(&o);
      o.optimizer = opt ? PP_NN_OPT_SGD : PP_NN_OPT_ADAM;
      o.lr = opt ? 0.05 : 2e-3;
      o.schedule = opt ? PP_NN_SCHED_COSINE : PP_NN_SCHED_STEP;
      o.step_every = 2;
      o.step_gamma = 0.5;
      o.weight_decay = 1e-4;
      o.batch = 50;
      o.epochs = getenv("PP_ASAN") ? 3 : 4;
      losses l = {0};
      pp_nn_data sub = TR;
      sub.n = 500;
      assert_int_equal(pp_nn_train(m, &sub, &o, on_epoch, &l, &e), PP_OK);
      assert_int_equal(l.n, o.epochs);
      if (!(l.last < 0.7 * l.first)) fail_msg("%s/%s: loss %.4f -> %.4f", arch[a], opt ? "sgd" : "adam", l.first, l.last);
      double acc;
      assert_int_equal(pp_nn_eval(m, &TE, &acc, NULL, NULL, &e), PP_OK);
      assert_true(acc > 30.0);
      pp_nn_model_free(m);
    }
}

static pp_nn_model *run(uint64_t seed, int qat) {
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create("resnet20", 1, 12, 12, 10, seed, &m, &e), PP_OK);
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.batch = 16;
  o.max_steps = 4;
  o.augment = 1;
  o.seed = seed;
  assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK);
  if (qat) {
    pp_nn_set_qat(m, 1, 1);
    assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK);
  }
  return m;
}

static void test_deterministic(void **st) {
  (void)st;
  pp_nn_model *a = run(9, 1), *b = run(9, 1), *c = run(10, 0);
  assert_memory_equal(a->params, b->params, a->nparams * sizeof(float));
  assert_memory_equal(a->bufs, b->bufs, a->nbufs * sizeof(float));
  assert_true(memcmp(a->params, c->params, a->nparams * sizeof(float)) != 0);
  pp_nn_model_free(a);
  pp_nn_model_free(b);
  pp_nn_model_free(c);
}

static void test_model_file(void **st) {
  (void)st;
  pp_nn_model *m = run(3, 1);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_prune(m, 0.3, 1, &e), PP_OK);
  m->q.a_allowed[77] = 0;
  char path[128], bad[160];
  snprintf(path, sizeof path, "%s/m.ppm", DIR_);
  assert_int_equal(pp_nn_model_save(m, path, &e), PP_OK);
  pp_nn_model *l;
  assert_int_equal(pp_nn_model_load(path, &l, &e), PP_OK);
  assert_string_equal(l->arch, "resnet20");
  assert_int_equal(l->in_h, 12);
  assert_true(l->q.qat && l->q.per_channel);
  assert_memory_equal(l->params, m->params, m->nparams * sizeof(float));
  assert_memory_equal(l->bufs, m->bufs, m->nbufs * sizeof(float));
  assert_memory_equal(l->mask, m->mask, m->nparams);
  assert_memory_equal(&l->q, &m->q, sizeof m->q);
  /* the loaded model computes the same */
  float *l1 = malloc(sizeof(float) * 20 * 10), *l2 = malloc(sizeof(float) * 20 * 10);
  pp_nn_data sub = TE;
  sub.n = 20;
  assert_int_equal(pp_nn_eval(m, &sub, NULL, NULL, l1, &e), PP_OK);
  assert_int_equal(pp_nn_eval(l, &sub, NULL, NULL, l2, &e), PP_OK);
  assert_memory_equal(l1, l2, sizeof(float) * 200);
  free(l1), free(l2);
  pp_nn_model_free(l);

  char *data;
  size_t len;
  assert_int_equal(pp_read_file(path, &data, &len, &e), PP_OK);
  snprintf(bad, sizeof bad, "%s/bad.ppm", DIR_);
  /* flipped byte: checksum */
  data[len / 2] ^= 0x10;
  FILE *f = fopen(bad, "wb");
  fwrite(data, 1, len, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_load(bad, &l, &e), PP_EPARSE);
  assert_null(l);
  assert_non_null(strstr(e.msg, "checksum"));
  assert_string_equal(e.file, bad);
  data[len / 2] ^= 0x10;
  /* truncated */
  f = fopen(bad, "wb");
  fwrite(data, 1, len - 100, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_load(bad, &l, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "truncated"));
  /* not a model */
  f = fopen(bad, "wb");
  fputs("hello world, this is not a model file at all", f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_load(bad, &l, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "magic"));
  /* mismatched architecture: a lenet5 file claiming to be resnet20 (valid checksum) */
  pp_nn_model *le;
  assert_int_equal(pp_nn_model_create("lenet5", 1, 12, 12, 10, 1, &le, &e), PP_OK);
  assert_int_equal(pp_nn_model_save(le, bad, &e), PP_OK);
  free(data);
  assert_int_equal(pp_read_file(bad, &data, &len, &e), PP_OK);
  memcpy(data + 16, "resnet20", 9);
  uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)data, (uInt)(len - 4));
  for (int i = 0; i < 4; i++) data[len - 4 + i] = (char)(crc >> (8 * i));
  f = fopen(bad, "wb");
  fwrite(data, 1, len, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_load(bad, &l, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "mismatch"));
  pp_nn_model_free(le);
  free(data);
  pp_nn_model_free(m);
}

/* ---- IDX files ------------------------------------------------------------- */
static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static void write_idx(const char *path, int gz, uint32_t magic, uint32_t n, int dims, size_t payload) {
  uint8_t hdr[16];
  be32(hdr, magic);
  be32(hdr + 4, n);
  be32(hdr + 8, 4);
  be32(hdr + 12, 5);
  uint8_t *body = calloc(payload + 1, 1);
  for (size_t i = 0; i < payload; i++) body[i] = (uint8_t)(i % 3);
  if (gz) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, hdr, dims == 3 ? 16 : 8);
    if (payload) gzwrite(f, body, (unsigned)payload);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(hdr, 1, dims == 3 ? 16 : 8, f);
    fwrite(body, 1, payload, f);
    fclose(f);
  }
  free(body);
}

static void test_idx(void **st) {
  (void)st;
  char im[128], lb[128];
  snprintf(im, sizeof im, "%s/i.idx.gz", DIR_);
  snprintf(lb, sizeof lb, "%s/l.idx", DIR_);
  pp_err e;
  pp_nn_data d;
  /* valid: 7 images of 4x5, gzip images, plain labels */
  write_idx(im, 1, 0x803, 7, 3, 7 * 20);
  write_idx(lb, 0, 0x801, 7, 1, 7);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx(im, lb, &d, &e), PP_OK);
  assert_int_equal(d.n, 7);
  assert_int_equal(d.h, 4);
  assert_int_equal(d.w, 5);
  assert_int_equal(d.classes, PP_NN_IDX_CLASSES); /* the set's declared classes, not the largest label seen */
  assert_int_equal(d.x[21], 21 % 3);
  pp_nn_data_free(&d);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx_n(im, lb, 3, &d, &e), PP_OK);
  assert_int_equal(d.classes, 3);
  pp_nn_data_free(&d);
  /* a label beyond the classes (labels are 0,1,2,0,...): named with its image and byte */
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx_n(im, lb, 2, &d, &e), PP_EPARSE);
  assert_string_equal(e.file, lb);
  assert_non_null(strstr(e.msg, "label 2 of image 2 (byte 10): expected 0..1"));
  /* truncated image data */
  write_idx(im, 1, 0x803, 7, 3, 7 * 20 - 3);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx(im, lb, &d, &e), PP_EPARSE);
  assert_string_equal(e.file, im);
  assert_non_null(strstr(e.msg, "truncated"));
  /* wrong magic */
  write_idx(im, 0, 0x801, 7, 3, 7 * 20);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx(im, lb, &d, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "magic"));
  /* label count mismatch */
  write_idx(im, 0, 0x803, 7, 3, 7 * 20);
  write_idx(lb, 1, 0x801, 6, 1, 6);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx(im, lb, &d, &e), PP_EPARSE);
  assert_string_equal(e.file, lb);
  assert_non_null(strstr(e.msg, "does not match"));
  /* missing file, unknown set */
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx("/nonexistent/x", lb, &d, &e), PP_EIO);
  pp_nn_data tr, te;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load("no-such-set", NULL, &tr, &te, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load("fashion-mnist", DIR_, &tr, &te, &e), PP_EIO);
  assert_non_null(strstr(e.msg, "train-images-idx3-ubyte"));
  /* a truncated gzip stream */
  write_idx(im, 1, 0x803, 7, 3, 7 * 20);
  char *data;
  size_t len;
  assert_int_equal(pp_read_file(im, &data, &len, &e), PP_OK);
  FILE *f = fopen(im, "wb");
  fwrite(data, 1, len / 2, f);
  fclose(f);
  free(data);
  write_idx(lb, 0, 0x801, 7, 1, 7);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load_idx(im, lb, &d, &e), PP_EPARSE);
  assert_string_equal(e.file, im);
}

/* A directory of IDX files that is not a named set: the class count is the
 * largest training label + 1 (labels 0,1,2,0,... give 3), and one corrupt
 * label byte is an error naming the class no image has, not a 256-class set. */
static void test_idx_dir(void **st) {
  (void)st;
  char d[96], p[160], q[160];
  snprintf(d, sizeof d, "%s/idxset", DIR_);
  mkdir(d, 0755);
  const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                          "t10k-labels-idx1-ubyte"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", d, names[i]);
    if (i % 2 == 0) write_idx(p, 0, 0x803, 7, 3, 7 * 20);
    else write_idx(p, 0, 0x801, 7, 1, 7);
  }
  pp_nn_data tr, te;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load(d, NULL, &tr, &te, &e), PP_OK);
  assert_int_equal(tr.classes, 3);
  assert_int_equal(te.classes, 3);
  pp_nn_data_free(&tr);
  pp_nn_data_free(&te);
  pp_err_clear(&e); /* named as Fashion-MNIST, the same files are a 10-class set */
  assert_int_equal(pp_nn_data_load("fashion-mnist", d, &tr, &te, &e), PP_OK);
  assert_int_equal(tr.classes, PP_NN_IDX_CLASSES);
  pp_nn_data_free(&tr);
  pp_nn_data_free(&te);
  snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", d);
  FILE *f = fopen(p, "r+b");
  fseek(f, 8 + 4, SEEK_SET);
  fputc(255, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load(d, NULL, &tr, &te, &e), PP_EPARSE);
  assert_string_equal(e.file, p);
  assert_non_null(strstr(e.msg, "no training image has label 3 although labels go up to 255"));
  /* the test split may not use a class the training split lacks: training labels 0,1,0,1,... */
  f = fopen(p, "wb");
  const uint8_t hdr[8] = {0, 0, 8, 1, 0, 0, 0, 7}, lab[7] = {0, 1, 0, 1, 0, 1, 0};
  fwrite(hdr, 1, 8, f);
  fwrite(lab, 1, 7, f);
  fclose(f);
  snprintf(q, sizeof q, "%s/t10k-labels-idx1-ubyte", d);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load(d, NULL, &tr, &te, &e), PP_EPARSE);
  assert_string_equal(e.file, q);
  assert_non_null(strstr(e.msg, "test image 2 has label 2: the training set has classes 0..1"));
}

/* CIFAR binary: record = label + 3072 pixels; a partial record is an error. */
static void test_cifar(void **st) {
  (void)st;
  char p[160];
  const char *names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                          "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  uint8_t rec[3073];
  for (int i = 0; i < 6; i++) {
    snprintf(p, sizeof p, "%s/%s", DIR_, names[i]);
    FILE *f = fopen(p, "wb");
    for (int r = 0; r < 3; r++) {
      rec[0] = (uint8_t)(r + i) % 10;
      memset(rec + 1, r * 10 + i, 3072);
      fwrite(rec, 1, sizeof rec, f);
    }
    fclose(f);
  }
  pp_nn_data tr, te;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load(DIR_, NULL, &tr, &te, &e), PP_OK); /* detected from the directory */
  assert_int_equal(tr.n, 15);
  assert_int_equal(te.n, 3);
  assert_int_equal(tr.c, 3);
  assert_int_equal(tr.y[4], (1 + 1) % 10);
  assert_int_equal(tr.x[4 * 3072], 11);
  pp_nn_data_free(&tr);
  pp_nn_data_free(&te);
  snprintf(p, sizeof p, "%s/test_batch.bin", DIR_);
  FILE *f = fopen(p, "ab");
  fputc(1, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_load("cifar10", DIR_, &tr, &te, &e), PP_EPARSE);
  assert_string_equal(e.file, p);
  for (int i = 0; i < 6; i++) {
    snprintf(p, sizeof p, "%s/%s", DIR_, names[i]);
    unlink(p);
  }
}

/* The CLI end to end on the synthetic set: JSON last, model file written. */
static void test_cli(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe) exe = PP_BINARY_DIR "/powerprune";
  char cmd[1024], out[128], wf[128];
  snprintf(out, sizeof out, "%s/cli.ppm", DIR_);
  snprintf(wf, sizeof wf, "%s/w.txt", DIR_);
  FILE *f = fopen(wf, "w");
  fputs("# allowed\n-8\n-2\n1\n2\n4\n16\n64\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "%s train --model lenet5 --data synthetic --epochs 2 --seed 1 --batch 32 --weights-allowed %s -o %s --json", exe,
           wf, out);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char buf[8192] = {0}, line[8192];
  while (fgets(line, sizeof line, p)) snprintf(buf, sizeof buf, "%s", line);
  assert_int_equal(pclose(p), 0);
  assert_non_null(strstr(buf, "\"test_accuracy\":"));
  assert_non_null(strstr(buf, "\"int8_accuracy\":"));
  assert_non_null(strstr(buf, "\"weights_allowed\":8"));
  assert_int_equal(access(out, F_OK), 0);
  snprintf(cmd, sizeof cmd, "%s eval --model-file %s --data synthetic --json", exe, out);
  p = popen(cmd, "r");
  buf[0] = 0;
  while (fgets(line, sizeof line, p)) snprintf(buf, sizeof buf, "%s", line);
  assert_int_equal(pclose(p), 0);
  assert_non_null(strstr(buf, "\"int8_accuracy\":"));
  /* bad input: one clear message and the input exit status */
  snprintf(cmd, sizeof cmd, "%s eval --model-file %s --data synthetic 2>&1", exe, wf);
  p = popen(cmd, "r");
  buf[0] = 0;
  while (fgets(line, sizeof line, p)) snprintf(buf, sizeof buf, "%s", line);
  assert_int_equal(WEXITSTATUS(pclose(p)), 3);
  assert_non_null(strstr(buf, "not a powerprune model file"));
}

int main(void) {
  /* small nets: one thread avoids barrier waits on a shared machine */
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  setenv("OMP_NUM_THREADS", "1", 1); /* for the CLI runs */
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  pp_err e;
  pp_err_clear(&e);
  snprintf(DIR_, sizeof DIR_, "/tmp/pp_nn_trainXXXXXX");
  if (!mkdtemp(DIR_)) return 1;
  if (pp_nn_data_synthetic(800, 1, 12, 12, 10, 21, &TR, &e) || pp_nn_data_synthetic(300, 1, 12, 12, 10, 22, &TE, &e))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idx),
      cmocka_unit_test(test_idx_dir),        cmocka_unit_test(test_cifar),
      cmocka_unit_test(test_loss_falls), cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_model_file), cmocka_unit_test(test_cli),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  pp_nn_data_free(&TR);
  pp_nn_data_free(&TE);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", DIR_);
  if (system(cmd)) r = r ? r : 1;
  return r;
}

/* bench/bench_trace: transition statistics of 100 test images through every
 * layer of ResNet-20 on a 64 x 64 array (`make bench-trace`). An untrained
 * seeded model (activation ranges from a few training steps) on the
 * Fashion-MNIST test set, or synthetic images when it is not installed.
 * The peer measured in the same run is the cycle-accurate reference engine on
 * a subset of the images; the ratio compares MAC operations per second, and
 * the two engines' statistics on that subset are checked to be identical.
 * Usage: bench_trace [images (100)] [naive images (1)] [array size (64)] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp/array.h"
#include "pp/nn.h"

/* CPU seconds of the whole process (all threads): the machine is shared, so
 * wall time alone says little about the code. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(const pp_err *e) {
  char buf[1200];
  fprintf(stderr, "bench_trace: %s\n", pp_err_format(e, buf, sizeof buf));
  return 1;
}

static int same(const pp_array_stats *a, const pp_array_stats *b) {
  if (memcmp(&a->c, &b->c, sizeof a->c) || memcmp(a->act_hist, b->act_hist, sizeof a->act_hist) ||
      memcmp(a->mac_per_weight, b->mac_per_weight, sizeof a->mac_per_weight) ||
      memcmp(a->bin_hist, b->bin_hist, (size_t)a->bins * a->bins * sizeof *a->bin_hist) || a->nres != b->nres)
    return 0;
  for (uint32_t i = 0; i < a->nres; i++)
    if (a->res[i].p_old != b->res[i].p_old || a->res[i].p_new != b->res[i].p_new || a->res[i].a_old != b->res[i].a_old ||
        a->res[i].a_new != b->res[i].a_new)
      return 0;
  return 1;
}

int main(int argc, char **argv) {
  int images = argc > 1 ? atoi(argv[1]) : 100, nimages = argc > 2 ? atoi(argv[2]) : 1;
  int size = argc > 3 ? atoi(argv[3]) : 64;
  if (images < 1 || nimages < 1 || size < 1) {
    fprintf(stderr, "usage: bench_trace [images] [naive images] [array size]\n");
    return 2;
  }
  pp_err e;
  pp_err_clear(&e);
  pp_nn_data train = {0}, test = {0};
  const char *data = "fashion-mnist";
  if (pp_nn_data_load("fashion-mnist", NULL, &train, &test, &e) != PP_OK) {
    pp_err_clear(&e);
    data = "synthetic";
    if (pp_nn_data_synthetic(images + 64, 1, 28, 28, 10, 2, &test, &e)) return die(&e);
    if (pp_nn_data_synthetic(256, 1, 28, 28, 10, 1, &train, &e)) return die(&e);
  }
  if (images > test.n) images = test.n;
  pp_nn_model *m;
  if (pp_nn_model_create("resnet20", 1, 28, 28, 10, 1, &m, &e)) return die(&e);
  pp_nn_train_opts to;
  pp_nn_train_defaults(&to);
  to.epochs = 1;
  to.batch = 32;
  to.max_steps = 4; /* activation ranges only: the statistics need a runnable integer model */
  if (pp_nn_train(m, &train, &to, NULL, NULL, &e)) return die(&e);
  pp_nn_qmodel *q;
  if (pp_nn_qmodel_build(m, &q, &e)) return die(&e);
  printf("bench_trace: ResNet-20 (untrained, seed 1), %d %s test images, %dx%d array, %d thread(s) max\n", images,
         data, size, size, omp_get_max_threads());
  pp_array_opts o;
  pp_array_opts_defaults(&o);
  o.size = size;
  o.progress = 1;
  /* the integer path alone, to separate its share of the time */
  double t0 = pp_now(), c0 = cpu_now();
  if (pp_nn_qrun(q, &test, 0, images, NULL, NULL, NULL, NULL, NULL, &e)) return die(&e);
  double t_nn = pp_now() - t0, c_nn = cpu_now() - c0;
  t0 = pp_now(), c0 = cpu_now();
  pp_array_stats *fast;
  if (pp_array_trace(q, &test, 0, images, &o, &fast, &e)) return die(&e);
  double t_fast = pp_now() - t0, c_fast = cpu_now() - c0;
  double macs = (double)fast->c.macs;
  int ncal = o.calib_images < images ? o.calib_images : images;
  /* MAC counts depend on shapes only, so the calibration pass streamed ncal/images as many */
  double rate_fast = macs * (images + ncal) / images / t_fast;
  printf("fast engine:  %8.2f s for %d images (+%d calibration), %.4g array MAC ops, %.4g MAC/s, bit exact: %s\n",
         t_fast, images, ncal, macs, rate_fast,
         fast->c.outputs && !fast->c.mismatches ? "yes" : "NO");
  printf("              CPU %.2f s (all threads); integer forward alone: %.2f s wall, %.2f s CPU\n", c_fast, t_nn, c_nn);
  printf("              cycles %.4g, zero-MAC fraction %.3f\n",
         (double)(fast->c.load_cycles + fast->c.stream_cycles), macs ? (double)fast->c.zero_macs / macs : 0);
  /* the peer: cycle-accurate reference on a subset, and the fast engine on the same subset */
  o.calib_images = 1;
  o.progress = 0;
  pp_array_stats *sub_fast, *sub_naive;
  t0 = pp_now(), c0 = cpu_now();
  if (pp_array_trace(q, &test, 0, nimages, &o, &sub_fast, &e)) return die(&e);
  double t_sf = pp_now() - t0, c_sf = cpu_now() - c0;
  o.naive = 1;
  t0 = pp_now(), c0 = cpu_now();
  if (pp_array_trace(q, &test, 0, nimages, &o, &sub_naive, &e)) return die(&e);
  double t_sn = pp_now() - t0, c_sn = cpu_now() - c0;
  double rate_naive = (double)sub_naive->c.macs * (nimages + 1) / nimages / t_sn;
  printf("naive engine: %8.2f s (CPU %.2f s) for %d image(s) (+1 calibration), %.4g MAC/s; fast on the same: %.2f s "
         "(CPU %.2f s)\n",
         t_sn, c_sn, nimages, rate_naive, t_sf, c_sf);
  printf("ratio fast/naive in CPU time on the subset (integer forward included in both): %.1fx\n", c_sn / c_sf);
  printf("ratio fast/naive (MAC/s, same run): %.1fx; statistics identical on the subset: %s\n", rate_fast / rate_naive,
         same(sub_fast, sub_naive) ? "yes" : "NO");
  printf("target: %d images under 60 s: %s (%.1f s wall, %.1f s CPU over all threads)\n", images,
         t_fast < 60 ? "met" : "MISSED", t_fast, c_fast);
  int ok = same(sub_fast, sub_naive) && fast->c.mismatches == 0;
  pp_array_stats_free(fast);
  pp_array_stats_free(sub_fast);
  pp_array_stats_free(sub_naive);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&train);
  pp_nn_data_free(&test);
  return ok ? 0 : 1;
}

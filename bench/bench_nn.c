/* bench_nn: training throughput (images/s) of LeNet-5 and ResNet-20 in the nn
 * engine, on Fashion-MNIST-shaped data (28x28, 10 classes; ResNet-20 pads to
 * 32x32), Adam, the batch size and thread count given. bench/run_nn.sh runs
 * the PyTorch peer with the same settings and prints the ratio.
 * usage: bench_nn [batch] [lenet_steps] [resnet_steps]   (threads: OMP_NUM_THREADS;
 * 0 steps skips a model)
 * prints: "<model> <batch> <threads> <images/s> <images per CPU-second>" per
 * model; the second rate (process CPU time over all threads) is steadier than
 * wall time on a shared machine. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pp/nn.h"

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double bench(const char *arch, const pp_nn_data *d, int batch, int steps, double *cpu_rate) {
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  if (pp_nn_model_create(arch, d->c, d->h, d->w, d->classes, 1, &m, &e)) return -1;
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.batch = batch;
  o.epochs = 1000;
  o.max_steps = 3; /* warm-up: work space, caches, thread pools */
  if (pp_nn_train(m, d, &o, NULL, NULL, &e)) return -1;
  o.max_steps = steps;
  double t0 = pp_now(), c0 = cpu_now();
  if (pp_nn_train(m, d, &o, NULL, NULL, &e)) return -1;
  double t = pp_now() - t0, c = cpu_now() - c0;
  pp_nn_model_free(m);
  *cpu_rate = (double)steps * batch / c;
  return (double)steps * batch / t;
}

int main(int argc, char **argv) {
  int batch = argc > 1 ? atoi(argv[1]) : 64;
  int ls = argc > 2 ? atoi(argv[2]) : 200, rs = argc > 3 ? atoi(argv[3]) : 10;
  pp_err e;
  pp_err_clear(&e);
  pp_nn_data d;
  if (pp_nn_data_synthetic(4096, 1, 28, 28, 10, 1, &d, &e)) return 1;
  int threads = omp_get_max_threads();
  double lc = 0, rc = 0;
  double l = ls > 0 ? bench("lenet5", &d, batch, ls, &lc) : 1;
  if (ls > 0) printf("lenet5 %d %d %.1f %.1f\n", batch, threads, l, lc);
  fflush(stdout);
  double r = rs > 0 ? bench("resnet20", &d, batch, rs, &rc) : 1;
  if (rs > 0) printf("resnet20 %d %d %.1f %.1f\n", batch, threads, r, rc);
  pp_nn_data_free(&d);
  return l > 0 && r > 0 ? 0 : 1;
}

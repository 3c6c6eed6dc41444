/* bench_nn: training throughput (images/s) of LeNet-5 and ResNet-20 in the nn
 * engine, on Fashion-MNIST-shaped data (28x28, 10 classes; ResNet-20 pads to
 * 32x32), Adam, the batch size and thread count given. bench/run_nn.sh runs
 * the PyTorch peer with the same settings and prints the ratio.
 * usage: bench_nn [batch] [lenet_steps] [resnet_steps]   (threads: OMP_NUM_THREADS)
 * prints: "<model> <batch> <threads> <images/s>" per model. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "pp/nn.h"

static double bench(const char *arch, const pp_nn_data *d, int batch, int steps) {
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
  double t0 = pp_now();
  if (pp_nn_train(m, d, &o, NULL, NULL, &e)) return -1;
  double t = pp_now() - t0;
  pp_nn_model_free(m);
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
  double l = bench("lenet5", &d, batch, ls);
  printf("lenet5 %d %d %.1f\n", batch, threads, l);
  fflush(stdout);
  double r = bench("resnet20", &d, batch, rs);
  printf("resnet20 %d %d %.1f\n", batch, threads, r);
  pp_nn_data_free(&d);
  return l > 0 && r > 0 ? 0 : 1;
}

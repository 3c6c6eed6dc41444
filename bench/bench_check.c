/* bench_check: the table-based power estimate against gate-level simulation
 * of real streams, on one convolution layer: LeNet-5's first layer (6 filters
 * of 5x5, 24x24 outputs) over the first Fashion-MNIST test image, with
 * seeded Gaussian int8 weights (sigma 40; a trained model's filters need
 * module nn). The layer goes through the array module, P[w] is characterized
 * from its statistics, and the sampled PEs' real activation/partial-sum
 * streams are simulated at gate level; prints both energies and the error.
 * Run: make bench-check [ARGS="pes transitions seed [reservoir|shuffled]"] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pp/estimate.h"

static int read_image(const char *path, int idx, uint8_t *img) {
  gzFile f = gzopen(path, "rb");
  if (!f) return -1;
  unsigned char h[16];
  if (gzread(f, h, 16) != 16 || h[2] != 8 || h[3] != 3) {
    gzclose(f);
    return -1;
  }
  for (int i = 0; i <= idx; i++)
    if (gzread(f, img, 784) != 784) {
      gzclose(f);
      return -1;
    }
  gzclose(f);
  return 0;
}

int main(int argc, char **argv) {
  int pes = argc > 1 ? atoi(argv[1]) : 64;
  long T = argc > 2 ? atol(argv[2]) : 10000;
  uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
  int reservoir = argc > 4 && !strcmp(argv[4], "reservoir") ? 1 : argc > 4 && !strcmp(argv[4], "shuffled") ? 2 : 0;
  const char *img_path = getenv("PP_FASHION_IMAGES") ? getenv("PP_FASHION_IMAGES")
                                                      : "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  uint8_t img[784];
  if (read_image(img_path, 0, img)) {
    fprintf(stderr, "bench_check: cannot read %s\n", img_path);
    return 1;
  }
  enum { M = 6, K = 25, OH = 24, N = OH * OH };
  static int8_t w[M * K];
  static uint8_t x[K * N];
  pp_rng r;
  pp_rng_seed(&r, seed);
  for (int i = 0; i < M * K; i++) {
    double v = round(40 * pp_rng_normal(&r));
    w[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
  }
  for (int ky = 0; ky < 5; ky++)
    for (int kx = 0; kx < 5; kx++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OH; ox++) x[(ky * 5 + kx) * N + oy * OH + ox] = img[(oy + ky) * 28 + ox + kx];
  pp_nn_qgemm g;
  memset(&g, 0, sizeof g);
  g.name = "conv1";
  g.groups = 1;
  g.M = M;
  g.K = K;
  g.N = N;
  g.w = w;
  g.x = x;
  char dir[] = "/tmp/pp_bench_check_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.work_dir = dir;
  pp_char_mac mac;
  pp_err e;
  pp_err_clear(&e);
  char b[1200];
  if (pp_char_mac_load(&s, PP_CHAR_FULL, &mac, &e)) {
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  pp_est_check_opts o;
  pp_est_check_opts_default(&o);
  o.n_pes = pes;
  o.transitions = T;
  o.seed = seed;
  o.reservoir = reservoir;
  pp_est_check c;
  double t0 = pp_now();
  if (pp_est_check_layer(&g, mac.m[0], &o, &c, NULL, &e)) {
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  printf("conv1 (M=%d K=%d N=%d), %d PEs, %ld transitions simulated, table from %ld transitions sampled (%s):\n", M, K,
         N, c.n_pes, c.transitions, T, reservoir == 1 ? "joint, reservoir" : reservoir == 2 ? "reservoir, a/p pairing shuffled" : "activation histogram x psum bins");
  printf("  gate level %.1f pJ, table %.1f pJ, error %+.2f%%  (%.1f s)\n", c.sim_fj / 1000, c.table_fj / 1000,
         100 * c.error, pp_now() - t0);
  pp_char_mac_free(&mac);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) != 0;
}

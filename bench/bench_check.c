/* bench_check: the table-based power estimate against gate-level simulation
 * of real streams.
 * Default: LeNet-5's first layer shape (6 filters of 5x5, 24x24 outputs) over
 * the first Fashion-MNIST test image, with seeded Gaussian int8 weights
 * (sigma 40). The layer goes through the array module, P[w] is characterized
 * from its statistics, and the sampled PEs' real activation/partial-sum
 * streams are simulated at gate level; prints both energies and the error.
 * Run: make bench-check [ARGS="pes transitions seed [reservoir|shuffled]"]
 * Per layer of a trained model: ARGS="--model M.ppnn [images [pes [transitions
 * [seed [steps per PE [layer]]]]]]" runs that many test images through the integer path, puts each
 * weight layer's products of all of them one after another through the same
 * check (as the array streams images), with the paper's independent sampling
 * and with joint samples, and prints one line per layer and mode. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pp/estimate.h"
#include "pp/nn.h"

/* Removes the scratch folder (no shell). */
static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb, (void)flag, (void)f;
  return remove(p);
}
static int rmtree(const char *dir) { return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* Positional argument i as a positive number, or dflt when absent; anything else ends the bench. */
static long arg(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  char *end;
  long v = strtol(argv[i], &end, 10);
  if (*end || v < 1) {
    fprintf(stderr, "bench_check: argument %d \"%s\": expected a positive integer\n", i, argv[i]);
    exit(2);
  }
  return v;
}

/* The check's options: PEs sampled, table transitions, seed, sampling (0 bins, 1 joint, 2 shuffled), transitions
 * per PE (0: all). */
static pp_est_check_opts check_opts(int pes, long T, uint64_t seed, int reservoir, int max_steps) {
  pp_est_check_opts o;
  pp_est_check_opts_default(&o);
  o.n_pes = pes;
  o.transitions = T;
  o.seed = seed;
  o.reservoir = reservoir;
  o.max_steps = max_steps;
  return o;
}

/* The built-in MAC, generated into a fresh scratch folder dir (a mkdtemp template). */
static int open_mac(char *dir, pp_char_mac *mac) {
  if (!mkdtemp(dir)) return 1;
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.work_dir = dir;
  pp_err e;
  pp_err_clear(&e);
  if (!pp_char_mac_load(&s, PP_CHAR_FULL, mac, &e)) return 0;
  char b[1200];
  fprintf(stderr, "bench_check: %s\n", pp_err_format(&e, b, sizeof b));
  return 1;
}

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

/* ---- per layer of a trained model -------------------------------------------------- */
enum { MAXL = 32 };
typedef struct layer_acc {
  char name[64];
  int kind, groups, M, K, N1, n; /* N1 columns per image, n images so far */
  int8_t *w;
  uint8_t *x; /* images x (K x N1), laid out per image; re-laid out at the end */
} layer_acc;
typedef struct model_acc {
  layer_acc L[MAXL];
  int nl;
  int images;
} model_acc;

static int collect(const pp_nn_qgemm *g, void *ctx) {
  model_acc *a = ctx;
  if (g->groups != 1) return 0; /* depthwise: not the array's dense product */
  int i = 0;
  while (i < a->nl && strcmp(a->L[i].name, g->name)) i++;
  if (i == a->nl) {
    if (a->nl == MAXL) return 0;
    layer_acc *l = &a->L[a->nl++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", g->name);
    l->kind = g->kind, l->groups = 1, l->M = g->M, l->K = g->K, l->N1 = g->N;
    l->w = malloc((size_t)g->M * g->K);
    l->x = malloc((size_t)a->images * g->K * g->N);
    if (!l->w || !l->x) return 1;
    memcpy(l->w, g->w, (size_t)g->M * g->K);
  }
  layer_acc *l = &a->L[i];
  if (l->n >= a->images || l->N1 != g->N) return 1;
  memcpy(l->x + (size_t)l->n * g->K * g->N, g->x, (size_t)g->K * g->N);
  l->n++;
  return 0;
}

static int model_mode(int argc, char **argv) {
  const char *mf = argv[2];
  int images = (int)arg(argc, argv, 3, 20), pes = (int)arg(argc, argv, 4, 64);
  long T = arg(argc, argv, 5, 10000);
  uint64_t seed = (uint64_t)arg(argc, argv, 6, 1);
  int max_steps = (int)arg(argc, argv, 7, 4000); /* per PE, spread over the stream: bounds conv1's cost */
  const char *only = argc > 8 ? argv[8] : NULL;  /* one layer by name */
  pp_err e;
  pp_err_clear(&e);
  char b[1200];
  pp_nn_model *m = NULL;
  pp_nn_qmodel *q = NULL;
  pp_nn_data tr, te;
  static model_acc A;
  A.images = images;
  if (pp_nn_model_load(mf, &m, &e) || pp_nn_data_load("fashion-mnist", NULL, &tr, &te, &e) ||
      pp_nn_qmodel_build(m, &q, &e) || pp_nn_qrun(q, &te, 0, images, collect, &A, NULL, NULL, NULL, &e)) {
    fprintf(stderr, "bench_check: %s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  char dir[] = "/tmp/pp_bench_check_XXXXXX";
  pp_char_mac mac;
  if (open_mac(dir, &mac)) return 1;
  printf("%s, %d test images, %d PEs sampled per layer (at most %d transitions each), table from %ld transitions, "
         "seed %llu (%s)\n",
         mf, images, pes, max_steps, T, (unsigned long long)seed, mac.desc[0]);
  printf("%-10s %5s %5s %7s %12s %12s %17s %12s %17s\n", "layer", "M", "K", "N", "gate [pJ]", "bins [pJ]",
         "error (+-2 se)", "joint [pJ]", "error (+-2 se)");
  int rc = 0;
  for (int i = 0; i < A.nl && !rc; i++) {
    layer_acc *l = &A.L[i];
    if (only && strcmp(only, l->name)) continue;
    /* images one after another along N, as the array streams them */
    int N = l->N1 * l->n;
    uint8_t *x = malloc((size_t)l->K * N);
    if (!x) return 1;
    for (int img = 0; img < l->n; img++)
      for (int k = 0; k < l->K; k++)
        memcpy(x + (size_t)k * N + (size_t)img * l->N1, l->x + ((size_t)img * l->K + k) * l->N1, (size_t)l->N1);
    pp_nn_qgemm g;
    memset(&g, 0, sizeof g);
    g.name = l->name;
    g.kind = l->kind;
    g.groups = 1;
    g.M = l->M, g.K = l->K, g.N = N;
    g.w = l->w;
    g.x = x;
    pp_est_check c[2];
    for (int r = 0; r < 2 && !rc; r++) {
      pp_est_check_opts o = check_opts(pes, T, seed, r, max_steps);
      rc = pp_est_check_layer(&g, mac.m[0], &o, &c[r], NULL, &e);
    }
    if (rc) fprintf(stderr, "%s: %s\n", l->name, pp_err_format(&e, b, sizeof b));
    else
      printf("%-10s %5d %5d %7d %12.1f %12.1f %+8.2f%% +-%5.2f%% %12.1f %+8.2f%% +-%5.2f%%\n", l->name, l->M, l->K, N,
             c[0].sim_fj / 1000, c[0].table_fj / 1000, 100 * c[0].error, 200 * c[0].error_se, c[1].table_fj / 1000,
             100 * c[1].error, 200 * c[1].error_se);
    fflush(stdout);
    free(x);
  }
  for (int i = 0; i < A.nl; i++) free(A.L[i].w), free(A.L[i].x);
  pp_char_mac_free(&mac);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&tr);
  pp_nn_data_free(&te);
  return (rmtree(dir) != 0) | rc;
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "--model")) return model_mode(argc, argv);
  int pes = (int)arg(argc, argv, 1, 64);
  long T = arg(argc, argv, 2, 10000);
  uint64_t seed = (uint64_t)arg(argc, argv, 3, 1);
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
  pp_char_mac mac;
  if (open_mac(dir, &mac)) return 1;
  pp_err e;
  pp_err_clear(&e);
  char b[1200];
  pp_est_check_opts o = check_opts(pes, T, seed, reservoir, 0);
  pp_est_check c;
  double t0 = pp_now();
  if (pp_est_check_layer(&g, mac.m[0], &o, &c, NULL, &e)) {
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  printf("conv1 (M=%d K=%d N=%d), %d PEs, %ld transitions simulated, table from %ld transitions sampled (%s):\n", M, K,
         N, c.n_pes, c.transitions, T, reservoir == 1 ? "joint, reservoir" : reservoir == 2 ? "reservoir, a/p pairing shuffled" : "activation histogram x psum bins");
  printf("  gate level %.1f pJ, table %.1f pJ, error %+.2f%% +-%.2f%% (2 standard errors of the PE sample)  (%.1f s)\n",
         c.sim_fj / 1000, c.table_fj / 1000, 100 * c.error, 200 * c.error_se, pp_now() - t0);
  pp_char_mac_free(&mac);
  return rmtree(dir) != 0;
}

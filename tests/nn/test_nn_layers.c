/* Tests of nn layers: finite-difference gradient checks of every layer (and
 * of whole models, which covers GAP, residual add and BN in context), the
 * im2col+GEMM convolution against the naive one, the integer GEMM against its
 * reference. */
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

#include "nn/nn_internal.h"
#include "nn/nn_work.h"

static pp_rng R;
/* When set, the backward wrappers fill dx with garbage and ask the kernel to
 * overwrite it (the mode nn_backward uses for a tensor's first gradient). */
static int OVERWRITE;
static void spoil(float *dx, size_t n) {
  if (OVERWRITE)
    for (size_t i = 0; i < n; i++) dx[i] = 12345.0f;
}

static float *rnd(size_t n, float lo, float hi) {
  float *p = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * (float)pp_rng_uniform(&R);
  return p;
}
/* values of magnitude in [0.2, 1] with random sign: far from ReLU kinks */
static float *rnd_away(size_t n) {
  float *p = rnd(n, 0.2f, 1.0f);
  for (size_t i = 0; i < n; i++)
    if (pp_rng_below(&R, 2)) p[i] = -p[i];
  return p;
}
static double dot(const float *a, const float *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

/* A layer as f(x, p) -> y for the checker. */
typedef void (*fwd_fn)(void *ctx, const float *x, const float *p, float *y);
typedef void (*bwd_fn)(void *ctx, const float *x, const float *p, const float *dy, float *dx, float *dp);

/* Compares analytic dx/dp (loss = <y, r>) with central differences. */
static void gradcheck(void *ctx, fwd_fn f, bwd_fn b, float *x, size_t nx, float *p, size_t np, size_t ny,
                      float eps, double tol) {
  float *y = malloc(ny * sizeof(float)), *r = rnd(ny, -1, 1);
  float *dx = calloc(nx + 1, sizeof(float)), *dp = calloc(np + 1, sizeof(float));
  f(ctx, x, p, y);
  b(ctx, x, p, r, dx, dp);
  for (int which = 0; which < 2; which++) {
    float *v = which ? p : x, *g = which ? dp : dx;
    size_t n = which ? np : nx;
    for (size_t i = 0; i < n; i++) {
      float keep = v[i];
      v[i] = keep + eps;
      f(ctx, x, p, y);
      double lp = dot(y, r, ny);
      v[i] = keep - eps;
      f(ctx, x, p, y);
      double lm = dot(y, r, ny);
      v[i] = keep;
      double num = (lp - lm) / (2 * eps);
      if (fabs(num - g[i]) > tol * (1 + fabs(num)))
        fail_msg("%s[%zu]: analytic %.6f numeric %.6f", which ? "param" : "input", i, g[i], num);
    }
  }
  free(y), free(r), free(dx), free(dp);
}

/* ---- conv ----------------------------------------------------------------- */
typedef struct {
  nn_conv_shape s;
  float *col;
  int bias;
} conv_ctx;
static size_t conv_nw(const nn_conv_shape *s) { return (size_t)s->M * (s->C / s->groups) * s->k * s->k; }
static void conv_f(void *c, const float *x, const float *p, float *y) {
  conv_ctx *cc = c;
  nn_conv_forward(&cc->s, x, p, cc->bias ? p + conv_nw(&cc->s) : NULL, y, cc->col, 1);
}
static void conv_b(void *c, const float *x, const float *p, const float *dy, float *dx, float *dp) {
  conv_ctx *cc = c;
  spoil(dx, (size_t)cc->s.B * cc->s.C * cc->s.H * cc->s.W);
  nn_conv_backward(&cc->s, x, p, dy, dx, dp, cc->bias ? dp + conv_nw(&cc->s) : NULL, cc->col, 1, !OVERWRITE);
}

static void assert_close(const float *a, const float *b, size_t n, float tol) {
  for (size_t i = 0; i < n; i++)
    if (!(fabsf(a[i] - b[i]) <= tol * (1 + fabsf(b[i])))) fail_msg("[%zu]: %g vs %g", i, a[i], b[i]);
}

/* im2col / col2im of an image range against the element-by-element references. */
static void check_im2col(const nn_conv_shape *s) {
  int K = s->C / s->groups * s->k * s->k, N = s->Ho * s->Wo;
  size_t nx = (size_t)s->B * s->C * s->H * s->W;
  for (int g = 0; g < s->groups; g++)
    for (int b0 = 0; b0 < s->B; b0++) {
      int nb = s->B - b0;
      size_t nc = (size_t)K * nb * N;
      float *x = rnd(nx, -1, 1), *c1 = rnd(nc, 5, 6), *c2 = rnd(nc, 5, 6);
      nn_im2col(s, x, g, b0, nb, c1);
      nn_im2col_ref(s, x, g, b0, nb, c2);
      assert_memory_equal(c1, c2, nc * sizeof(float));
      float *d1 = rnd(nx, -1, 1), *d2 = malloc(nx * sizeof(float));
      memcpy(d2, d1, nx * sizeof(float));
      nn_col2im_add(s, c1, g, b0, nb, d1);
      nn_col2im_add_ref(s, c1, g, b0, nb, d2);
      assert_close(d1, d2, nx, 1e-6f);
      free(x), free(c1), free(c2), free(d1), free(d2);
    }
}

static void check_conv(int B, int C, int H, int M, int k, int stride, int pad, int groups) {
  conv_ctx c = {{B, C, H, H, M, 0, 0, k, stride, pad, groups}, NULL, 1};
  nn_conv_out_size(H, H, k, stride, pad, &c.s.Ho, &c.s.Wo);
  size_t nx = (size_t)B * C * H * H, nw = conv_nw(&c.s), ny = (size_t)B * M * c.s.Ho * c.s.Wo;
  c.col = malloc(sizeof(float) * nn_conv_scratch(&c.s, 3));
  check_im2col(&c.s);
  float *x = rnd(nx, -1, 1), *p = rnd(nw + M, -0.5f, 0.5f), *dy = rnd(ny, -1, 1);
  /* fast (1, 2 and 3 threads) vs naive reference, forward and backward */
  float *y1 = malloc(ny * sizeof(float)), *y2 = malloc(ny * sizeof(float));
  float *g1 = calloc(nx + nw + M, sizeof(float)), *g2 = calloc(nx + nw + M, sizeof(float));
  float *g0 = calloc(nx + nw + M, sizeof(float));
  nn_conv_forward_ref(&c.s, x, p, p + nw, y2);
  nn_conv_backward_ref(&c.s, x, p, dy, g2, g2 + nx, g2 + nx + nw);
  omp_set_num_threads(3);
  for (int nt = 1; nt <= 3; nt++) {
    nn_conv_forward(&c.s, x, p, p + nw, y1, c.col, nt);
    assert_close(y1, y2, ny, 1e-5f);
    memset(g1, 0, (nx + nw + M) * sizeof(float));
    nn_conv_backward(&c.s, x, p, dy, g1, g1 + nx, g1 + nx + nw, c.col, nt, 1);
    assert_close(g1, g2, nx + nw + M, 1e-5f);
    /* same thread count, same bits */
    memset(g0, 0, (nx + nw + M) * sizeof(float));
    nn_conv_backward(&c.s, x, p, dy, g0, g0 + nx, g0 + nx + nw, c.col, nt, 1);
    assert_memory_equal(g0, g1, (nx + nw + M) * sizeof(float));
    /* overwrite mode: dx starts as garbage and ends as the same gradient */
    for (size_t i = 0; i < nx; i++) g0[i] = 12345.0f;
    memset(g0 + nx, 0, (nw + M) * sizeof(float));
    nn_conv_backward(&c.s, x, p, dy, g0, g0 + nx, g0 + nx + nw, c.col, nt, 0);
    for (size_t i = 0; i < nx; i++) assert_true(g0[i] == g1[i]);
  }
  omp_set_num_threads(1);
  gradcheck(&c, conv_f, conv_b, x, nx, p, nw + M, ny, 1e-2f, 2e-3);
  OVERWRITE = 1;
  gradcheck(&c, conv_f, conv_b, x, nx, p, nw + M, ny, 1e-2f, 2e-3);
  OVERWRITE = 0;
  free(x), free(p), free(y1), free(y2), free(c.col), free(dy), free(g0), free(g1), free(g2);
}

static void test_conv(void **st) {
  (void)st;
  check_conv(2, 3, 6, 4, 3, 1, 1, 1);  /* plain 3x3 */
  check_conv(2, 4, 7, 6, 3, 2, 1, 2);  /* stride 2, two groups */
  check_conv(2, 4, 6, 4, 3, 1, 1, 4);  /* depthwise */
  check_conv(3, 4, 5, 3, 1, 1, 0, 1);  /* pointwise (no im2col) */
  check_conv(1, 2, 8, 3, 5, 1, 2, 1);  /* LeNet-like 5x5 pad 2 */
  check_conv(5, 3, 9, 4, 3, 2, 1, 1);  /* odd size, stride 2, more images than threads */
  check_conv(4, 2, 5, 3, 5, 1, 0, 1);  /* 5x5 unpadded */
  check_conv(3, 2, 4, 2, 3, 1, 3, 1);  /* padding larger than the edge distance */
  check_conv(2, 2, 6, 2, 1, 2, 0, 1);  /* 1x1 stride 2 (im2col, not pointwise) */
}

/* ---- fc ----------------------------------------------------------------------- */
typedef struct {
  int B, C, HW, O;
  float *xt, *dxt;
} fc_ctx;
static void fc_f(void *c, const float *x, const float *p, float *y) {
  fc_ctx *f = c;
  nn_fc_forward(f->B, f->C, f->HW, f->O, x, p, p + (size_t)f->O * f->C * f->HW, y, f->xt);
}
static void fc_b(void *c, const float *x, const float *p, const float *dy, float *dx, float *dp) {
  fc_ctx *f = c;
  size_t nw = (size_t)f->O * f->C * f->HW;
  nn_fc_backward(f->B, f->C, f->HW, f->O, x, p, dy, dx, dp, dp + nw, f->xt, f->dxt);
}
static void test_fc(void **st) {
  (void)st;
  fc_ctx f = {3, 4, 4, 5, NULL, NULL};
  size_t nx = 3 * 4 * 4, nw = 5 * 16;
  f.xt = malloc(nx * sizeof(float));
  f.dxt = malloc(nx * sizeof(float));
  float *x = rnd(nx, -1, 1), *p = rnd(nw + 5, -0.5f, 0.5f);
  gradcheck(&f, fc_f, fc_b, x, nx, p, nw + 5, 15, 1e-2f, 2e-3);
  free(x), free(p), free(f.xt), free(f.dxt);
}

/* ---- batch norm (train mode) ------------------------------------------------------ */
typedef struct {
  int C, n;
  float mean[8], invstd[8];
} bn_ctx;
static void bn_f(void *c, const float *x, const float *p, float *y) {
  bn_ctx *b = c;
  nn_bn_forward_train(b->C, b->n, x, p, p + b->C, y, b->mean, b->invstd, NULL, NULL, 0, 1e-5f);
}
static void bn_b(void *c, const float *x, const float *p, const float *dy, float *dx, float *dp) {
  bn_ctx *b = c;
  nn_bn_forward_train(b->C, b->n, x, p, p + b->C, (float[64]){0}, b->mean, b->invstd, NULL, NULL, 0, 1e-5f);
  spoil(dx, (size_t)b->C * b->n);
  nn_bn_backward(b->C, b->n, x, p, b->mean, b->invstd, dy, dx, dp, dp + b->C, !OVERWRITE);
}
static void test_bn(void **st) {
  (void)st;
  bn_ctx b = {3, 12, {0}, {0}};
  float *x = rnd(36, -1, 2), *p = rnd(6, 0.5f, 1.5f);
  gradcheck(&b, bn_f, bn_b, x, 36, p, 6, 36, 1e-2f, 5e-3);
  OVERWRITE = 1;
  gradcheck(&b, bn_f, bn_b, x, 36, p, 6, 36, 1e-2f, 5e-3);
  OVERWRITE = 0;
  /* eval mode uses running statistics: y = g (x - mean)/sqrt(var + eps) + beta */
  float rm[3] = {0.5f, -1, 0}, rv[3] = {4, 1, 0.25f}, y[36];
  nn_bn_forward_eval(3, 12, x, p, p + 3, y, rm, rv, 1e-5f);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 12; i++)
      assert_true(fabsf(y[c * 12 + i] - (p[c] * (x[c * 12 + i] - rm[c]) / sqrtf(rv[c] + 1e-5f) + p[3 + c])) < 1e-5f);
  free(x), free(p);
}

/* ---- relu, relu6, pools, add ---------------------------------------------------------- */
typedef struct {
  int kind; /* 0 relu 1 relu6 2 maxpool 3 avgpool 4 add */
  int planes, H, k, s;
  int32_t arg[256];
} el_ctx;
static void el_f(void *c, const float *x, const float *p, float *y) {
  el_ctx *e = c;
  (void)p;
  size_t n = (size_t)e->planes * e->H * e->H;
  switch (e->kind) {
    case 0: nn_relu_forward(n, x, y, 0); break;
    case 1: nn_relu_forward(n, x, y, 6); break;
    case 2: nn_maxpool_forward(e->planes, e->H, e->H, e->k, e->s, x, y, e->arg); break;
    case 3: nn_avgpool_forward(e->planes, e->H, e->H, e->k, e->s, x, y); break;
    case 4: /* a: 4 ch x 2 img x 2x2; b = x[32..]: 2 ch x 2 img x 4x4 (stride-2 shortcut) */
      nn_add_forward(4, 2, 2, 2, x, 2, 4, 4, x + 32, y);
      break;
  }
}
static void el_b(void *c, const float *x, const float *p, const float *dy, float *dx, float *dp) {
  el_ctx *e = c;
  (void)p, (void)dp;
  size_t n = (size_t)e->planes * e->H * e->H;
  switch (e->kind) {
    case 0: spoil(dx, n), nn_relu_backward(n, x, dy, dx, 0, !OVERWRITE); break;
    case 1: spoil(dx, n), nn_relu_backward(n, x, dy, dx, 6, !OVERWRITE); break;
    case 2: {
      float y[256];
      nn_maxpool_forward(e->planes, e->H, e->H, e->k, e->s, x, y, e->arg);
      nn_maxpool_backward(e->planes, e->H, e->H, e->k, e->s, dy, e->arg, dx);
      break;
    }
    case 3: nn_avgpool_backward(e->planes, e->H, e->H, e->k, e->s, dy, dx); break;
    case 4: spoil(dx, 32), nn_add_backward(4, 2, 2, 2, dy, 2, 4, 4, dx, dx + 32, !OVERWRITE); break;
  }
}
static void elementwise_and_pools(void);
static void test_elementwise_and_pools(void **st) {
  (void)st;
  elementwise_and_pools();
  OVERWRITE = 1; /* relu and add (da) in overwrite mode; pools only accumulate */
  elementwise_and_pools();
  OVERWRITE = 0;
}
static void elementwise_and_pools(void) {
  float p[1] = {0};
  el_ctx e = {0, 2, 4, 2, 2, {0}};
  float *x = rnd_away(32);
  gradcheck(&e, el_f, el_b, x, 32, p, 0, 32, 1e-2f, 2e-3);
  for (int i = 0; i < 32; i++) x[i] *= 8; /* spread across 0 and 6 for ReLU6, away from both */
  for (int i = 0; i < 32; i++)
    if (fabsf(x[i] - 6) < 0.2f) x[i] += 0.5f;
  e.kind = 1;
  gradcheck(&e, el_f, el_b, x, 32, p, 0, 32, 1e-2f, 2e-3);
  free(x);
  x = rnd(32, -1, 1);
  e.kind = 2; /* maxpool 2x2/2 of 2 planes 4x4 -> 2x2 */
  gradcheck(&e, el_f, el_b, x, 32, p, 0, 8, 1e-3f, 2e-3);
  e.kind = 3;
  gradcheck(&e, el_f, el_b, x, 32, p, 0, 8, 1e-2f, 2e-3);
  e.kind = 4;
  float *x2 = rnd(32 + 64, -1, 1);
  gradcheck(&e, el_f, el_b, x2, 96, p, 0, 32, 1e-2f, 2e-3);
  /* channels of the shortcut sit at offset (4-2)/2 = 1, the rest are zero padding */
  float y[32];
  nn_add_forward(4, 2, 2, 2, x2, 2, 4, 4, x2 + 32, y);
  assert_true(y[0] == x2[0]);
  assert_true(fabsf(y[8] - (x2[8] + x2[32])) < 1e-6f);
  free(x), free(x2);
}

/* The vectorized ReLU/ReLU6 against the scalar references, bit for bit, over
 * lengths with tails, on 1 and 2 threads, with zeros, -0, the cap and NaN. */
static void test_relu_fast_vs_ref(void **st) {
  (void)st;
  size_t lens[] = {1, 7, 8, 9, 33, 8191, 70001};
  omp_set_num_threads(2);
  for (int li = 0; li < 7; li++) {
    size_t n = lens[li];
    float *x = rnd(n, -8, 8), *dy = rnd(n, -1, 1);
    for (size_t i = 0; i < n; i += 5) x[i] = (i / 5) % 4 == 0 ? 0.0f : (i / 5) % 4 == 1 ? -0.0f : (i / 5) % 4 == 2 ? 6.0f : NAN;
    float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    float *d1 = rnd(n, -1, 1), *d2 = malloc(n * sizeof(float));
    for (int capi = 0; capi < 2; capi++) {
      float cap = capi ? 6.0f : 0.0f;
      nn_relu_forward(n, x, y1, cap);
      nn_relu_forward_ref(n, x, y2, cap);
      assert_memory_equal(y1, y2, n * sizeof(float));
      memcpy(d2, d1, n * sizeof(float));
      nn_relu_backward(n, x, dy, d1, cap, 1);
      nn_relu_backward_ref(n, x, dy, d2, cap);
      for (size_t i = 0; i < n; i++) assert_true(d1[i] == d2[i]);
      /* overwrite mode == reference accumulating into zeros */
      memset(d2, 0, n * sizeof(float));
      nn_relu_backward_ref(n, x, dy, d2, cap);
      for (size_t i = 0; i < n; i++) d1[i] = 12345.0f;
      nn_relu_backward(n, x, dy, d1, cap, 0);
      for (size_t i = 0; i < n; i++) assert_true(d1[i] == d2[i]);
    }
    free(x), free(dy), free(y1), free(y2), free(d1), free(d2);
  }
  omp_set_num_threads(1);
}

/* ---- softmax cross-entropy ----------------------------------------------------------- */
static void test_softmax_xent(void **st) {
  (void)st;
  float lg[12], d[12];
  uint8_t lab[3] = {0, 3, 2};
  for (int i = 0; i < 12; i++) lg[i] = (float)pp_rng_uniform(&R) * 4 - 2;
  double l0 = nn_softmax_xent(4, 3, lg, lab, d, NULL);
  for (int i = 0; i < 12; i++) {
    float k = lg[i];
    lg[i] = k + 1e-2f;
    double lp = nn_softmax_xent(4, 3, lg, lab, NULL, NULL);
    lg[i] = k - 1e-2f;
    double lm = nn_softmax_xent(4, 3, lg, lab, NULL, NULL);
    lg[i] = k;
    assert_true(fabs((lp - lm) / 2e-2 - d[i]) < 1e-4);
  }
  assert_true(l0 > 0);
  /* uniform logits: loss = log(K) */
  memset(lg, 0, sizeof lg);
  assert_true(fabs(nn_softmax_xent(4, 3, lg, lab, NULL, NULL) - log(4.0)) < 1e-9);
}

/* ---- whole models: GAP, residual add, BN, depthwise in context --------------------------- */
static double model_loss(pp_nn_model *m, int B, const uint8_t *lab) {
  nn_work *W = m->priv;
  nn_forward(m, B, 1);
  return nn_softmax_xent(m->classes, B, W->act[m->nlayers], lab, NULL, NULL);
}

static void check_model(const char *arch, int H) {
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create(arch, 1, H, H, 3, 7, &m, &e), PP_OK);
  int B = 3;
  assert_int_equal(nn_work_ensure(m, B, 1, &e), PP_OK);
  nn_work *W = m->priv;
  float *x = rnd((size_t)B * H * H, 0, 1);
  memcpy(W->act[0], x, sizeof(float) * B * H * H);
  uint8_t lab[3] = {0, 1, 2};
  memcpy(W->labels, lab, 3);
  nn_forward(m, B, 1);
  nn_softmax_xent(m->classes, B, W->act[m->nlayers], lab, W->dact[m->nlayers], NULL);
  memset(W->grads, 0, m->nparams * sizeof(float));
  nn_backward(m, B);
  float *g = malloc(m->nparams * sizeof(float));
  memcpy(g, W->grads, m->nparams * sizeof(float));
  /* check a spread of parameters: relative error, few kink crossings tolerated */
  int checked = 0, bad = 0;
  for (size_t i = 0; i < m->nparams; i += 1 + m->nparams / 60) {
    float keep = m->params[i], eps = 1e-3f;
    m->params[i] = keep + eps;
    double lp = model_loss(m, B, lab);
    m->params[i] = keep - eps;
    double lm = model_loss(m, B, lab);
    m->params[i] = keep;
    double num = (lp - lm) / (2 * eps);
    checked++;
    if (fabs(num - g[i]) > 1e-2 * (fabs(num) + fabs(g[i])) + 2e-3) {
      bad++;
      if (getenv("PP_NN_DEBUG")) fprintf(stderr, "%s p%zu: %g vs %g\n", arch, i, num, g[i]);
    }
  }
  /* ReLU/max-pool kinks crossed by the +-eps step account for rare misses */
  if (bad > checked / 10) fail_msg("%s: %d of %d parameter gradients disagree", arch, bad, checked);
  free(g), free(x);
  pp_nn_model_free(m);
}

static void test_models_gradcheck(void **st) {
  (void)st;
  check_model("lenet5", 12);
  check_model("dwnet", 8);
  check_model("resnet20", 8);
}

/* ---- integer GEMM ------------------------------------------------------------------------ */
static void test_qgemm(void **st) {
  (void)st;
  int M = 7, K = 37, N = 29;
  int8_t *w = malloc((size_t)M * K);
  uint8_t *x = malloc((size_t)K * N);
  int32_t *a = malloc(sizeof(int32_t) * M * N), *b = malloc(sizeof(int32_t) * M * N);
  for (int i = 0; i < M * K; i++) w[i] = (int8_t)((int)pp_rng_below(&R, 255) - 127);
  for (int i = 0; i < K * N; i++) x[i] = (uint8_t)pp_rng_below(&R, 256);
  for (int n1 = 1; n1 <= N; n1 += N - 1) {
    nn_qgemm(M, K, n1, w, x, a);
    nn_qgemm_ref(M, K, n1, w, x, b);
    assert_memory_equal(a, b, sizeof(int32_t) * M * n1);
  }
  /* extremes: -127 * 255 * K */
  memset(w, 0x81, (size_t)M * K);
  memset(x, 255, (size_t)K * N);
  nn_qgemm(M, K, N, w, x, a);
  assert_int_equal(a[0], -127 * 255 * K);
  free(w), free(x), free(a), free(b);
}

int main(void) {
  /* tiny sizes: threads would only add barrier waits on a busy machine */
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  pp_rng_seed(&R, 1234);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv),         cmocka_unit_test(test_fc),
      cmocka_unit_test(test_bn),           cmocka_unit_test(test_elementwise_and_pools),
      cmocka_unit_test(test_relu_fast_vs_ref),
      cmocka_unit_test(test_softmax_xent), cmocka_unit_test(test_models_gradcheck),
      cmocka_unit_test(test_qgemm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

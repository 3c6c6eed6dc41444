/* nn/layers: the float layer kernels, each forward beside its backward.
 * Layout C x B x H x W, so a convolution over the whole batch is one GEMM per
 * group (OpenBLAS threads) and the data movement around it (im2col, col2im,
 * pooling, BN) is split over OpenMP threads. Naive references for tests. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn_internal.h"

/* ---- conv2d ------------------------------------------------------------- */
void nn_conv_out_size(int H, int W, int k, int stride, int pad, int *Ho, int *Wo) {
  *Ho = (H + 2 * pad - k) / stride + 1;
  *Wo = (W + 2 * pad - k) / stride + 1;
}

void nn_im2col(const nn_conv_shape *s, const float *x, int g, float *col) {
  int cg = s->C / s->groups, kk = s->k * s->k, N = s->Ho * s->Wo;
  long rows = (long)cg * kk;
#pragma omp parallel for collapse(2) schedule(static) if((size_t)rows * s->B * N > NN_PAR_MIN)
  for (long r = 0; r < rows; r++)
    for (int b = 0; b < s->B; b++) {
      int ci = (int)(r / kk) + g * cg, ky = (int)(r % kk) / s->k, kx = (int)(r % kk) % s->k;
      const float *xp = x + ((size_t)ci * s->B + b) * s->H * s->W;
      float *cp = col + (size_t)r * s->B * N + (size_t)b * N;
      for (int oy = 0; oy < s->Ho; oy++) {
        int iy = oy * s->stride - s->pad + ky;
        float *crow = cp + oy * s->Wo;
        if (iy < 0 || iy >= s->H) {
          memset(crow, 0, sizeof(float) * s->Wo);
          continue;
        }
        const float *xrow = xp + (size_t)iy * s->W;
        for (int ox = 0; ox < s->Wo; ox++) {
          int ix = ox * s->stride - s->pad + kx;
          crow[ox] = (ix >= 0 && ix < s->W) ? xrow[ix] : 0.0f;
        }
      }
    }
}

void nn_col2im_add(const nn_conv_shape *s, const float *col, int g, float *dx) {
  int cg = s->C / s->groups, kk = s->k * s->k, N = s->Ho * s->Wo;
  /* parallel over (channel, image) planes: each dx plane has one writer */
#pragma omp parallel for collapse(2) schedule(static) if((size_t)cg * s->B * s->H * s->W * kk > NN_PAR_MIN)
  for (int cl = 0; cl < cg; cl++)
    for (int b = 0; b < s->B; b++) {
      float *xp = dx + ((size_t)(cl + g * cg) * s->B + b) * s->H * s->W;
      for (int q = 0; q < kk; q++) {
        int ky = q / s->k, kx = q % s->k;
        const float *cp = col + ((size_t)cl * kk + q) * s->B * N + (size_t)b * N;
        for (int oy = 0; oy < s->Ho; oy++) {
          int iy = oy * s->stride - s->pad + ky;
          if (iy < 0 || iy >= s->H) continue;
          for (int ox = 0; ox < s->Wo; ox++) {
            int ix = ox * s->stride - s->pad + kx;
            if (ix >= 0 && ix < s->W) xp[(size_t)iy * s->W + ix] += cp[oy * s->Wo + ox];
          }
        }
      }
    }
}

/* A 1x1, stride-1, unpadded conv reads its input as the column matrix itself. */
static int conv_is_pointwise(const nn_conv_shape *s) {
  return s->k == 1 && s->stride == 1 && s->pad == 0;
}

void nn_conv_forward(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                     float *y, float *col) {
  int cg = s->C / s->groups, mg = s->M / s->groups, K = cg * s->k * s->k;
  int BN = s->B * s->Ho * s->Wo;
  for (int g = 0; g < s->groups; g++) {
    const float *cm;
    if (conv_is_pointwise(s)) {
      cm = x + (size_t)g * cg * BN;
    } else {
      nn_im2col(s, x, g, col);
      cm = col;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mg, BN, K, 1.0f, w + (size_t)g * mg * K, K,
                cm, BN, 0.0f, y + (size_t)g * mg * BN, BN);
  }
  if (b) {
#pragma omp parallel for schedule(static) if((size_t)s->M * BN > NN_PAR_MIN)
    for (int m = 0; m < s->M; m++) {
      float *yp = y + (size_t)m * BN;
      for (int i = 0; i < BN; i++) yp[i] += b[m];
    }
  }
}

void nn_conv_backward(const nn_conv_shape *s, const float *x, const float *w, const float *dy,
                      float *dx, float *dw, float *db, float *col) {
  int cg = s->C / s->groups, mg = s->M / s->groups, K = cg * s->k * s->k;
  int BN = s->B * s->Ho * s->Wo;
  if (db) {
#pragma omp parallel for schedule(static) if((size_t)s->M * BN > NN_PAR_MIN)
    for (int m = 0; m < s->M; m++) {
      const float *d = dy + (size_t)m * BN;
      double acc = 0;
      for (int i = 0; i < BN; i++) acc += d[i];
      db[m] += (float)acc;
    }
  }
  for (int g = 0; g < s->groups; g++) {
    const float *dyg = dy + (size_t)g * mg * BN;
    const float *wg = w + (size_t)g * mg * K;
    if (conv_is_pointwise(s)) {
      const float *xg = x + (size_t)g * cg * BN;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mg, K, BN, 1.0f, dyg, BN, xg, BN, 1.0f,
                  dw + (size_t)g * mg * K, K);
      if (dx)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, BN, mg, 1.0f, wg, K, dyg, BN, 1.0f,
                    dx + (size_t)g * cg * BN, BN);
      continue;
    }
    nn_im2col(s, x, g, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mg, K, BN, 1.0f, dyg, BN, col, BN, 1.0f,
                dw + (size_t)g * mg * K, K);
    if (dx) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, BN, mg, 1.0f, wg, K, dyg, BN, 0.0f, col,
                  BN);
      nn_col2im_add(s, col, g, dx);
    }
  }
}

void nn_conv_forward_ref(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y) {
  int cg = s->C / s->groups, mg = s->M / s->groups;
  for (int m = 0; m < s->M; m++)
    for (int bb = 0; bb < s->B; bb++)
      for (int oy = 0; oy < s->Ho; oy++)
        for (int ox = 0; ox < s->Wo; ox++) {
          int g = m / mg;
          double acc = b ? b[m] : 0.0;
          for (int cl = 0; cl < cg; cl++)
            for (int ky = 0; ky < s->k; ky++)
              for (int kx = 0; kx < s->k; kx++) {
                int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                int ci = g * cg + cl;
                acc += (double)w[(((size_t)m * cg + cl) * s->k + ky) * s->k + kx] *
                       x[(((size_t)ci * s->B + bb) * s->H + iy) * s->W + ix];
              }
          y[(((size_t)m * s->B + bb) * s->Ho + oy) * s->Wo + ox] = (float)acc;
        }
}

/* ---- fully connected ---------------------------------------------------- */
/* xt (F x B) gathers each image's features (c, h, w) into one column. */
static void fc_gather(int B, int C, int HW, const float *x, float *xt) {
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * HW > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      for (int p = 0; p < HW; p++) xt[((size_t)c * HW + p) * B + b] = x[((size_t)c * B + b) * HW + p];
}

void nn_fc_forward(int B, int C, int HW, int O, const float *x, const float *w, const float *b,
                   float *y, float *xt) {
  int F = C * HW;
  fc_gather(B, C, HW, x, xt);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, B, F, 1.0f, w, F, xt, B, 0.0f, y, B);
  if (b)
    for (int o = 0; o < O; o++)
      for (int i = 0; i < B; i++) y[(size_t)o * B + i] += b[o];
}

void nn_fc_backward(int B, int C, int HW, int O, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, float *xt, float *dxt) {
  int F = C * HW;
  fc_gather(B, C, HW, x, xt);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, F, B, 1.0f, dy, B, xt, B, 1.0f, dw, F);
  if (db)
    for (int o = 0; o < O; o++) {
      double acc = 0;
      for (int i = 0; i < B; i++) acc += dy[(size_t)o * B + i];
      db[o] += (float)acc;
    }
  if (dx) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, B, O, 1.0f, w, F, dy, B, 0.0f, dxt, B);
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * HW > NN_PAR_MIN)
    for (int c = 0; c < C; c++)
      for (int bb = 0; bb < B; bb++)
        for (int p = 0; p < HW; p++)
          dx[((size_t)c * B + bb) * HW + p] += dxt[((size_t)c * HW + p) * B + bb];
  }
}

/* ---- batch norm ------------------------------------------------------------ */
void nn_bn_forward_train(int C, int n, const float *x, const float *g, const float *beta, float *y,
                         float *mean, float *invstd, float *run_mean, float *run_var, float momentum,
                         float eps) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    const float *xp = x + (size_t)c * n;
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += xp[i];
    double mu = s / n;
    for (int i = 0; i < n; i++) ss += (xp[i] - mu) * (xp[i] - mu);
    double var = ss / n;
    float is = (float)(1.0 / sqrt(var + eps));
    mean[c] = (float)mu;
    invstd[c] = is;
    float *yp = y + (size_t)c * n;
    for (int i = 0; i < n; i++) yp[i] = g[c] * (xp[i] - (float)mu) * is + beta[c];
    if (run_mean) {
      run_mean[c] = (1 - momentum) * run_mean[c] + momentum * (float)mu;
      run_var[c] = (1 - momentum) * run_var[c] + momentum * (float)(n > 1 ? ss / (n - 1) : var);
    }
  }
}

void nn_bn_forward_eval(int C, int n, const float *x, const float *g, const float *beta, float *y,
                        const float *run_mean, const float *run_var, float eps) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    float is = 1.0f / sqrtf(run_var[c] + eps), a = g[c] * is, bb = beta[c] - run_mean[c] * a;
    const float *xp = x + (size_t)c * n;
    float *yp = y + (size_t)c * n;
    for (int i = 0; i < n; i++) yp[i] = a * xp[i] + bb;
  }
}

void nn_bn_backward(int C, int n, const float *x, const float *g, const float *mean,
                    const float *invstd, const float *dy, float *dx, float *dg, float *dbeta) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    const float *xp = x + (size_t)c * n, *d = dy + (size_t)c * n;
    double sd = 0, sdx = 0;
    float mu = mean[c], is = invstd[c];
    for (int i = 0; i < n; i++) {
      sd += d[i];
      sdx += d[i] * (xp[i] - mu) * is;
    }
    dg[c] += (float)sdx;
    dbeta[c] += (float)sd;
    if (dx) {
      float k = g[c] * is / n;
      float *o = dx + (size_t)c * n;
      for (int i = 0; i < n; i++)
        o[i] += k * ((float)n * d[i] - (float)sd - (xp[i] - mu) * is * (float)sdx);
    }
  }
}

/* ---- ReLU / ReLU6 ----------------------------------------------------------- */
void nn_relu_forward(size_t n, const float *x, float *y, float cap) {
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float v = x[i] > 0 ? x[i] : 0.0f;
    y[i] = (cap > 0 && v > cap) ? cap : v;
  }
}

void nn_relu_backward(size_t n, const float *x, const float *dy, float *dx, float cap) {
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
  for (size_t i = 0; i < n; i++)
    if (x[i] > 0 && (cap <= 0 || x[i] < cap)) dx[i] += dy[i];
}

/* ---- pooling ---------------------------------------------------------------- */
void nn_maxpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y,
                        int32_t *arg) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++) {
    const float *xp = x + (size_t)p * H * W;
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        float best = -FLT_MAX;
        int bi = 0;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) {
            int idx = (oy * s + ky) * W + ox * s + kx;
            if (xp[idx] > best) best = xp[idx], bi = idx;
          }
        size_t o = (size_t)p * Ho * Wo + oy * Wo + ox;
        y[o] = best;
        if (arg) arg[o] = bi;
      }
  }
}

void nn_maxpool_backward(int planes, int H, int W, int k, int s, const float *dy,
                         const int32_t *arg, float *dx) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++)
    for (int o = 0; o < Ho * Wo; o++)
      dx[(size_t)p * H * W + arg[(size_t)p * Ho * Wo + o]] += dy[(size_t)p * Ho * Wo + o];
}

void nn_avgpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
  float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++) {
    const float *xp = x + (size_t)p * H * W;
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        double acc = 0;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) acc += xp[(oy * s + ky) * W + ox * s + kx];
        y[(size_t)p * Ho * Wo + oy * Wo + ox] = (float)acc * inv;
      }
  }
}

void nn_avgpool_backward(int planes, int H, int W, int k, int s, const float *dy, float *dx) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
  float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        float d = dy[(size_t)p * Ho * Wo + oy * Wo + ox] * inv;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) dx[(size_t)p * H * W + (oy * s + ky) * W + ox * s + kx] += d;
      }
}

/* ---- residual add (option-A shortcut) ---------------------------------------- */
void nn_add_forward(int C, int B, int H, int W, const float *a, int C2, int H2, int W2,
                    const float *b, float *y) {
  int st = H2 / H, off = (C - C2) / 2;
  (void)W2;
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * H * W > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int bb = 0; bb < B; bb++) {
      size_t o = ((size_t)c * B + bb) * H * W;
      int c2 = c - off;
      for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
          float v = a[o + i * W + j];
          if (c2 >= 0 && c2 < C2) v += b[(((size_t)c2 * B + bb) * H2 + i * st) * W2 + j * st];
          y[o + i * W + j] = v;
        }
    }
}

void nn_add_backward(int C, int B, int H, int W, const float *dy, int C2, int H2, int W2,
                     float *da, float *db) {
  int st = H2 / H, off = (C - C2) / 2;
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * H * W > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int bb = 0; bb < B; bb++) {
      size_t o = ((size_t)c * B + bb) * H * W;
      int c2 = c - off;
      for (int i = 0; i < H * W; i++) da[o + i] += dy[o + i];
      if (c2 >= 0 && c2 < C2)
        for (int i = 0; i < H; i++)
          for (int j = 0; j < W; j++)
            db[(((size_t)c2 * B + bb) * H2 + i * st) * W2 + j * st] += dy[o + i * W + j];
    }
}

/* ---- softmax cross-entropy ------------------------------------------------------- */
double nn_softmax_xent(int K, int B, const float *logits, const uint8_t *labels, float *dlogits,
                       int *correct) {
  double loss = 0;
  int hits = 0;
  for (int b = 0; b < B; b++) {
    float mx = -FLT_MAX;
    int am = 0;
    for (int k = 0; k < K; k++)
      if (logits[(size_t)k * B + b] > mx) mx = logits[(size_t)k * B + b], am = k;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)logits[(size_t)k * B + b] - mx);
    int y = labels[b];
    loss += -((double)logits[(size_t)y * B + b] - mx - log(sum));
    hits += am == y;
    if (dlogits)
      for (int k = 0; k < K; k++) {
        double p = exp((double)logits[(size_t)k * B + b] - mx) / sum;
        dlogits[(size_t)k * B + b] = (float)((p - (k == y)) / B);
      }
  }
  if (correct) *correct = hits;
  return loss / B;
}

/* nn/model: the architectures (LeNet-5, ResNet-20, a depthwise-separable
 * net) as a list of layers over numbered tensors, their initialisation, and
 * the forward/backward passes that walk that list. One float buffer holds all
 * parameters, another all gradients. */
#include <math.h>
#include <stdlib.h>
#include <omp.h>
#include <string.h>

#include "nn_internal.h"
#include "nn_work.h"
#include "pp/util_mem.h"

/* ---- building an architecture ---------------------------------------------- */
typedef struct builder {
  pp_nn_model *m;
  int cap;
  int err;
} builder;

static void tshape(const pp_nn_model *m, int t, int *c, int *h, int *w) {
  if (t == 0) {
    *c = m->in_c, *h = m->in_h, *w = m->in_w;
  } else {
    const pp_nn_layer *L = &m->layers[t - 1];
    *c = L->c, *h = L->h, *w = L->w;
  }
}

static pp_nn_layer *add(builder *b, int type, const char *name, int in) {
  pp_nn_model *m = b->m;
  if (m->nlayers == b->cap) {
    int nc = b->cap ? b->cap * 2 : 32;
    pp_nn_layer *nl = realloc(m->layers, sizeof *nl * (size_t)nc);
    if (!nl) {
      b->err = 1;
      return NULL;
    }
    m->layers = nl, b->cap = nc;
  }
  pp_nn_layer *L = &m->layers[m->nlayers];
  memset(L, 0, sizeof *L);
  L->type = type;
  snprintf(L->name, sizeof L->name, "%s", name);
  L->in = in, L->in2 = -1, L->bn = -1;
  L->out = m->nlayers + 1;
  tshape(m, in, &L->ic, &L->ih, &L->iw);
  L->c = L->ic, L->h = L->ih, L->w = L->iw;
  L->groups = 1;
  m->nlayers++;
  return L;
}

static int conv(builder *b, const char *name, int in, int cout, int k, int stride, int pad,
                int groups, int bias) {
  pp_nn_layer *L = add(b, PP_NN_L_CONV, name, in);
  if (!L) return 0;
  L->k = k, L->stride = stride, L->pad = pad, L->groups = groups, L->has_bias = bias;
  L->c = cout;
  nn_conv_out_size(L->ih, L->iw, k, stride, pad, &L->h, &L->w);
  L->nw = (size_t)cout * (L->ic / groups) * k * k;
  L->w_off = b->m->nparams;
  b->m->nparams += L->nw;
  if (bias) L->b_off = b->m->nparams, b->m->nparams += (size_t)cout;
  return L->out;
}

static int fc(builder *b, const char *name, int in, int out) {
  pp_nn_layer *L = add(b, PP_NN_L_FC, name, in);
  if (!L) return 0;
  L->has_bias = 1;
  L->nw = (size_t)out * L->ic * L->ih * L->iw;
  L->c = out, L->h = 1, L->w = 1;
  L->w_off = b->m->nparams;
  b->m->nparams += L->nw;
  L->b_off = b->m->nparams;
  b->m->nparams += (size_t)out;
  return L->out;
}

static int bn(builder *b, const char *name, int in) {
  pp_nn_layer *L = add(b, PP_NN_L_BN, name, in);
  if (!L) return 0;
  L->g_off = b->m->nparams;
  L->beta_off = L->g_off + (size_t)L->c;
  b->m->nparams += 2 * (size_t)L->c;
  L->mean_off = b->m->nbufs;
  L->var_off = L->mean_off + (size_t)L->c;
  b->m->nbufs += 2 * (size_t)L->c;
  return L->out;
}

static int relu(builder *b, int in, int six) {
  pp_nn_layer *L = add(b, six ? PP_NN_L_RELU6 : PP_NN_L_RELU, six ? "relu6" : "relu", in);
  return L ? L->out : 0;
}

static int actq(builder *b, const char *name, int in, float cap) {
  pp_nn_layer *L = add(b, PP_NN_L_ACTQ, name, in);
  if (!L) return 0;
  L->cap = cap;
  L->range_off = b->m->nbufs++;
  return L->out;
}

static int pool(builder *b, int type, int in, int k, int s) {
  pp_nn_layer *L = add(b, type, type == PP_NN_L_MAXPOOL ? "maxpool" : "avgpool", in);
  if (!L) return 0;
  L->k = k, L->stride = s;
  L->h = (L->ih - k) / s + 1, L->w = (L->iw - k) / s + 1;
  return L->out;
}

static int gap(builder *b, int in) {
  pp_nn_layer *L = add(b, PP_NN_L_GAP, "gap", in);
  if (!L) return 0;
  L->h = L->w = 1;
  return L->out;
}

static int softmax(builder *b, const char *name, int in, int whole) {
  pp_nn_layer *L = add(b, PP_NN_L_SOFTMAX, name, in);
  if (!L) return 0;
  L->k = whole;
  return L->out;
}

static int addl(builder *b, const char *name, int in, int in2) {
  pp_nn_layer *L = add(b, PP_NN_L_ADD, name, in);
  if (!L) return 0;
  L->in2 = in2;
  return L->out;
}

/* conv -> BN -> ReLU(6) -> uint8 quantizer */
static int cbra(builder *b, const char *pre, int in, int cout, int k, int s, int p, int g, int six) {
  char nm[48];
  int t = conv(b, pre, in, cout, k, s, p, g, 0);
  snprintf(nm, sizeof nm, "%s.bn", pre);
  t = bn(b, nm, t);
  t = relu(b, t, six);
  snprintf(nm, sizeof nm, "%s.act", pre);
  return actq(b, nm, t, six ? 6.0f : 0.0f);
}

static void arch_lenet5(builder *b, int classes) {
  int t = conv(b, "conv1", 0, 6, 5, 1, 2, 1, 1);
  t = actq(b, "conv1.act", relu(b, t, 0), 0);
  t = pool(b, PP_NN_L_MAXPOOL, t, 2, 2);
  t = conv(b, "conv2", t, 16, 5, 1, 0, 1, 1);
  t = actq(b, "conv2.act", relu(b, t, 0), 0);
  t = pool(b, PP_NN_L_MAXPOOL, t, 2, 2);
  t = fc(b, "fc1", t, 120);
  t = actq(b, "fc1.act", relu(b, t, 0), 0);
  t = fc(b, "fc2", t, 84);
  t = actq(b, "fc2.act", relu(b, t, 0), 0);
  fc(b, "fc3", t, classes);
}

static void arch_resnet20(builder *b, int classes) {
  int t = cbra(b, "conv1", 0, 16, 3, 1, 1, 1, 0);
  int widths[3] = {16, 32, 64};
  char nm[48];
  for (int s = 0; s < 3; s++)
    for (int k = 0; k < 3; k++) {
      int stride = (s > 0 && k == 0) ? 2 : 1;
      int in = t;
      snprintf(nm, sizeof nm, "stage%d.block%d.conv1", s + 1, k);
      t = cbra(b, nm, in, widths[s], 3, stride, 1, 1, 0);
      snprintf(nm, sizeof nm, "stage%d.block%d.conv2", s + 1, k);
      t = conv(b, nm, t, widths[s], 3, 1, 1, 1, 0);
      snprintf(nm, sizeof nm, "stage%d.block%d.bn2", s + 1, k);
      t = bn(b, nm, t);
      snprintf(nm, sizeof nm, "stage%d.block%d.add", s + 1, k);
      t = addl(b, nm, t, in);
      t = relu(b, t, 0);
      snprintf(nm, sizeof nm, "stage%d.block%d.act", s + 1, k);
      t = actq(b, nm, t, 0);
    }
  t = gap(b, t);
  fc(b, "fc", t, classes);
}

static void arch_dwnet(builder *b, int classes) {
  int t = cbra(b, "conv1", 0, 16, 3, 1, 1, 1, 1);
  static const int cout[5] = {32, 64, 64, 128, 128}, stride[5] = {1, 2, 1, 2, 1};
  int c = 16;
  char nm[48];
  for (int i = 0; i < 5; i++) {
    snprintf(nm, sizeof nm, "block%d.dw", i + 1);
    t = cbra(b, nm, t, c, 3, stride[i], 1, c, 1);
    snprintf(nm, sizeof nm, "block%d.pw", i + 1);
    t = cbra(b, nm, t, cout[i], 1, 1, 0, 1, 1);
    c = cout[i];
  }
  t = gap(b, t);
  fc(b, "fc", t, classes);
}

/* A layer list from outside (pp_nn_model_graph, or a saved "graph" model):
 * every layer is rebuilt through the same builders as the fixed
 * architectures, after its inputs and attributes are checked. */
static int graph_check(const pp_nn_model *m, const pp_nn_layer *s, int i, pp_err *e) {
  int c, h, w;
  if (s->in < 0 || s->in > i)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %d (%s): input tensor %d is not computed before it", i, s->name, s->in);
  tshape(m, s->in, &c, &h, &w);
  switch (s->type) {
    case PP_NN_L_CONV:
      if (s->c <= 0 || s->k <= 0 || s->stride <= 0 || s->pad < 0 || s->pad >= s->k || s->groups <= 0 ||
          c % s->groups || s->c % s->groups)
        return pp_err_set(e, PP_EINVAL, NULL, 0,
                          "layer %s: conv with %d -> %d channels, kernel %d, stride %d, pad %d, groups %d is not valid",
                          s->name, c, s->c, s->k, s->stride, s->pad, s->groups);
      break;
    case PP_NN_L_FC:
      if (s->c <= 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: fc with %d outputs", s->name, s->c);
      break;
    case PP_NN_L_MAXPOOL:
    case PP_NN_L_AVGPOOL:
      if (s->k <= 0 || s->stride <= 0 || s->k > h || s->k > w)
        return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: pool window %d stride %d on a %dx%d input", s->name, s->k,
                          s->stride, h, w);
      break;
    case PP_NN_L_ACTQ:
      if (!(s->cap >= 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: negative quantizer cap", s->name);
      break;
    case PP_NN_L_SOFTMAX:
      if (s->k != 0 && s->k != 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: softmax span %d", s->name, s->k);
      break;
    case PP_NN_L_ADD: {
      int c2, h2, w2;
      if (s->in2 < 0 || s->in2 > i)
        return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %d (%s): input tensor %d is not computed before it", i, s->name,
                          s->in2);
      tshape(m, s->in2, &c2, &h2, &w2);
      int st = h2 / h;
      if (c2 > c || st < 1 || h2 != h * st || w2 != w * st)
        return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: cannot add a %dx%dx%d tensor to a %dx%dx%d one", s->name,
                          c2, h2, w2, c, h, w);
      break;
    }
    case PP_NN_L_BN:
    case PP_NN_L_RELU:
    case PP_NN_L_RELU6:
    case PP_NN_L_GAP: break;
    default: return pp_err_set(e, PP_EINVAL, NULL, 0, "layer %d (%s): unknown layer type %d", i, s->name, s->type);
  }
  return PP_OK;
}

static int arch_graph(builder *b, const pp_nn_layer *spec, int n, pp_err *e) {
  for (int i = 0; i < n; i++) {
    const pp_nn_layer *s = &spec[i];
    int st = graph_check(b->m, s, i, e), t = 0;
    if (st) return st;
    switch (s->type) {
      case PP_NN_L_CONV: t = conv(b, s->name, s->in, s->c, s->k, s->stride, s->pad, s->groups, s->has_bias); break;
      case PP_NN_L_FC: t = fc(b, s->name, s->in, s->c); break;
      case PP_NN_L_BN: t = bn(b, s->name, s->in); break;
      case PP_NN_L_RELU:
      case PP_NN_L_RELU6: t = relu(b, s->in, s->type == PP_NN_L_RELU6); break;
      case PP_NN_L_ACTQ: t = actq(b, s->name, s->in, s->cap); break;
      case PP_NN_L_MAXPOOL:
      case PP_NN_L_AVGPOOL: t = pool(b, s->type, s->in, s->k, s->stride); break;
      case PP_NN_L_GAP: t = gap(b, s->in); break;
      case PP_NN_L_ADD: t = addl(b, s->name, s->in, s->in2); break;
      case PP_NN_L_SOFTMAX: t = softmax(b, s->name, s->in, s->k); break;
      default: break;
    }
    if (!t) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    snprintf(b->m->layers[t - 1].name, sizeof b->m->layers[t - 1].name, "%s", s->name);
  }
  pp_nn_model *m = b->m;
  if (m->nlayers) {
    const pp_nn_layer *L = &m->layers[m->nlayers - 1];
    m->classes = L->c * L->h * L->w;
  } else {
    m->classes = m->in_c * m->in_h * m->in_w;
  }
  return PP_OK;
}

int nn_model_build(pp_nn_model *m, pp_err *e) {
  builder b = {m, 0, 0};
  pp_nn_layer *spec = NULL;
  int nspec = 0;
  if (!strcmp(m->arch, "graph")) { /* the list is rebuilt from itself */
    spec = m->layers, nspec = m->nlayers;
    m->layers = NULL;
    if (!spec) nspec = 0; /* a graph may have no layers (a reshape only); a list it lost cannot be read */
  }
  m->nlayers = 0;
  m->nparams = m->nbufs = 0;
  if (spec || !strcmp(m->arch, "graph")) {
    int st = arch_graph(&b, spec, nspec, e);
    free(spec);
    if (st) return st;
  } else if (!strcmp(m->arch, "lenet5")) {
    arch_lenet5(&b, m->classes);
  } else if (!strcmp(m->arch, "resnet20")) {
    arch_resnet20(&b, m->classes);
  } else if (!strcmp(m->arch, "dwnet")) {
    arch_dwnet(&b, m->classes);
  } else {
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown model '%s': expected lenet5, resnet20 or dwnet (or an ONNX file)", m->arch);
  }
  if (b.err) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (int i = 0; i < m->nlayers; i++) {
    pp_nn_layer *L = &m->layers[i];
    if (L->h <= 0 || L->w <= 0)
      return pp_err_set(e, PP_EINVAL, NULL, 0, "model %s: input %dx%d too small (layer %s)", m->arch,
                        m->in_h, m->in_w, L->name);
    if ((L->type == PP_NN_L_CONV || L->type == PP_NN_L_FC) && i + 1 < m->nlayers &&
        m->layers[i + 1].type == PP_NN_L_BN && m->layers[i + 1].in == L->out)
      L->bn = i + 1;
  }
  m->params = calloc(m->nparams ? m->nparams : 1, sizeof(float));
  m->bufs = calloc(m->nbufs ? m->nbufs : 1, sizeof(float));
  m->mask = malloc(m->nparams ? m->nparams : 1);
  if (!m->params || !m->bufs || !m->mask) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  memset(m->mask, 1, m->nparams);
  memset(m->q.w_allowed, 1, sizeof m->q.w_allowed);
  memset(m->q.a_allowed, 1, sizeof m->q.a_allowed);
  return PP_OK;
}

void nn_model_init_params(pp_nn_model *m, uint64_t seed) {
  pp_rng r;
  pp_rng_seed(&r, seed);
  memset(m->params, 0, m->nparams * sizeof(float));
  for (int i = 0; i < m->nlayers; i++) {
    pp_nn_layer *L = &m->layers[i];
    if (L->type == PP_NN_L_CONV || L->type == PP_NN_L_FC) {
      size_t fan_in = L->nw / (size_t)L->c;
      double sd = sqrt(2.0 / (double)fan_in);
      for (size_t k = 0; k < L->nw; k++) m->params[L->w_off + k] = (float)(sd * pp_rng_normal(&r));
    } else if (L->type == PP_NN_L_BN) {
      for (int c = 0; c < L->c; c++) {
        m->params[L->g_off + c] = 1.0f;
        m->bufs[L->var_off + c] = 1.0f;
      }
    }
  }
  for (size_t k = 0; k < m->nparams; k++)
    if (!m->mask[k]) m->params[k] = 0;
}

/* Resolution of the model input for a data set: ResNet-20 is the CIFAR
 * network, so 28x28 images (Fashion-MNIST) are centred in 32x32 with zero
 * padding; other sizes are used as they are. */
int pp_nn_model_create(const char *arch, int c, int h, int w, int classes, uint64_t seed,
                       pp_nn_model **out, pp_err *e) {
  *out = NULL;
  if (c <= 0 || h <= 0 || w <= 0 || classes < 2)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "bad model input %dx%dx%d / %d classes", c, h, w, classes);
  pp_nn_model *m = calloc(1, sizeof *m);
  if (!m) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  snprintf(m->arch, sizeof m->arch, "%s", arch);
  m->in_c = c, m->in_h = h, m->in_w = w, m->classes = classes, m->seed = seed;
  if (!strcmp(arch, "resnet20") && h >= 28 && h < 32 && w >= 28 && w < 32) m->in_h = m->in_w = 32;
  int st = nn_model_build(m, e);
  if (st) {
    pp_nn_model_free(m);
    return st;
  }
  nn_model_init_params(m, seed);
  *out = m;
  return PP_OK;
}

void pp_nn_model_free(pp_nn_model *m) {
  if (!m) return;
  nn_work_free(m);
  PP_FREE_ALL(m->layers, m->params, m->bufs, m->mask);
  free(m);
}

int nn_count_layers_of(const pp_nn_model *m, int type) {
  int n = 0;
  for (int i = 0; i < m->nlayers; i++) n += m->layers[i].type == type;
  return n;
}

/* ---- work space --------------------------------------------------------------- */
static size_t tsize(const pp_nn_model *m, int t, int B) {
  int c, h, w;
  tshape(m, t, &c, &h, &w);
  return (size_t)c * h * w * B;
}

void nn_work_free(pp_nn_model *m) {
  nn_work *W = m->priv;
  if (!W) return;
  /* a work space whose allocation failed part way has some of these tables missing */
  for (int t = 0; t <= m->nlayers; t++) {
    if (W->act) free(W->act[t]);
    if (W->dact) free(W->dact[t]);
  }
  for (int i = 0; i < m->nlayers; i++) {
    if (W->arg) free(W->arg[i]);
    if (W->lw) free(W->lw[i]);
  }
  PP_FREE_ALL(W->act, W->dact, W->arg, W->lw, W->grads, W->opt_m, W->opt_v, W->col, W->xt, W->dxt, W->labels,
              W->dset);
  free(W);
  m->priv = NULL;
}

void pp_nn_model_reset_training(pp_nn_model *m) { nn_work_free(m); }

/* Per-layer scratch for conv/fc (effective weights and their gradients) and
 * BN (batch statistics) does not depend on B; tensors do. */
int nn_work_ensure(pp_nn_model *m, int B, int need_grad, pp_err *e) {
  nn_work *W = m->priv;
  int nt = omp_get_max_threads();
  nn_blas_serial();
  if (W && W->B >= B && (!need_grad || W->has_grad) && W->nt >= nt) return PP_OK;
  int keep_opt = W != NULL;
  float *gm = NULL, *gv = NULL;
  long step = 0;
  if (keep_opt) { /* optimizer state survives a resize */
    gm = W->opt_m, gv = W->opt_v, step = W->step;
    W->opt_m = W->opt_v = NULL;
  }
  int nb = W && W->B > B ? W->B : B;
  int ng = need_grad || (W && W->has_grad);
  nn_work_free(m);
  W = calloc(1, sizeof *W);
  if (!W) { /* the optimizer state taken out above has nowhere to go */
    free(gm);
    free(gv);
    goto oom;
  }
  m->priv = W;
  W->B = nb;
  W->nt = nt;
  W->has_grad = ng;
  W->opt_m = gm, W->opt_v = gv, W->step = step;
  W->act = calloc((size_t)m->nlayers + 1, sizeof(float *));
  W->dact = calloc((size_t)m->nlayers + 1, sizeof(float *));
  W->arg = calloc((size_t)m->nlayers, sizeof(int32_t *));
  W->lw = calloc((size_t)m->nlayers, sizeof(float *));
  W->labels = malloc((size_t)nb);
  W->dset = calloc((size_t)m->nlayers + 1, 1);
  if (!W->act || !W->dact || !W->arg || !W->lw || !W->labels || !W->dset) goto oom;
  size_t colmax = 1, xtmax = 1;
  for (int t = 0; t <= m->nlayers; t++) {
    W->act[t] = malloc(tsize(m, t, nb) * sizeof(float));
    if (!W->act[t]) goto oom;
    if (ng && !(W->dact[t] = malloc(tsize(m, t, nb) * sizeof(float)))) goto oom;
  }
  for (int i = 0; i < m->nlayers; i++) {
    pp_nn_layer *L = &m->layers[i];
    if (L->type == PP_NN_L_CONV) {
      nn_conv_shape s = {nb, L->ic, L->ih, L->iw, L->c, L->h, L->w, L->k, L->stride, L->pad, L->groups};
      size_t cs = nn_conv_scratch(&s, nt);
      if (cs > colmax) colmax = cs;
    }
    if (L->type == PP_NN_L_FC) {
      size_t xs = (size_t)L->ic * L->ih * L->iw * nb;
      if (xs > xtmax) xtmax = xs;
    }
    if (L->type == PP_NN_L_MAXPOOL && !(W->arg[i] = malloc(tsize(m, i + 1, nb) * sizeof(int32_t)))) goto oom;
    /* conv/fc: w_eff, dw_eff (nw each), b_eff, db_eff, fold, scale (c each);
     * BN: mean, invstd (c each) */
    size_t lw = 0;
    if (L->type == PP_NN_L_CONV || L->type == PP_NN_L_FC) lw = 2 * L->nw + 4 * (size_t)L->c;
    if (L->type == PP_NN_L_BN) lw = 2 * (size_t)L->c;
    if (lw && !(W->lw[i] = calloc(lw, sizeof(float)))) goto oom;
  }
  W->col = malloc(colmax * sizeof(float));
  W->xt = malloc(xtmax * sizeof(float));
  W->dxt = malloc(xtmax * sizeof(float));
  if (!W->col || !W->xt || !W->dxt) goto oom;
  if (ng && !(W->grads = calloc(m->nparams, sizeof(float)))) goto oom;
  return PP_OK;
oom:
  nn_work_free(m);
  return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for the work space (batch %d)", B);
}

/* ---- forward / backward ----------------------------------------------------------- */
static nn_conv_shape conv_shape(const pp_nn_layer *L, int B) {
  nn_conv_shape s = {B, L->ic, L->ih, L->iw, L->c, L->h, L->w, L->k, L->stride, L->pad, L->groups};
  return s;
}

/* Re-quantizes a pooled uint8 tensor onto its input's grid (and the allowed
 * set A) so that the quantized forward matches the integer path. */
static void requant_pooled(const pp_nn_model *m, const pp_nn_layer *L, float *y, size_t n) {
  float s = nn_tensor_scale(m, L->in);
  if (s > 0) nn_actq_forward(n, y, y, s * 255.0f, m->q.a_allowed);
}

/* Batch max of an activation quantizer's input, for the EMA range. */
static float batch_max(const float *x, size_t n) {
  float mx = 0;
#pragma omp parallel for reduction(max : mx) schedule(static) if(n > NN_PAR_MIN)
  for (size_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  return mx;
}

void nn_forward(pp_nn_model *m, int B, int train) {
  nn_work *W = m->priv;
  float *P = m->params;
  for (int i = 0; i < m->nlayers; i++) {
    pp_nn_layer *L = &m->layers[i];
    const float *x = W->act[L->in];
    float *y = W->act[L->out];
    size_t n = tsize(m, L->out, B), planes = (size_t)L->ic * B;
    switch (L->type) {
      case PP_NN_L_CONV:
      case PP_NN_L_FC: {
        const float *w = P + L->w_off, *b = L->has_bias ? P + L->b_off : NULL;
        if (m->q.qat) { /* BN folded, fake-quantized weights, bias on the int32 grid */
          float *lw = W->lw[i];
          nn_effective_weights(m, i, lw, lw + 2 * L->nw, NULL, lw + 2 * L->nw + 3 * (size_t)L->c,
                               lw + 2 * L->nw + 2 * (size_t)L->c);
          w = lw, b = lw + 2 * L->nw;
        }
        if (L->type == PP_NN_L_CONV) {
          nn_conv_shape s = conv_shape(L, B);
          nn_conv_forward(&s, x, w, b, y, W->col, W->nt);
        } else {
          nn_fc_forward(B, L->ic, L->ih * L->iw, L->c, x, w, b, y, W->xt);
        }
        break;
      }
      case PP_NN_L_BN: {
        int per = B * L->h * L->w;
        if (m->q.qat) {
          memcpy(y, x, n * sizeof(float)); /* folded into the conv before */
        } else if (train == NN_FWD_TRAIN) {
          nn_bn_forward_train(L->c, per, x, P + L->g_off, P + L->beta_off, y, W->lw[i], W->lw[i] + L->c,
                              m->bufs + L->mean_off, m->bufs + L->var_off, NN_BN_MOMENTUM, NN_BN_EPS);
        } else {
          nn_bn_forward_eval(L->c, per, x, P + L->g_off, P + L->beta_off, y, m->bufs + L->mean_off,
                             m->bufs + L->var_off, NN_BN_EPS);
        }
        break;
      }
      case PP_NN_L_RELU: nn_relu_forward(n, x, y, 0); break;
      case PP_NN_L_RELU6: nn_relu_forward(n, x, y, 6.0f); break;
      case PP_NN_L_ACTQ: {
        float *r = m->bufs + L->range_off;
        if (train == NN_FWD_TRAIN) {
          float mx = batch_max(x, n);
          *r = *r > 0 ? NN_ACT_EMA * *r + (1 - NN_ACT_EMA) * mx : mx;
        } else if (train == NN_FWD_CALIB) {
          float mx = batch_max(x, n);
          if (mx > *r) *r = mx;
        }
        if (m->q.qat) {
          float range = (L->cap > 0 && *r > L->cap) ? L->cap : *r;
          nn_actq_forward(n, x, y, range, m->q.a_allowed);
        } else {
          memcpy(y, x, n * sizeof(float));
        }
        break;
      }
      case PP_NN_L_MAXPOOL: nn_maxpool_forward((int)planes, L->ih, L->iw, L->k, L->stride, x, y, W->arg[i]); break;
      case PP_NN_L_AVGPOOL:
        nn_avgpool_forward((int)planes, L->ih, L->iw, L->k, L->stride, x, y);
        if (m->q.qat) requant_pooled(m, L, y, n);
        break;
      case PP_NN_L_GAP: {
        int hw = L->ih * L->iw;
#pragma omp parallel for schedule(static) if(planes * hw > NN_PAR_MIN)
        for (size_t p = 0; p < planes; p++) {
          double acc = 0;
          for (int k = 0; k < hw; k++) acc += x[p * hw + k];
          y[p] = (float)(acc / hw);
        }
        if (m->q.qat) requant_pooled(m, L, y, n);
        break;
      }
      case PP_NN_L_ADD: {
        int c2, h2, w2;
        tshape(m, L->in2, &c2, &h2, &w2);
        nn_add_forward(L->c, B, L->h, L->w, x, c2, h2, w2, W->act[L->in2], y);
        break;
      }
      case PP_NN_L_SOFTMAX: nn_softmax_forward(L->k, L->c, B, L->h * L->w, x, y); break;
    }
  }
}

/* Gradient of a conv/fc weight through the BN fold and the quantizer (STE). */
static void qat_chain(pp_nn_model *m, int i, float *G) {
  nn_work *W = m->priv;
  pp_nn_layer *L = &m->layers[i];
  float *lw = W->lw[i], *dw = lw + L->nw, *db = lw + 2 * L->nw + L->c, *fold = lw + 2 * L->nw + 2 * (size_t)L->c;
  size_t K = L->nw / (size_t)L->c;
  const float *w = m->params + L->w_off;
  if (L->bn < 0) {
    for (size_t k = 0; k < L->nw; k++) G[L->w_off + k] += dw[k];
    if (L->has_bias)
      for (int c = 0; c < L->c; c++) G[L->b_off + c] += db[c];
    return;
  }
  const pp_nn_layer *N = &m->layers[L->bn];
  for (int c = 0; c < L->c; c++) {
    float is = 1.0f / sqrtf(m->bufs[N->var_off + c] + NN_BN_EPS);
    double dg = 0;
    for (size_t k = 0; k < K; k++) {
      G[L->w_off + c * K + k] += dw[c * K + k] * fold[c];
      dg += (double)dw[c * K + k] * w[c * K + k] * is;
    }
    float bias = L->has_bias ? m->params[L->b_off + c] : 0.0f;
    dg += (double)db[c] * (bias - m->bufs[N->mean_off + c]) * is;
    G[N->g_off + c] += (float)dg;
    G[N->beta_off + c] += db[c];
    if (L->has_bias) G[L->b_off + c] += db[c] * fold[c];
  }
}

/* Gradient tensors are not zeroed up front: the first layer (in backward
 * order) that sends a gradient to tensor t overwrites it, later ones add.
 * need_acc() says which case applies and marks t as written; zeroed() is for
 * kernels that can only add (they scatter into their input). */
static int need_acc(nn_work *W, int t) {
  int a = W->dset[t];
  W->dset[t] = 1;
  return a;
}
static float *zeroed(const pp_nn_model *m, nn_work *W, int t, int B) {
  if (!need_acc(W, t)) memset(W->dact[t], 0, tsize(m, t, B) * sizeof(float));
  return W->dact[t];
}

void nn_backward(pp_nn_model *m, int B) {
  nn_work *W = m->priv;
  float *P = m->params, *G = W->grads;
  memset(W->dset, 0, (size_t)m->nlayers + 1);
  W->dset[m->nlayers] = 1; /* the logits' gradient, from the loss */
  for (int i = m->nlayers - 1; i >= 0; i--) {
    pp_nn_layer *L = &m->layers[i];
    const float *x = W->act[L->in];
    const float *dy = zeroed(m, W, L->out, B); /* no-op unless no layer used this output */
    float *dx = W->dact[L->in];
    size_t n = tsize(m, L->out, B), planes = (size_t)L->ic * B;
    switch (L->type) {
      case PP_NN_L_CONV:
      case PP_NN_L_FC: {
        const float *w = P + L->w_off;
        float *dw = G + L->w_off, *db = L->has_bias ? G + L->b_off : NULL;
        if (m->q.qat) {
          float *lw = W->lw[i];
          w = lw;
          dw = lw + L->nw;
          db = lw + 2 * L->nw + L->c;
          memset(dw, 0, L->nw * sizeof(float));
          memset(db, 0, (size_t)L->c * sizeof(float));
        }
        if (L->type == PP_NN_L_CONV) {
          nn_conv_shape s = conv_shape(L, B);
          int acc = L->in ? need_acc(W, L->in) : 1;
          nn_conv_backward(&s, x, w, dy, L->in ? dx : NULL, dw, db, W->col, W->nt, acc);
        } else {
          if (L->in) zeroed(m, W, L->in, B);
          nn_fc_backward(B, L->ic, L->ih * L->iw, L->c, x, w, dy, L->in ? dx : NULL, dw, db, W->xt, W->dxt);
        }
        if (m->q.qat) qat_chain(m, i, G);
        break;
      }
      case PP_NN_L_BN:
        if (m->q.qat) {
          if (need_acc(W, L->in)) {
            for (size_t k = 0; k < n; k++) dx[k] += dy[k];
          } else {
            memcpy(dx, dy, n * sizeof(float));
          }
        } else {
          nn_bn_backward(L->c, B * L->h * L->w, x, P + L->g_off, W->lw[i], W->lw[i] + L->c, dy, dx,
                         G + L->g_off, G + L->beta_off, need_acc(W, L->in));
        }
        break;
      case PP_NN_L_RELU: nn_relu_backward(n, x, dy, dx, 0, need_acc(W, L->in)); break;
      case PP_NN_L_RELU6: nn_relu_backward(n, x, dy, dx, 6.0f, need_acc(W, L->in)); break;
      case PP_NN_L_ACTQ: {
        zeroed(m, W, L->in, B);
        if (!m->q.qat) {
          for (size_t k = 0; k < n; k++) dx[k] += dy[k];
        } else { /* straight-through inside the range, zero where clipped */
          float r = m->bufs[L->range_off];
          if (L->cap > 0 && r > L->cap) r = L->cap;
          for (size_t k = 0; k < n; k++)
            if (x[k] <= r) dx[k] += dy[k];
        }
        break;
      }
      case PP_NN_L_MAXPOOL:
        zeroed(m, W, L->in, B);
        nn_maxpool_backward((int)planes, L->ih, L->iw, L->k, L->stride, dy, W->arg[i], dx);
        break;
      case PP_NN_L_AVGPOOL:
        zeroed(m, W, L->in, B);
        nn_avgpool_backward((int)planes, L->ih, L->iw, L->k, L->stride, dy, dx);
        break;
      case PP_NN_L_GAP: {
        int hw = L->ih * L->iw;
        zeroed(m, W, L->in, B);
        for (size_t p = 0; p < planes; p++)
          for (int k = 0; k < hw; k++) dx[p * hw + k] += dy[p] / (float)hw;
        break;
      }
      case PP_NN_L_ADD: {
        int c2, h2, w2;
        tshape(m, L->in2, &c2, &h2, &w2);
        int acc = need_acc(W, L->in);
        nn_add_backward(L->c, B, L->h, L->w, dy, c2, h2, w2, dx, zeroed(m, W, L->in2, B), acc);
        break;
      }
      case PP_NN_L_SOFTMAX:
        nn_softmax_backward(L->k, L->c, B, L->h * L->w, W->act[L->out], dy, dx, need_acc(W, L->in));
        break;
    }
  }
}

/* Copies images idx[0..B) of d into the input tensor (C x B x H x W, values
 * pixel/255), centred in the model input; aug: random shift by up to 4
 * pixels (crop of the 4-padded image) and horizontal flip. */
void nn_fill_batch(pp_nn_model *m, const pp_nn_data *d, const uint32_t *idx, int B, int aug,
                   pp_rng *r) {
  nn_work *W = m->priv;
  float *x = W->act[0];
  int H = m->in_h, Wd = m->in_w, oy = (H - d->h) / 2, ox = (Wd - d->w) / 2;
  memset(x, 0, tsize(m, 0, B) * sizeof(float));
  for (int b = 0; b < B; b++) {
    int sy = 0, sx = 0, flip = 0;
    if (aug) {
      sy = (int)pp_rng_below(r, 9) - 4;
      sx = (int)pp_rng_below(r, 9) - 4;
      flip = (int)pp_rng_below(r, 2);
    }
    const uint8_t *img = d->x + (size_t)idx[b] * d->c * d->h * d->w;
    W->labels[b] = d->y[idx[b]];
    for (int c = 0; c < m->in_c && c < d->c; c++)
      for (int y = 0; y < H; y++) {
        int iy = y - oy + sy;
        if (iy < 0 || iy >= d->h) continue;
        for (int xx = 0; xx < Wd; xx++) {
          int ix = (flip ? Wd - 1 - xx : xx) - ox + sx;
          if (ix < 0 || ix >= d->w) continue;
          x[(((size_t)c * B + b) * H + y) * Wd + xx] = (float)img[((size_t)c * d->h + iy) * d->w + ix] / 255.0f;
        }
      }
  }
}

void pp_nn_set_qat(pp_nn_model *m, int on, int per_channel) {
  m->q.qat = on;
  m->q.per_channel = per_channel;
}

int pp_nn_threads(void) { return omp_get_max_threads(); }

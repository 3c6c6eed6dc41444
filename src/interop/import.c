/* interop/import: an ONNX graph onto nn's layer list. Each node becomes
 * zero (Identity, Dropout, Flatten, a flattening Reshape: views of the same
 * tensor), one or two nn layers (Relu/Clip get an activation quantizer
 * behind them for the int8 path); initializers fill the parameters. Values
 * are tracked by name: a data value is an nn tensor plus its logical rank,
 * or a constant. Whatever nn cannot express exactly is refused by name. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "interop_internal.h"
#include "pp/util_mem.h"

#define IO_SUPPORTED                                                                                           \
  "Conv, Gemm, MatMul, Add, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Flatten, " \
  "Reshape, Softmax, Identity, Dropout, Constant, Slice and Pad (as a residual Add's shortcut only)"

/* Operators whose definition in opsets 1..8 is the one of opset 9 (for the
 * tensors the importer accepts): models of those opsets may use only these. */
#define IO_SINCE_OPSET1 "GlobalAveragePool, Identity"

/* V_VIEW: a spatially strided Slice and/or a zero channel Pad of a data
 * tensor, which nn expresses only as the shortcut operand of an Add (the
 * "option A" residual of ResNet-20); anything else reading it is refused. */
enum { V_DATA = 1, V_CONST = 2, V_VIEW = 3 };
typedef struct io_val {
  const char *name;
  int kind;
  int t;      /* data: nn tensor id */
  int rank;   /* data: logical rank, batch included */
  int flat;   /* data: logically [N, c*h*w] over an nn tensor c x h x w */
  io_const c; /* constant (owned) */
  int st_h, st_w, lo, hi; /* view: subsampling strides of H and W, zero channels before and after */
} io_val;

typedef struct io_shape {
  int c, h, w;
  int u8; /* a uint8 tensor on the integer path: the input, a quantizer or pool output */
} io_shape;

typedef struct io_lp { /* parameters of one layer, owned until copied into the model */
  float *w, *b, *g, *beta, *mean, *var;
} io_lp;

typedef struct imp {
  const char *file;
  pp_err *e;
  int opset;
  long batch; /* declared batch size of the data input, 0 when symbolic */
  io_val *v;
  int nv, capv;
  pp_nn_layer *L;
  io_lp *P;
  io_shape *S; /* per tensor (nl + 1) */
  int nl, capl;
  const Onnx__GraphProto *g;
  const Onnx__NodeProto *node; /* being imported */
  char nname[128];
} imp;

/* Errors about the current node: its name, op type, then what is wrong. */
static void nerr_set(imp *I, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void nerr_set(imp *I, int st, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pp_err_set(I->e, st, I->file, 0, "node '%s' (%s): %s", I->nname, I->node->op_type, msg);
}
/* the status is the macro's value, a constant, so that every caller's error path is visibly non-zero (the
 * analyser does not follow variadic calls) */
#define nerr(I, st, ...) (nerr_set(I, st, __VA_ARGS__), (st))
#define UNSUP(I, ...) nerr(I, PP_EINVAL, __VA_ARGS__)

static io_val *find(imp *I, const char *name) {
  for (int i = I->nv - 1; i >= 0; i--)
    if (!strcmp(I->v[i].name, name)) return &I->v[i];
  return NULL;
}

static io_val *new_val(imp *I, const char *name, int kind) {
  if (I->nv == I->capv) {
    int nc = I->capv ? I->capv * 2 : 64;
    io_val *nv = realloc(I->v, sizeof *nv * (size_t)nc);
    if (!nv) return NULL;
    I->v = nv, I->capv = nc;
  }
  io_val *v = &I->v[I->nv++];
  memset(v, 0, sizeof *v);
  v->name = name;
  v->kind = kind;
  return v;
}

static int set_data(imp *I, const char *name, int t, int rank, int flat) {
  io_val *v = new_val(I, name, V_DATA);
  if (!v) return pp_err_set(I->e, PP_ENOMEM, I->file, 0, "out of memory");
  v->t = t, v->rank = rank, v->flat = flat;
  return PP_OK;
}

/* Appends a layer reading tensor `in` whose output has shape c x h x w. */
static pp_nn_layer *new_layer(imp *I, int type, const char *suffix, int in, int c, int h, int w) {
  if (I->nl + 1 >= I->capl) {
    int nc = I->capl ? I->capl * 2 : 64;
    pp_nn_layer *nl = realloc(I->L, sizeof *nl * (size_t)nc);
    if (nl) I->L = nl;
    io_lp *np = realloc(I->P, sizeof *np * (size_t)nc);
    if (np) I->P = np;
    io_shape *ns = realloc(I->S, sizeof *ns * (size_t)(nc + 1));
    if (ns) I->S = ns;
    if (!nl || !np || !ns) return NULL;
    I->capl = nc;
  }
  pp_nn_layer *L = &I->L[I->nl];
  memset(L, 0, sizeof *L);
  memset(&I->P[I->nl], 0, sizeof I->P[I->nl]);
  L->type = type;
  L->in = in, L->in2 = -1, L->groups = 1;
  L->c = c;
  char nm[192];
  snprintf(nm, sizeof nm, "%s%s", I->nname, suffix);
  size_t l = strlen(nm) < sizeof L->name - 1 ? strlen(nm) : sizeof L->name - 1; /* long names are cut */
  memcpy(L->name, nm, l);
  L->name[l] = 0;
  I->nl++;
  I->S[I->nl] = (io_shape){c, h, w, 0};
  return L;
}
#define OOM(I) (pp_err_set((I)->e, PP_ENOMEM, (I)->file, 0, "out of memory"), PP_ENOMEM)

/* ---- attributes ------------------------------------------------------------------- */
static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
  return NULL;
}
static long attr_i(const Onnx__NodeProto *n, const char *name, long def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a && a->has_i ? (long)a->i : def;
}
static float attr_f(const Onnx__NodeProto *n, const char *name, float def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a && a->has_f ? a->f : def;
}
/* Integer list attribute of exactly `want` entries, else def for all. */
static int attr_ints(imp *I, const char *name, int want, long def, long *out) {
  const Onnx__AttributeProto *a = attr(I->node, name);
  for (int k = 0; k < want; k++) out[k] = def;
  if (!a || !a->n_ints) return PP_OK;
  if ((int)a->n_ints != want)
    return UNSUP(I, "attribute %s has %zu values, expected %d (2-D images only)", name, a->n_ints, want);
  for (int k = 0; k < want; k++) out[k] = (long)a->ints[k];
  return PP_OK;
}
/* auto_pad: 0 NOTSET, 1 VALID, 2 SAME_UPPER, 3 SAME_LOWER */
static int attr_autopad(const Onnx__NodeProto *n) {
  const Onnx__AttributeProto *a = attr(n, "auto_pad");
  if (!a || !a->has_s) return 0;
  const char *s = (const char *)a->s.data;
  size_t l = a->s.len;
  if (l == 5 && !memcmp(s, "VALID", 5)) return 1;
  if (l == 10 && !memcmp(s, "SAME_UPPER", 10)) return 2;
  if (l == 10 && !memcmp(s, "SAME_LOWER", 10)) return 3;
  return 0;
}

/* ---- operands ---------------------------------------------------------------------- */
static const char *input(const Onnx__NodeProto *n, size_t k) {
  return k < n->n_input && n->input[k] && n->input[k][0] ? n->input[k] : NULL;
}

static int data_in(imp *I, size_t k, io_val **out) {
  const char *nm = input(I->node, k);
  io_val *v = nm ? find(I, nm) : NULL;
  if (!nm) return UNSUP(I, "input %zu is missing", k);
  if (!v) return nerr(I, PP_EPARSE, "input '%s' is not produced before this node", nm);
  if (v->kind == V_VIEW)
    return UNSUP(I, "input '%s' is a strided Slice or a channel Pad: nn expresses those only as the shortcut operand of "
                    "a residual Add", nm);
  if (v->kind != V_DATA) return UNSUP(I, "input '%s' is a constant where data is expected", nm);
  *out = v;
  return PP_OK;
}

/* Float constant input k (NULL when absent and optional). */
static int const_in(imp *I, size_t k, int optional, const io_const **out) {
  const char *nm = input(I->node, k);
  *out = NULL;
  if (!nm) return optional ? PP_OK : UNSUP(I, "input %zu is missing", k);
  io_val *v = find(I, nm);
  if (!v) return nerr(I, PP_EPARSE, "input '%s' is not produced before this node", nm);
  if (v->kind != V_CONST) return UNSUP(I, "input '%s' must be an initializer (a constant), not computed data", nm);
  *out = &v->c;
  return PP_OK;
}

static float *dup_floats(const float *x, size_t n) {
  float *p = malloc(sizeof(float) * (n ? n : 1));
  if (p && n) memcpy(p, x, sizeof(float) * n);
  return p;
}

static int need_nchw(imp *I, const io_val *x) {
  if (x->flat || x->rank != 4) return UNSUP(I, "needs an N x C x H x W input, got a rank-%d tensor", x->flat ? 2 : x->rank);
  return PP_OK;
}

/* 2-D spatial attributes shared by Conv and the pools: square kernel k,
 * equal strides, symmetric padding (after auto_pad), dilation 1. */
static int spatial(imp *I, const io_shape *s, long k, int *stride, int *pad) {
  long st[2], dl[2], pd[4];
  int rc;
  if ((rc = attr_ints(I, "strides", 2, 1, st)) || (rc = attr_ints(I, "dilations", 2, 1, dl)) ||
      (rc = attr_ints(I, "pads", 4, 0, pd)))
    return rc;
  if (dl[0] != 1 || dl[1] != 1) return UNSUP(I, "dilations %ld,%ld: nn runs dilation 1 only", dl[0], dl[1]);
  if (st[0] != st[1] || st[0] < 1) return UNSUP(I, "strides %ld,%ld: nn needs one stride for both axes", st[0], st[1]);
  int ap = attr_autopad(I->node);
  if (ap >= 2) { /* SAME: output = ceil(in / stride) */
    long dims[2] = {s->h, s->w};
    for (int a = 0; a < 2; a++) {
      long o = (dims[a] + st[0] - 1) / st[0], tot = (o - 1) * st[0] + k - dims[a];
      if (tot < 0) tot = 0;
      pd[a] = ap == 2 ? tot / 2 : tot - tot / 2;
      pd[a + 2] = tot - pd[a];
    }
  } else if (ap == 1) {
    pd[0] = pd[1] = pd[2] = pd[3] = 0;
  }
  if (pd[0] != pd[1] || pd[0] != pd[2] || pd[0] != pd[3])
    return UNSUP(I, "pads %ld,%ld,%ld,%ld: nn pads all four sides equally", pd[0], pd[1], pd[2], pd[3]);
  if (pd[0] < 0 || pd[0] >= k) return UNSUP(I, "padding %ld with a %ld-wide kernel", pd[0], k);
  *stride = (int)st[0];
  *pad = (int)pd[0];
  return PP_OK;
}

/* ---- operators ---------------------------------------------------------------------- */
static int op_conv(imp *I) {
  io_val *x;
  const io_const *W, *B;
  int rc;
  if ((rc = data_in(I, 0, &x)) || (rc = need_nchw(I, x)) || (rc = const_in(I, 1, 0, &W)) || (rc = const_in(I, 2, 1, &B)))
    return rc;
  io_shape s = I->S[x->t];
  if (!W->f || W->ndims != 4) return UNSUP(I, "weight must be a float32 tensor M x C/group x kH x kW");
  long M = W->dims[0], cg = W->dims[1], kh = W->dims[2], kw = W->dims[3], grp = attr_i(I->node, "group", 1), ks[2];
  if (kh != kw) return UNSUP(I, "kernel %ldx%ld: nn convolves with square kernels only", kh, kw);
  if ((rc = attr_ints(I, "kernel_shape", 2, kh, ks))) return rc;
  if (ks[0] != kh || ks[1] != kw) return UNSUP(I, "kernel_shape disagrees with the weight's shape");
  if (grp < 1 || cg * grp != s.c || M % grp)
    return UNSUP(I, "%ld groups of %ld input channels do not fit %d channels and %ld outputs", grp, cg, s.c, M);
  if (B && (!B->f || B->n != (size_t)M)) return UNSUP(I, "bias must be %ld float32 values", M);
  int stride, pad;
  if ((rc = spatial(I, &s, kh, &stride, &pad))) return rc;
  int ho = (int)((s.h + 2 * pad - kh) / stride + 1), wo = (int)((s.w + 2 * pad - kw) / stride + 1);
  if (s.h + 2 * pad < kh || s.w + 2 * pad < kw) return UNSUP(I, "kernel larger than the padded input");
  pp_nn_layer *L = new_layer(I, PP_NN_L_CONV, "", x->t, (int)M, ho, wo);
  if (!L) return OOM(I);
  L->k = (int)kh, L->stride = stride, L->pad = pad, L->groups = (int)grp, L->has_bias = B != NULL;
  io_lp *P = &I->P[I->nl - 1];
  P->w = dup_floats(W->f, W->n);
  if (B) P->b = dup_floats(B->f, B->n);
  if (!P->w || (B && !P->b)) return OOM(I);
  return set_data(I, I->node->output[0], I->nl, 4, 0);
}

/* Gemm / MatMul: Y = alpha * A * op(B) + beta * C, A one image per row. */
static int fc_layer(imp *I, int transB, float alpha, float beta, const io_const *Bm, const io_const *C) {
  io_val *x;
  int rc;
  if ((rc = data_in(I, 0, &x))) return rc;
  if (!x->flat && x->rank != 2)
    return UNSUP(I, "input of rank %d: only [batch, features] products are expressible", x->rank);
  io_shape s = I->S[x->t];
  long F = (long)s.c * s.h * s.w;
  if (!Bm->f || Bm->ndims != 2) return UNSUP(I, "second operand must be a float32 matrix initializer");
  long K = transB ? Bm->dims[1] : Bm->dims[0], N = transB ? Bm->dims[0] : Bm->dims[1];
  if (K != F) return UNSUP(I, "matrix of %ld rows for %ld input features", K, F);
  if (C && (!C->f || !(C->n == 1 || (C->n == (size_t)N && (C->ndims == 1 || (C->ndims == 2 && C->dims[0] == 1))))))
    return UNSUP(I, "bias of %zu values: only a scalar or one value per output (same for every row) is expressible",
                 C->n);
  pp_nn_layer *L = new_layer(I, PP_NN_L_FC, "", x->t, (int)N, 1, 1);
  if (!L) return OOM(I);
  L->has_bias = 1;
  io_lp *P = &I->P[I->nl - 1];
  P->w = malloc(sizeof(float) * (size_t)(N * F));
  P->b = calloc((size_t)N, sizeof(float));
  if (!P->w || !P->b) return OOM(I);
  for (long o = 0; o < N; o++) /* nn keeps out x in, in = c*h*w as ONNX flattens NCHW */
    for (long f = 0; f < F; f++) P->w[o * F + f] = alpha * (transB ? Bm->f[o * K + f] : Bm->f[f * N + o]);
  if (C)
    for (long o = 0; o < N; o++) P->b[o] = beta * C->f[C->n == 1 ? 0 : o];
  return set_data(I, I->node->output[0], I->nl, 2, 0);
}

static int op_gemm(imp *I) {
  const io_const *B, *C;
  int rc;
  if (attr_i(I->node, "transA", 0)) return UNSUP(I, "transA=1: the data operand must hold one image per row");
  if ((rc = const_in(I, 1, 0, &B)) || (rc = const_in(I, 2, 1, &C))) return rc;
  return fc_layer(I, (int)attr_i(I->node, "transB", 0), attr_f(I->node, "alpha", 1.0f), attr_f(I->node, "beta", 1.0f), B, C);
}

static int op_matmul(imp *I) {
  const io_const *B;
  int rc = const_in(I, 1, 0, &B);
  return rc ? rc : fc_layer(I, 0, 1.0f, 1.0f, B, NULL);
}

/* How often each value is read (by nodes and as a graph output). */
static int uses(const imp *I, const char *name) {
  int n = 0;
  for (size_t i = 0; i < I->g->n_node; i++)
    for (size_t k = 0; k < I->g->node[i]->n_input; k++) n += !strcmp(I->g->node[i]->input[k], name);
  for (size_t k = 0; k < I->g->n_output; k++) n += !strcmp(I->g->output[k]->name, name);
  return n;
}

static int same_shape(const imp *I, const io_val *a, const io_val *b) {
  io_shape p = I->S[a->t], q = I->S[b->t];
  return p.c == q.c && p.h == q.h && p.w == q.w && a->flat == b->flat && a->rank == b->rank;
}

/* ---- shortcut views: Slice and Pad ---------------------------------------------------- */
/* The logical shape of a data value or a view. */
static void view_shape(const imp *I, const io_val *v, int *c, int *h, int *w) {
  io_shape s = I->S[v->t];
  int sh = v->kind == V_VIEW ? v->st_h : 1, sw = v->kind == V_VIEW ? v->st_w : 1;
  *c = s.c + (v->kind == V_VIEW ? v->lo + v->hi : 0);
  *h = (s.h + sh - 1) / sh, *w = (s.w + sw - 1) / sw;
}

/* Input 0 as a view: a copy of a view, or a fresh one over an N x C x H x W value. */
static int view_in(imp *I, io_val *out) {
  const char *nm = input(I->node, 0);
  io_val *v = nm ? find(I, nm) : NULL;
  if (!v) return nerr(I, PP_EPARSE, "input is missing or not produced before this node");
  if (v->kind == V_CONST) return UNSUP(I, "input '%s' is a constant where data is expected", nm);
  if (v->flat || v->rank != 4) return UNSUP(I, "needs an N x C x H x W input, got a rank-%d tensor", v->flat ? 2 : v->rank);
  *out = *v;
  if (v->kind == V_DATA) out->st_h = out->st_w = 1, out->lo = out->hi = 0;
  return PP_OK;
}

/* Records the view as the node's output (plain data when it changes nothing). */
static int set_view(imp *I, const io_val *x) {
  if (x->st_h == 1 && x->st_w == 1 && !x->lo && !x->hi) return set_data(I, I->node->output[0], x->t, 4, 0);
  io_val *v = new_val(I, I->node->output[0], V_VIEW);
  if (!v) return OOM(I);
  v->t = x->t, v->rank = 4, v->st_h = x->st_h, v->st_w = x->st_w, v->lo = x->lo, v->hi = x->hi;
  return PP_OK;
}

/* int64 constant input k (NULL when absent and optional). */
static int ints_in(imp *I, size_t k, int optional, const io_const **out) {
  const char *nm = input(I->node, k);
  io_val *v = nm ? find(I, nm) : NULL;
  *out = NULL;
  if (!nm) return optional ? PP_OK : UNSUP(I, "input %zu is missing", k);
  if (!v) return nerr(I, PP_EPARSE, "input '%s' is not produced before this node", nm);
  if (v->kind != V_CONST || !v->c.i) return UNSUP(I, "input '%s' must be an int64 constant", nm);
  *out = &v->c;
  return PP_OK;
}

/* Slice: whole extents, steps only along H and W (subsampling from 0). */
static int op_slice(imp *I) {
  io_val x;
  int rc = view_in(I, &x);
  if (rc) return rc;
  int64_t st[4], en[4], ax[4] = {0, 1, 2, 3}, sp[4] = {1, 1, 1, 1};
  size_t n;
  if (I->opset < 10) { /* attributes, no steps */
    const Onnx__AttributeProto *as = attr(I->node, "starts"), *ae = attr(I->node, "ends"), *aa = attr(I->node, "axes");
    if (!as || !ae || as->n_ints != ae->n_ints || as->n_ints > 4 || (aa && aa->n_ints != as->n_ints))
      return UNSUP(I, "starts/ends/axes must be lists of equal length up to 4");
    n = as->n_ints;
    for (size_t k = 0; k < n; k++) st[k] = as->ints[k], en[k] = ae->ints[k], ax[k] = aa ? aa->ints[k] : (int64_t)k;
  } else {
    const io_const *cs, *ce, *ca, *cp;
    if ((rc = ints_in(I, 1, 0, &cs)) || (rc = ints_in(I, 2, 0, &ce)) || (rc = ints_in(I, 3, 1, &ca)) ||
        (rc = ints_in(I, 4, 1, &cp)))
      return rc;
    n = cs->n;
    if (n > 4 || ce->n != n || (ca && ca->n != n) || (cp && cp->n != n))
      return UNSUP(I, "starts/ends/axes/steps must be lists of equal length up to 4");
    for (size_t k = 0; k < n; k++)
      st[k] = cs->i[k], en[k] = ce->i[k], ax[k] = ca ? ca->i[k] : (int64_t)k, sp[k] = cp ? cp->i[k] : 1;
  }
  int c, h, w;
  view_shape(I, &x, &c, &h, &w);
  for (size_t k = 0; k < n; k++) {
    int64_t a = ax[k] < 0 ? ax[k] + 4 : ax[k], dim = a == 1 ? c : a == 2 ? h : w;
    if (a < 0 || a > 3) return UNSUP(I, "axis %lld of a rank-4 tensor", (long long)ax[k]);
    if (a == 0) return UNSUP(I, "slicing the batch axis");
    int64_t s0 = st[k] < 0 ? st[k] + dim : st[k];
    if (s0 != 0 || en[k] < dim || sp[k] < 1)
      return UNSUP(I, "axis %lld from %lld to %lld step %lld: nn subsamples whole extents from 0 (a shortcut) only",
                   (long long)a, (long long)st[k], (long long)en[k], (long long)sp[k]);
    if (a == 1 && sp[k] != 1) return UNSUP(I, "a step of %lld over the channels", (long long)sp[k]);
    if (a == 2) x.st_h *= (int)sp[k];
    if (a == 3) x.st_w *= (int)sp[k];
  }
  return set_view(I, &x);
}

/* Pad: constant zeros on the channel axis only. */
static int op_pad(imp *I) {
  io_val x;
  int rc = view_in(I, &x);
  if (rc) return rc;
  const Onnx__AttributeProto *am = attr(I->node, "mode");
  if (am && am->has_s && !(am->s.len == 8 && !memcmp(am->s.data, "constant", 8)))
    return UNSUP(I, "mode '%.*s': nn pads with zeros (mode constant) only", (int)am->s.len, (const char *)am->s.data);
  int64_t p[8];
  float val = 0.0f;
  if (I->opset < 11) {
    const Onnx__AttributeProto *ap = attr(I->node, "pads");
    if (!ap || ap->n_ints != 8) return UNSUP(I, "needs 8 pads (a rank-4 tensor)");
    for (int k = 0; k < 8; k++) p[k] = ap->ints[k];
    val = attr_f(I->node, "value", 0.0f);
  } else {
    const io_const *cp;
    if ((rc = ints_in(I, 1, 0, &cp))) return rc;
    if (cp->n != 8) return UNSUP(I, "needs 8 pads (a rank-4 tensor), got %zu", cp->n);
    for (int k = 0; k < 8; k++) p[k] = cp->i[k];
    const char *nv = input(I->node, 2);
    io_val *cv = nv ? find(I, nv) : NULL;
    if (nv && (!cv || cv->kind != V_CONST || !cv->c.f || cv->c.n != 1))
      return UNSUP(I, "constant_value must be a float32 scalar constant");
    if (cv) val = cv->c.f[0];
    if (input(I->node, 3)) return UNSUP(I, "the axes input is not supported");
  }
  if (val != 0.0f) return UNSUP(I, "padding with %g: nn pads with zeros only", (double)val);
  if (p[0] || p[4] || p[2] || p[6] || p[3] || p[7] || p[1] < 0 || p[5] < 0)
    return UNSUP(I, "pads %lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld: nn adds zero channels (axis 1) only, as a shortcut",
                 (long long)p[0], (long long)p[1], (long long)p[2], (long long)p[3], (long long)p[4], (long long)p[5],
                 (long long)p[6], (long long)p[7]);
  x.lo += (int)p[1], x.hi += (int)p[5];
  return set_view(I, &x);
}

/* Add of data and a view: nn's option-A shortcut, which subsamples by H/H2
 * from 0 and puts the source channels in the middle ((C - C2) / 2 before). */
static int add_view(imp *I, io_val *a, io_val *b) {
  if (a->kind == V_VIEW) {
    io_val *t = a;
    a = b, b = t;
  }
  if (a->kind != V_DATA) return UNSUP(I, "both operands are strided Slices or channel Pads");
  if (a->flat || a->rank != 4) return UNSUP(I, "a shortcut added to a rank-%d tensor", a->flat ? 2 : a->rank);
  io_shape s = I->S[a->t], q = I->S[b->t];
  int c, h, w;
  view_shape(I, b, &c, &h, &w);
  if (c != s.c || h != s.h || w != s.w)
    return UNSUP(I, "operands of different shapes (%dx%dx%d and %dx%dx%d): nn adds equal shapes", s.c, s.h, s.w, c, h, w);
  if (b->st_h != b->st_w || q.h != s.h * b->st_h || q.w != s.w * b->st_w)
    return UNSUP(I, "shortcut subsampling %dx%d by %d,%d: nn subsamples both axes by one stride that divides them",
                 q.h, q.w, b->st_h, b->st_w);
  if (b->lo != (s.c - q.c) / 2)
    return UNSUP(I, "%d zero channels before and %d after: nn's shortcut puts %d before", b->lo, b->hi, (s.c - q.c) / 2);
  pp_nn_layer *L = new_layer(I, PP_NN_L_ADD, "", a->t, s.c, s.h, s.w);
  if (!L) return OOM(I);
  L->in2 = b->t;
  return set_data(I, I->node->output[0], I->nl, 4, 0);
}

static int op_add(imp *I) {
  const char *na = input(I->node, 0), *nb = input(I->node, 1);
  io_val *a = na ? find(I, na) : NULL, *b = nb ? find(I, nb) : NULL;
  if (!a || !b) return nerr(I, PP_EPARSE, "an input is missing or not produced before this node");
  if (a->kind == V_CONST && b->kind == V_DATA) {
    io_val *t = a;
    a = b, b = t;
  }
  if (a->kind == V_DATA && b->kind == V_CONST) { /* a bias after MatMul/Conv: folded into it */
    int t = a->t;
    const pp_nn_layer *L = t > 0 ? &I->L[t - 1] : NULL;
    const io_const *c = &b->c;
    if (!L || (L->type != PP_NN_L_FC && L->type != PP_NN_L_CONV) || uses(I, a->name) != 1 || !c->f)
      return UNSUP(I, "adding a constant is expressible only as the bias of the product right before it");
    size_t M = (size_t)L->c;
    int nd = c->ndims, okshape = c->n == 1;
    if (c->n == M && L->type == PP_NN_L_FC) okshape = nd >= 1 && c->dims[nd - 1] == (int64_t)M;
    if (c->n == M && L->type == PP_NN_L_CONV) /* [M, 1, 1] or [1, M, 1, 1] */
      okshape = nd >= 3 && c->dims[nd - 3] == (int64_t)M && c->dims[nd - 2] == 1 && c->dims[nd - 1] == 1;
    if (!okshape) return UNSUP(I, "constant of %zu values does not broadcast as one value per output channel", c->n);
    io_lp *P = &I->P[t - 1];
    if (!P->b && !(P->b = calloc(M, sizeof(float)))) return OOM(I);
    I->L[t - 1].has_bias = 1;
    for (size_t o = 0; o < M; o++) P->b[o] += c->f[c->n == 1 ? 0 : o];
    return set_data(I, I->node->output[0], t, a->rank, a->flat);
  }
  if (a->kind == V_VIEW || b->kind == V_VIEW) {
    if (a->kind == V_CONST || b->kind == V_CONST) return UNSUP(I, "adding a constant to a strided Slice or a channel Pad");
    return add_view(I, a, b);
  }
  if (a->kind != V_DATA || b->kind != V_DATA) return UNSUP(I, "adding two constants");
  if (!same_shape(I, a, b)) return UNSUP(I, "operands of different shapes: nn adds equal shapes (no broadcasting)");
  /* nn's integer add takes an accumulator and a uint8 shortcut */
  io_val *acc = a, *sc = b;
  if (I->S[a->t].u8 && !I->S[b->t].u8) acc = b, sc = a;
  io_shape s = I->S[acc->t];
  pp_nn_layer *L = new_layer(I, PP_NN_L_ADD, "", acc->t, s.c, s.h, s.w);
  if (!L) return OOM(I);
  L->in2 = sc->t;
  return set_data(I, I->node->output[0], I->nl, a->rank, a->flat);
}

/* Relu, or Clip to [0, 6] / [0, inf): the unit plus its uint8 quantizer. */
static int relu_q(imp *I, int six) {
  io_val *x;
  int rc = data_in(I, 0, &x);
  if (rc) return rc;
  io_shape s = I->S[x->t];
  int rank = x->rank, flat = x->flat;
  if (!new_layer(I, six ? PP_NN_L_RELU6 : PP_NN_L_RELU, "", x->t, s.c, s.h, s.w)) return OOM(I);
  pp_nn_layer *Q = new_layer(I, PP_NN_L_ACTQ, ".act", I->nl, s.c, s.h, s.w);
  if (!Q) return OOM(I);
  Q->cap = six ? 6.0f : 0.0f;
  I->S[I->nl].u8 = 1;
  return set_data(I, I->node->output[0], I->nl, rank, flat);
}

static int op_clip(imp *I) {
  float lo = -INFINITY, hi = INFINITY;
  if (I->opset < 11) {
    lo = attr_f(I->node, "min", lo);
    hi = attr_f(I->node, "max", hi);
  } else {
    const io_const *a, *b;
    int rc;
    if ((rc = const_in(I, 1, 1, &a)) || (rc = const_in(I, 2, 1, &b))) return rc;
    if ((a && (!a->f || a->n != 1)) || (b && (!b->f || b->n != 1))) return UNSUP(I, "min/max must be float32 scalars");
    if (a) lo = a->f[0];
    if (b) hi = b->f[0];
  }
  if (lo == 0.0f && hi == 6.0f) return relu_q(I, 1);
  if (lo == 0.0f && isinf(hi) && hi > 0) return relu_q(I, 0);
  return UNSUP(I, "Clip to [%g, %g]: nn has ReLU (0, inf) and ReLU6 (0, 6) only", (double)lo, (double)hi);
}

static int op_pool(imp *I, int type) {
  io_val *x;
  int rc;
  if ((rc = data_in(I, 0, &x)) || (rc = need_nchw(I, x))) return rc;
  if (I->node->n_output > 1 && I->node->output[1][0]) return UNSUP(I, "the Indices output is not supported");
  if (attr_i(I->node, "storage_order", 0)) return UNSUP(I, "storage_order=1 is not supported");
  io_shape s = I->S[x->t];
  long ks[2];
  const Onnx__AttributeProto *ka = attr(I->node, "kernel_shape");
  if (!ka || ka->n_ints != 2) return UNSUP(I, "needs a 2-D kernel_shape");
  if ((rc = attr_ints(I, "kernel_shape", 2, 1, ks))) return rc;
  if (ks[0] != ks[1]) return UNSUP(I, "kernel %ldx%ld: nn pools with square windows only", ks[0], ks[1]);
  int stride, pad;
  if ((rc = spatial(I, &s, ks[0], &stride, &pad))) return rc;
  if (pad) return UNSUP(I, "padding %d: nn pools without padding", pad);
  if (ks[0] > s.h || ks[0] > s.w) return UNSUP(I, "window larger than the input");
  if (attr_i(I->node, "ceil_mode", 0) && ((s.h - ks[0]) % stride || (s.w - ks[0]) % stride))
    return UNSUP(I, "ceil_mode=1 with a partial last window: nn pools full windows only");
  int ho = (int)((s.h - ks[0]) / stride + 1), wo = (int)((s.w - ks[0]) / stride + 1);
  int u8 = s.u8;
  pp_nn_layer *L = new_layer(I, type, "", x->t, s.c, ho, wo);
  if (!L) return OOM(I);
  L->k = (int)ks[0], L->stride = stride;
  I->S[I->nl].u8 = u8;
  return set_data(I, I->node->output[0], I->nl, 4, 0);
}

static int op_gap(imp *I) {
  io_val *x;
  int rc;
  if ((rc = data_in(I, 0, &x)) || (rc = need_nchw(I, x))) return rc;
  io_shape s = I->S[x->t];
  if (!new_layer(I, PP_NN_L_GAP, "", x->t, s.c, 1, 1)) return OOM(I);
  I->S[I->nl].u8 = s.u8;
  return set_data(I, I->node->output[0], I->nl, 4, 0);
}

static int op_bn(imp *I) {
  io_val *x;
  const io_const *p[4];
  int rc;
  if ((rc = data_in(I, 0, &x))) return rc;
  if (x->flat || x->rank < 2) return UNSUP(I, "needs a [N, C, ...] input");
  for (int k = 0; k < 4; k++)
    if ((rc = const_in(I, (size_t)k + 1, 0, &p[k]))) return rc;
  if (attr_i(I->node, "training_mode", 0) || (I->node->n_output > 1 && I->node->output[1][0]))
    return UNSUP(I, "training mode (batch statistics) is not supported; export the model in eval mode");
  io_shape s = I->S[x->t];
  for (int k = 0; k < 4; k++)
    if (!p[k]->f || p[k]->n != (size_t)s.c) return UNSUP(I, "scale/bias/mean/var must be %d float32 values", s.c);
  float eps = attr_f(I->node, "epsilon", 1e-5f);
  if (!(eps >= 0)) return UNSUP(I, "epsilon %g", (double)eps);
  if (!new_layer(I, PP_NN_L_BN, "", x->t, s.c, s.h, s.w)) return OOM(I);
  io_lp *P = &I->P[I->nl - 1];
  P->g = dup_floats(p[0]->f, p[0]->n);
  P->beta = dup_floats(p[1]->f, p[1]->n);
  P->mean = dup_floats(p[2]->f, p[2]->n);
  P->var = dup_floats(p[3]->f, p[3]->n);
  if (!P->g || !P->beta || !P->mean || !P->var) return OOM(I);
  /* nn adds PP_NN_BN_EPS under the root: carry the difference in the variance */
  for (int c = 0; c < s.c; c++) P->var[c] = (float)((double)P->var[c] + (double)eps - (double)PP_NN_BN_EPS);
  return set_data(I, I->node->output[0], I->nl, x->rank, 0);
}

static int op_flatten(imp *I) {
  io_val *x;
  int rc = data_in(I, 0, &x);
  if (rc) return rc;
  int r = x->flat ? 2 : x->rank;
  long a = attr_i(I->node, "axis", 1);
  if (a < 0) a += r;
  if (a != 1) return UNSUP(I, "axis %ld of a rank-%d tensor: nn keeps one image per row (axis 1 only)", a, r);
  return set_data(I, I->node->output[0], x->t, 2, x->rank > 2 || x->flat);
}

static int op_reshape(imp *I) {
  io_val *x;
  int rc = data_in(I, 0, &x);
  if (rc) return rc;
  const char *nm = input(I->node, 1);
  io_val *sv = nm ? find(I, nm) : NULL;
  if (!sv || sv->kind != V_CONST || !sv->c.i) return UNSUP(I, "the shape must be an int64 initializer");
  const io_const *sh = &sv->c;
  io_shape s = I->S[x->t];
  long F = (long)s.c * s.h * s.w;
  int allowzero = (int)attr_i(I->node, "allowzero", 0);
  if (sh->n == 2) {
    long d0 = (long)sh->i[0], d1 = (long)sh->i[1];
    int keep_batch = (d0 == 0 && !allowzero) || (I->batch > 0 && d0 == I->batch) || (d0 == -1 && d1 == F);
    if (keep_batch && (d1 == -1 || d1 == F)) return set_data(I, I->node->output[0], x->t, 2, x->rank > 2 || x->flat);
  }
  return UNSUP(I, "a reshape to %zu dims that is not a flatten to [batch, %ld]: nn cannot re-lay a tensor", sh->n, F);
}

static int op_softmax(imp *I) {
  io_val *x;
  int rc = data_in(I, 0, &x);
  if (rc) return rc;
  int r = x->flat ? 2 : x->rank;
  long a = attr_i(I->node, "axis", I->opset >= 13 ? -1 : 1);
  if (a < 0) a += r;
  int whole;
  io_shape s = I->S[x->t];
  if (I->opset < 13 && a == 1) {
    whole = 1; /* the tensor is coerced to [N, rest] */
  } else if (a == 1) {
    whole = x->flat; /* over the channels, or over a flattened image */
  } else {
    return UNSUP(I, "softmax over axis %ld of a rank-%d tensor: nn normalizes over channels or whole images", a, r);
  }
  if (s.h * s.w == 1) whole = 0;
  pp_nn_layer *L = new_layer(I, PP_NN_L_SOFTMAX, "", x->t, s.c, s.h, s.w);
  if (!L) return OOM(I);
  L->k = whole;
  return set_data(I, I->node->output[0], I->nl, x->rank, x->flat);
}

static int op_alias(imp *I) {
  io_val *x;
  int rc = data_in(I, 0, &x);
  if (rc) return rc;
  if (!strcmp(I->node->op_type, "Dropout")) {
    if (I->node->n_output > 1 && I->node->output[1][0]) return UNSUP(I, "the mask output is not supported");
    const io_const *tm = NULL;
    const char *nm = input(I->node, 2);
    io_val *v = nm ? find(I, nm) : NULL;
    if (v && v->kind == V_CONST) tm = &v->c;
    if (nm && (!tm || (tm->i && tm->n == 1 && tm->i[0]) || (tm->f && tm->n == 1 && tm->f[0] != 0)))
      return UNSUP(I, "training_mode must be a constant false");
  }
  return set_data(I, I->node->output[0], x->t, x->rank, x->flat);
}

static int op_constant(imp *I) {
  const Onnx__AttributeProto *a = attr(I->node, "value");
  if (!a || !a->t) return UNSUP(I, "only the tensor 'value' form is supported");
  io_val *v = new_val(I, I->node->output[0], V_CONST);
  if (!v) return OOM(I);
  return io_tensor_to_const(a->t, I->file, &v->c, I->e);
}

static int node(imp *I, const Onnx__NodeProto *n) {
  I->node = n;
  snprintf(I->nname, sizeof I->nname, "%s", n->name && n->name[0] ? n->name : n->n_output ? n->output[0] : "?");
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
    return UNSUP(I, "operator of domain '%s'; supported (default domain): " IO_SUPPORTED, n->domain);
  if (!n->n_output || !n->output[0][0]) return nerr(I, PP_EPARSE, "node without an output");
  const char *op = n->op_type ? n->op_type : "";
  if (!strcmp(op, "Conv")) return op_conv(I);
  if (!strcmp(op, "Gemm")) return op_gemm(I);
  if (!strcmp(op, "MatMul")) return op_matmul(I);
  if (!strcmp(op, "Add")) return op_add(I);
  if (!strcmp(op, "Relu")) return relu_q(I, 0);
  if (!strcmp(op, "Clip")) return op_clip(I);
  if (!strcmp(op, "MaxPool")) return op_pool(I, PP_NN_L_MAXPOOL);
  if (!strcmp(op, "AveragePool")) return op_pool(I, PP_NN_L_AVGPOOL);
  if (!strcmp(op, "GlobalAveragePool")) return op_gap(I);
  if (!strcmp(op, "BatchNormalization")) return op_bn(I);
  if (!strcmp(op, "Flatten")) return op_flatten(I);
  if (!strcmp(op, "Reshape")) return op_reshape(I);
  if (!strcmp(op, "Softmax")) return op_softmax(I);
  if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) return op_alias(I);
  if (!strcmp(op, "Constant")) return op_constant(I);
  if (!strcmp(op, "Slice")) return op_slice(I);
  if (!strcmp(op, "Pad")) return op_pad(I);
  return UNSUP(I, "operator not supported; supported: " IO_SUPPORTED);
}

/* ---- the graph --------------------------------------------------------------------- */
static int is_init(const Onnx__GraphProto *g, const char *name) {
  for (size_t i = 0; i < g->n_initializer; i++)
    if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name)) return 1;
  return 0;
}

/* The data input: rank 2..4 float, every dimension after the batch known. */
static int data_input(imp *I, const Onnx__ValueInfoProto *vi, int *c, int *h, int *w, int *rank) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape)
    return pp_err_set(I->e, PP_EINVAL, I->file, 0, "graph input '%s': no tensor shape", vi->name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return pp_err_set(I->e, PP_EINVAL, I->file, 0, "graph input '%s': element type %d, expected float32", vi->name,
                      tt->elem_type);
  size_t r = tt->shape->n_dim;
  if (r < 1 || r > 4)
    return pp_err_set(I->e, PP_EINVAL, I->file, 0,
                      "graph input '%s' has rank %zu: expected [N, C, H, W], [N, C, L], [N, F] or [N]", vi->name, r);
  long d[4] = {1, 1, 1, 1};
  for (size_t k = 0; k < r; k++) {
    const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[k];
    int known = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (k == 0) {
      I->batch = known && dm->dim_value > 0 ? (long)dm->dim_value : 0;
      continue;
    }
    if (!known || dm->dim_value <= 0 || dm->dim_value > 65536)
      return pp_err_set(I->e, PP_EINVAL, I->file, 0, "graph input '%s': dimension %zu must be a fixed size", vi->name, k);
    d[k] = (long)dm->dim_value;
  }
  *c = (int)d[1], *h = (int)d[2], *w = (int)d[3], *rank = (int)r;
  return PP_OK;
}

static void imp_free(imp *I) {
  for (int i = 0; i < I->nv; i++) io_const_free(&I->v[i].c);
  for (int i = 0; i < I->nl; i++) {
    io_lp *P = &I->P[i];
    free(P->w), free(P->b), free(P->g), free(P->beta), free(P->mean), free(P->var);
  }
  PP_FREE_ALL(I->v, I->L, I->P, I->S);
}

/* Copies the collected parameters into the built model. */
static void fill(const imp *I, pp_nn_model *m) {
  for (int i = 0; i < I->nl; i++) {
    const pp_nn_layer *L = &m->layers[i];
    const io_lp *P = &I->P[i];
    if (P->w) memcpy(m->params + L->w_off, P->w, sizeof(float) * L->nw);
    if (P->b && L->has_bias) memcpy(m->params + L->b_off, P->b, sizeof(float) * (size_t)L->c);
    if (L->type == PP_NN_L_BN) {
      memcpy(m->params + L->g_off, P->g, sizeof(float) * (size_t)L->c);
      memcpy(m->params + L->beta_off, P->beta, sizeof(float) * (size_t)L->c);
      memcpy(m->bufs + L->mean_off, P->mean, sizeof(float) * (size_t)L->c);
      memcpy(m->bufs + L->var_off, P->var, sizeof(float) * (size_t)L->c);
    }
  }
}

/* Whether op is one of the names of a ", "-separated list. */
static int in_list(const char *list, const char *op) {
  size_t l = op ? strlen(op) : 0;
  for (const char *p = list; l && (p = strstr(p, op)); p += l)
    if ((p == list || p[-1] == ' ') && (p[l] == 0 || p[l] == ',')) return 1;
  return 0;
}

int pp_interop_import(const char *path, const pp_interop_tensor *bind, int nbind, pp_nn_model **out,
                      pp_interop_info *info, pp_err *e) {
  *out = NULL;
  Onnx__ModelProto *mp;
  int st = io_read_model(path, &mp, e);
  if (st) return st;
  imp I;
  memset(&I, 0, sizeof I);
  I.file = path, I.e = e, I.g = mp->graph;
  const Onnx__GraphProto *g = mp->graph;
  for (size_t k = 0; k < mp->n_opset_import; k++) {
    const char *d = mp->opset_import[k]->domain;
    if (!d || !d[0] || !strcmp(d, "ai.onnx")) I.opset = (int)mp->opset_import[k]->version;
  }
  if (I.opset < 1 || I.opset > IO_OPSET_MAX) {
    st = pp_err_set(e, PP_EINVAL, path, 0, "opset %d: the importer reads opsets %d to %d", I.opset, IO_OPSET_MIN,
                    IO_OPSET_MAX);
    goto out;
  }
  for (size_t k = 0; k < g->n_node && I.opset < IO_OPSET_MIN; k++) /* older: only operators unchanged since */
    if (!in_list(IO_SINCE_OPSET1, g->node[k]->op_type)) {
      st = pp_err_set(e, PP_EINVAL, path, 0,
                      "opset %d: the importer reads opsets %d to %d (older ones only for " IO_SINCE_OPSET1
                      "; node '%s' is %s)",
                      I.opset, IO_OPSET_MIN, IO_OPSET_MAX, g->node[k]->name ? g->node[k]->name : "",
                      g->node[k]->op_type ? g->node[k]->op_type : "");
      goto out;
    }
  for (size_t k = 0; k < g->n_initializer && !st; k++) {
    const Onnx__TensorProto *t = g->initializer[k];
    io_val *v = new_val(&I, t->name ? t->name : "", V_CONST);
    int dt = t->has_data_type ? t->data_type : 0;
    if (!v) {
      st = OOM(&I);
    } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
      st = io_tensor_to_const(t, path, &v->c, e);
    } else { /* other types: a constant without values, refused by the node that reads it */
      v->c.name = v->name;
    }
  }
  int in_c = 0, in_h = 0, in_w = 0, rank = 0, ndata = 0, nb = 0;
  const char *in_name = NULL;
  for (size_t k = 0; k < g->n_input && !st; k++) {
    const Onnx__ValueInfoProto *vi = g->input[k];
    if (is_init(g, vi->name)) continue;
    if (ndata++ == 0) {
      in_name = vi->name;
      st = data_input(&I, vi, &in_c, &in_h, &in_w, &rank);
      if (!st && !(I.S = malloc(sizeof *I.S))) st = OOM(&I);
      if (!st) I.S[0] = (io_shape){in_c, in_h, in_w, 1};
      if (!st) st = set_data(&I, vi->name, 0, rank, 0);
    } else if (nb < nbind) {
      io_val *v = new_val(&I, vi->name, V_CONST);
      if (!v) {
        st = OOM(&I);
        break;
      }
      const pp_interop_tensor *t = &bind[nb++];
      v->c.name = vi->name, v->c.ndims = t->ndims, v->c.n = t->n;
      memcpy(v->c.dims, t->dims, sizeof v->c.dims);
      if (t->i64) {
        if (!(v->c.i = malloc(sizeof(int64_t) * (t->n ? t->n : 1)))) st = OOM(&I);
        else if (t->n) memcpy(v->c.i, t->i64, sizeof(int64_t) * t->n);
      } else if (!(v->c.f = dup_floats(t->data, t->n))) {
        st = OOM(&I);
      }
    } else {
      st = pp_err_set(e, PP_EINVAL, path, 0,
                      "graph input '%s' is neither an initializer nor the data input (one data input is supported)",
                      vi->name);
    }
  }
  if (!st && !ndata) st = pp_err_set(e, PP_EINVAL, path, 0, "the graph has no data input");
  for (size_t k = 0; k < g->n_node && !st; k++) st = node(&I, g->node[k]);
  if (st) goto out;
  if (g->n_output != 1) {
    st = pp_err_set(e, PP_EINVAL, path, 0, "the graph has %zu outputs (one is supported)", g->n_output);
    goto out;
  }
  io_val *ov = find(&I, g->output[0]->name);
  if (!ov || ov->kind != V_DATA || ov->t != I.nl) {
    st = pp_err_set(e, PP_EINVAL, path, 0, "graph output '%s' is not the result of the last computing node",
                    g->output[0]->name);
    goto out;
  }
  pp_nn_model *m;
  if ((st = pp_nn_model_graph(in_c, in_h, in_w, I.L, I.nl, 0, &m, e))) goto out;
  for (int i = 0; i < I.nl && !st; i++) /* nn's shapes must be ONNX's */
    if (m->layers[i].c != I.S[i + 1].c || m->layers[i].h != I.S[i + 1].h || m->layers[i].w != I.S[i + 1].w)
      st = pp_err_set(e, PP_EINTERNAL, path, 0, "layer %s: nn computes %dx%dx%d, ONNX %dx%dx%d", m->layers[i].name,
                      m->layers[i].c, m->layers[i].h, m->layers[i].w, I.S[i + 1].c, I.S[i + 1].h, I.S[i + 1].w);
  if (st) {
    pp_nn_model_free(m);
    goto out;
  }
  fill(&I, m);
  if (info) {
    memset(info, 0, sizeof *info);
    info->opset = I.opset;
    snprintf(info->input_name, sizeof info->input_name, "%s", in_name);
    snprintf(info->output_name, sizeof info->output_name, "%s", g->output[0]->name);
    info->in_rank = rank;
    info->out_rank = ov->flat ? 2 : ov->rank;
    info->nnodes = (int)g->n_node;
    snprintf(info->producer, sizeof info->producer, "%s", mp->producer_name ? mp->producer_name : "");
  }
  *out = m;
out:
  imp_free(&I);
  onnx__model_proto__free_unpacked(mp, NULL);
  return st;
}

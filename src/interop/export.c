/* interop/export: a powerprune model as ONNX (opset 13) through the
 * protoc-c generated structures. Float: the layers as they run in nn's
 * float path. QDQ: the integer path spelled in ONNX's quantized operators:
 * every uint8 activation is QuantizeLinear then DequantizeLinear (with a
 * Gather through the snap table when the activation set is restricted),
 * conv/fc weights are int8 levels and biases int32 behind DequantizeLinear
 * with the per-channel scales nn uses; batch norm is folded as in nn. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "interop_internal.h"

typedef struct ex {
  void **mem; /* everything allocated for the message, freed together */
  size_t nm, cm;
  int oom;
  void **nodes; /* Onnx__NodeProto * */
  size_t nn, cn;
  void **inits; /* Onnx__TensorProto * */
  size_t ni, ci;
} ex;

static void *A(ex *x, size_t n) {
  if (x->oom) return NULL;
  if (x->nm == x->cm) {
    size_t nc = x->cm ? 2 * x->cm : 256;
    void **p = realloc(x->mem, sizeof *p * nc);
    if (!p) {
      x->oom = 1;
      return NULL;
    }
    x->mem = p, x->cm = nc;
  }
  void *p = calloc(1, n ? n : 1);
  if (!p) {
    x->oom = 1;
    return NULL;
  }
  x->mem[x->nm++] = p;
  return p;
}

static char *S(ex *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *S(ex *x, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *p = A(x, strlen(buf) + 1);
  if (p) memcpy(p, buf, strlen(buf) + 1);
  return p ? p : (char *)"";
}

static int push(ex *x, void ***arr, size_t *n, size_t *cap, void *item) {
  if (!item) return -1;
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 64;
    void **p = realloc(*arr, sizeof *p * nc);
    if (!p) {
      x->oom = 1;
      return -1;
    }
    *arr = p, *cap = nc;
  }
  (*arr)[(*n)++] = item;
  return 0;
}

static Onnx__NodeProto *node(ex *x, const char *op, const char *name, const char *out, int nin, ...) {
  Onnx__NodeProto *n = A(x, sizeof *n);
  char **in = A(x, sizeof(char *) * (size_t)nin), **o = A(x, sizeof(char *));
  if (!n || !in || !o) return NULL;
  onnx__node_proto__init(n);
  va_list ap;
  va_start(ap, nin);
  for (int k = 0; k < nin; k++) in[k] = (char *)va_arg(ap, const char *);
  va_end(ap);
  o[0] = (char *)out;
  n->op_type = (char *)op, n->name = (char *)name;
  n->input = in, n->n_input = (size_t)nin;
  n->output = o, n->n_output = 1;
  push(x, &x->nodes, &x->nn, &x->cn, n);
  return n;
}

static Onnx__AttributeProto *attr(ex *x, Onnx__NodeProto *n, const char *name, int type) {
  if (!n) return NULL;
  Onnx__AttributeProto *a = A(x, sizeof *a);
  Onnx__AttributeProto **l = A(x, sizeof(void *) * (n->n_attribute + 1)); /* pointers */
  if (!a || !l) return NULL;
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1, a->type = type;
  if (n->n_attribute) memcpy(l, n->attribute, sizeof(void *) * n->n_attribute);
  l[n->n_attribute++] = a;
  n->attribute = l;
  return a;
}
static void at_i(ex *x, Onnx__NodeProto *n, const char *name, long v) {
  Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  if (a) a->has_i = 1, a->i = v;
}
static void at_f(ex *x, Onnx__NodeProto *n, const char *name, float v) {
  Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  if (a) a->has_f = 1, a->f = v;
}
static void at_ints2(ex *x, Onnx__NodeProto *n, const char *name, long v, int count) {
  Onnx__AttributeProto *a = attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  int64_t *p = A(x, sizeof(int64_t) * (size_t)count);
  if (!a || !p) return;
  for (int k = 0; k < count; k++) p[k] = v;
  a->ints = p, a->n_ints = (size_t)count;
}

/* An initializer; data is n elements of the ONNX type dt, stored as raw
 * little-endian bytes. */
static const char *init(ex *x, const char *name, int dt, int nd, const int64_t *dims, const void *data, size_t n) {
  Onnx__TensorProto *t = A(x, sizeof *t);
  int64_t *d = A(x, sizeof(int64_t) * (size_t)(nd ? nd : 1));
  size_t es = dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT8 || dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 ? 1
              : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64                                            ? 8
                                                                                                      : 4;
  uint8_t *raw = A(x, es * n);
  if (!t || !d || !raw) return "";
  onnx__tensor_proto__init(t);
  for (int k = 0; k < nd; k++) d[k] = dims[k];
  const uint8_t *s = data;
  for (size_t i = 0; i < n; i++) /* host order -> little endian */
    for (size_t b = 0; b < es; b++) {
      uint64_t v = 0;
      memcpy(&v, s + i * es, es);
      raw[i * es + b] = (uint8_t)(v >> (8 * b));
    }
  t->name = (char *)name;
  t->dims = d, t->n_dims = (size_t)nd;
  t->has_data_type = 1, t->data_type = dt;
  t->has_raw_data = 1, t->raw_data.data = raw, t->raw_data.len = es * n;
  push(x, &x->inits, &x->ni, &x->ci, t);
  return name;
}
#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define I8 ONNX__TENSOR_PROTO__DATA_TYPE__INT8
#define U8 ONNX__TENSOR_PROTO__DATA_TYPE__UINT8
#define I32 ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define I64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

static Onnx__ValueInfoProto *vinfo(ex *x, const char *name, int rank, const int *d) {
  Onnx__ValueInfoProto *v = A(x, sizeof *v);
  Onnx__TypeProto *tp = A(x, sizeof *tp);
  Onnx__TypeProto__Tensor *tt = A(x, sizeof *tt);
  Onnx__TensorShapeProto *sh = A(x, sizeof *sh);
  Onnx__TensorShapeProto__Dimension **dims = A(x, sizeof(void *) * (size_t)rank);
  if (!v || !tp || !tt || !sh || !dims) return NULL;
  onnx__value_info_proto__init(v);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  onnx__tensor_shape_proto__init(sh);
  for (int k = 0; k < rank; k++) {
    dims[k] = A(x, sizeof **dims);
    if (!dims[k]) return NULL;
    onnx__tensor_shape_proto__dimension__init(dims[k]);
    if (k == 0) {
      dims[k]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      dims[k]->dim_param = (char *)"N";
    } else {
      dims[k]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dims[k]->dim_value = d[k - 1];
    }
  }
  sh->dim = dims, sh->n_dim = (size_t)rank;
  tt->has_elem_type = 1, tt->elem_type = F32, tt->shape = sh;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
  v->name = (char *)name, v->type = tp;
  return v;
}

/* ---- the network --------------------------------------------------------------------- */
typedef struct wr {
  ex *x;
  const pp_nn_model *m;
  const pp_nn_qmodel *q; /* QDQ mode */
  const char **tn;       /* ONNX value of each nn tensor */
  int *rk;               /* its rank */
  const char *zp_u8;     /* the shared uint8 zero point */
  const char *snap;      /* the activation snap table (restricted A), or NULL */
} wr;

static const char *scalar_f(wr *w, const char *name, float v) { return init(w->x, name, F32, 0, NULL, &v, 1); }

/* Q -> (snap) -> DQ of value v at scale s: the uint8 activation nn computes. */
static const char *qdq(wr *w, const char *v, float s, const char *base) {
  ex *x = w->x;
  const char *sc = scalar_f(w, S(x, "%s.scale", base), s);
  const char *q = S(x, "%s.q", base);
  node(x, "QuantizeLinear", S(x, "%s.quantize", base), q, 3, v, sc, w->zp_u8);
  if (w->snap) { /* the nearest allowed level: a table lookup */
    const char *qi = S(x, "%s.level", base), *qs = S(x, "%s.snapped", base);
    at_i(x, node(x, "Cast", S(x, "%s.cast", base), qi, 1, q), "to", I32);
    node(x, "Gather", S(x, "%s.snap", base), qs, 2, w->snap, qi);
    q = qs;
  }
  const char *o = S(x, "%s.dq", base);
  node(x, "DequantizeLinear", S(x, "%s.dequantize", base), o, 3, q, sc, w->zp_u8);
  return o;
}

static const pp_nn_qlayer *qlayer(const pp_nn_qmodel *q, int li) {
  for (int k = 0; k < pp_nn_qmodel_nlayers(q); k++)
    if (pp_nn_qmodel_layer(q, k)->layer == li) return pp_nn_qmodel_layer(q, k);
  return NULL;
}

static const char *to2d(wr *w, const char *v, int t, const char *base) {
  if (w->rk[t] == 2) return v;
  const char *o = S(w->x, "%s.flat", base);
  at_i(w->x, node(w->x, "Flatten", S(w->x, "%s.flatten", base), o, 1, v), "axis", 1);
  return o;
}

/* Weights (and bias) of conv/fc layer i: float, or int8/int32 behind DQ. */
static void weights(wr *w, int i, const char *nm, const char **W, const char **B) {
  ex *x = w->x;
  const pp_nn_layer *L = &w->m->layers[i];
  int M = L->c;
  size_t K = L->nw / (size_t)M;
  int64_t wd[4] = {M, L->type == PP_NN_L_CONV ? L->ic / L->groups : (int64_t)K, L->k, L->k}, bd[1] = {M};
  int nd = L->type == PP_NN_L_CONV ? 4 : 2;
  *B = NULL;
  if (!w->q) {
    *W = init(x, S(x, "%s.weight", nm), F32, nd, wd, w->m->params + L->w_off, L->nw);
    if (L->has_bias) *B = init(x, S(x, "%s.bias", nm), F32, 1, bd, w->m->params + L->b_off, (size_t)M);
    return;
  }
  const pp_nn_qlayer *Q = qlayer(w->q, i);
  float *bs = A(x, sizeof(float) * (size_t)M);
  int8_t *z8 = A(x, (size_t)M);
  int32_t *z32 = A(x, sizeof(int32_t) * (size_t)M);
  if (!Q || !bs || !z8 || !z32) {
    x->oom = 1;
    return;
  }
  float s_in = pp_nn_tensor_scale(w->m, L->in);
  for (int c = 0; c < M; c++) bs[c] = (float)((double)Q->w_scale[c] * s_in);
  const char *wq = init(x, S(x, "%s.weight_int8", nm), I8, nd, wd, Q->w, L->nw);
  const char *ws = init(x, S(x, "%s.weight_scale", nm), F32, 1, bd, Q->w_scale, (size_t)M);
  const char *wz = init(x, S(x, "%s.weight_zero", nm), I8, 1, bd, z8, (size_t)M);
  *W = S(x, "%s.weight", nm);
  at_i(x, node(x, "DequantizeLinear", S(x, "%s.weight_dequantize", nm), *W, 3, wq, ws, wz), "axis", 0);
  const char *bq = init(x, S(x, "%s.bias_int32", nm), I32, 1, bd, Q->bias, (size_t)M);
  const char *bsn = init(x, S(x, "%s.bias_scale", nm), F32, 1, bd, bs, (size_t)M);
  const char *bz = init(x, S(x, "%s.bias_zero", nm), I32, 1, bd, z32, (size_t)M);
  *B = S(x, "%s.bias", nm);
  at_i(x, node(x, "DequantizeLinear", S(x, "%s.bias_dequantize", nm), *B, 3, bq, bsn, bz), "axis", 0);
}

static int layer(wr *w, int i) {
  ex *x = w->x;
  const pp_nn_model *m = w->m;
  const pp_nn_layer *L = &m->layers[i];
  int dup = 0; /* ONNX names must be unique: repeated layer names get the index */
  for (int j = 0; j < m->nlayers; j++) dup |= j != i && !strcmp(m->layers[j].name, L->name);
  const char *in = w->tn[L->in], *nm = dup ? S(x, "%s_%d", L->name, i) : L->name;
  const char *o = S(x, "%s.out%d", L->name, L->out);
  int t = L->out, r = w->rk[L->in];
  switch (L->type) {
    case PP_NN_L_CONV: {
      const char *W, *B;
      weights(w, i, nm, &W, &B);
      Onnx__NodeProto *n = B ? node(x, "Conv", nm, o, 3, in, W, B) : node(x, "Conv", nm, o, 2, in, W);
      at_ints2(x, n, "kernel_shape", L->k, 2);
      at_ints2(x, n, "strides", L->stride, 2);
      at_ints2(x, n, "pads", L->pad, 4);
      at_i(x, n, "group", L->groups);
      r = 4;
      break;
    }
    case PP_NN_L_FC: {
      const char *W, *B;
      in = to2d(w, in, L->in, nm);
      weights(w, i, nm, &W, &B);
      at_i(x, node(x, "Gemm", nm, o, 3, in, W, B), "transB", 1);
      r = 2;
      break;
    }
    case PP_NN_L_BN: {
      if (w->q) { /* folded into the conv/fc before it */
        o = in;
        break;
      }
      int64_t d[1] = {L->c};
      const char *g = init(x, S(x, "%s.scale", nm), F32, 1, d, m->params + L->g_off, (size_t)L->c);
      const char *b = init(x, S(x, "%s.shift", nm), F32, 1, d, m->params + L->beta_off, (size_t)L->c);
      const char *mu = init(x, S(x, "%s.mean", nm), F32, 1, d, m->bufs + L->mean_off, (size_t)L->c);
      const char *va = init(x, S(x, "%s.var", nm), F32, 1, d, m->bufs + L->var_off, (size_t)L->c);
      at_f(x, node(x, "BatchNormalization", nm, o, 5, in, g, b, mu, va), "epsilon", PP_NN_BN_EPS);
      break;
    }
    case PP_NN_L_RELU: node(x, "Relu", nm, o, 1, in); break;
    case PP_NN_L_RELU6: {
      const char *lo = scalar_f(w, S(x, "%s.min", nm), 0.0f), *hi = scalar_f(w, S(x, "%s.max", nm), 6.0f);
      node(x, "Clip", nm, o, 3, in, lo, hi);
      break;
    }
    case PP_NN_L_ACTQ: o = w->q ? qdq(w, in, pp_nn_tensor_scale(m, t), nm) : in; break;
    case PP_NN_L_MAXPOOL:
    case PP_NN_L_AVGPOOL: {
      Onnx__NodeProto *n = node(x, L->type == PP_NN_L_MAXPOOL ? "MaxPool" : "AveragePool", nm, o, 1, in);
      at_ints2(x, n, "kernel_shape", L->k, 2);
      at_ints2(x, n, "strides", L->stride, 2);
      if (w->q && L->type == PP_NN_L_AVGPOOL) o = qdq(w, o, pp_nn_tensor_scale(m, t), S(x, "%s.requant", nm));
      break;
    }
    case PP_NN_L_GAP:
      node(x, "GlobalAveragePool", nm, o, 1, in);
      if (w->q) o = qdq(w, o, pp_nn_tensor_scale(m, t), S(x, "%s.requant", nm));
      break;
    case PP_NN_L_ADD: {
      const char *b = w->tn[L->in2];
      const pp_nn_layer *S2 = L->in2 ? &m->layers[L->in2 - 1] : NULL;
      int c2 = S2 ? S2->c : m->in_c, h2 = S2 ? S2->h : m->in_h, st = h2 / L->h;
      if (st > 1) { /* option-A shortcut: subsample */
        int64_t d[1] = {2}, z[2] = {0, 0}, e[2] = {INT64_MAX, INT64_MAX}, ax[2] = {2, 3}, sp[2] = {st, st};
        const char *s0 = init(x, S(x, "%s.starts", nm), I64, 1, d, z, 2), *s1 = init(x, S(x, "%s.ends", nm), I64, 1, d, e, 2);
        const char *s2 = init(x, S(x, "%s.axes", nm), I64, 1, d, ax, 2), *s3 = init(x, S(x, "%s.steps", nm), I64, 1, d, sp, 2);
        const char *so = S(x, "%s.sub", nm);
        node(x, "Slice", S(x, "%s.subsample", nm), so, 5, b, s0, s1, s2, s3);
        b = so;
      }
      if (c2 < L->c) { /* and zero channels on both sides */
        int64_t d[1] = {8}, off = (L->c - c2) / 2, p[8] = {0, off, 0, 0, 0, L->c - c2 - off, 0, 0};
        const char *pads = init(x, S(x, "%s.pads", nm), I64, 1, d, p, 8), *po = S(x, "%s.padded", nm);
        node(x, "Pad", S(x, "%s.pad", nm), po, 2, b, pads);
        b = po;
      }
      node(x, "Add", nm, o, 2, in, b);
      break;
    }
    case PP_NN_L_SOFTMAX:
      if (L->k == 1 && r != 2) in = to2d(w, in, L->in, nm), r = 2;
      at_i(x, node(x, "Softmax", nm, o, 1, in), "axis", 1);
      break;
    default: return -1;
  }
  w->tn[t] = o;
  w->rk[t] = r;
  return 0;
}

int pp_interop_export(const pp_nn_model *m, int mode, const char *path, pp_err *e) {
  pp_nn_qmodel *q = NULL;
  int st;
  if (mode == PP_INTEROP_QDQ) {
    if (!pp_nn_calibrated(m))
      return pp_err_set(e, PP_EINVAL, path, 0,
                        "the int8 (QDQ) export needs activation ranges: train the model, or pass --data to calibrate");
    if ((st = pp_nn_qmodel_build(m, &q, e))) return st;
  }
  ex x;
  memset(&x, 0, sizeof x);
  wr w = {&x, m, q, A(&x, sizeof(char *) * (size_t)(m->nlayers + 1)), A(&x, sizeof(int) * (size_t)(m->nlayers + 1)),
          NULL, NULL};
  uint8_t zero = 0;
  if (q) {
    w.zp_u8 = init(&x, "zero_uint8", U8, 0, NULL, &zero, 1);
    int restricted = 0;
    for (int v = 0; v < 256; v++) restricted |= !m->q.a_allowed[v];
    if (restricted) {
      uint8_t tab[256];
      int64_t d[1] = {256};
      for (int v = 0; v < 256; v++) tab[v] = (uint8_t)pp_nn_snap_act(m->q.a_allowed, v);
      w.snap = init(&x, "activation_snap", U8, 1, d, tab, 256);
    }
  }
  st = PP_OK;
  if (w.tn && w.rk) {
    w.tn[0] = "input";
    w.rk[0] = 4;
    if (q) w.tn[0] = qdq(&w, "input", pp_nn_tensor_scale(m, 0), "input");
    for (int i = 0; i < m->nlayers && !st; i++)
      if (layer(&w, i))
        st = pp_err_set(e, PP_EINTERNAL, path, 0, "layer %s: type %d has no ONNX form", m->layers[i].name, m->layers[i].type);
  }
  const char *last = w.tn ? w.tn[m->nlayers] : "";
  node(&x, "Identity", "output", "output", 1, last);
  int ind[3] = {m->in_c, m->in_h, m->in_w}, outd[3] = {m->classes, 1, 1};
  int orank = 2;
  if (m->nlayers && w.rk && w.rk[m->nlayers] == 4) {
    const pp_nn_layer *L = &m->layers[m->nlayers - 1];
    outd[0] = L->c, outd[1] = L->h, outd[2] = L->w, orank = 4;
  } else if (!m->nlayers) {
    memcpy(outd, ind, sizeof ind), orank = 4;
  }
  Onnx__ValueInfoProto *vi = vinfo(&x, "input", 4, ind), *vo = vinfo(&x, "output", orank, outd);
  Onnx__ValueInfoProto **vis = A(&x, sizeof(void *)), **vos = A(&x, sizeof(void *));
  Onnx__GraphProto *g = A(&x, sizeof *g);
  Onnx__ModelProto *mp = A(&x, sizeof *mp);
  Onnx__OperatorSetIdProto *os = A(&x, sizeof *os), **osl = A(&x, sizeof(void *));
  if (!st && (x.oom || !vi || !vo || !vis || !vos || !g || !mp || !os || !osl))
    st = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  uint8_t *buf = NULL;
  size_t len = 0;
  if (!st) {
    onnx__graph_proto__init(g);
    onnx__model_proto__init(mp);
    onnx__operator_set_id_proto__init(os);
    vis[0] = vi, vos[0] = vo;
    g->name = S(&x, "powerprune_%s%s", m->arch, q ? "_int8_qdq" : "_float");
    g->node = (Onnx__NodeProto **)x.nodes, g->n_node = x.nn;
    g->initializer = (Onnx__TensorProto **)x.inits, g->n_initializer = x.ni;
    g->input = vis, g->n_input = 1;
    g->output = vos, g->n_output = 1;
    os->domain = (char *)"", os->has_version = 1, os->version = IO_OPSET_EXPORT;
    osl[0] = os;
    mp->has_ir_version = 1, mp->ir_version = 7; /* the IR of opset 13 */
    mp->opset_import = osl, mp->n_opset_import = 1;
    mp->producer_name = (char *)"powerprune";
    mp->producer_version = (char *)"0.1.0";
    mp->graph = g;
    if (x.oom) st = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  if (!st) {
    len = onnx__model_proto__get_packed_size(mp);
    buf = malloc(len ? len : 1);
    if (!buf) st = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
    else onnx__model_proto__pack(mp, buf);
  }
  if (!st) {
    pp_outfile o;
    if (!(st = pp_outfile_open(&o, path, e))) {
      if (fwrite(buf, 1, len, o.f) != len) {
        pp_outfile_abort(&o);
        st = pp_err_set(e, PP_EIO, path, 0, "write failed");
      } else {
        st = pp_outfile_commit(&o, e);
      }
    }
  }
  free(buf);
  for (size_t i = 0; i < x.nm; i++) free(x.mem[i]);
  free(x.mem);
  free(x.nodes);
  free(x.inits);
  pp_nn_qmodel_free(q);
  return st;
}

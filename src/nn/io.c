/* nn/io: model files. Little-endian binary:
 *   "PPNNMDL\0", u32 version (1), u32 header bytes,
 *   header: char arch[32], i32 in_c, in_h, in_w, classes, nlayers, qat, per_channel,
 *           u64 nparams, nbufs, seed,
 *   u8 w_allowed[255], u8 a_allowed[256], f32 params[nparams], f32 bufs[nbufs],
 *   u8 mask[nparams], u32 CRC32 (zlib) of every byte before it.
 * The architecture is rebuilt from (arch, input shape, classes) and must give
 * the recorded layer and parameter counts.
 * Version 2 (arch "graph", an imported layer list) adds, right after the
 * header: u32 layer count, then per layer i32 type, in, in2, c, k, stride,
 * pad, groups, has_bias, f32 cap, char name[48]; the list is rebuilt and
 * checked through pp_nn_model_graph's rules. Fixed architectures are still
 * written as version 1. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nn_internal.h"

#define NN_MAGIC "PPNNMDL"
#define NN_VERSION 1u
#define NN_VERSION_GRAPH 2u
#define NN_LAYER_REC 88u /* 10*4 + 48 */
#define NN_HDR 96u /* 32 + 7*4 + 3*8 = 84, padded */

typedef struct wbuf {
  uint8_t *p;
  size_t n, cap;
  int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t nc = (b->cap + n) * 2;
    uint8_t *np = realloc(b->p, nc);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np, b->cap = nc;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void put32(wbuf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, x, 4);
}
static void put64(wbuf *b, uint64_t v) {
  put32(b, (uint32_t)v);
  put32(b, (uint32_t)(v >> 32));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put_floats(wbuf *b, const float *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &f[i], 4);
    put32(b, u);
  }
}
static void get_floats(const uint8_t *p, float *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u = get32(p + 4 * i);
    memcpy(&f[i], &u, 4);
  }
}

int pp_nn_model_save(const pp_nn_model *m, const char *path, pp_err *e) {
  wbuf b = {0};
  int graph = !strcmp(m->arch, "graph");
  put(&b, NN_MAGIC, 8);
  put32(&b, graph ? NN_VERSION_GRAPH : NN_VERSION);
  put32(&b, NN_HDR);
  char arch[32] = {0};
  snprintf(arch, sizeof arch, "%s", m->arch);
  put(&b, arch, 32);
  int32_t iv[7] = {m->in_c, m->in_h, m->in_w, m->classes, m->nlayers, m->q.qat, m->q.per_channel};
  for (int i = 0; i < 7; i++) put32(&b, (uint32_t)iv[i]);
  put64(&b, m->nparams);
  put64(&b, m->nbufs);
  put64(&b, m->seed);
  uint8_t pad[NN_HDR - 84] = {0};
  put(&b, pad, sizeof pad);
  if (graph) {
    put32(&b, (uint32_t)m->nlayers);
    for (int i = 0; i < m->nlayers; i++) {
      const pp_nn_layer *L = &m->layers[i];
      int32_t lv[9] = {L->type, L->in, L->in2, L->c, L->k, L->stride, L->pad, L->groups, L->has_bias};
      for (int k = 0; k < 9; k++) put32(&b, (uint32_t)lv[k]);
      uint32_t u;
      memcpy(&u, &L->cap, 4);
      put32(&b, u);
      char nm[48] = {0};
      snprintf(nm, sizeof nm, "%s", L->name);
      put(&b, nm, 48);
    }
  }
  put(&b, m->q.w_allowed, 255);
  put(&b, m->q.a_allowed, 256);
  put_floats(&b, m->params, m->nparams);
  put_floats(&b, m->bufs, m->nbufs);
  put(&b, m->mask, m->nparams);
  put32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
  if (b.oom) {
    free(b.p);
    return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  pp_outfile o;
  int st = pp_outfile_open(&o, path, e);
  if (!st) {
    if (fwrite(b.p, 1, b.n, o.f) != b.n) {
      pp_outfile_abort(&o);
      st = pp_err_set(e, PP_EIO, path, 0, "write failed");
    } else {
      st = pp_outfile_commit(&o, e);
    }
  }
  free(b.p);
  return st;
}

int pp_nn_model_load(const char *path, pp_nn_model **out, pp_err *e) {
  *out = NULL;
  char *raw;
  size_t len;
  int st = pp_read_file(path, &raw, &len, e);
  if (st) return st;
  const uint8_t *p = (const uint8_t *)raw;
  pp_nn_model *m = NULL;
  st = PP_EPARSE;
  if (len < 16 || memcmp(p, NN_MAGIC, 8)) {
    pp_err_set(e, st, path, 0, "not a powerprune model file (expected magic \"PPNNMDL\")");
    goto out;
  }
  uint32_t ver = get32(p + 8), hdr = get32(p + 12);
  if (ver != NN_VERSION && ver != NN_VERSION_GRAPH) {
    pp_err_set(e, st, path, 0, "model file version %u, this build reads versions %u and %u", ver, NN_VERSION,
               NN_VERSION_GRAPH);
    goto out;
  }
  size_t ltab = 0; /* bytes of the layer table (version 2) */
  if (hdr != NN_HDR || len < 16 + (size_t)hdr + 511 + 4 + (ver == NN_VERSION_GRAPH ? 4 : 0)) {
    pp_err_set(e, st, path, 0, "truncated model file header (%zu bytes)", len);
    goto out;
  }
  const uint8_t *h = p + 16;
  uint32_t nlt = 0;
  if (ver == NN_VERSION_GRAPH) {
    nlt = get32(h + hdr);
    if (nlt > 100000 || len < 16 + (size_t)hdr + 4 + (size_t)nlt * NN_LAYER_REC) {
      pp_err_set(e, st, path, 0, "truncated or implausible layer table (%u layers)", nlt);
      goto out;
    }
    ltab = 4 + (size_t)nlt * NN_LAYER_REC;
  }
  int32_t iv[7];
  for (int i = 0; i < 7; i++) iv[i] = (int32_t)get32(h + 32 + (size_t)4 * i);
  uint64_t np = get64(h + 60), nb = get64(h + 68), seed = get64(h + 76);
  if (np > ((uint64_t)1 << 34) || nb > ((uint64_t)1 << 34)) {
    pp_err_set(e, st, path, 0, "implausible parameter counts in the header");
    goto out;
  }
  size_t want = 16 + (size_t)hdr + ltab + 511 + 4 * (size_t)np + 4 * (size_t)nb + (size_t)np + 4;
  if (len != want) {
    pp_err_set(e, st, path, 0, "%s model file: header promises %zu bytes, file has %zu", len < want ? "truncated" : "oversized",
               want, len);
    goto out;
  }
  uint32_t crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* fuzzers skip checksums to reach the parser */
  if (crc != get32(p + len - 4)) {
    pp_err_set(e, st, path, 0, "checksum mismatch (CRC32 %08x, file says %08x): the file is corrupt", crc,
               get32(p + len - 4));
    goto out;
  }
#endif
  char arch[32];
  memcpy(arch, h, 31);
  arch[31] = 0;
  m = calloc(1, sizeof *m);
  if (!m) {
    st = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
    goto out;
  }
  snprintf(m->arch, sizeof m->arch, "%s", arch);
  m->in_c = iv[0], m->in_h = iv[1], m->in_w = iv[2], m->classes = iv[3];
  if (ver == NN_VERSION_GRAPH) {
    if (strcmp(m->arch, "graph")) {
      pp_err_set(e, st, path, 0, "version-2 model file of architecture '%s' (expected \"graph\")", m->arch);
      goto out;
    }
    m->layers = calloc(nlt ? nlt : 1, sizeof *m->layers);
    if (!m->layers) {
      st = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
      goto out;
    }
    m->nlayers = (int)nlt;
    for (uint32_t i = 0; i < nlt; i++) {
      const uint8_t *r = h + hdr + 4 + (size_t)i * NN_LAYER_REC;
      pp_nn_layer *L = &m->layers[i];
      int32_t lv[9];
      for (int k = 0; k < 9; k++) lv[k] = (int32_t)get32(r + (size_t)4 * k);
      L->type = lv[0], L->in = lv[1], L->in2 = lv[2], L->c = lv[3], L->k = lv[4], L->stride = lv[5];
      L->pad = lv[6], L->groups = lv[7], L->has_bias = lv[8] != 0;
      uint32_t u = get32(r + 36);
      memcpy(&L->cap, &u, 4);
      memcpy(L->name, r + 40, 47);
      L->name[47] = 0;
    }
  } else if (!strcmp(m->arch, "graph")) {
    pp_err_set(e, st, path, 0, "model of architecture \"graph\" without a layer table (version %u)", ver);
    goto out;
  }
  int graph = ver == NN_VERSION_GRAPH;
  if (m->in_c <= 0 || m->in_h <= 0 || m->in_w <= 0 || m->classes < (graph ? 1 : 2) || m->in_c > (graph ? 4096 : 64) ||
      m->in_h > 4096 ||
      m->in_w > 4096 || m->classes > 100000) {
    pp_err_set(e, st, path, 0, "implausible model input %dx%dx%d / %d classes", m->in_c, m->in_h, m->in_w, m->classes);
    goto out;
  }
  pp_err sub;
  pp_err_clear(&sub);
  if (nn_model_build(m, &sub)) {
    if (sub.status == PP_ENOMEM) st = PP_ENOMEM; /* not the file's fault */
    pp_err_set(e, st, path, 0, "architecture: %s", sub.msg);
    goto out;
  }
  if (m->nlayers != iv[4] || m->nparams != np || m->nbufs != nb) {
    pp_err_set(e, st, path, 0,
               "architecture mismatch: %s gives %d layers / %zu parameters / %zu buffers, file has %d / %llu / %llu",
               m->arch, m->nlayers, m->nparams, m->nbufs, iv[4], (unsigned long long)np, (unsigned long long)nb);
    goto out;
  }
  m->q.qat = iv[5] != 0;
  m->q.per_channel = iv[6] != 0;
  m->seed = seed;
  if (m->classes != iv[3]) {
    pp_err_set(e, st, path, 0, "layer table gives %d outputs, header says %d", m->classes, iv[3]);
    goto out;
  }
  const uint8_t *q = h + hdr + ltab;
  memcpy(m->q.w_allowed, q, 255);
  memcpy(m->q.a_allowed, q + 255, 256);
  m->q.w_allowed[127] = 1;
  m->q.a_allowed[0] = 1;
  q += 511;
  get_floats(q, m->params, np);
  q += 4 * np;
  get_floats(q, m->bufs, nb);
  q += 4 * nb;
  memcpy(m->mask, q, np);
  for (size_t i = 0; i < np; i++)
    if (m->mask[i] > 1) {
      pp_err_set(e, st, path, 0, "mask byte %zu is %d, expected 0 or 1", i, m->mask[i]);
      goto out;
    }
  st = PP_OK;
  *out = m;
  m = NULL;
out:
  pp_nn_model_free(m);
  free(raw);
  return st;
}

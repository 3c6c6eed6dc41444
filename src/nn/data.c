/* nn/data: image data sets. IDX (gzip or plain, through zlib, which reads
 * both), CIFAR-10/100 binary batches, and a seeded synthetic set for tests.
 * Every size is checked against what the header promises. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nn_internal.h"

void pp_nn_data_free(pp_nn_data *d) {
  if (!d) return;
  free(d->x);
  free(d->y);
  memset(d, 0, sizeof *d);
}

/* Whole (possibly gzip-compressed) file into memory. */
static int read_gz(const char *path, uint8_t **out, size_t *len, pp_err *e) {
  gzFile f = gzopen(path, "rb");
  if (!f) return pp_err_set(e, PP_EIO, path, 0, "cannot open data file");
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    gzclose(f);
    return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  for (;;) {
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        gzclose(f);
        return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
      }
      buf = nb, cap *= 2;
    }
    int r = gzread(f, buf + n, (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n));
    if (r < 0) {
      int errnum;
      const char *msg = gzerror(f, &errnum);
      pp_err_set(e, PP_EPARSE, path, 0, "corrupt or truncated gzip data (%s)", msg);
      free(buf);
      gzclose(f);
      return PP_EPARSE;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  gzclose(f);
  *out = buf;
  *len = n;
  return PP_OK;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int pp_nn_data_load_idx(const char *images, const char *labels, pp_nn_data *d, pp_err *e) {
  return pp_nn_data_load_idx_n(images, labels, PP_NN_IDX_CLASSES, d, e);
}

int pp_nn_data_load_idx_n(const char *images, const char *labels, int classes, pp_nn_data *d, pp_err *e) {
  memset(d, 0, sizeof *d);
  if (classes < 2 || classes > 256)
    return pp_err_set(e, PP_EINVAL, labels, 0, "class count %d: expected 2..256 (IDX labels are bytes)", classes);
  uint8_t *ib = NULL, *lb = NULL;
  size_t il = 0, ll = 0;
  int st = read_gz(images, &ib, &il, e);
  if (st) return st;
  st = read_gz(labels, &lb, &ll, e);
  if (st) {
    free(ib);
    return st;
  }
  st = PP_EPARSE;
  if (il < 16) {
    pp_err_set(e, st, images, 0, "IDX image file too short: expected a 16-byte header, got %zu bytes", il);
    goto out;
  }
  if (be32(ib) != 0x00000803) {
    pp_err_set(e, st, images, 0,
               "not an IDX image file: expected magic 0x00000803 (unsigned bytes, 3 dimensions), got 0x%08x",
               be32(ib));
    goto out;
  }
  uint32_t n = be32(ib + 4), h = be32(ib + 8), w = be32(ib + 12);
  if (n == 0 || h == 0 || w == 0 || h > 4096 || w > 4096 || n > 100000000u) {
    pp_err_set(e, st, images, 0, "implausible IDX dimensions %u x %u x %u", n, h, w);
    goto out;
  }
  size_t want = 16 + (size_t)n * h * w;
  if (il != want) {
    pp_err_set(e, st, images, 0, "%s IDX image file: header promises %u images of %ux%u (%zu bytes), file has %zu bytes",
               il < want ? "truncated" : "oversized", n, h, w, want, il);
    goto out;
  }
  if (ll < 8 || be32(lb) != 0x00000801) {
    pp_err_set(e, st, labels, 0, "not an IDX label file: expected magic 0x00000801 and an 8-byte header");
    goto out;
  }
  uint32_t nl = be32(lb + 4);
  if (nl != n) {
    pp_err_set(e, st, labels, 0, "label count %u does not match the %u images of %s", nl, n, images);
    goto out;
  }
  if (ll != 8 + (size_t)n) {
    pp_err_set(e, st, labels, 0, "%s IDX label file: header promises %u labels (%zu bytes), file has %zu bytes",
               ll < 8 + (size_t)n ? "truncated" : "oversized", n, 8 + (size_t)n, ll);
    goto out;
  }
  /* a label outside the declared classes would index past the output layer */
  for (uint32_t i = 0; i < n; i++)
    if (lb[8 + i] >= classes) {
      pp_err_set(e, st, labels, 0, "label %d of image %u (byte %u): expected 0..%d, the set has %d classes", lb[8 + i], i,
                 8 + i, classes - 1, classes);
      goto out;
    }
  d->x = malloc((size_t)n * h * w);
  d->y = malloc(n);
  if (!d->x || !d->y) {
    pp_nn_data_free(d);
    st = pp_err_set(e, PP_ENOMEM, images, 0, "out of memory");
    goto out;
  }
  memcpy(d->x, ib + 16, (size_t)n * h * w);
  memcpy(d->y, lb + 8, n);
  d->n = (int)n, d->c = 1, d->h = (int)h, d->w = (int)w, d->classes = classes;
  snprintf(d->name, sizeof d->name, "idx");
  st = PP_OK;
out:
  free(ib);
  free(lb);
  return st;
}

/* CIFAR binary: records of `lbytes` label bytes (the last is used) + 3072 pixels. */
static int load_cifar_files(const char *dir, const char *const *files, int nfiles, int lbytes,
                            int classes, pp_nn_data *d, pp_err *e) {
  memset(d, 0, sizeof *d);
  size_t rec = (size_t)lbytes + 3072;
  uint8_t *bufs[8] = {0};
  size_t lens[8] = {0}, total = 0;
  int st = PP_OK;
  char path[4096];
  for (int i = 0; i < nfiles && !st; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    st = read_gz(path, &bufs[i], &lens[i], e);
    if (!st && (lens[i] == 0 || lens[i] % rec))
      st = pp_err_set(e, PP_EPARSE, path, 0,
                      "CIFAR file size %zu is not a positive multiple of the %zu-byte record", lens[i], rec);
    if (!st)
      for (size_t r = 0; r < lens[i] / rec; r++)
        if (bufs[i][r * rec + lbytes - 1] >= classes) {
          st = pp_err_set(e, PP_EPARSE, path, 0, "record %zu: label %d, expected 0..%d", r,
                          bufs[i][r * rec + lbytes - 1], classes - 1);
          break;
        }
    total += lens[i] / rec;
  }
  if (!st && total == 0) st = pp_err_set(e, PP_EPARSE, dir, 0, "no CIFAR files given");
  if (!st) {
    d->x = malloc(total * 3072);
    d->y = malloc(total);
    if (!d->x || !d->y) st = pp_err_set(e, PP_ENOMEM, dir, 0, "out of memory");
  }
  if (!st) {
    size_t k = 0;
    for (int i = 0; i < nfiles; i++)
      for (size_t r = 0; r < lens[i] / rec; r++, k++) {
        d->y[k] = bufs[i][r * rec + lbytes - 1];
        memcpy(d->x + k * 3072, bufs[i] + r * rec + lbytes, 3072);
      }
    d->n = (int)total, d->c = 3, d->h = 32, d->w = 32, d->classes = classes;
  } else {
    pp_nn_data_free(d);
  }
  for (int i = 0; i < nfiles; i++) free(bufs[i]);
  return st;
}

static int file_exists(const char *dir, const char *name, char *path, size_t n) {
  struct stat sb;
  snprintf(path, n, "%s/%s", dir, name);
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Finds name or name.gz in dir. */
static int find_idx(const char *dir, const char *base, char *path, size_t n) {
  char nm[256];
  snprintf(nm, sizeof nm, "%s.gz", base);
  if (file_exists(dir, nm, path, n)) return 1;
  return file_exists(dir, base, path, n);
}

/* A directory of IDX files that is not a named set has no declared class
 * count: it is the largest training label + 1, and every class below it must
 * occur in the training set, so that one corrupt label byte (255) is an error
 * rather than a 256-class model. */
static int infer_classes(const char *labels, const char *test_labels, pp_nn_data *train, pp_nn_data *test,
                         pp_err *e) {
  int seen[256] = {0}, k = 0;
  for (int i = 0; i < train->n; i++) {
    seen[train->y[i]]++;
    if (train->y[i] + 1 > k) k = train->y[i] + 1;
  }
  if (k < 2) return pp_err_set(e, PP_EPARSE, labels, 0, "every training label is 0: expected at least 2 classes");
  for (int c = 0; c < k; c++)
    if (!seen[c])
      return pp_err_set(e, PP_EPARSE, labels, 0,
                        "no training image has label %d although labels go up to %d: expected classes 0..%d "
                        "each present (a corrupt label byte?)",
                        c, k - 1, k - 1);
  for (int i = 0; i < test->n; i++)
    if (test->y[i] >= k)
      return pp_err_set(e, PP_EPARSE, test_labels, 0, "test image %d has label %d: the training set has classes 0..%d",
                        i, test->y[i], k - 1);
  train->classes = test->classes = k;
  return PP_OK;
}

/* classes: the set's declared class count, or 0 to infer it (see above). */
static int load_idx_dir(const char *dir, int classes, pp_nn_data *train, pp_nn_data *test, pp_err *e) {
  char ti[4096], tl[4096], si[4096], sl[4096];
  const char *need[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                         "t10k-labels-idx1-ubyte"};
  char *paths[4] = {ti, tl, si, sl};
  for (int i = 0; i < 4; i++)
    if (!find_idx(dir, need[i], paths[i], 4096))
      return pp_err_set(e, PP_EIO, dir, 0, "missing %s[.gz] in this directory", need[i]);
  int st = pp_nn_data_load_idx_n(ti, tl, classes ? classes : 256, train, e);
  if (!st) st = pp_nn_data_load_idx_n(si, sl, classes ? classes : 256, test, e);
  if (!st && (train->h != test->h || train->w != test->w))
    st = pp_err_set(e, PP_EPARSE, si, 0, "test images are %dx%d, train images %dx%d", test->h, test->w,
                    train->h, train->w);
  if (!st && !classes) st = infer_classes(tl, sl, train, test, e);
  if (st) {
    pp_nn_data_free(train);
    pp_nn_data_free(test);
  }
  return st;
}

int pp_nn_data_load(const char *name, const char *dir, pp_nn_data *train, pp_nn_data *test,
                    pp_err *e) {
  memset(train, 0, sizeof *train);
  memset(test, 0, sizeof *test);
  int st;
  const char *label = name;
  char p[4096];
  if (!strcmp(name, "synthetic")) {
    st = pp_nn_data_synthetic(2000, 1, 12, 12, 10, 1, train, e);
    if (!st) st = pp_nn_data_synthetic(500, 1, 12, 12, 10, 2, test, e);
    /* same templates: the class patterns come from a fixed seed (see below) */
  } else if (!strcmp(name, "fashion-mnist") || !strcmp(name, "mnist")) {
    st = load_idx_dir(dir ? dir : PP_NN_FASHION_MNIST_DIR, PP_NN_IDX_CLASSES, train, test, e);
  } else if (!strcmp(name, "cifar10")) {
    if (!dir) return pp_err_set(e, PP_EINVAL, NULL, 0, "cifar10 needs a directory (--data-dir)");
    const char *tr[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                         "data_batch_5.bin"};
    const char *te[1] = {"test_batch.bin"};
    st = load_cifar_files(dir, tr, 5, 1, 10, train, e);
    if (!st) st = load_cifar_files(dir, te, 1, 1, 10, test, e);
  } else if (!strcmp(name, "cifar100")) {
    if (!dir) return pp_err_set(e, PP_EINVAL, NULL, 0, "cifar100 needs a directory (--data-dir)");
    const char *tr[1] = {"train.bin"}, *te[1] = {"test.bin"};
    st = load_cifar_files(dir, tr, 1, 2, 100, train, e);
    if (!st) st = load_cifar_files(dir, te, 1, 2, 100, test, e);
  } else {
    /* a directory: detect the kind */
    struct stat sb;
    if (stat(name, &sb) || !S_ISDIR(sb.st_mode))
      return pp_err_set(e, PP_EINVAL, name, 0,
                        "unknown data set: expected fashion-mnist, mnist, cifar10, cifar100, synthetic or a directory");
    if (find_idx(name, "train-images-idx3-ubyte", p, sizeof p)) {
      st = load_idx_dir(name, 0, train, test, e);
    } else if (file_exists(name, "data_batch_1.bin", p, sizeof p)) {
      st = pp_nn_data_load("cifar10", name, train, test, e);
    } else if (file_exists(name, "train.bin", p, sizeof p)) {
      st = pp_nn_data_load("cifar100", name, train, test, e);
    } else {
      return pp_err_set(e, PP_EINVAL, name, 0,
                        "no IDX (train-images-idx3-ubyte[.gz]) or CIFAR (data_batch_1.bin, train.bin) files here");
    }
  }
  if (st) {
    pp_nn_data_free(train);
    pp_nn_data_free(test);
    return st;
  }
  snprintf(train->name, sizeof train->name, "%s", label);
  snprintf(test->name, sizeof test->name, "%s", label);
  return PP_OK;
}

/* Class templates come from a fixed seed so that train and test sets made
 * with different seeds share them; `seed` drives the per-image noise and
 * shifts. Each template is a few random bright rectangles. */
int pp_nn_data_synthetic(int n, int c, int h, int w, int classes, uint64_t seed, pp_nn_data *d,
                         pp_err *e) {
  memset(d, 0, sizeof *d);
  if (n <= 0 || c <= 0 || h < 4 || w < 4 || classes < 2 || classes > 256)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "synthetic data: bad sizes");
  size_t img = (size_t)c * h * w;
  float *tmpl = calloc((size_t)classes * img, sizeof(float));
  d->x = malloc((size_t)n * img);
  d->y = malloc((size_t)n);
  if (!tmpl || !d->x || !d->y) {
    free(tmpl);
    pp_nn_data_free(d);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  pp_rng r;
  pp_rng_seed(&r, 0x5eed1234u);
  for (int k = 0; k < classes; k++)
    for (int q = 0; q < 3; q++) {
      int y0 = (int)pp_rng_below(&r, (uint32_t)h - 2), x0 = (int)pp_rng_below(&r, (uint32_t)w - 2);
      int hh = 2 + (int)pp_rng_below(&r, (uint32_t)(h - y0 - 1)), ww = 2 + (int)pp_rng_below(&r, (uint32_t)(w - x0 - 1));
      int ch = (int)pp_rng_below(&r, (uint32_t)c);
      for (int y = y0; y < y0 + hh && y < h; y++)
        for (int x = x0; x < x0 + ww && x < w; x++) tmpl[(size_t)k * img + ((size_t)ch * h + y) * w + x] = 0.8f;
    }
  pp_rng_seed(&r, seed);
  for (int i = 0; i < n; i++) {
    int k = (int)pp_rng_below(&r, (uint32_t)classes);
    d->y[i] = (uint8_t)k;
    int dy = (int)pp_rng_below(&r, 3) - 1, dx = (int)pp_rng_below(&r, 3) - 1;
    for (int ch = 0; ch < c; ch++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          int sy = y + dy, sx = x + dx;
          float v = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? tmpl[(size_t)k * img + ((size_t)ch * h + sy) * w + sx] : 0;
          v += 0.15f * (float)pp_rng_normal(&r);
          v = v < 0 ? 0 : v > 1 ? 1 : v;
          d->x[(size_t)i * img + ((size_t)ch * h + y) * w + x] = (uint8_t)lrintf(v * 255.0f);
        }
  }
  free(tmpl);
  d->n = n, d->c = c, d->h = h, d->w = w, d->classes = classes;
  snprintf(d->name, sizeof d->name, "synthetic");
  return PP_OK;
}

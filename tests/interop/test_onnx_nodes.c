/* ONNX's own backend node tests (Debian's libonnx-testdata) through our
 * import and nn's float inference: every test of a supported operator is
 * tried; outputs must match ONNX's expected tensors within 1e-4 relative.
 * A test that the importer refuses must be in the table below with the
 * reason nn cannot express it, and the refusal must say so; a listed test
 * that starts importing fails this test too (the table must stay true).
 * Prints passed/tried and every skip with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pp/interop.h"

#define NODE_DIR "/usr/include/onnx/backend/test/data/node"

/* Operators under test, as node-test name prefixes (test_<op>...). */
static const char *const PREFIX[] = {
    "test_conv_", "test_basic_conv_", "test_maxpool_", "test_averagepool_", "test_batchnorm_", "test_gemm_",
    "test_matmul_", "test_relu", "test_add", "test_clip", "test_flatten_", "test_reshape_", "test_softmax_",
    "test_globalaveragepool", "test_identity", "test_dropout_"};
/* Same prefix, other operators or other tests. */
static const char *const OTHER[] = {"test_convtranspose", "test_convinteger", "test_matmulinteger", "_expanded"};

/* Tests nn cannot express, the reason, and a phrase the importer's error must contain. */
typedef struct {
  const char *test, *why, *says;
} skip_t;
static const skip_t SKIP[] = {
    {"test_conv_with_strides_and_asymmetric_padding", "pads differ between sides", "pads all four sides equally"},
    {"test_maxpool_1d_default", "1-D pooling", "rank-3"},
    {"test_maxpool_3d_default", "3-D pooling", "rank 5"},
    {"test_averagepool_1d_default", "1-D pooling", "rank-3"},
    {"test_averagepool_3d_default", "3-D pooling", "rank 5"},
    {"test_maxpool_2d_pads", "padded pooling", "without padding"},
    {"test_maxpool_2d_precomputed_pads", "padded pooling", "without padding"},
    {"test_maxpool_2d_same_upper", "padded pooling (SAME)", "pads all four sides equally"},
    {"test_maxpool_2d_same_lower", "padded pooling (SAME)", "pads all four sides equally"},
    {"test_maxpool_2d_precomputed_same_upper", "padded pooling (SAME)", "without padding"},
    {"test_averagepool_2d_pads", "padded pooling", "without padding"},
    {"test_averagepool_2d_pads_count_include_pad", "padded pooling", "without padding"},
    {"test_averagepool_2d_precomputed_pads", "padded pooling", "without padding"},
    {"test_averagepool_2d_precomputed_pads_count_include_pad", "padded pooling", "without padding"},
    {"test_averagepool_2d_same_upper", "padded pooling (SAME)", "pads all four sides equally"},
    {"test_averagepool_2d_same_lower", "padded pooling (SAME)", "pads all four sides equally"},
    {"test_averagepool_2d_precomputed_same_upper", "padded pooling (SAME)", "without padding"},
    {"test_maxpool_2d_ceil", "ceil_mode with a partial window", "ceil_mode"},
    {"test_averagepool_2d_ceil", "ceil_mode with a partial window", "ceil_mode"},
    {"test_maxpool_2d_dilations", "dilated pooling", "dilation"},
    {"test_maxpool_2d_uint8", "uint8 data", "float32"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "Indices output", "Indices"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", "Indices output", "Indices"},
    {"test_batchnorm_epsilon_training_mode", "training-mode batch norm", "training mode"},
    {"test_batchnorm_example_training_mode", "training-mode batch norm", "training mode"},
    {"test_gemm_all_attributes", "transA (data operand transposed across the batch)", "transA"},
    {"test_gemm_transposeA", "transA (data operand transposed across the batch)", "transA"},
    {"test_gemm_default_matrix_bias", "a bias that differs per batch row", "same for every row"},
    {"test_matmul_3d", "batched 3-D products", "rank 3"},
    {"test_matmul_4d", "batched 4-D products", "rank 4"},
    {"test_add", "two data inputs with a constant bound to one: not a bias", "bias of the product"},
    {"test_add_bcast", "broadcasting a constant over a tensor", "bias of the product"},
    {"test_add_uint8", "uint8 data", "float32"},
    {"test_clip", "clip to a range other than [0,6] / [0,inf)", "ReLU6"},
    {"test_clip_default_inbounds", "clip without bounds (no ReLU)", "ReLU6"},
    {"test_clip_default_max", "clip without a lower bound of 0", "ReLU6"},
    {"test_clip_example", "clip to a range other than [0,6] / [0,inf)", "ReLU6"},
    {"test_clip_inbounds", "clip to a range other than [0,6] / [0,inf)", "ReLU6"},
    {"test_clip_outbounds", "clip to a range other than [0,6] / [0,inf)", "ReLU6"},
    {"test_clip_splitbounds", "clip to a range other than [0,6] / [0,inf)", "ReLU6"},
    {"test_clip_default_int8_inbounds", "int8 data", "float32"},
    {"test_clip_default_int8_max", "int8 data", "float32"},
    {"test_clip_default_int8_min", "int8 data", "float32"},
    {"test_flatten_axis0", "flatten merging the batch axis", "axis 1 only"},
    {"test_flatten_axis2", "flatten merging the batch axis", "axis 1 only"},
    {"test_flatten_axis3", "flatten merging the batch axis", "axis 1 only"},
    {"test_flatten_negative_axis1", "flatten merging the batch axis", "axis 1 only"},
    {"test_flatten_negative_axis2", "flatten merging the batch axis", "axis 1 only"},
    {"test_flatten_negative_axis4", "flatten merging the batch axis", "axis 1 only"},
    {"test_reshape_allowzero_reordered", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_extended_dims", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_negative_dim", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_negative_extended_dims", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_one_dim", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_reordered_all_dims", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_reordered_last_dims", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_zero_and_negative_dim", "a reshape that is not a flatten", "not a flatten"},
    {"test_reshape_zero_dim", "a reshape that is not a flatten", "not a flatten"},
    {"test_softmax_axis_0", "softmax across the batch", "softmax over axis"},
    {"test_softmax_axis_2", "softmax over a spatial axis", "softmax over axis"},
    {"test_softmax_default_axis", "softmax over the last (spatial) axis", "softmax over axis"},
    {"test_softmax_negative_axis", "softmax over the last (spatial) axis", "softmax over axis"},
    {"test_identity_opt", "optional-typed input", "input 0"},
    {"test_identity_sequence", "sequence-typed input", "input 0"},
    {"test_dropout_default_mask", "the mask output", "mask output"},
    {"test_dropout_default_mask_ratio", "the mask output", "mask output"},
};
#define NSKIP (sizeof SKIP / sizeof SKIP[0])

static int selected(const char *name) {
  for (size_t i = 0; i < sizeof OTHER / sizeof OTHER[0]; i++)
    if (strstr(name, OTHER[i])) return 0;
  for (size_t i = 0; i < sizeof PREFIX / sizeof PREFIX[0]; i++) {
    size_t l = strlen(PREFIX[i]);
    if (!strncmp(name, PREFIX[i], l)) return 1;
  }
  return 0;
}

static const skip_t *listed(const char *name) {
  for (size_t i = 0; i < NSKIP; i++)
    if (!strcmp(SKIP[i].test, name)) return &SKIP[i];
  return NULL;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs one node test; 1 pass, 0 skipped (imported refused), -1 mismatch. */
static int run_one(const char *dir, const char *name, char *why, size_t nwhy) {
  char p[1024];
  pp_interop_tensor in[8], out;
  int nin = 0;
  memset(in, 0, sizeof in);
  for (; nin < 8; nin++) {
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s/test_data_set_0/input_%d.pb", dir, name, nin);
    if (stat(p, &sb)) break;
    pp_err e;
    pp_err_clear(&e);
    if (pp_interop_tensor_read(p, &in[nin], &e)) { /* e.g. uint8 inputs: the importer refuses the graph too */
      snprintf(why, nwhy, "input %d: %s (float32 expected)", nin, e.msg);
      for (int k = 0; k < nin; k++) pp_interop_tensor_free(&in[k]);
      return 0;
    }
  }
  assert_true(nin >= 1);
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  snprintf(p, sizeof p, "%s/%s/model.onnx", dir, name);
  int st = pp_interop_import(p, in + 1, nin - 1, &m, NULL, &e);
  int rc = 1;
  if (st) {
    snprintf(why, nwhy, "%s", e.msg);
    rc = 0;
    goto done;
  }
  snprintf(p, sizeof p, "%s/%s/test_data_set_0/output_0.pb", dir, name);
  pp_err_clear(&e);
  assert_int_equal(pp_interop_tensor_read(p, &out, &e), PP_OK);
  int B = (int)in[0].dims[0];
  size_t per = (size_t)m->in_c * m->in_h * m->in_w;
  assert_int_equal(per * (size_t)B, in[0].n);
  assert_int_equal((size_t)m->classes * (size_t)B, out.n);
  float *y = malloc(sizeof(float) * out.n);
  assert_non_null(y);
  assert_int_equal(pp_nn_infer(m, in[0].data, B, y, &e), PP_OK);
  double worst = 0;
  for (size_t k = 0; k < out.n; k++) {
    double d = fabs((double)y[k] - out.data[k]), tol = 1e-4 * fabs((double)out.data[k]) + 1e-6;
    if (d > tol && d / tol > worst) worst = d / tol;
  }
  if (worst > 0) {
    snprintf(why, nwhy, "outputs differ (worst %.3g x the tolerance)", worst);
    rc = -1;
  }
  free(y);
  pp_interop_tensor_free(&out);
done:
  pp_nn_model_free(m);
  for (int k = 0; k < nin; k++) pp_interop_tensor_free(&in[k]);
  return rc;
}

static void test_node_suite(void **state) {
  (void)state;
  const char *dir = getenv("PP_ONNX_NODE_DIR") ? getenv("PP_ONNX_NODE_DIR") : NODE_DIR;
  DIR *d = opendir(dir);
  if (!d) {
    printf("SKIP: %s not found (install Debian's libonnx-testdata)\n", dir);
    skip();
  }
  char *names[1024];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 1024)
    if (selected(de->d_name)) names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_names);
  int pass = 0, skipped = 0, bad = 0;
  for (int i = 0; i < n; i++) {
    char why[900] = "";
    int r = run_one(dir, names[i], why, sizeof why);
    const skip_t *s = listed(names[i]);
    if (r == 1) {
      pass++;
      if (s) {
        printf("FAIL %s: passes but is listed as inexpressible (%s): update the table\n", names[i], s->why);
        bad++;
      }
    } else if (r == 0) {
      skipped++;
      if (!s) {
        printf("FAIL %s: refused, not listed: %s\n", names[i], why);
        bad++;
      } else if (!strstr(why, s->says)) {
        printf("FAIL %s: refused for another reason than '%s': %s\n", names[i], s->why, why);
        bad++;
      } else {
        printf("skip %-52s %s\n     importer: %s\n", names[i], s->why, why);
      }
    } else {
      printf("FAIL %s: %s\n", names[i], why);
      bad++;
    }
  }
  for (size_t k = 0; k < NSKIP; k++) { /* the table names only tests that exist */
    int found = 0;
    for (int i = 0; i < n; i++) found |= !strcmp(names[i], SKIP[k].test);
    if (!found) printf("note: listed test %s is not in this libonnx-testdata\n", SKIP[k].test);
  }
  printf("ONNX node tests: %d passed of %d tried, %d skipped (inexpressible in nn, listed above), %d failed\n", pass,
         n, skipped, bad);
  for (int i = 0; i < n; i++) free(names[i]);
  assert_int_equal(bad, 0);
  assert_true(pass >= 30); /* the suite really ran */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_node_suite)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

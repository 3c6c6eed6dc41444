/* tests/support/pp_seeds: one small, valid file per reader, written by the
 * project's own writers (or shipped with it), for the tests that attack the
 * readers: allocation-failure injection and the deterministic fuzzing of
 * fuzz/fuzz_readers.c. The file names match what fuzz_readers.c writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/array.h"
#include "pp/characterize.h"
#include "pp/interop.h"
#include "pp/liberty.h"
#include "pp/macgen.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/report.h"
#include "pp/select.h"
#include "pp/util.h"
#include "pp_test.h"
#include "array/array_internal.h"

static int put_bytes(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(b, 1, n, f);
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

const char *pp_test_seed_path(const char *dir, const char *reader) {
  static const struct {
    const char *reader, *file;
  } names[] = {{"liberty", "cells.lib"},     {"verilog", "mac4.v"},        {"idx", "idx.bin"},
               {"cifar", "cifar.bin"},       {"model", "m.ppnn"},          {"onnx", "m.onnx"},
               {"stats", "stats.bin"},       {"delay", "delay.bin"},       {"power", "power.json"},
               {"pann", "pann_power.json"}, {"summary", "summary.json"}, {"values", "allowed.txt"},
               {"json", "summary.json"}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(reader, names[i].reader)) return pp_test_path(dir, names[i].file);
  return NULL;
}

static int seed_report(const char *path, pp_err *e) {
  static pp_report r;
  pp_report_init(&r);
  strcpy(r.network, "lenet5");
  strcpy(r.dataset, "fashion-mnist");
  r.acc_orig = 90.5;
  r.acc_pruned = 90.1;
  r.acc_prop = 89.4;
  r.std = (pp_report_hw){281.6, 230.0, 175.0, 152.1};
  r.opt = (pp_report_hw){280.4, 120.0, 91.0, 73.1};
  r.n_weights = 32;
  r.n_acts = 176;
  r.max_delay_orig_ps = 180;
  r.max_delay_prop_ps = 140;
  r.v_nominal = 0.8;
  r.v_scaled = 0.71;
  r.sparsity = 0.6;
  strcpy(r.weights_file, "allowed_weights.txt");
  strcpy(r.acts_file, "allowed_acts.txt");
  pp_report_step s = {0, 900, 80, 256, 180, 90.2, 1};
  if (pp_report_add_step(&r, &s, e)) return -1;
  s = (pp_report_step){1, 140, 32, 176, 140, 89.4, 1};
  if (pp_report_add_step(&r, &s, e) || pp_report_add_kv(&r, "model", "lenet5", e)) return -1;
  return pp_report_write_json(&r, path, e) ? -1 : 0;
}

static int seed_pann(const char *path) {
  static pp_pann_power pw;
  memset(&pw, 0, sizeof pw);
  pw.acc_bits = 22;
  for (int b = 2; b <= 8; b++) {
    pw.have[b - 2] = 1;
    pw.mult[b - 2] = (pp_pann_mult_model){.w_bits = b, .a_bits = b, .c = {1, 2.0 * b, 2.0 * b, 0.3}};
    pw.acc[b - 2] = (pp_pann_acc_model){.in_bits = 2 * b, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5}};
    pw.add[b - 2] = (pp_pann_acc_model){.in_bits = b + 1 > 4 ? b + 1 : 4, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5}};
  }
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  pp_json j;
  pp_json_init(&j, f, 1);
  pp_pann_power_json(&j, &pw, NULL);
  pp_json_end(&j);
  return fclose(f) == 0 ? 0 : -1;
}

int pp_test_write_seeds(const char *dir) {
  pp_err e;
  pp_err_clear(&e);
  char *lib_text = pp_test_slurp(pp_lib_default_path());
  if (!lib_text || put_bytes(pp_test_seed_path(dir, "liberty"), lib_text, strlen(lib_text))) return -1;
  free(lib_text);

  pp_lib *lib = NULL;
  if (pp_lib_read(pp_lib_default_path(), &lib, &e)) return -1;
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.w_bits = mo.a_bits = 4;
  mo.p_bits = 10;
  int rc = pp_mac_generate(&mo, lib, pp_test_seed_path(dir, "verilog"), &e);
  pp_lib_free(lib);
  if (rc) return -1;

  /* IDX: 2-byte split, then 12 images of 4x4 and their labels */
  uint8_t idx[2 + 16 + 12 * 16 + 8 + 12];
  uint8_t *im = idx + 2, *lb = idx + 2 + 16 + 12 * 16;
  idx[0] = 0;
  idx[1] = 16 + 12 * 16;
  be32(im, 0x803);
  be32(im + 4, 12);
  be32(im + 8, 4);
  be32(im + 12, 4);
  for (int i = 0; i < 12 * 16; i++) im[16 + i] = (uint8_t)(i * 37);
  be32(lb, 0x801);
  be32(lb + 4, 12);
  for (int i = 0; i < 12; i++) lb[8 + i] = (uint8_t)(i % 10);
  if (put_bytes(pp_test_seed_path(dir, "idx"), idx, sizeof idx)) return -1;

  /* CIFAR-10: three records of label + 3x32x32 */
  static uint8_t cif[3 * 3073];
  for (int r = 0; r < 3; r++) {
    cif[r * 3073] = (uint8_t)(r * 3);
    for (int i = 1; i < 3073; i++) cif[r * 3073 + i] = (uint8_t)(i * 11 + r);
  }
  if (put_bytes(pp_test_seed_path(dir, "cifar"), cif, sizeof cif)) return -1;

  pp_nn_model *m = NULL;
  if (pp_nn_model_create("lenet5", 1, 28, 28, 10, 7, &m, &e) || pp_nn_model_save(m, pp_test_seed_path(dir, "model"), &e) ||
      pp_interop_export(m, PP_INTEROP_FLOAT, pp_test_seed_path(dir, "onnx"), &e)) {
    pp_nn_model_free(m);
    return -1;
  }
  pp_nn_model_free(m);

  pp_array_stats *s = pp_array_stats_new(4, 3, 1);
  if (!s) return -1;
  int32_t vals[40];
  for (int i = 0; i < 40; i++) vals[i] = (i * 7919) % 2000 - 1000;
  rc = pp_array_bins_build(s, vals, 40, 5, &e) || pp_array_stats_write(s, pp_test_seed_path(dir, "stats"), &e);
  pp_array_stats_free(s);
  if (rc) return -1;

  pp_char_delay t;
  memset(&t, 0, sizeof t);
  if (pp_char_delay_alloc(&t, -3, 7, 16, &e)) return -1;
  for (size_t i = 0; i < (size_t)7 * 16 * 16; i++) t.d[i] = (uint16_t)(100 + i % 50);
  t.d_psum_ps = 40;
  t.sta_mult_ps = t.sta_adder_max_ps = t.sta_mac_ps = 150;
  rc = pp_char_delay_write(&t, pp_test_seed_path(dir, "delay"), &e);
  pp_char_delay_free(&t);
  if (rc) return -1;

  static pp_char_power p;
  memset(&p, 0, sizeof p);
  p.w_min = -127;
  p.n_w = 255;
  for (int i = 0; i < p.n_w; i++) p.dyn_uw[i] = 10 + 0.1 * i;
  p.leak_uw = 0.5;
  p.clock_ps = 300;
  p.voltage = 0.8;
  p.transitions = 100;
  p.uniform = 1;
  strcpy(p.source, "uniform");
  strcpy(p.netlist, "builtin:booth");
  strcpy(p.lib, "pp_cells.lib");
  p.input_slew_ps = -1;
  if (pp_char_power_write_json(&p, pp_test_seed_path(dir, "power"), &e)) return -1;

  if (seed_pann(pp_test_seed_path(dir, "pann")) || seed_report(pp_test_seed_path(dir, "summary"), &e)) return -1;
  int w[] = {-64, -3, 0, 1, 2, 5, 127};
  return pp_select_write_values(pp_test_seed_path(dir, "values"), w, 7, "allowed weights", &e) ? -1 : 0;
}

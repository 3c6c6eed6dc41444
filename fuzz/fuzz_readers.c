/* fuzz/fuzz_readers: one entry point for every file reader of the project,
 * so that libFuzzer (make fuzz, one binary per reader, -DPP_FUZZ_READER=name)
 * and the ordinary test suite (tests/util/test_fuzz_readers, deterministic
 * truncations and byte flips of real files) drive exactly the same code.
 * Any input must give PP_OK or one clean error with a message; a reader that
 * fails must leave nothing allocated behind (ASan checks the leaks). */
#include "fuzz_readers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/array.h"
#include "pp/characterize.h"
#include "pp/interop.h"
#include "pp/liberty.h"
#include "pp/netlist.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/report.h"
#include "pp/select.h"
#include "pp/util_json.h"
#include "pp/verilog.h"

const char *const pp_fuzz_readers[] = {"liberty", "verilog", "idx",   "cifar",  "model",  "onnx",   "stats",
                                       "delay",   "power",   "pann",  "summary", "values", "json", NULL};

static int write_file(const char *path, const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t n = size ? fwrite(data, 1, size, f) : 0;
  return (fclose(f) == 0 && n == size) ? 0 : -1;
}

static char *as_text(const uint8_t *data, size_t size) {
  char *t = malloc(size + 1);
  if (t) {
    if (size) memcpy(t, data, size);
    t[size] = 0;
  }
  return t;
}

static void check_error(int rc, const pp_err *e) {
  if (rc != PP_OK && (!e->msg[0] || e->status != rc)) abort(); /* an error must say what was wrong */
}

static pp_lib *g_lib;

int pp_fuzz_one(const char *reader, const uint8_t *data, size_t size, const char *dir, pp_err *e) {
  char path[1024], path2[1024];
  pp_err local;
  if (!e) e = &local;
  pp_err_clear(e);
  int rc = PP_OK;
  if (!strcmp(reader, "liberty") || !strcmp(reader, "pann") || !strcmp(reader, "json")) {
    char *text = as_text(data, size);
    if (!text) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    if (reader[0] == 'l') {
      pp_lib *lib = NULL;
      rc = pp_lib_parse(text, "fuzz.lib", &lib, e);
      if (rc == PP_OK) {
        for (int i = 0; i < lib->n_cells; i++)
          for (int j = 0; j < lib->cells[i].n_pins; j++)
            for (int k = 0; k < lib->cells[i].pins[j].n_timings; k++)
              (void)pp_lut_eval(&lib->cells[i].pins[j].timings[k].cell_rise, 10.0, 1.0);
      } else if (lib) {
        abort();
      }
      pp_lib_free(lib);
    } else if (reader[0] == 'p') {
      static pp_pann_power pw;
      rc = pp_pann_power_parse(text, "fuzz.json", &pw, e);
    } else {
      pp_jv v;
      rc = pp_jv_parse_n(text, size, "fuzz.json", &v, e);
      if (rc == PP_OK) pp_jv_free(&v);
    }
    free(text);
  } else if (!strcmp(reader, "verilog")) {
    if (!g_lib && pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &g_lib, e)) return e->status;
    char *text = as_text(data, size);
    if (!text) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    pp_netlist *nl = NULL;
    rc = pp_netlist_parse(text, "fuzz.v", g_lib, NULL, &nl, e);
    if (rc == PP_OK) {
      uint8_t *v = calloc((size_t)nl->n_nets + 1, 1);
      uint64_t *w = calloc((size_t)nl->n_nets + 1, sizeof(uint64_t));
      if (!v || !w) {
        rc = pp_err_set(e, PP_ENOMEM, "fuzz.v", 0, "out of memory");
      } else {
        pp_netlist_eval(nl, v);
        pp_netlist_eval64(nl, w);
        for (int n = 0; n < nl->n_nets; n++)
          if ((w[n] & 1) != v[n]) abort(); /* the two evaluators must agree */
      }
      free(v);
      free(w);
    } else if (nl) {
      abort();
    }
    pp_netlist_free(nl);
    free(text);
  } else if (!strcmp(reader, "idx")) {
    /* the first two bytes split the input into the image file and the label file */
    size_t cut = size >= 2 ? ((size_t)data[0] << 8 | data[1]) : 0;
    const uint8_t *body = size >= 2 ? data + 2 : data;
    size_t n = size >= 2 ? size - 2 : 0;
    if (cut > n) cut = n;
    snprintf(path, sizeof path, "%s/images-idx3-ubyte", dir);
    snprintf(path2, sizeof path2, "%s/labels-idx1-ubyte", dir);
    if (write_file(path, body, cut) || write_file(path2, body + cut, n - cut))
      return pp_err_set(e, PP_EIO, dir, 0, "cannot write the input files");
    pp_nn_data d;
    memset(&d, 0, sizeof d);
    rc = pp_nn_data_load_idx(path, path2, &d, e);
    pp_nn_data_free(&d);
  } else if (!strcmp(reader, "cifar")) {
    /* the same bytes as every batch of CIFAR-10 */
    static const char *const names[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                        "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
    for (int i = 0; i < 6; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      if (write_file(path, data, size)) return pp_err_set(e, PP_EIO, path, 0, "cannot write the input");
    }
    pp_nn_data tr, te;
    memset(&tr, 0, sizeof tr);
    memset(&te, 0, sizeof te);
    rc = pp_nn_data_load("cifar10", dir, &tr, &te, e);
    pp_nn_data_free(&tr);
    pp_nn_data_free(&te);
  } else {
    static const struct {
      const char *reader, *file;
    } files[] = {{"model", "m.ppnn"},       {"onnx", "m.onnx"},      {"stats", "stats.bin"},
                 {"delay", "delay.bin"},    {"power", "power.json"}, {"summary", "summary.json"},
                 {"values", "allowed.txt"}};
    const char *file = NULL;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
      if (!strcmp(reader, files[i].reader)) file = files[i].file;
    if (!file) return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown reader %s", reader);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (write_file(path, data, size)) return pp_err_set(e, PP_EIO, path, 0, "cannot write the input");
    if (!strcmp(reader, "model") || !strcmp(reader, "onnx")) {
      pp_nn_model *m = NULL;
      rc = reader[0] == 'm' ? pp_nn_model_load(path, &m, e) : pp_interop_model_load(path, NULL, &m, e);
      if (rc != PP_OK && m) abort();
      pp_nn_model_free(m);
    } else if (!strcmp(reader, "stats")) {
      pp_array_stats *s = NULL;
      rc = pp_array_stats_read(path, &s, e);
      if (rc != PP_OK && s) abort();
      if (s) pp_array_stats_free(s);
    } else if (!strcmp(reader, "delay")) {
      pp_char_delay t;
      memset(&t, 0, sizeof t);
      rc = pp_char_delay_read(path, &t, e);
      pp_char_delay_free(&t);
    } else if (!strcmp(reader, "power")) {
      static pp_char_power p;
      rc = pp_char_power_read(path, &p, e);
    } else if (!strcmp(reader, "summary")) {
      static pp_report r;
      rc = pp_report_load(path, &r, e);
    } else {
      uint8_t mask[255];
      int count = 0;
      rc = pp_select_read_values(path, -127, 127, mask, &count, e);
    }
  }
  check_error(rc, e);
  return rc;
}

#ifdef PP_FUZZ_READER
static char g_dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_dir[0]) {
    snprintf(g_dir, sizeof g_dir, "/tmp/pp_fuzz_%s_XXXXXX", PP_FUZZ_READER);
    if (!mkdtemp(g_dir)) abort();
  }
  (void)pp_fuzz_one(PP_FUZZ_READER, data, size, g_dir, NULL);
  return 0;
}
#endif

/* cli/cmd_trace: `powerprune trace`: a saved model's integer path streamed
 * through the weight-stationary array; writes the transition statistics, their
 * summary and the Fig. 4 heat maps, and prints a JSON result last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/array.h"
#include "pp/interop.h"
#include "pp/nn.h"
#include "pp/plot.h"

static const char *USAGE =
    "usage: powerprune trace --model-file FILE -o DIR [options]\n"
    "Runs the model's integer inference on an N x N weight-stationary systolic array, checks every\n"
    "layer's array output against the integer path, and collects the transition statistics\n"
    "(activation transitions, partial-sum bin transitions, MACs per weight value).\n\n";

int pp_cmd_trace(int argc, char **argv) {
  const char *cmd = "trace";
  const char *model_file = NULL, *data = "fashion-mnist", *data_dir = NULL, *outdir = NULL;
  int images = 100, first = 0, seed, plots = 1, json = 0;
  pp_array_opts o;
  pp_array_opts_defaults(&o);
  seed = (int)o.seed;
  pp_opt opts[] = {
      PP_OPT_PATH("model-file", &model_file, "FILE", "model saved by 'powerprune train' (required)"),
      PP_OPT_STRING("data", &data, "NAME", "fashion-mnist, mnist, cifar10, cifar100, synthetic, or a folder"),
      PP_OPT_PATH("data-dir", &data_dir, "D", "where the data files are",
                  .def = "the Debian location for fashion-mnist"),
      PP_OPT_INT("images", &images, 1, 10000000, "N", "test images to stream"),
      PP_OPT_INT("first", &first, 0, 10000000, "I", "first test image"),
      PP_OPT_INT("array", &o.size, 1, PP_ARRAY_MAX_SIZE, "N", "array size N x N"),
      PP_OPT_INT("bins", &o.bins, 1, PP_ARRAY_MAX_BINS, "B", "partial-sum bins"),
      PP_OPT_INT("reservoir", &o.reservoir, 1, 100000000, "R", "sampled transition tuples kept"),
      PP_OPT_INT("calib-images", &o.calib_images, 1, 10000000, "C", "images of the bin-building pass"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "seed of the reservoir and the bins"),
      PP_OPT_FLAG("per-layer", &o.per_layer, "keep histograms per layer too (in the statistics file)"),
      PP_OPT_FLAG("naive", &o.naive, "use the cycle-accurate reference engine (slow; for checking)"),
      PP_OPT_BOOL("plots", &plots, "draw the heat maps"),
      PP_OPT_PATH("out", &outdir, "DIR", "output folder: array_stats.bin, array_stats.json, trace.json, figures",
                  .short_name = 'o'),
      PP_OPT_FLAG("json", &json, "no summary lines on stderr (the result JSON is always printed last on stdout)"),
      PP_OPT_GROUP("Exit status: 0 when bit exact, 1 when an array output differs from the integer path."),
      PP_OPT_END(),
  };
  int rc = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if (!model_file) return pp_cli_usage(cmd, "--model-file is required");
  if (!outdir) return pp_cli_usage(cmd, "-o DIR is required");
  o.seed = (uint64_t)seed;
  o.progress = 1;

  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m = NULL;
  pp_nn_qmodel *q = NULL;
  pp_nn_data train = {0}, test = {0};
  pp_array_stats *st = NULL;
  rc = pp_mkdirs(outdir, &e);
  if (!rc) rc = pp_nn_data_load(data, data_dir, &train, &test, &e);
  if (!rc) rc = pp_interop_model_load(model_file, &train, &m, &e);
  if (!rc) rc = pp_nn_qmodel_build(m, &q, &e);
  if (!rc && first + images > test.n)
    rc = pp_err_set(&e, PP_EINVAL, NULL, 0, "images %d..%d requested, the test set of %s has %d", first,
                    first + images - 1, data, test.n);
  double t0 = pp_now();
  if (!rc) {
    if (!json) fprintf(stderr, "trace: %d images of %s through %s on a %dx%d array\n", images, data, m->arch, o.size, o.size);
    rc = pp_array_trace(q, &test, first, images, &o, &st, &e);
  }
  double secs = pp_now() - t0;
  char path[4096], stats_path[4096], json_path[4096];
  snprintf(stats_path, sizeof stats_path, "%s/array_stats.bin", outdir);
  snprintf(json_path, sizeof json_path, "%s/array_stats.json", outdir);
  if (!rc) rc = pp_array_stats_write(st, stats_path, &e);
  if (!rc) rc = pp_array_stats_write_json(st, json_path, &e);
  int plotted = 0;
  char plot_msg[1200] = "";
  if (!rc && plots) {
    pp_err pe;
    pp_err_clear(&pe);
    if (pp_array_plot(st, outdir, &pe) == PP_OK)
      plotted = 1;
    else
      pp_err_format(&pe, plot_msg, sizeof plot_msg);
    if (!plotted) fprintf(stderr, "powerprune trace: warning: figures not drawn: %s\n", plot_msg);
  }
  if (rc) {
    int code = pp_cli_fail(cmd, &e);
    pp_array_stats_free(st);
    pp_nn_qmodel_free(q);
    pp_nn_model_free(m);
    pp_nn_data_free(&train);
    pp_nn_data_free(&test);
    return code;
  }
  const pp_array_counts *c = &st->c;
  int exact = c->outputs > 0 && c->mismatches == 0;
  /* the result, also kept as trace.json with the inputs and options */
  snprintf(path, sizeof path, "%s/trace.json", outdir);
  pp_outfile of;
  int wrote = pp_outfile_open(&of, path, &e) == PP_OK;
  FILE *outs[2] = {stdout, wrote ? of.f : NULL};
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    pp_json j;
    pp_json_init(&j, outs[k], k == 1);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format"), pp_json_str(&j, "powerprune-trace/1");
    pp_json_key_obj_begin(&j, "inputs");
    pp_json_key(&j, "model_file"), pp_json_str(&j, model_file);
    pp_json_key(&j, "arch"), pp_json_str(&j, m->arch);
    pp_json_key(&j, "data"), pp_json_str(&j, data);
    pp_json_key(&j, "data_dir"), data_dir ? pp_json_str(&j, data_dir) : pp_json_null(&j);
    pp_json_key(&j, "first"), pp_json_int(&j, first);
    pp_json_key(&j, "images"), pp_json_int(&j, images);
    pp_json_key(&j, "array"), pp_json_int(&j, o.size);
    pp_json_key(&j, "bins"), pp_json_int(&j, o.bins);
    pp_json_key(&j, "reservoir"), pp_json_int(&j, o.reservoir);
    pp_json_key(&j, "calib_images"), pp_json_int(&j, o.calib_images);
    pp_json_key(&j, "seed"), pp_json_int(&j, seed);
    pp_json_key(&j, "per_layer"), pp_json_bool(&j, o.per_layer);
    pp_json_key(&j, "engine"), pp_json_str(&j, o.naive ? "naive" : "fast");
    pp_json_obj_end(&j);
    pp_json_key(&j, "bit_exact"), pp_json_bool(&j, exact);
    pp_json_key(&j, "mismatches"), pp_json_int(&j, (long long)c->mismatches);
    pp_json_key(&j, "outputs_checked"), pp_json_int(&j, (long long)c->outputs);
    pp_json_key(&j, "layers"), pp_json_int(&j, st->nlayers);
    pp_json_key(&j, "mac_ops"), pp_json_int(&j, (long long)c->macs);
    pp_json_key(&j, "useful_macs"), pp_json_int(&j, (long long)c->useful_macs);
    pp_json_key(&j, "cycles"), pp_json_int(&j, (long long)c->load_cycles + (long long)c->stream_cycles);
    pp_json_key(&j, "fill_drain_cycles"), pp_json_int(&j, (long long)c->fill_drain_cycles);
    pp_json_key(&j, "tiles"), pp_json_int(&j, (long long)c->tiles);
    pp_json_key(&j, "zero_mac_fraction"), pp_json_num(&j, c->macs ? (double)c->zero_macs / (double)c->macs : 0);
    pp_json_key(&j, "zero_weight_fraction"),
        pp_json_num(&j, c->weights ? (double)c->zero_weights / (double)c->weights : 0);
    pp_json_key(&j, "unused_rows_per_tile"), pp_json_num(&j, c->tiles ? (double)c->unused_rows / (double)c->tiles : 0);
    pp_json_key(&j, "unused_cols_per_tile"), pp_json_num(&j, c->tiles ? (double)c->unused_cols / (double)c->tiles : 0);
    pp_json_key(&j, "seconds"), pp_json_num(&j, secs);
    pp_json_key(&j, "mac_ops_per_s"), pp_json_num(&j, secs > 0 ? (double)c->macs / secs : 0);
    pp_json_key(&j, "stats_file"), pp_json_str(&j, stats_path);
    pp_json_key(&j, "summary_file"), pp_json_str(&j, json_path);
    pp_json_key_arr_begin(&j, "figures");
    if (plotted) {
      static const char *figs[] = {"act_transitions", "psum_bin_transitions", "mac_per_weight"};
      for (int f = 0; f < 3; f++)
        for (int x = 0; x < 2; x++) {
          snprintf(path, sizeof path, "%s/%s.%s", outdir, figs[f], x ? "png" : "svg");
          pp_json_str(&j, path);
        }
    }
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  if (wrote && pp_outfile_commit(&of, &e) != PP_OK) {
    char buf[1200];
    fprintf(stderr, "powerprune trace: warning: %s\n", pp_err_format(&e, buf, sizeof buf));
  }
  if (!json)
    fprintf(stderr, "trace: %s, %llu MAC ops in %.2f s (%.3g MAC/s), %d layers\n",
            exact ? "bit exact" : "MISMATCH", (unsigned long long)c->macs, secs, secs > 0 ? (double)c->macs / secs : 0,
            st->nlayers);
  pp_array_stats_free(st);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&train);
  pp_nn_data_free(&test);
  return exact ? PP_EXIT_OK : PP_EXIT_FAIL;
}

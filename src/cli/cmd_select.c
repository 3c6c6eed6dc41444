/* cli/cmd_select: `powerprune select`: allowed weight and activation values
 * from a power threshold and a delay threshold (module select). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/array.h"
#include "pp/select.h"

static const char *USAGE =
    "usage: powerprune select --power FILE (--power-uw X | --power-keep N) [options]\n"
    "\n"
    "Chooses the weight values W a network may use (P[w] below a threshold, 0 always\n"
    "kept) and, with --delay, removes weight or activation values until every kept\n"
    "(w, a->a') combination of the delay table is within --delay-ps (best of\n"
    "--repeats runs; methods and objective in include/pp/select.h).\n"
    "\n";

static const pp_opt_choice methods[] = {
    {"search", PP_SELECT_SEARCH}, {"greedy", PP_SELECT_GREEDY}, {"random", PP_SELECT_RANDOM}, {NULL, 0}};
static const pp_opt_choice usages[] = {{"macs", 0}, {"macs-w2", 1}, {NULL, 0}};

static void values_json(pp_json *j, const char *key, const uint8_t *keep, int lo, int n) {
  pp_json_key(j, key);
  pp_json_arr_begin(j);
  for (int i = 0; i < n; i++)
    if (keep[i]) pp_json_int(j, lo + i);
  pp_json_arr_end(j);
}

int pp_cmd_select(int argc, char **argv) {
  const char *cmd = "select";
  const char *power_path = NULL, *delay_path = NULL, *out_dir = NULL, *trace_path = NULL;
  double power_uw = -1;
  int keep_n = -1, delay_ps = -1, json = 0, add_back = 1, usage_w2 = 0, seed;
  pp_select_opts so;
  pp_select_opts_default(&so);
  seed = (int)so.seed;
  int method = so.method;
  pp_opt opts[] = {
      PP_OPT_PATH("power", &power_path, "FILE", "power table (CSV or JSON from 'powerprune characterize')"),
      PP_OPT_DOUBLE("power-uw", &power_uw, 0, PP_OPT_INF, "X", "keep weights with P[w] < X uW", .flags = PP_OPT_NODEF),
      PP_OPT_INT("power-keep", &keep_n, 1, 255, "N", "keep the N cheapest weight values instead",
                 .flags = PP_OPT_NODEF),
      PP_OPT_PATH("delay", &delay_path, "FILE", "delay table (from 'powerprune timing')"),
      PP_OPT_INT("delay-ps", &delay_ps, 1, 65535, "T", "delay threshold in ps (needs --delay)", .flags = PP_OPT_NODEF),
      PP_OPT_ENUM("method", &method, methods,
                  "search: grow the weight set, keeping the largest\n"
                  "objective, activations chosen as an independent set;\n"
                  "greedy: remove the values that clear the most violations\n"
                  "per objective lost; random: the paper's rule, a random\n"
                  "member of each violation from the largest down"),
      PP_OPT_BOOL("add-back", &add_back, "re-insert removed values that violate nothing"),
      PP_OPT_INT("repeats", &so.repeats, 1, 100000, "R", "removal runs, the best is kept"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "random seed"),
      PP_OPT_PATH("trace", &trace_path, "FILE",
                  "array statistics (powerprune trace): weights weighted by their\n"
                  "MAC counts and activations by how often they occur"),
      PP_OPT_ENUM("usage", &usage_w2, usages,
                  "what a weight value is worth with --trace: macs (its MAC\n"
                  "count) or macs-w2 (MAC count x w^2, as 'run' does)"),
      PP_OPT_PATH("out", &out_dir, "DIR",
                  "write DIR/weights.txt, DIR/acts.txt, DIR/select.json\n"
                  "(the files 'powerprune train --weights-allowed/--acts-allowed' read)",
                  .short_name = 'o'),
      PP_OPT_FLAG("json", &json, "print the result as one JSON object"),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  int repeats = so.repeats;
  if (!power_path || !*power_path) return pp_cli_usage(cmd, "--power FILE is required");
  if ((power_uw >= 0) == (keep_n > 0)) return pp_cli_usage(cmd, "give exactly one of --power-uw and --power-keep");
  if ((delay_path != NULL) != (delay_ps > 0)) return pp_cli_usage(cmd, "--delay FILE and --delay-ps T go together");
  if (!out_dir && !json) return pp_cli_usage(cmd, "give --out DIR and/or --json");

  pp_err e;
  pp_err_clear(&e);
  pp_char_power p;
  if (pp_char_power_read(power_path, &p, &e)) return pp_cli_fail(cmd, &e);
  pp_select_sets s;
  if (power_uw >= 0) pp_select_power_threshold(&p, power_uw, &s);
  else pp_select_power_keep(&p, keep_n, &s);
  int n_w_power = pp_select_count_w(&s);

  double usage[PP_CHAR_MAX_W] = {0}, mass[PP_CHAR_MAX_A] = {0};
  int have_trace = 0;
  if (trace_path) {
    pp_array_stats *st;
    if (pp_array_stats_read(trace_path, &st, &e)) return pp_cli_fail(cmd, &e);
    for (int i = 0; i < p.n_w; i++) {
      int w = p.w_min + i;
      if (w >= -127 && w <= 127) usage[i] = (double)st->mac_per_weight[w + 127] * (usage_w2 ? (double)w * w : 1.0);
    }
    for (int a = 0; a < 256; a++)
      for (int b = 0; b < 256; b++) {
        double c = (double)st->act_hist[a * 256 + b];
        mass[a] += 0.5 * c; /* a value counts half as it leaves and half as it arrives */
        mass[b] += 0.5 * c;
      }
    pp_array_stats_free(st);
    have_trace = 1;
  }
  pp_select_result r;
  memset(&r, 0, sizeof r);
  r.sets = s;
  pp_char_delay d;
  memset(&d, 0, sizeof d);
  unsigned d_all = 0, d_power = 0;
  if (delay_path) {
    if (pp_char_delay_read(delay_path, &d, &e)) return pp_cli_fail(cmd, &e);
    if (d.w_min != p.w_min || d.n_w != p.n_w) {
      pp_char_delay_free(&d);
      pp_err_set(&e, PP_EPARSE, delay_path, 0, "weights %d..%d do not match the power table's %d..%d", d.w_min,
                 d.w_min + d.n_w - 1, p.w_min, p.w_min + p.n_w - 1);
      return pp_cli_fail(cmd, &e);
    }
    s.n_a = d.n_a;
    pp_select_sets all;
    pp_select_sets_all(&all, d.w_min, d.n_w, d.n_a);
    d_all = pp_select_max_delay(&d, &all);
    d_power = pp_select_max_delay(&d, &s);
    so.delay_ps = (unsigned)delay_ps;
    so.seed = (uint64_t)seed;
    so.method = (pp_select_method)method;
    so.add_back = add_back;
    int rc = pp_select_delay(&d, &s, have_trace ? usage : NULL, have_trace ? mass : NULL, &so, &r, &e);
    pp_char_delay_free(&d);
    if (rc) return pp_cli_fail(cmd, &e);
  }
  int n_w = pp_select_count_w(&r.sets), n_a = pp_select_count_a(&r.sets);

  char buf[4096];
  if (out_dir) {
    if (pp_mkdirs(out_dir, &e)) return pp_cli_fail(cmd, &e);
    char comment[1024], wp[4200], ap[4200];
    snprintf(comment, sizeof comment,
             "powerprune select: power table %s, %s %g%s%s, delay threshold %d ps, method %s%s, repeats %d, "
             "seed %d\n"
             "%d weights, %d activations, max delay %u ps",
             power_path, power_uw >= 0 ? "power threshold uW" : "keep cheapest", power_uw >= 0 ? power_uw : (double)keep_n,
             delay_path ? ", delay table " : "", delay_path ? delay_path : "", delay_ps, pp_select_method_name(method),
             add_back ? " with add-back" : "", repeats, seed, n_w, n_a,
             r.max_delay_ps);
    snprintf(wp, sizeof wp, "%s/weights.txt", out_dir);
    snprintf(ap, sizeof ap, "%s/acts.txt", out_dir);
    if (pp_select_write_sets(&r.sets, wp, ap, comment, &e)) return pp_cli_fail(cmd, &e);
  }
  for (int pass = 0; pass < 2; pass++) {
    FILE *f = NULL;
    pp_outfile o;
    if (pass == 0) {
      if (!out_dir) continue;
      snprintf(buf, sizeof buf, "%s/select.json", out_dir);
      if (pp_outfile_open(&o, buf, &e)) return pp_cli_fail(cmd, &e);
      f = o.f;
    } else {
      if (!json) break;
      f = stdout;
    }
    pp_json j;
    pp_json_init(&j, f, pass == 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-select/1");
    pp_json_key_obj_begin(&j, "inputs");
    pp_json_key_str(&j, "power", power_path);
    pp_json_key(&j, "delay");
    if (delay_path) pp_json_str(&j, delay_path);
    else pp_json_null(&j);
    pp_json_key(&j, "trace");
    if (trace_path) pp_json_str(&j, trace_path);
    else pp_json_null(&j);
    pp_json_obj_end(&j);
    pp_json_key_obj_begin(&j, "options");
    pp_json_key(&j, "power_uw");
    if (power_uw >= 0) pp_json_num(&j, power_uw);
    else pp_json_null(&j);
    pp_json_key(&j, "power_keep");
    if (keep_n > 0) pp_json_int(&j, keep_n);
    else pp_json_null(&j);
    pp_json_key(&j, "delay_ps");
    if (delay_ps > 0) pp_json_int(&j, delay_ps);
    else pp_json_null(&j);
    pp_json_key_str(&j, "method", pp_select_method_name(method));
    pp_json_key_bool(&j, "add_back", add_back);
    pp_json_key_str(&j, "usage", usage_w2 ? "macs-w2" : "macs");
    pp_json_key_int(&j, "repeats", repeats);
    pp_json_key_int(&j, "seed", seed);
    pp_json_obj_end(&j);
    pp_json_key_int(&j, "n_weights_power", n_w_power);
    pp_json_key_int(&j, "n_weights", n_w);
    pp_json_key_int(&j, "n_acts", n_a);
    if (delay_path) {
      pp_json_key_int(&j, "max_delay_all_ps", d_all);
      pp_json_key_int(&j, "max_delay_power_selected_ps", d_power);
      pp_json_key_int(&j, "max_delay_ps", r.max_delay_ps);
      pp_json_key_num(&j, "objective", r.objective);
      pp_json_key_int(&j, "best_run", r.best_run);
      pp_json_key_int(&j, "added_back", r.added_back);
    }
    values_json(&j, "weights", r.sets.w_keep, r.sets.w_min, r.sets.n_w);
    values_json(&j, "acts", r.sets.a_keep, 0, r.sets.n_a);
    pp_json_obj_end(&j);
    pp_json_end(&j);
    if (pass == 0 && pp_outfile_commit(&o, &e)) return pp_cli_fail(cmd, &e);
  }
  if (!json) {
    printf("%d weight values kept by power", n_w_power);
    if (delay_path)
      printf("; delay %u ps (all values) -> %u ps (power-selected) -> %u ps with %d weights, %d activations", d_all,
             d_power, r.max_delay_ps, n_w, n_a);
    printf("\nwrote %s/weights.txt, %s/acts.txt, %s/select.json\n", out_dir, out_dir, out_dir);
  }
  return PP_EXIT_OK;
}

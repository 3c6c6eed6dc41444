/* cli/cmd_select: `powerprune select`: allowed weight and activation values
 * from a power threshold and a delay threshold (module select). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pp/array.h"
#include "pp/select.h"

static const char *USAGE =
    "usage: powerprune select --power FILE (--power-uw X | --power-keep N) [options]\n"
    "\n"
    "Chooses the weight values W a network may use (P[w] below a threshold, 0 always\n"
    "kept) and, with --delay, removes weight or activation values until every kept\n"
    "(w, a->a') combination of the delay table is within --delay-ps (best of\n"
    "--repeats runs; methods and objective in include/pp/select.h).\n"
    "\n"
    "  --power FILE      power table (CSV or JSON from 'powerprune characterize')\n"
    "  --power-uw X      keep weights with P[w] < X uW\n"
    "  --power-keep N    keep the N cheapest weight values instead\n"
    "  --delay FILE      delay table (from 'powerprune timing')\n"
    "  --delay-ps T      delay threshold in ps (needs --delay)\n"
    "  --method M        search (default): grow the weight set, keeping the largest\n"
    "                    objective, activations chosen as an independent set;\n"
    "                    greedy: remove the values that clear the most violations\n"
    "                    per objective lost; random: the paper's rule, a random\n"
    "                    member of each violation from the largest down\n"
    "  --no-add-back     skip re-inserting removed values that violate nothing\n"
    "  --repeats R       removal runs, the best is kept (default 20)\n"
    "  --seed S          random seed (default 1)\n"
    "  --trace FILE      array statistics (powerprune trace): weights weighted by their\n"
    "                    MAC counts and activations by how often they occur\n"
    "  --usage U         what a weight value is worth with --trace: macs (default,\n"
    "                    its MAC count) or macs-w2 (MAC count x w^2, as 'run' does)\n"
    "  -o, --out DIR     write DIR/weights.txt, DIR/acts.txt, DIR/select.json\n"
    "                    (the files 'powerprune train --weights-allowed/--acts-allowed' read)\n"
    "  --json            print the result as one JSON object\n";

/* "--name V" or "--name=V"; advances *i past the value. */
static const char *optval(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n)) return NULL; // NOLINT(clang-analyzer-core.NonNullParamChecker): argv[0..argc-1] are never NULL
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n]) return NULL;
  if (*i + 1 >= argc) return "";
  return argv[++*i];
}

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
  long keep_n = -1, delay_ps = -1, repeats = 20, seed = 1;
  int json = 0, add_back = 1, usage_w2 = 0;
  pp_select_method method = PP_SELECT_SEARCH;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(USAGE, stdout);
      return PP_EXIT_OK;
    } else if (!strcmp(argv[i], "--json")) json = 1;
    else if ((v = optval(argc, argv, &i, "--power"))) power_path = v;
    else if ((v = optval(argc, argv, &i, "--power-uw"))) {
      if (pp_cli_parse_double(v, &power_uw) || power_uw < 0) return pp_cli_usage(cmd, "--power-uw needs a power >= 0 in uW");
    } else if ((v = optval(argc, argv, &i, "--power-keep"))) {
      if (pp_cli_parse_long(v, 1, 255, &keep_n)) return pp_cli_usage(cmd, "--power-keep needs a count in 1..255");
    } else if ((v = optval(argc, argv, &i, "--delay"))) delay_path = v;
    else if ((v = optval(argc, argv, &i, "--delay-ps"))) {
      if (pp_cli_parse_long(v, 1, 65535, &delay_ps)) return pp_cli_usage(cmd, "--delay-ps needs ps in 1..65535");
    } else if ((v = optval(argc, argv, &i, "--repeats"))) {
      if (pp_cli_parse_long(v, 1, 100000, &repeats)) return pp_cli_usage(cmd, "--repeats needs a count >= 1");
    } else if ((v = optval(argc, argv, &i, "--seed"))) {
      if (pp_cli_parse_long(v, 0, 0x7fffffffL, &seed)) return pp_cli_usage(cmd, "--seed needs an integer >= 0");
    } else if ((v = optval(argc, argv, &i, "--method"))) {
      if (pp_select_method_parse(v, &method)) return pp_cli_usage(cmd, "--method needs greedy, random or search");
    } else if (!strcmp(argv[i], "--no-add-back")) add_back = 0; // NOLINT(clang-analyzer-core.NonNullParamChecker): argv[i < argc] is not NULL
    else if ((v = optval(argc, argv, &i, "--usage"))) {
      if (!strcmp(v, "macs")) usage_w2 = 0;
      else if (!strcmp(v, "macs-w2")) usage_w2 = 1;
      else return pp_cli_usage(cmd, "--usage needs macs or macs-w2");
    } else if ((v = optval(argc, argv, &i, "--trace"))) trace_path = v;
    else if ((v = optval(argc, argv, &i, "--out")) || (v = optval(argc, argv, &i, "-o"))) out_dir = v;
    else return pp_cli_usage(cmd, "unknown option '%s'", argv[i]);
  }
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
  else pp_select_power_keep(&p, (int)keep_n, &s);
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
    pp_select_opts o;
    pp_select_opts_default(&o);
    o.delay_ps = (unsigned)delay_ps;
    o.repeats = (int)repeats;
    o.seed = (uint64_t)seed;
    o.method = method;
    o.add_back = add_back;
    int rc = pp_select_delay(&d, &s, have_trace ? usage : NULL, have_trace ? mass : NULL, &o, &r, &e);
    pp_char_delay_free(&d);
    if (rc) return pp_cli_fail(cmd, &e);
  }
  int n_w = pp_select_count_w(&r.sets), n_a = pp_select_count_a(&r.sets);

  char buf[4096];
  if (out_dir) {
    if (pp_mkdirs(out_dir, &e)) return pp_cli_fail(cmd, &e);
    char comment[1024], wp[4200], ap[4200];
    snprintf(comment, sizeof comment,
             "powerprune select: power table %s, %s %g%s%s, delay threshold %ld ps, method %s%s, repeats %ld, "
             "seed %ld\n"
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
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-select-1");
    pp_json_key(&j, "inputs");
    pp_json_obj_begin(&j);
    pp_json_key(&j, "power");
    pp_json_str(&j, power_path);
    pp_json_key(&j, "delay");
    if (delay_path) pp_json_str(&j, delay_path);
    else pp_json_null(&j);
    pp_json_key(&j, "trace");
    if (trace_path) pp_json_str(&j, trace_path);
    else pp_json_null(&j);
    pp_json_obj_end(&j);
    pp_json_key(&j, "options");
    pp_json_obj_begin(&j);
    pp_json_key(&j, "power_uw");
    if (power_uw >= 0) pp_json_num(&j, power_uw);
    else pp_json_null(&j);
    pp_json_key(&j, "power_keep");
    if (keep_n > 0) pp_json_int(&j, keep_n);
    else pp_json_null(&j);
    pp_json_key(&j, "delay_ps");
    if (delay_ps > 0) pp_json_int(&j, delay_ps);
    else pp_json_null(&j);
    pp_json_key(&j, "method");
    pp_json_str(&j, pp_select_method_name(method));
    pp_json_key(&j, "add_back");
    pp_json_bool(&j, add_back);
    pp_json_key(&j, "usage");
    pp_json_str(&j, usage_w2 ? "macs-w2" : "macs");
    pp_json_key(&j, "repeats");
    pp_json_int(&j, repeats);
    pp_json_key(&j, "seed");
    pp_json_int(&j, seed);
    pp_json_obj_end(&j);
    pp_json_key(&j, "n_weights_power");
    pp_json_int(&j, n_w_power);
    pp_json_key(&j, "n_weights");
    pp_json_int(&j, n_w);
    pp_json_key(&j, "n_acts");
    pp_json_int(&j, n_a);
    if (delay_path) {
      pp_json_key(&j, "max_delay_all_ps");
      pp_json_int(&j, d_all);
      pp_json_key(&j, "max_delay_power_selected_ps");
      pp_json_int(&j, d_power);
      pp_json_key(&j, "max_delay_ps");
      pp_json_int(&j, r.max_delay_ps);
      pp_json_key(&j, "objective");
      pp_json_num(&j, r.objective);
      pp_json_key(&j, "best_run");
      pp_json_int(&j, r.best_run);
      pp_json_key(&j, "added_back");
      pp_json_int(&j, r.added_back);
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

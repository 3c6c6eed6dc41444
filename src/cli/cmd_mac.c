/* cli/cmd_mac: `powerprune mac generate|check|synth`: write a gate-level MAC
 * in a library's cells, prove a MAC netlist exact, or map the RTL MAC of
 * data/ onto a library with Yosys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/netlist.h"

static const char *gen_help =
    "usage: powerprune mac generate [options] -o FILE\n"
    "Writes a structural Verilog MAC y = p + w*a (w signed, a unsigned, p/y signed, wrapping)\n"
    "in the cells of a Liberty library (cells are found by function).\n"
    "\n";

static const char *check_help =
    "usage: powerprune mac check NETLIST [--lib FILE] [--top NAME] [--seed N] [--json]\n"
    "Proves a MAC netlist exact: every (w, a) pair with a seeded random partial sum, plus edge\n"
    "cases (most negative weight, largest activation, partial sums that wrap). Widths come from\n"
    "the ports (w, a, p -> y; or w, a -> prod; or prod, p -> y). Reports cells by type, area and\n"
    "mismatches; exit status 1 when there are mismatches.\n"
    "\n";

static const char *synth_help =
    "usage: powerprune mac synth [--lib FILE] [--rtl FILE] [--w-bits N --a-bits N --p-bits N] -o FILE\n"
    "Maps the behavioural MAC (data/mac_rtl.v, ports w, a, p, y) onto a Liberty library with Yosys:\n"
    "read_verilog; chparam; synth -flatten; dfflibmap -liberty; abc -liberty; opt_clean;\n"
    "write_verilog -noattr -noexpr. Needs yosys on PATH (or --yosys PATH).\n"
    "\n";

static int gen(int argc, char **argv) {
  const char *cmd = "mac generate";
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  const char *lib_path = pp_lib_default_path(), *out = NULL;
  pp_opt opts[] = {
      PP_OPT_ENUM("mult", &o.mult, pp_opt_mult_choices,
                  "array (Baugh-Wooley carry-save) or radix-4 Booth + Dadda tree"),
      PP_OPT_ENUM("adder", &o.adder, pp_opt_adder_choices, "partial-sum adder: ripple-carry or Kogge-Stone prefix"),
      PP_OPT_ENUM("part", &o.part, pp_opt_part_choices,
                  "the whole MAC (w,a,p->y), the multiplier (w,a->prod) or the adder (prod,p->y)"),
      PP_OPTS_MAC_SIZES(&o, 64),
      PP_OPT_PATH("lib", &lib_path, "FILE", "Liberty library ($PP_LIB overrides the default)"),
      PP_OPT_PATH("out", &out, "FILE", "output netlist", .short_name = 'o'),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, gen_help, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (!out) return pp_cli_usage(cmd, "-o FILE is required");
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  if (pp_lib_read(lib_path, &lib, &e)) return pp_cli_fail(cmd, &e);
  int rc = pp_mac_generate(&o, lib, out, &e);
  pp_lib_free(lib);
  if (rc) return pp_cli_fail(cmd, &e);
  return PP_EXIT_OK;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check(int argc, char **argv) {
  const char *cmd = "mac check";
  const char *lib_path = pp_lib_default_path(), *path = NULL, *top = NULL;
  int json = 0;
  int seed = 1, npos = 0;
  pp_opt opts[] = {
      PP_OPT_PATH("lib", &lib_path, "FILE", "Liberty library the netlist uses ($PP_LIB overrides the default)"),
      PP_OPT_STRING("top", &top, "NAME", "top module", .def = "the one no other module instantiates"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "N", "seed of the random partial sums"),
      PP_OPT_FLAG("json", &json, "one JSON object on stdout (format powerprune-mac-check/1)"),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, check_help, opts, argc, argv, &npos);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (npos > 1) return pp_cli_usage(cmd, "one netlist at a time ('%s' and '%s')", argv[1], argv[2]);
  if (npos == 1) path = argv[1];
  if (!path) return pp_cli_usage(cmd, "which netlist? (powerprune mac check NETLIST)");
  pp_err e;
  pp_err_clear(&e);
  pp_cli_netlist_src src = {.path = path, .lib_path = lib_path, .top = top};
  pp_lib *lib;
  pp_netlist *nl;
  if (pp_cli_netlist_load(&src, &lib, &nl, &e)) return pp_cli_fail(cmd, &e);
  double t0 = pp_now();
  pp_mac_check_result r;
  int rc = pp_mac_check(nl, (uint64_t)seed, &r, &e);
  double secs = pp_now() - t0;
  if (rc) {
    pp_netlist_free(nl);
    pp_lib_free(lib);
    return pp_cli_fail(cmd, &e);
  }
  /* cells by type, sorted by name */
  int *count = calloc((size_t)lib->n_cells, sizeof(int));
  const char **names = calloc((size_t)lib->n_cells, sizeof(char *));
  if (!count || !names) {
    free(count);
    free(names);
    pp_netlist_free(nl);
    pp_lib_free(lib);
    fprintf(stderr, "powerprune %s: out of memory\n", cmd);
    return PP_EXIT_INTERNAL;
  }
  double area = 0, leak = 0;
  for (int k = 0; k < nl->n_gates; k++) {
    count[nl->gates[k].cell]++;
    area += lib->cells[nl->gates[k].cell].area;
    leak += lib->cells[nl->gates[k].cell].leakage_nw;
  }
  int nn = 0;
  for (int c = 0; c < lib->n_cells; c++)
    if (count[c]) names[nn++] = lib->cells[c].name;
  qsort(names, (size_t)nn, sizeof(char *), cmp_name);
  static const char *const part_name[] = {"full", "mult", "adder"};
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 1);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-mac-check/1");
    pp_json_key_str(&j, "netlist", path);
    pp_json_key_str(&j, "library", lib_path);
    pp_json_key_str(&j, "top", nl->top);
    pp_json_key_str(&j, "part", part_name[r.part]);
    pp_json_key_int(&j, "w_bits", r.w_bits);
    pp_json_key_int(&j, "a_bits", r.a_bits);
    pp_json_key_int(&j, "p_bits", r.p_bits);
    pp_json_key_int(&j, "prod_bits", r.prod_bits);
    pp_json_key_int(&j, "seed", seed);
    pp_json_key_obj_begin(&j, "cells");
    for (int i = 0; i < nn; i++) {
      pp_json_key(&j, names[i]);
      pp_json_int(&j, count[pp_lib_find_cell(lib, names[i])]);
    }
    pp_json_obj_end(&j);
    pp_json_key_int(&j, "n_cells", nl->n_gates);
    pp_json_key_int(&j, "levels", nl->n_levels - 1);
    pp_json_key_num(&j, "area", area);
    pp_json_key_num(&j, "leakage_nw", leak);
    pp_json_key_int(&j, "pairs_checked", r.pairs_checked);
    pp_json_key_int(&j, "vectors_checked", r.vectors_checked);
    pp_json_key_int(&j, "mismatches", r.mismatches);
    if (r.mismatches) {
      pp_json_key_obj_begin(&j, "first_mismatch");
      pp_json_key_int(&j, "w", r.bad_w);
      pp_json_key_int(&j, "a", r.bad_a);
      pp_json_key_int(&j, "p", r.bad_p);
      pp_json_key_int(&j, "prod", r.bad_prod);
      pp_json_key_int(&j, "got", (long long)r.got);
      pp_json_key_int(&j, "want", (long long)r.want);
      pp_json_obj_end(&j);
    }
    pp_json_key_num(&j, "seconds", secs);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  } else {
    printf("%s: module %s (%s: w %d, a %d, p %d bits), library %s\n", path, nl->top, part_name[r.part], r.w_bits,
           r.a_bits, r.p_bits, lib->name);
    printf("cells: %d in %d levels, area %.4f, leakage %.1f nW\n", nl->n_gates, nl->n_levels - 1, area, leak);
    for (int i = 0; i < nn; i++) {
      int c = pp_lib_find_cell(lib, names[i]);
      printf("  %-12s %6d  area %.4f\n", names[i], count[c], count[c] * lib->cells[c].area);
    }
    printf("checked %lld %s (%lld vectors) in %.3f s: %lld mismatches\n", r.pairs_checked,
           r.part == PP_MAC_ADDER ? "prod values" : "(w, a) pairs", r.vectors_checked, secs, r.mismatches);
    if (r.mismatches)
      printf("first mismatch: w=%lld a=%lld p=%lld prod=%lld: got 0x%llx, want 0x%llx\n", r.bad_w, r.bad_a, r.bad_p,
             r.bad_prod, r.got, r.want);
  }
  free(count);
  free(names);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return r.mismatches ? PP_EXIT_FAIL : PP_EXIT_OK;
}

static int synth(int argc, char **argv) {
  const char *cmd = "mac synth";
  const char *lib_path = pp_lib_default_path(), *out = NULL, *yosys = "yosys";
  static char rtl_default[4096];
  (void)pp_data_path("mac_rtl.v", rtl_default, sizeof rtl_default); /* a missing file is reported by Yosys' reader */
  const char *rtl = rtl_default;
  pp_mac_opts sz; /* only the sizes: the architecture is Yosys's choice */
  pp_mac_opts_default(&sz);
  pp_opt opts[] = {
      PP_OPT_PATH("lib", &lib_path, "FILE", "Liberty library ($PP_LIB overrides the default)"),
      PP_OPT_PATH("rtl", &rtl, "FILE", "the behavioural MAC"),
      PP_OPT_PATH("yosys", &yosys, "PATH", "the Yosys program"),
      PP_OPTS_MAC_SIZES(&sz, 62),
      PP_OPT_PATH("out", &out, "FILE", "output netlist", .short_name = 'o'),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, synth_help, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (!out) return pp_cli_usage(cmd, "-o FILE is required");
  long wb = sz.w_bits, ab = sz.a_bits, pb = sz.p_bits;
  if (pb < wb + ab) return pp_cli_usage(cmd, "--p-bits must be at least w-bits + a-bits (%ld)", wb + ab);
  /* the library must read before Yosys spends time on it */
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  if (pp_lib_read(lib_path, &lib, &e)) return pp_cli_fail(cmd, &e);
  pp_lib_free(lib);
  /* Yosys scripts cannot quote every file name (a '"' or newline ends a
   * token), so the script names only fixed files of a private folder beside
   * the output, linked to the user's files; no user text reaches Yosys. */
  pp_stage sg;
  if (pp_stage_open(&sg, out, &e)) return pp_cli_fail(cmd, &e);
  char made[4300];
  if (pp_stage_link(&sg, "rtl.v", rtl, &e) || pp_stage_link(&sg, "cells.lib", lib_path, &e) ||
      pp_stage_path(&sg, "out.v", made, sizeof made, &e)) {
    pp_stage_close(&sg);
    return pp_cli_fail(cmd, &e);
  }
  char script[512];
  snprintf(script, sizeof script,
           "read_verilog rtl.v; chparam -set W %ld -set A %ld -set P %ld mac; hierarchy -top mac; "
           "synth -flatten -top mac; dfflibmap -liberty cells.lib; abc -liberty cells.lib; opt_clean; "
           "write_verilog -noattr -noexpr out.v",
           wb, ab, pb);
  char *args[] = {(char *)yosys, "-q", "-p", script, NULL};
  pp_run_opts ro = {.cwd = sg.dir};
  int code = 0;
  if (pp_run(args, &ro, &code, &e)) {
    pp_stage_close(&sg);
    fprintf(stderr, "powerprune %s: %s (install it: apt-get install yosys, or give --yosys PATH)\n", cmd, e.msg);
    return PP_EXIT_IO;
  }
  if (code != 0) {
    pp_stage_close(&sg);
    fprintf(stderr, "powerprune %s: yosys failed (exit status %d) on %s with %s\n", cmd, code, rtl, lib_path);
    return PP_EXIT_FAIL;
  }
  if (rename(made, out) != 0) {
    fprintf(stderr, "powerprune %s: cannot write %s: %s\n", cmd, out, strerror(errno));
    pp_stage_close(&sg);
    return PP_EXIT_IO;
  }
  pp_stage_close(&sg);
  return PP_EXIT_OK;
}

int pp_cmd_mac(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    FILE *f = argc < 2 ? stderr : stdout;
    fputs("usage: powerprune mac <generate|check|synth> [options]   (powerprune mac <sub> --help)\n"
          "  generate  write a gate-level MAC (array/Booth multiplier, ripple/prefix adder)\n"
          "  check     prove a MAC netlist exact over all (w, a) pairs\n"
          "  synth     map data/mac_rtl.v onto a Liberty library with Yosys\n",
          f);
    return argc < 2 ? PP_EXIT_USAGE : PP_EXIT_OK;
  }
  if (!strcmp(argv[1], "generate")) return gen(argc - 1, argv + 1);
  if (!strcmp(argv[1], "check")) return check(argc - 1, argv + 1);
  if (!strcmp(argv[1], "synth")) return synth(argc - 1, argv + 1);
  fprintf(stderr, "powerprune mac: '%s' is not a subcommand (generate, check, synth)\n", argv[1]);
  return PP_EXIT_USAGE;
}

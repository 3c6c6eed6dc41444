/* cli/cli_util: what every subcommand shares: turning library errors into
 * one message and an exit code, number and option parsing, the MAC generator
 * options and loading a netlist (or the built-in MAC) with its library. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pp/characterize.h"
#include "pp/netlist.h"
#include "pp/verilog.h"

int pp_cli_fail(const char *cmd, const pp_err *e) {
  char buf[1200];
  fprintf(stderr, "powerprune %s: %s\n", cmd, pp_err_format(e, buf, sizeof buf));
  switch (e->status) {
    case PP_EINVAL: return PP_EXIT_USAGE;
    case PP_EPARSE: return PP_EXIT_INPUT;
    case PP_EIO: return PP_EXIT_IO;
    case PP_ECHECK: return PP_EXIT_FAIL;
    default: return PP_EXIT_INTERNAL;
  }
}

int pp_cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "powerprune %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see 'powerprune %s --help')\n", cmd);
  return PP_EXIT_USAGE;
}

int pp_cli_parse_long(const char *s, long lo, long hi, long *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int pp_cli_parse_double(const char *s, double *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  /* nan and inf parse as numbers but are never a meaningful setting */
  if (errno || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

const char *pp_cli_optval(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n)) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n]) return NULL;
  if (*i + 1 >= argc) return "";
  return argv[++*i];
}

/* One keyword option: the accepted words and the value each sets. */
typedef struct {
  const char *opt, *takes;
  const char *word[3];
  int code[3];
} kw_option;

static const kw_option KW[] = {
    {"--part", "full, mult or adder", {"full", "mult", "adder"}, {PP_MAC_FULL, PP_MAC_MULT, PP_MAC_ADDER}},
    {"--mult", "array or booth", {"array", "booth", NULL}, {PP_MULT_ARRAY, PP_MULT_BOOTH, 0}},
    {"--adder", "ripple or prefix", {"ripple", "prefix", NULL}, {PP_ADDER_RIPPLE, PP_ADDER_PREFIX, 0}},
};

int pp_cli_mac_gen_option(const char *cmd, const char *opt, const char *v, int p_bits_max, pp_mac_opts *mo) {
  int *kw_field[3] = {&mo->part, &mo->mult, &mo->adder};
  for (int k = 0; k < 3; k++) {
    if (strcmp(opt, KW[k].opt)) continue;
    for (int j = 0; j < 3 && KW[k].word[j]; j++)
      if (!strcmp(v, KW[k].word[j])) {
        *kw_field[k] = KW[k].code[j];
        return 1;
      }
    pp_cli_usage(cmd, "%s must be %s, not '%s'", opt, KW[k].takes, v);
    return -1;
  }
  static const char *size_opt[3] = {"--w-bits", "--a-bits", "--p-bits"};
  int *size_field[3] = {&mo->w_bits, &mo->a_bits, &mo->p_bits};
  const long lo[3] = {2, 2, 4}, hi[3] = {8, 8, p_bits_max};
  for (int k = 0; k < 3; k++) {
    if (strcmp(opt, size_opt[k])) continue;
    long n;
    if (pp_cli_parse_long(v, lo[k], hi[k], &n)) {
      pp_cli_usage(cmd, "%s must be a whole number in %ld..%ld, not '%s'", opt, lo[k], hi[k], v);
      return -1;
    }
    *size_field[k] = (int)n;
    return 1;
  }
  return 0;
}

int pp_cli_mac_arch(const char *cmd, const char *opt, const char *v, pp_mac_opts *mo) {
  if (strcmp(opt, "--part") && strcmp(opt, "--mult") && strcmp(opt, "--adder"))
    return pp_cli_usage(cmd, "'%s' is not a MAC architecture option", opt);
  return pp_cli_mac_gen_option(cmd, opt, v, 64, mo) < 0 ? PP_EXIT_USAGE : 0;
}

void pp_cli_netlist_src_default(pp_cli_netlist_src *s) {
  memset(s, 0, sizeof *s);
  pp_mac_opts_default(&s->mo);
  s->output_load_ff = s->wire_cap_ff = s->wire_cap_per_fanout_ff = -1;
}

int pp_cli_assume_option(const char *cmd, int argc, char **argv, int *i, pp_sim_opts *so, double *output_load_ff,
                         double *wire_cap_ff, double *wire_cap_per_fanout_ff) {
  static const char *names[] = {"--input-slew", "--output-load", "--wire-cap", "--wire-cap-per-fanout"};
  double *dst[] = {&so->input_slew_ps, output_load_ff, wire_cap_ff, wire_cap_per_fanout_ff};
  static const char *unit[] = {"ps", "fF", "fF", "fF"};
  const char *v;
  if ((v = pp_cli_optval(argc, argv, i, "--delay-model"))) return pp_cli_delay_model(cmd, v, so) ? -1 : 1;
  for (int k = 0; k < 4; k++) {
    if (!(v = pp_cli_optval(argc, argv, i, names[k]))) continue;
    double x;
    if (!dst[k]) {
      pp_cli_usage(cmd, "%s is not an option of this command", names[k]);
      return -1;
    }
    if (pp_cli_parse_double(v, &x) || !(x >= 0) || !isfinite(x)) {
      pp_cli_usage(cmd, "%s takes a finite number of %s >= 0, not '%s'", names[k], unit[k], v);
      return -1;
    }
    *dst[k] = x;
    return 1;
  }
  return 0;
}

void pp_cli_assume_apply(pp_lib *lib, double output_load_ff, double wire_cap_ff, double wire_cap_per_fanout_ff) {
  if (output_load_ff >= 0) lib->output_load_ff = output_load_ff;
  if (wire_cap_ff >= 0) lib->wire_cap_ff = wire_cap_ff;
  if (wire_cap_per_fanout_ff >= 0) lib->wire_cap_per_fanout_ff = wire_cap_per_fanout_ff;
}

int pp_cli_netlist_option(const char *cmd, int argc, char **argv, int *i, pp_cli_netlist_src *s) {
  if (*i + 1 >= argc) return 0;
  const char *a = argv[*i], *v = argv[*i + 1];
  int k = 1;
  if (!strcmp(a, "--lib")) s->lib_path = v;
  else if (!strcmp(a, "--top")) s->top = v;
  else if (!strcmp(a, "--part") || !strcmp(a, "--mult") || !strcmp(a, "--adder"))
    k = pp_cli_mac_gen_option(cmd, a, v, 64, &s->mo);
  else return 0;
  if (k > 0) ++*i;
  return k;
}

int pp_cli_netlist_arg(const char *cmd, int argc, char **argv, int *i, pp_cli_netlist_src *s, pp_sim_opts *so) {
  const char *a = argv[*i];
  int k = pp_cli_netlist_option(cmd, argc, argv, i, s);
  if (k) return k;
  k = pp_cli_assume_option(cmd, argc, argv, i, so, &s->output_load_ff, &s->wire_cap_ff, &s->wire_cap_per_fanout_ff);
  if (k) return k;
  if (!strcmp(a, "--tick") && *i + 1 < argc) {
    double t;
    if (pp_cli_parse_double(argv[++*i], &t) || !(t > 0)) {
      pp_cli_usage(cmd, "--tick needs a positive number of ps");
      return -1;
    }
    so->tick_ps = t;
  } else if (a[0] == '-') {
    pp_cli_usage(cmd, "unknown option '%s'", a);
    return -1;
  } else if (!s->path) s->path = a;
  else {
    pp_cli_usage(cmd, "only one netlist, got '%s' and '%s'", s->path, a);
    return -1;
  }
  return 1;
}

const char *pp_cli_netlist_lib_path(const pp_cli_netlist_src *s) {
  return s->lib_path ? s->lib_path : pp_lib_default_path();
}

void pp_cli_netlist_json_begin(pp_json *j, const char *format, const pp_cli_netlist_src *s, const pp_netlist *nl,
                               const pp_sim_opts *so) {
  pp_json_init(j, stdout, 1);
  pp_json_obj_begin(j);
  pp_json_key(j, "format");
  pp_json_str(j, format);
  pp_json_key(j, "netlist");
  pp_json_str(j, s->path ? s->path : "built-in MAC");
  pp_json_key(j, "top");
  pp_json_str(j, nl->top);
  pp_json_key(j, "lib");
  pp_json_str(j, pp_cli_netlist_lib_path(s));
  pp_json_key(j, "tick_ps");
  pp_json_num(j, so->tick_ps);
  pp_cli_assumptions_json(j, nl->lib, so);
}

int pp_cli_netlist_load(const pp_cli_netlist_src *s, pp_lib **lib, pp_netlist **nl, pp_err *e) {
  *lib = NULL;
  *nl = NULL;
  int st = pp_lib_read(pp_cli_netlist_lib_path(s), lib, e);
  if (st) return st;
  pp_cli_assume_apply(*lib, s->output_load_ff, s->wire_cap_ff, s->wire_cap_per_fanout_ff);
  if (s->path) st = pp_netlist_read(s->path, *lib, s->top, nl, e);
  else st = pp_mac_build(&s->mo, *lib, nl, e);
  if (st) {
    pp_netlist_free(*nl);
    pp_lib_free(*lib);
    *nl = NULL;
    *lib = NULL;
  }
  return st;
}

int pp_cli_mac_option(const char *cmd, int argc, char **argv, int *i, pp_char_mac_spec *s) {
  static const char *gen_opt[] = {"--mult", "--adder", "--w-bits", "--a-bits", "--p-bits"};
  const char *v;
  int k = pp_cli_assume_option(cmd, argc, argv, i, &s->sim, &s->output_load_ff, &s->wire_cap_ff,
                               &s->wire_cap_per_fanout_ff);
  if (k) return k;
  if ((v = pp_cli_optval(argc, argv, i, "--lib"))) s->lib_path = v;
  else if ((v = pp_cli_optval(argc, argv, i, "--netlist"))) s->path[0] = v;
  else {
    for (size_t k = 0; k < sizeof gen_opt / sizeof *gen_opt; k++)
      if ((v = pp_cli_optval(argc, argv, i, gen_opt[k]))) return pp_cli_mac_gen_option(cmd, gen_opt[k], v, 31, &s->gen);
    return 0;
  }
  return 1;
}

int pp_cli_char_mac_open(const char *cmd, pp_char_mac_spec *s, const char *out_dir, unsigned parts, pp_char_mac *mac) {
  memset(mac, 0, sizeof *mac);
  if (!out_dir || !*out_dir) return pp_cli_usage(cmd, "-o DIR is required");
  pp_err e;
  pp_err_clear(&e);
  if (pp_mkdirs(out_dir, &e)) return pp_cli_fail(cmd, &e);
  s->work_dir = out_dir;
  if (pp_char_mac_load(s, parts, mac, &e)) return pp_cli_fail(cmd, &e);
  return PP_EXIT_OK;
}

int pp_cli_delay_model(const char *cmd, const char *v, pp_sim_opts *so) {
  if (!strcmp(v, "transport")) so->inertial = 0;
  else if (!strcmp(v, "inertial")) so->inertial = 1;
  else return pp_cli_usage(cmd, "--delay-model must be transport or inertial, not '%s'", v);
  return 0;
}

void pp_cli_assumptions_json(pp_json *j, const pp_lib *lib, const pp_sim_opts *so) {
  pp_json_key(j, "assumptions");
  pp_json_obj_begin(j);
  pp_json_key(j, "input_slew_ps");
  pp_json_num(j, so->input_slew_ps >= 0 ? so->input_slew_ps : lib->default_slew_ps);
  pp_json_key(j, "output_load_ff");
  pp_json_num(j, lib->output_load_ff);
  pp_json_key(j, "wire_model");
  pp_json_obj_begin(j);
  pp_json_key(j, "cap_ff");
  pp_json_num(j, lib->wire_cap_ff);
  pp_json_key(j, "cap_per_fanout_ff");
  pp_json_num(j, lib->wire_cap_per_fanout_ff);
  pp_json_obj_end(j);
  pp_json_key(j, "delay_model");
  pp_json_str(j, so->inertial ? "inertial" : "transport");
  pp_json_obj_end(j);
}

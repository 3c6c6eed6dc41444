/* cli/cli_util: what every subcommand shares: turning library errors into
 * one message and an exit code, number parsing, and loading a netlist (or the
 * built-in MAC) with its library. The options themselves are in opt.c. */
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

void pp_cli_netlist_src_default(pp_cli_netlist_src *s) {
  memset(s, 0, sizeof *s);
  pp_mac_opts_default(&s->mo);
  s->output_load_ff = s->wire_cap_ff = s->wire_cap_per_fanout_ff = -1;
}

void pp_cli_assume_apply(pp_lib *lib, double output_load_ff, double wire_cap_ff, double wire_cap_per_fanout_ff) {
  if (output_load_ff >= 0) lib->output_load_ff = output_load_ff;
  if (wire_cap_ff >= 0) lib->wire_cap_ff = wire_cap_ff;
  if (wire_cap_per_fanout_ff >= 0) lib->wire_cap_per_fanout_ff = wire_cap_per_fanout_ff;
}

const char *pp_cli_netlist_lib_path(const pp_cli_netlist_src *s) {
  return s->lib_path ? s->lib_path : pp_lib_default_path();
}

void pp_cli_netlist_json_begin(pp_json *j, const char *format, const pp_cli_netlist_src *s, const pp_netlist *nl,
                               const pp_sim_opts *so) {
  pp_json_init(j, stdout, 1);
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", format);
  pp_json_key_str(j, "netlist", s->path ? s->path : "built-in MAC");
  pp_json_key_str(j, "top", nl->top);
  pp_json_key_str(j, "lib", pp_cli_netlist_lib_path(s));
  pp_json_key_num(j, "tick_ps", so->tick_ps);
  pp_cli_assumptions_json(j, nl->lib, so);
}

int pp_cli_netlist_load(const pp_cli_netlist_src *s, pp_lib **lib, pp_netlist **nl, pp_err *e) {
  *lib = NULL;
  *nl = NULL;
  int st = pp_lib_read(pp_cli_netlist_lib_path(s), lib, e);
  if (st) return st;
  /* the wire model first: "none" clears the library's linear estimate, which
   * an explicit --wire-cap then sets again */
  if ((st = pp_lib_use_wire_load(*lib, s->wire_load, e))) {
    pp_lib_free(*lib);
    *lib = NULL;
    return st;
  }
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

void pp_cli_assumptions_json(pp_json *j, const pp_lib *lib, const pp_sim_opts *so) {
  pp_json_key_obj_begin(j, "assumptions");
  pp_json_key_num(j, "input_slew_ps", so->input_slew_ps >= 0 ? so->input_slew_ps : lib->default_slew_ps);
  pp_json_key_num(j, "output_load_ff", lib->output_load_ff);
  pp_json_key_obj_begin(j, "wire_model");
  pp_json_key_num(j, "cap_ff", lib->wire_cap_ff);
  pp_json_key_num(j, "cap_per_fanout_ff", lib->wire_cap_per_fanout_ff);
  /* the Liberty wire_load group every net's wire adds, null for none */
  pp_json_key(j, "wire_load");
  const char *wl = pp_lib_wire_load_name(lib);
  if (wl) pp_json_str(j, wl);
  else pp_json_null(j);
  pp_json_obj_end(j);
  pp_json_key_str(j, "delay_model", so->inertial ? "inertial" : "transport");
  pp_json_obj_end(j);
}

int pp_cli_convert_args(const char *cmd, int npos, char **argv, const char *what, const char *out, const char *data,
                        const char *dir) {
  if (npos > 1) return pp_cli_usage(cmd, "one model only, got '%s' and '%s'", argv[1], argv[2]);
  if (npos < 1) return pp_cli_usage(cmd, "missing the %s", what);
  if (!out) return pp_cli_usage(cmd, "-o FILE is required");
  if (dir && !data) return pp_cli_usage(cmd, "--data-dir needs --data");
  return 0;
}

/* cli/cli_util: turning library errors into one message and an exit code. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include <string.h>

#include "cli.h"
#include "pp/netlist.h"

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
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int pp_cli_mac_arch(const char *cmd, const char *opt, const char *v, struct pp_mac_opts *mo) {
  if (!strcmp(opt, "--part")) {
    if (!strcmp(v, "full")) mo->part = PP_MAC_FULL;
    else if (!strcmp(v, "mult")) mo->part = PP_MAC_MULT;
    else if (!strcmp(v, "adder")) mo->part = PP_MAC_ADDER;
    else return pp_cli_usage(cmd, "--part must be full, mult or adder, not '%s'", v);
  } else if (!strcmp(opt, "--mult")) {
    if (!strcmp(v, "array")) mo->mult = PP_MULT_ARRAY;
    else if (!strcmp(v, "booth")) mo->mult = PP_MULT_BOOTH;
    else return pp_cli_usage(cmd, "--mult must be array or booth, not '%s'", v);
  } else {
    if (!strcmp(v, "ripple")) mo->adder = PP_ADDER_RIPPLE;
    else if (!strcmp(v, "prefix")) mo->adder = PP_ADDER_PREFIX;
    else return pp_cli_usage(cmd, "--adder must be ripple or prefix, not '%s'", v);
  }
  return 0;
}

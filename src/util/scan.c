/* util/scan: numbers read one field at a time from a line of a tool's output
 * (OpenSTA reports, Icarus dumps), with strtol/strtod so that an overflow or
 * a field that is not a number is seen, which sscanf cannot report. */
#include "pp/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int pp_scan_long(const char **s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(*s, &end, 10);
  if (end == *s || errno == ERANGE) return -1;
  *out = v;
  *s = end;
  return 0;
}

int pp_scan_double(const char **s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(*s, &end);
  if (end == *s || errno == ERANGE || !isfinite(v)) return -1;
  *out = v;
  *s = end;
  return 0;
}

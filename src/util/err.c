/* util/err: error context and checked allocation. */
#include "pp/util.h"
#undef pp_err_set /* util.h's analyzer model is for the callers */
#undef pp_err_set_at

#include <stdlib.h>
#include <string.h>

void pp_err_clear(pp_err *e) {
  if (!e) return;
  e->status = PP_OK;
  e->file[0] = 0;
  e->line = 0;
  e->col = 0;
  e->msg[0] = 0;
}

static int set_v(pp_err *e, int status, const char *file, int line, int col, const char *fmt, va_list ap) {
  if (!e || e->status != PP_OK) return status; /* keep the first, most precise error */
  e->status = status;
  snprintf(e->file, sizeof e->file, "%s", file ? file : "");
  e->line = line;
  e->col = line > 0 ? col : 0;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  return status;
}

int pp_err_set(pp_err *e, int status, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = set_v(e, status, file, line, 0, fmt, ap);
  va_end(ap);
  return rc;
}

int pp_err_set_at(pp_err *e, int status, const char *file, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = set_v(e, status, file, line, col, fmt, ap);
  va_end(ap);
  return rc;
}

const char *pp_err_format(const pp_err *e, char *buf, size_t n) {
  if (e->file[0] && e->line > 0 && e->col > 0)
    snprintf(buf, n, "%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
  else if (e->file[0] && e->line > 0)
    snprintf(buf, n, "%s:%d: %s", e->file, e->line, e->msg);
  else if (e->file[0])
    snprintf(buf, n, "%s: %s", e->file, e->msg);
  else
    snprintf(buf, n, "%s", e->msg);
  return buf;
}

void *pp_xcalloc(size_t n, size_t size) {
  if (n == 0 || size == 0) return calloc(1, 1);
  return calloc(n, size);
}

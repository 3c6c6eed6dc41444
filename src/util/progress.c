/* util/progress: progress and ETA on stderr for long work, shown only when
 * stderr is a terminal so that logs and CI output stay clean. */
#include "pp/util.h"

#include <time.h>
#include <unistd.h>

double pp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void pp_progress_start(pp_progress *p, const char *what, long long total) {
  p->what = what;
  p->total = total;
  p->start = p->last = pp_now();
  p->enabled = isatty(STDERR_FILENO);
}

void pp_progress_update(pp_progress *p, long long done) {
  if (!p->enabled) return;
  double now = pp_now();
  if (now - p->last < 0.2 && done < p->total) return;
  p->last = now;
  double el = now - p->start;
  double frac = p->total > 0 ? (double)done / (double)p->total : 0;
  double eta = frac > 0 ? el * (1 - frac) / frac : 0;
  fprintf(stderr, "\r%s: %lld/%lld (%.0f%%) %.0fs elapsed, ETA %.0fs   ", p->what, done, p->total,
          100 * frac, el, eta);
}

void pp_progress_end(pp_progress *p) {
  if (!p->enabled) return;
  fprintf(stderr, "\r%s: done in %.1fs%40s\n", p->what, pp_now() - p->start, "");
}

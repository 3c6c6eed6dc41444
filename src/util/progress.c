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
  p->lines = 0;
  p->next_quarter = 1;
}

void pp_progress_start_lines(pp_progress *p, const char *what, long long total) {
  pp_progress_start(p, what, total);
  if (!p->enabled) p->enabled = p->lines = 1;
}

void pp_progress_update(pp_progress *p, long long done) {
  if (!p->enabled) return;
  double now = pp_now();
  if (p->lines) {
    /* no carriage returns in a log: one line per quarter, without an ETA */
    if (p->total <= 0 || done * 4 < p->next_quarter * p->total || p->next_quarter > 3) return;
    while (p->next_quarter <= 3 && done * 4 >= p->next_quarter * p->total) p->next_quarter++;
    fprintf(stderr, "%s: %lld/%lld (%.0f%%), %.1fs\n", p->what, done, p->total, 100.0 * (double)done / (double)p->total,
            now - p->start);
    return;
  }
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
  if (p->lines) fprintf(stderr, "%s: done in %.1fs\n", p->what, pp_now() - p->start);
  else fprintf(stderr, "\r%s: done in %.1fs%40s\n", p->what, pp_now() - p->start, "");
}

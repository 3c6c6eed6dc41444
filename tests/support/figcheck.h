/* tests/figcheck: checks a figure of module plot against the data beside it.
 * BASE.svg and BASE.csv must both exist; every plotted series (a run of CSV
 * rows with one series name, in order, "line: ..." rows aside) must have as
 * many marks in the SVG's matching gnuplot_plot_N group as it has rows:
 * points (<use>) and boxes (<polygon>), less the legend's sample when the
 * series has a legend entry. A series drawn as plain lines cannot be counted
 * this way and is accepted when its group draws a path. Heat maps (CSV
 * "x,y,value") must embed their image. Used by the plot and flow tests. */
#ifndef PP_TESTS_FIGCHECK_H
#define PP_TESTS_FIGCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/util.h"

static int figcheck_count(const char *a, const char *b, const char *needle) {
  int n = 0;
  size_t k = strlen(needle);
  for (const char *q = a; (q = strstr(q, needle)) && q < b; q += k) n++;
  return n;
}

/* 0 when BASE's figure shows every point of its CSV; else 1 with why filled. */
static int figcheck(const char *base, char *why, size_t nwhy) {
  char p[1400];
  char *svg = NULL, *csv = NULL;
  pp_err e;
  pp_err_clear(&e);
  snprintf(p, sizeof p, "%s.svg", base);
  if (pp_read_file(p, &svg, NULL, &e)) {
    snprintf(why, nwhy, "%.400s: cannot read", p);
    return 1;
  }
  snprintf(p, sizeof p, "%s.csv", base);
  if (pp_read_file(p, &csv, NULL, &e)) {
    snprintf(why, nwhy, "%.400s: no data file beside the figure", p);
    free(svg);
    return 1;
  }
  int bad = 0;
  char *nl = strchr(csv, '\n');
  if (!nl) {
    snprintf(why, nwhy, "%.400s: no header", p);
    bad = 1;
  } else if (!strncmp(csv, "x,y,value\n", 10)) {
    if (!strstr(svg, "<image")) snprintf(why, nwhy, "%.400s.svg: heat map without its image", base), bad = 1;
  } else {
    /* runs of rows with one series name */
    char prev[512] = "";
    int run = 0, group = 0;
    char *line = nl + 1;
    for (;;) {
      char name[512] = "";
      int end = !*line;
      if (!end) {
        const char *c = line;
        size_t k = 0;
        if (*c == '"') {
          for (c++; *c && k + 1 < sizeof name; c++) {
            if (*c == '"' && c[1] == '"') name[k++] = '"', c++;
            else if (*c == '"') break;
            else name[k++] = *c;
          }
        } else
          while (*c && *c != ',' && k + 1 < sizeof name) name[k++] = *c++;
        name[k] = 0;
      }
      if ((end || strcmp(name, prev)) && run > 0) {
        group++;
        char tag[64];
        snprintf(tag, sizeof tag, "<g id=\"gnuplot_plot_%d\"", group);
        const char *g = strstr(svg, tag);
        if (!g) {
          snprintf(why, nwhy, "%.300s.svg: series '%.100s' (%d points) is not drawn", base, prev, run);
          bad = 1;
          break;
        }
        const char *gend = strstr(g + 1, "<g id=\"gnuplot_plot_");
        if (!gend) gend = g + strlen(g);
        int marks = figcheck_count(g, gend, "<use") + figcheck_count(g, gend, "<polygon");
        /* a legend entry is drawn first in its group: its text before any mark (text after the
         * marks, in the last group, is the figure's title or labels) */
        const char *tx = strstr(g, "<text>"), *mk = NULL;
        static const char *mark_tags[3] = {"<use", "<polygon", "<path"};
        for (int t = 0; t < 3; t++) {
          const char *q = strstr(g, mark_tags[t]);
          if (q && q < gend && (!mk || q < mk)) mk = q;
        }
        int key = tx && tx < gend && (!mk || tx < mk);
        if (marks == 0 && figcheck_count(g, gend, "<path") > 0) {
          /* plain lines: not countable */
        } else if (marks - key != run) {
          snprintf(why, nwhy, "%.300s.svg: series '%.100s' shows %d of its %d points", base, prev, marks - key, run);
          bad = 1;
          break;
        }
        run = 0;
      }
      if (end) break;
      if (strncmp(name, "line: ", 6)) {
        snprintf(prev, sizeof prev, "%s", name);
        run++;
      }
      char *n2 = strchr(line, '\n');
      line = n2 ? n2 + 1 : line + strlen(line);
    }
  }
  free(svg);
  free(csv);
  return bad;
}

#endif

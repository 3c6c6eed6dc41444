/* cli/cmd_report: `powerprune report DIR` re-renders table.csv and report.html
 * of a run folder from its summary.json (e.g. after editing captions, or to
 * check a folder someone sent). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pp/plot.h"
#include "pp/report.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: powerprune report [--json] DIR\n"
          "\n"
          "Reads DIR/summary.json (written by 'powerprune run'), checks it, and writes\n"
          "DIR/table.csv and DIR/report.html again from it (and, when the run compared\n"
          "with PANN, DIR/pann_compare.csv and the plot pann_accuracy_power.svg/.png).\n"
          "Figures are referenced relatively, so DIR opens in a browser with no server.\n"
          "\n"
          "  --json     print the result (Table I's numbers, the file paths) as one JSON\n"
          "             object on stdout, \"format\": \"" PP_REPORT_RESULT_FORMAT "\"\n"
          "  -h, --help this text\n"
          "\n"
          "example: powerprune report demo-out && xdg-open demo-out/report.html\n");
}

int pp_cmd_report(int argc, char **argv) {
  const char *dir = NULL;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      return PP_EXIT_OK;
    } else if (!strcmp(argv[i], "--json")) json = 1;
    else if (argv[i][0] == '-') return pp_cli_usage("report", "unknown option '%s'", argv[i]);
    else if (dir) return pp_cli_usage("report", "only one folder, got '%s' and '%s'", dir, argv[i]);
    else dir = argv[i];
  }
  if (!dir) return pp_cli_usage("report", "missing the run folder");
  pp_err e;
  pp_err_clear(&e);
  char p[4096];
  snprintf(p, sizeof p, "%s/summary.json", dir);
  pp_report r;
  if (pp_report_load(p, &r, &e)) return pp_cli_fail("report", &e);
  snprintf(p, sizeof p, "%s/table.csv", dir);
  if (pp_report_write_csv(&r, p, &e)) return pp_cli_fail("report", &e);
  if (r.pann.present) {
    /* the comparison with PANN: its table and, when gnuplot is there, its plot */
    snprintf(p, sizeof p, "%s/pann_compare.csv", dir);
    if (pp_report_write_pann_csv(&r, p, &e)) return pp_cli_fail("report", &e);
    if (pp_plot_available() && pp_report_plot_pann(&r, dir, &e)) return pp_cli_fail("report", &e);
  }
  snprintf(p, sizeof p, "%s/report.html", dir);
  if (pp_report_write_html(&r, p, &e)) return pp_cli_fail("report", &e);
  for (int i = 0; i < r.nfigs; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, r.figs[i].file);
    FILE *f = fopen(p, "rb");
    if (!f) fprintf(stderr, "powerprune report: warning: figure %s is missing\n", p);
    else fclose(f);
  }
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_report_summary_json(&j, &r, dir);
    pp_json_end(&j);
  } else {
    fprintf(stderr, "powerprune report: wrote %s/table.csv and %s/report.html\n", dir, dir);
  }
  return PP_EXIT_OK;
}

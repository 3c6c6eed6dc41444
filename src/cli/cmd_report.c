/* cli/cmd_report: `powerprune report DIR` re-renders table.csv and report.html
 * of a run folder from its summary.json (e.g. after editing captions, or to
 * check a folder someone sent). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/plot.h"
#include "pp/report.h"

static const char *USAGE =
    "usage: powerprune report [--json] DIR\n"
    "\n"
    "Reads DIR/summary.json (written by 'powerprune run'), checks it, and writes\n"
    "DIR/table.csv and DIR/report.html again from it (and, when the run compared\n"
    "with PANN, DIR/pann_compare.csv and the plot pann_accuracy_power.svg/.png).\n"
    "Figures are referenced relatively, so DIR opens in a browser with no server.\n"
    "\n";

int pp_cmd_report(int argc, char **argv) {
  const char *dir = NULL;
  int json = 0, npos = 0;
  pp_opt opts[] = {
      PP_OPT_FLAG("json", &json,
                  "print the result (Table I's numbers, the file paths) as one JSON\n"
                  "object on stdout, \"format\": \"" PP_REPORT_RESULT_FORMAT "\""),
      PP_OPT_GROUP("example: powerprune report demo-out && xdg-open demo-out/report.html"),
      PP_OPT_END(),
  };
  int rc = pp_opt_parse("report", USAGE, opts, argc, argv, &npos);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if (npos > 1) return pp_cli_usage("report", "only one folder, got '%s' and '%s'", argv[1], argv[2]);
  if (npos == 1) dir = argv[1];
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

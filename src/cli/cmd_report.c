/* cli/cmd_report: `powerprune report` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_report(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune report: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

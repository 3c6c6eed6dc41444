/* cli/cmd_estimate: `powerprune estimate` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_estimate(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune estimate: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

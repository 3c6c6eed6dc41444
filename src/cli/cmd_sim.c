/* cli/cmd_sim: `powerprune sim` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_sim(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune sim: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

/* cli/cmd_run: `powerprune run` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune run: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

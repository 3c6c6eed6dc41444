/* cli/cmd_timing: `powerprune timing` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_timing(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune timing: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

/* cli/cmd_pann: `powerprune pann` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_pann(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune pann: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

/* cli/cmd_select: `powerprune select` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_select(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune select: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

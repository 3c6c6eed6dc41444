/* cli/cmd_trace: `powerprune trace` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_trace(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune trace: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

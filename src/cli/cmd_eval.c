/* cli/cmd_eval: `powerprune eval` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_eval(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune eval: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

/* cli/cmd_sta: `powerprune sta` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_sta(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune sta: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

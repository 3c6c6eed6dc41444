/* cli/cmd_characterize: `powerprune characterize` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_characterize(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune characterize: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

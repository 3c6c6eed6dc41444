/* cli/cmd_train: `powerprune train` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_train(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune train: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

/* cli/cmd_mac: `powerprune mac` (not built yet; its issue replaces this file). */
#include <stdio.h>

#include "cli.h"

int pp_cmd_mac(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "powerprune mac: not available in this build yet\n");
  return PP_EXIT_INTERNAL;
}

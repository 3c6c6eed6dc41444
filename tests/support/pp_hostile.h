/* File-name fragments a shell, a Tcl or Yosys script, or gnuplot would read
 * as syntax: every path that hands a user's file name to an external program
 * is tested with each of them (issue 15). */
#ifndef PP_TEST_HOSTILE_H
#define PP_TEST_HOSTILE_H

static const char *const pp_hostile_names[] = {
    "dq\"; exec -- touch pwned; echo \"",
    "sq'; touch pwned; echo '",
    "semi; touch pwned",
    "dollar$(touch pwned)",
    "tick`touch pwned`",
    "nl\nexec -- touch pwned\n",
    "brace{[exec touch pwned]}\\",
    "-dash",
};
#define PP_N_HOSTILE (sizeof pp_hostile_names / sizeof pp_hostile_names[0])

#endif

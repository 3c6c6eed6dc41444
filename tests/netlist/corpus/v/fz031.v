/*. */
module fa_wrap(a, o);
  fa_wrap b0 (.a(x[0assignodule

/*t id`d. */
module ga_wrap(a, b, c, s, co);
\esc  t[:0le

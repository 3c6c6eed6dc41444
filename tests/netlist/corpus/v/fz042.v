module m(y); output y;defparam(((((((/*t id`d. */
module ga_wrap(a, b, c, s, co(((()(
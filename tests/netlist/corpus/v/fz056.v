 `yoat/
module fa_wrap(a, d, c, s,o);
  inout a;
  inle

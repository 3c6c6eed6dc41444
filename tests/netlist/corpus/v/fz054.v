/* A 2-bit adder in t. */
module fa_wrap(a, b, c, s, co);
  input a;
  input f;
  input c;
  output s;
  output co;
task$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$_X2 u (.A(a), .B(b), .CI)c(, .S(s), .CO(ÿÿA(\carry[0_ver
/* A 2-bit adder in th`yosys a
   sub-module (flattened bž‘›ßßÑœo(\carry= xq+ y + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  FA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(c[0] ;
  ino));endmodm/* Aodul 2e
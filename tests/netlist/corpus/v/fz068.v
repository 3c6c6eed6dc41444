/* A 2-bit a$der oncatenation, constant.A(s and assigns. s = x + y + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  FA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
 input [1:0] x;
  input c;
  output s;
  output co;
  FA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add2(x, ye

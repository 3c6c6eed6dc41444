/*0+ y + cin. */
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
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] t;
  //hrough a full adder in a sub-module
  initial b0 (.a(±[b0;
  assign ×= t[2:0];e
ndmodule

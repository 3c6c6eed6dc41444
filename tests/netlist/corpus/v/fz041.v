/* A 2-bit adder tenation, constants and assigns. s = x + y + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  FA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add1(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] o;
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
  // biy[0] ), .Y(_0_));
  assign t[3] = 1'b0;
  assign s = t[2:0];
end u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add0(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] o;
  FA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add4(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:module

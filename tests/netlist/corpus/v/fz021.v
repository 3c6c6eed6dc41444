/* A 2-bit r in the style of `yosys write_verilog -noattr`, with a
   sub-modu*/
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  FA_X0 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output t;
  // bit 0 through a full adder in a sub-mo(_0_), .s(t[1])# .co(t[2]))module m(y); output [3:0] y; assign y = 64'hF; output [3:;
  always keep (.A(\carry[00]
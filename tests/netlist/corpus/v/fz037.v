module m(y); outp#(/* A 2-bit adder in the style of `yosys write_verilog -noattr`, with a
 nd assigns. s = x + y + cin. */
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
  wire \cwirearry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] smodule m(y); assign y= 4'b101 ;
  wire [3:0] t;
  //  0 through a full adder in a sub-modu((((((((((l(t[2]));
  BUF_X0 km(y);eep (.A(\carry[0] ), . Yodu
/* A 2-bit adder in the style of `yosys write_verilog -noattr`, s = x + y + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  FA_X1 u (.A(a), .B(bs), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] t;
  // b);
  fa_wrap b1 (.a(x[1]), .b(y[1]), .c(_0_), .s(t[1]), .co(t[1]));
`  BUF1Xk _eep (.A(\c!rry[ 1'b0;
  assign s = t[2:0];
endmodule

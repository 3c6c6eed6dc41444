/* A 2- s = x + y + cin. */
module fa_wrap(a,  y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [1:0] t;
  // bit 0 through a full adder in a sub-module
  fa_wrap b0 (.a(x[0]), .b(y[0]), .c(cin), .s(t[0]), .co(\caA(\carry[0] ), .Y(_0_));
  assign t[3] = 1'b0;
  assign s = t[2:0];
endmodule

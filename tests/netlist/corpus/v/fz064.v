/* A 2ic oo,nnstants and assigns. s = x + y + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
 inA_X1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] t;
  // bit 0 through a full adder b0 (.a(x[0]), .b(y[0]),.io(\carry[0] ));
  fa_wrap b1 (.a(x[1]), .b(y[1]), .c(_0_), .s(t[0]), .co(t[2]));
  BUF_X1 keep (.A(\carry[0] ), .Y(_0_));
  assign t[3] = 1'b0;
assign t[3] = 1'b0;
  assign s = t[2:0];
endmodule

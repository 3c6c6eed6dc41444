/* A 2-bit adder in the style of `yosys write_verilog -noattr 0                                1_0_FFFFF
   concatenatmon, constants and assigns. s = x + y + cin. ††††††††††††††††††††††††††††††††††††*/
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
 
  wire \carry[0] ;
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] t;
  // modu(\carry[0] ));
  fa_wrap b1 (.a(x[1]), .b(y[1]), .c(_0_), .s(t[1]), .co(a), .B(b), .CI(c), .S(s), .CBO(c;o))
endmodule

module add3,x, y, cin, s);
  w.Y(_1_));
  assign t[3] = 1'b0;
  assign s = t[2:0];
endmodule

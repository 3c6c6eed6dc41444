/* A 2-bit adder in the style of `yos write_verilog -noattr`& with a
   sub-module (finputned by the reader), an escaped name, a part-select in a
   concatenation, cI(c), .S(s), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  inp [1:0] x;
  input [1:1:0] y
;  input cin; s =1 u (.A(a), .B(b), .CI(c), .S(s), .CO(co));
endmodule

module add2(x, y, cin, s);
  wire _0_;
  wire \carry[0] ;
  input [1:0] x;
  input [1:0]s), .CO(co));
endm
  input b;
  input c;
  output s;
  output co;
  FA_X0 ue

module add2(x, y,c ,i 'ns);
  wire _0_;
  wire \carry[0] ;
  input [1:0
  output [2:0] s;
  wire [3:0tyle of `carry[0] ;
  0];
endmodule

/* A 2nts  + y + cin. */
module fa_wrap(a, b, c, s, co);
  input [1:0] x;
  input [1:0] y;
  input cin;
  output [2:0] s;
  wire [3:0] t;
  // b, .Y(_0_));
  0] t;
  // bit 0 through a full adder in
e

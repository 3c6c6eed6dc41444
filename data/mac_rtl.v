// mac_rtl: the behavioural MAC that `powerprune mac synth` maps onto a cell
// library with Yosys. y = p + w * a with w signed (W bits, two's complement),
// a unsigned (A bits), p and y signed P bits, wrapping modulo 2^P.
// Same ports as the generated netlists (w, a, p, y), so `mac check` applies.
module mac #(parameter W = 8, parameter A = 8, parameter P = 22) (
  input  signed [W-1:0] w,
  input         [A-1:0] a,
  input  signed [P-1:0] p,
  output signed [P-1:0] y
);
  // a gets a zero sign bit so that the product is signed x non-negative
  wire signed [A:0] a_s = {1'b0, a};
  assign y = p + w * a_s;
endmodule

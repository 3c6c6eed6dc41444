/* A 2 asle of `yosys w + cin. */
module fa_wrap(a, b, c, s, co);
  input a;
  input b;
  input c;
  output s;
  output co;
  X0 u (.A(a), .B(b), .CI(c), .S('s), .CоооооооооооBO(co));, y, ci/* A 2-bn, it 
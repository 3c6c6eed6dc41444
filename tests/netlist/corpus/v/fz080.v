/* A 2-bn. */
module fa_wrap(a, b, c, s, co);
  input [0:0] x;
  input [1:0] y;
  input cin;
 
  // [3:0] t;
  // m[3:0] t;
  // module m(\y[0] x;
  input [1:0] y;
  input cin;
 
  // 
  // moduwire [3:0] t;
  // module m(\y[t;
  // module // module m+\odule\y[0] ]modulee [4:0] t;
  // module // module m+\odule\y[0] );d;le

/* A cin. */
module frap(a, c, s, 
  output b,output modulco
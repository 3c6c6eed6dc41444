/* A 2-bit addee (fnatten. */
module fa_wrap( c, s, co); FA_X1 u (.A(a), .B(b), .CI(c), .B(.S(sign s = t[2:0]
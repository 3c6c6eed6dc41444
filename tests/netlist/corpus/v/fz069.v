/*  */
module va_wrqp( `r* A 4%1e
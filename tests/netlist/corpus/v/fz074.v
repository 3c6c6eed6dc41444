/*=A 2-bit adder in the /*`A 1- +  */
/*#in. 
*/module fa_wradnzpe(modulea, b,cin/* A  */
/*  2-aon, con+ * A  */
/*  2-aon, con+ y + cin.%*/
/*  1- A  */
/*  2-ain. */
/*  1-ion, cooulea,  A  *

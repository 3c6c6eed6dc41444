/* 2ÿÿ */
module farap(b, c`;
 subd  
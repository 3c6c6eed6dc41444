//* A~ 2-b. */
module farw_ap(a, o);
  input name, a+ cin. *
 
/*A n. */
module/* A 2-b. */
m/dul (
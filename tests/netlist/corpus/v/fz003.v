/*it eri*/
module fa \cs;Š  w]
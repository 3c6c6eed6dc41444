/* ¿â2p*/
module aap(a);task.X
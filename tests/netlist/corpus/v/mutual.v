module a(y); output y; b u(.y(y)); endmodule
module b(y); output y; a u(.y(y)); endmodule
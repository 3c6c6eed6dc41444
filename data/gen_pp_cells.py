#!/usr/bin/env python3
"""Writes data/pp_cells.lib, powerprune's own standard-cell library.

The library is a small, documented model of a 7 nm FinFET cell set, not a
characterized foundry library. Every figure comes from the parameters below;
each parameter says what it is modelled on. Re-run after changing them:
    python3 data/gen_pp_cells.py > data/pp_cells.lib
"""
import math

# ---- where the figures come from -------------------------------------------
# ASAP7: the 7 nm predictive PDK (Clark et al., "ASAP7: A 7-nm finFET
# predictive process design kit", Microelectronics Journal 53, 2016) and its
# 7.5-track standard-cell library (Xu et al., ISPD 2017). Published traits we
# follow: 54 nm contacted poly pitch (CPP) and 270 nm cell height, so one CPP
# of cell width is 0.054 um * 0.27 um = 0.01458 um^2 of area; nominal supply
# 0.7 V (we characterize at 0.8 V, the supply of the PowerPruning paper's MAC);
# a 1-fin-per-device x1 inverter with ~0.5-0.7 fF input capacitance and a
# fan-out-of-4 delay of about 7 ps; leakage of a few to tens of nW per cell
# (RVT, typical corner, 25 C).
# Everything else is derived from per-cell drive and intrinsic-delay factors
# (logical effort style: stacked transistors drive weaker; complex cells are
# two stages inside) so that relative figures are right and absolute figures
# are of the right order. Tables are 7 x 7 NLDM over input slew x output load.
VDD = 0.8
CPP_AREA = 0.01458            # um^2 per CPP of width (ASAP7 54 nm x 270 nm)
C_IN_X1 = 0.60                # fF, x1 inverter input (ASAP7 INVx1 ~0.5-0.7 fF)
R_X1 = 1.2                    # ps/fF, x1 inverter pull-up/down effective drive
D0_INV = 2.0                  # ps, parasitic delay of an inverter
SLEW_K = 0.10                 # delay sensitivity to input slew (ps/ps)
TRAN_K = 2.0                  # output transition ~ 2 R C (10-90 of an RC edge)
E_INT_X1 = 0.10               # fJ, internal (short-circuit + parasitic) energy per output edge, x1 inverter
E_SLEW_K = 0.004              # fJ/ps, short-circuit energy grows with input slew
LEAK_PER_FIN = 1.6            # nW per transistor (fin pair) at 0.8 V, 25 C (ASAP7 RVT order)
WIRE_CAP = 0.10               # fF, short local wire per net
WIRE_CAP_PER_FANOUT = 0.08    # fF per extra sink (placed-and-routed 7 nm local wiring ~0.2 fF/um)
DEFAULT_SLEW = 8.0            # ps, input edge of primary inputs (a strong x4 driver)

SLEWS = [2, 4, 8, 16, 32, 64, 128]          # ps
LOADS = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]  # fF

# cell: (name, cpp, transistors, inputs with relative input cap, outputs)
# output: (pin, function, drive strength, per-input arcs)
# arc: input -> (sense, intrinsic delay factor (x D0_INV), rise R factor, fall R factor, energy factor)
# Factors follow logical effort: NAND2 pulls down through 2 series devices (fall R x ~1.3 at equal
# input cap), NOR2 pulls up through 2 (rise R x ~1.6); AND/OR/BUF/XOR/MUX/HA/FA are two stages
# inside, so their intrinsic delay carries the first stage.
P, N, X = "positive_unate", "negative_unate", "non_unate"

def arcs(ins, sense, d, rr, rf, e, step=0.12):
    # inputs nearer the output (later in the stack) switch a little faster
    return {p: (sense, d * (1 + step * (len(ins) - 1 - i)), rr, rf, e) for i, p in enumerate(ins)}

CELLS = []
for x, cpp in ((1, 3), (2, 4), (4, 6)):
    CELLS.append((f"INV_X{x}", cpp, 2 * x, {"A": x}, [("Y", "!A", x, arcs("A", N, 1.0, 1.0, 1.0, 1.0))]))
for x, cpp in ((1, 4), (2, 5)):
    CELLS.append((f"BUF_X{x}", cpp, 2 + 2 * x, {"A": 1}, [("Y", "A", x, arcs("A", P, 2.6, 1.0, 1.0, 1.7))]))
for x, cpp in ((1, 4), (2, 6)):
    CELLS.append((f"NAND2_X{x}", cpp, 4 * x, {"A": x * 1.1, "B": x * 1.1},
                  [("Y", "!(A B)", x, arcs("AB", N, 1.35, 1.0, 1.3, 1.2))]))
    CELLS.append((f"NOR2_X{x}", cpp, 4 * x, {"A": x * 1.25, "B": x * 1.25},
                  [("Y", "!(A+B)", x, arcs("AB", N, 1.5, 1.6, 1.0, 1.3))]))
CELLS += [
    ("NAND3_X1", 5, 6, {"A": 1.2, "B": 1.2, "C": 1.2}, [("Y", "!(A B C)", 1, arcs("ABC", N, 1.7, 1.0, 1.6, 1.4))]),
    ("NOR3_X1", 5, 6, {"A": 1.4, "B": 1.4, "C": 1.4}, [("Y", "!(A+B+C)", 1, arcs("ABC", N, 2.0, 2.2, 1.0, 1.5))]),
    ("AND2_X1", 5, 6, {"A": 1.0, "B": 1.0}, [("Y", "(A B)", 1, arcs("AB", P, 3.0, 1.0, 1.0, 2.1))]),
    ("OR2_X1", 5, 6, {"A": 1.0, "B": 1.0}, [("Y", "(A+B)", 1, arcs("AB", P, 3.3, 1.0, 1.0, 2.2))]),
    ("XOR2_X1", 8, 10, {"A": 1.8, "B": 1.8}, [("Y", "(A^B)", 1, arcs("AB", X, 3.6, 1.15, 1.15, 3.0, 0.05))]),
    ("XNOR2_X1", 8, 10, {"A": 1.8, "B": 1.8}, [("Y", "!(A^B)", 1, arcs("AB", X, 3.6, 1.15, 1.15, 3.0, 0.05))]),
    ("AOI21_X1", 5, 6, {"A1": 1.3, "A2": 1.3, "B": 1.2},
     [("Y", "!((A1 A2)+B)", 1, {**arcs(["A1", "A2"], N, 1.7, 1.6, 1.3, 1.4), "B": (N, 1.45, 1.6, 1.0, 1.3)})]),
    ("OAI21_X1", 5, 6, {"A1": 1.3, "A2": 1.3, "B": 1.2},
     [("Y", "!((A1+A2) B)", 1, {**arcs(["A1", "A2"], N, 1.7, 1.3, 1.6, 1.4), "B": (N, 1.45, 1.0, 1.3, 1.3)})]),
    ("MUX2_X1", 9, 12, {"A": 1.2, "B": 1.2, "S": 2.0},
     [("Y", "((A !S)+(B S))", 1, {"A": (P, 3.4, 1.0, 1.0, 2.6), "B": (P, 3.4, 1.0, 1.0, 2.6),
                                  "S": (X, 4.0, 1.0, 1.0, 3.0)})]),
    ("HA_X1", 10, 14, {"A": 2.2, "B": 2.2},
     [("CO", "(A B)", 1, arcs("AB", P, 3.0, 1.0, 1.0, 2.1)),
      ("S", "(A^B)", 1, arcs("AB", X, 3.8, 1.15, 1.15, 3.1, 0.05))]),
    ("FA_X1", 16, 28, {"A": 2.6, "B": 2.6, "CI": 2.2},
     [("CO", "((A B)+(CI (A+B)))", 1, arcs(["A", "B", "CI"], P, 3.6, 1.1, 1.1, 3.2, 0.08)),
      ("S", "(A^B^CI)", 1, arcs(["A", "B", "CI"], X, 4.8, 1.15, 1.15, 4.0, 0.10))]),
]

def fmt(v):
    return ("%.4f" % v).rstrip("0").rstrip(".") if abs(v) >= 1e-4 else "0"

def table(name, tmpl, f, ind):
    rows = []
    for s in SLEWS:
        rows.append('"' + ", ".join(fmt(f(s, c)) for c in LOADS) + '"')
    sep = ", \\\n" + ind + "  "
    return f"{ind}{name}({tmpl}) {{\n{ind}  values ( \\\n{ind}  " + sep.join(rows) + f");\n{ind}}}\n"

def delay(d0, r, s, c):
    # intrinsic + drive * load + slew term, plus a slew x load cross term
    # (a slow input edge overlaps a slow output edge), so tables are not planar
    return d0 + r * c + SLEW_K * s + 0.15 * math.sqrt(s * c)

def tran(t0, r, s, c):
    return t0 + TRAN_K * r * c + 0.08 * s

def out_lines():
    o = []
    w = o.append
    w("/* pp_cells: powerprune's own standard-cell library (generated by data/gen_pp_cells.py; edit")
    w(" * the parameters there, not this file).")
    w(" *")
    w(" * A documented model of a 7 nm FinFET cell set at 0.8 V, typical corner, 25 C. Sources of the")
    w(" * figures (see the generator for each parameter):")
    w(" *  - ASAP7 predictive PDK (Clark et al., Microelectronics J. 53, 2016) and its 7.5-track cell")
    w(" *    library (Xu et al., ISPD 2017): area = CPP count x 0.01458 um^2 (54 nm CPP x 270 nm height);")
    w(f" *    x1 inverter input {C_IN_X1} fF, drive {R_X1} ps/fF, parasitic delay {D0_INV} ps (FO4 ~ 7 ps);")
    w(f" *    leakage {LEAK_PER_FIN} nW per transistor (RVT order of magnitude).")
    w(" *  - Relative drive, input capacitance and intrinsic delay of each cell: logical effort")
    w(" *    (Sutherland, Sproull, Harris), with complex cells as two internal stages.")
    w(f" *  - Internal energy {E_INT_X1} fJ per x1 output edge plus {E_SLEW_K} fJ/ps of input slew")
    w(" *    (short-circuit current), scaled by each cell's internal node count.")
    w(" * Units: ps, fF, nW, V; internal_power tables are in fJ (fF x V^2).")
    w(" * NLDM tables: 7 x 7, input slew x output load (variable_1 = input_net_transition).")
    w(" *")
    w(" * Project attributes (other Liberty tools ignore unknown simple attributes):")
    w(" *   pp_default_input_slew  input edge (time unit) assumed at primary inputs;")
    w(" *   pp_wire_cap            wire-load estimate per net (capacitive_load_unit);")
    w(" *   pp_wire_cap_per_fanout extra wire capacitance per fanout sink.")
    w(" * A net's load is the sum of its fanout pin capacitances + pp_wire_cap +")
    w(" * pp_wire_cap_per_fanout x fanout (+ one x1 inverter input for a primary output). */")
    w("library (pp_cells) {")
    w("  delay_model : table_lookup;")
    w('  time_unit : "1ps";')
    w('  voltage_unit : "1V";')
    w('  current_unit : "1mA";')
    w('  leakage_power_unit : "1nW";')
    w("  capacitive_load_unit (1, ff);")
    w(f"  nom_voltage : {VDD};")
    w("  nom_temperature : 25;")
    w("  nom_process : 1;")
    # the operating point, as real libraries state it: OpenSTA takes the
    # supply of switching and internal power from it (none: 0 W)
    w("  operating_conditions (typical) { process : 1; voltage : %g; temperature : 25; }" % VDD)
    w("  default_operating_conditions : typical;")
    w(f"  pp_default_input_slew : {DEFAULT_SLEW};")
    w(f"  pp_wire_cap : {WIRE_CAP};")
    w(f"  pp_wire_cap_per_fanout : {WIRE_CAP_PER_FANOUT};")
    w("  slew_lower_threshold_pct_rise : 10; slew_upper_threshold_pct_rise : 90;")
    w("  slew_lower_threshold_pct_fall : 10; slew_upper_threshold_pct_fall : 90;")
    w("  input_threshold_pct_rise : 50; input_threshold_pct_fall : 50;")
    w("  output_threshold_pct_rise : 50; output_threshold_pct_fall : 50;")
    idx1 = ", ".join(fmt(s) for s in SLEWS)
    idx2 = ", ".join(fmt(c) for c in LOADS)
    w("  lu_table_template (delay_7x7) {")
    w("    variable_1 : input_net_transition;")
    w("    variable_2 : total_output_net_capacitance;")
    w(f'    index_1 ("{idx1}");')
    w(f'    index_2 ("{idx2}");')
    w("  }")
    w("  power_lut_template (energy_7x7) {")
    w("    variable_1 : input_transition_time;")
    w("    variable_2 : total_output_net_capacitance;")
    w(f'    index_1 ("{idx1}");')
    w(f'    index_2 ("{idx2}");')
    w("  }")
    w("  lu_table_template (constraint_3x3) {")
    w("    variable_1 : related_pin_transition;")
    w("    variable_2 : constrained_pin_transition;")
    w('    index_1 ("4, 16, 64");')
    w('    index_2 ("4, 16, 64");')
    w("  }")
    for name, cpp, ntr, ins, outs in CELLS:
        w(f"  cell ({name}) {{")
        w(f"    area : {cpp * CPP_AREA:.5f};")
        w(f"    cell_leakage_power : {fmt(ntr * LEAK_PER_FIN)};")
        for p, rel in ins.items():
            w(f"    pin ({p}) {{ direction : input; capacitance : {fmt(C_IN_X1 * rel)}; }}")
        for op, func, drive, arcd in outs:
            w(f"    pin ({op}) {{")
            w("      direction : output;")
            w(f'      function : "{func}";')
            w(f"      max_capacitance : {fmt(16.0 * drive)};")
            for ip, (sense, dfac, rr, rf, efac) in arcd.items():
                r_rise, r_fall = R_X1 * rr / drive, R_X1 * rf / drive
                d0 = D0_INV * dfac
                w("      timing () {")
                w(f'        related_pin : "{ip}";')
                w(f"        timing_sense : {sense};")
                ind = "        "
                o.append(table("cell_rise", "delay_7x7", lambda s, c: delay(d0, r_rise, s, c), ind).rstrip("\n"))
                o.append(table("rise_transition", "delay_7x7", lambda s, c: tran(0.6 * d0, r_rise, s, c), ind).rstrip("\n"))
                o.append(table("cell_fall", "delay_7x7", lambda s, c: delay(d0 * 0.92, r_fall, s, c), ind).rstrip("\n"))
                o.append(table("fall_transition", "delay_7x7", lambda s, c: tran(0.55 * d0, r_fall, s, c), ind).rstrip("\n"))
                w("      }")
            for ip, (sense, dfac, rr, rf, efac) in arcd.items():
                e0 = E_INT_X1 * efac * (drive ** 0.8)
                w("      internal_power () {")
                w(f'        related_pin : "{ip}";')
                ind = "        "
                o.append(table("rise_power", "energy_7x7", lambda s, c: e0 + E_SLEW_K * efac * s + 0.004 * c, ind).rstrip("\n"))
                o.append(table("fall_power", "energy_7x7", lambda s, c: 0.85 * e0 + E_SLEW_K * efac * s + 0.003 * c, ind).rstrip("\n"))
                w("      }")
            w("    }")
        w("  }")
    # the flip-flop: sequential (ff group), so the combinational graph never uses it;
    # here for Yosys' dfflibmap and for pipelined MACs
    w("  cell (DFF_X1) {")
    w(f"    area : {20 * CPP_AREA:.5f};")
    w(f"    cell_leakage_power : {fmt(24 * LEAK_PER_FIN)};")
    w('    ff (IQ, IQN) { next_state : "D"; clocked_on : "CLK"; }')
    w(f"    pin (CLK) {{ direction : input; clock : true; capacitance : {fmt(C_IN_X1 * 1.1)}; }}")
    w("    pin (D) {")
    w(f"      direction : input; capacitance : {fmt(C_IN_X1 * 1.0)};")
    for kind, v in (("setup_rising", 6.0), ("hold_rising", 2.0)):
        w("      timing () {")
        w('        related_pin : "CLK";')
        w(f"        timing_type : {kind};")
        w(f'        rise_constraint (constraint_3x3) {{ values ("{fmt(v)}, {fmt(v+2)}, {fmt(v+6)}", "{fmt(v+1)}, {fmt(v+3)}, {fmt(v+7)}", "{fmt(v+3)}, {fmt(v+5)}, {fmt(v+9)}"); }}')
        w(f'        fall_constraint (constraint_3x3) {{ values ("{fmt(v)}, {fmt(v+2)}, {fmt(v+6)}", "{fmt(v+1)}, {fmt(v+3)}, {fmt(v+7)}", "{fmt(v+3)}, {fmt(v+5)}, {fmt(v+9)}"); }}')
        w("      }")
    w("    }")
    w("    pin (Q) {")
    w('      direction : output; function : "IQ"; max_capacitance : 16;')
    w("      timing () {")
    w('        related_pin : "CLK";')
    w("        timing_type : rising_edge;")
    w("        timing_sense : non_unate;")
    d0 = D0_INV * 5.0
    ind = "        "
    o.append(table("cell_rise", "delay_7x7", lambda s, c: delay(d0, R_X1, s, c), ind).rstrip("\n"))
    o.append(table("rise_transition", "delay_7x7", lambda s, c: tran(3.0, R_X1, s, c), ind).rstrip("\n"))
    o.append(table("cell_fall", "delay_7x7", lambda s, c: delay(d0, R_X1, s, c), ind).rstrip("\n"))
    o.append(table("fall_transition", "delay_7x7", lambda s, c: tran(3.0, R_X1, s, c), ind).rstrip("\n"))
    w("      }")
    w("      internal_power () {")
    w('        related_pin : "CLK";')
    o.append(table("rise_power", "energy_7x7", lambda s, c: 0.9 + E_SLEW_K * s, ind).rstrip("\n"))
    o.append(table("fall_power", "energy_7x7", lambda s, c: 0.8 + E_SLEW_K * s, ind).rstrip("\n"))
    w("      }")
    w("    }")
    w("  }")
    w("}")
    return o

if __name__ == "__main__":
    print("\n".join(out_lines()))

#!/usr/bin/python3
"""Checks an exported ONNX model with Debian's python3-onnx: the checker with
full shape inference must accept it. Prints one JSON line: the operator
counts, the distinct values of the int8 initializers, and the element types
of the initializers, for the calling test to assert on.

usage: onnx_check.py MODEL.onnx"""
import json
import sys

import onnx
from onnx import numpy_helper


def main():
    m = onnx.load(sys.argv[1])
    onnx.checker.check_model(m, full_check=True)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    int8 = set()
    types = {}
    for t in m.graph.initializer:
        name = onnx.TensorProto.DataType.Name(t.data_type)
        types[name] = types.get(name, 0) + 1
        if t.data_type == onnx.TensorProto.INT8:
            int8.update(int(v) for v in numpy_helper.to_array(t).ravel())
    print(json.dumps({"ops": ops, "int8_values": sorted(int8), "types": types, "opset": m.opset_import[0].version}))


if __name__ == "__main__":
    main()

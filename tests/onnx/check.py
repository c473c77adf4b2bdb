"""Checks one exported ONNX model with ONNX's own checker (full_check also runs strict shape inference) and prints
what the file says as JSON, for tests/Unrolled.Tests/OnnxExportTests:
    /usr/bin/python3 tests/onnx/check.py MODEL.onnx
A model of a newer operator set than the installed onnx knows (Debian 12's python3-onnx 1.12 knows up to 17) cannot be
checked by it; it is loaded and summarised, with "checked": false.
"""
import json
import sys

import onnx


def dims(value):
    shape = value.type.tensor_type.shape
    return [d.dim_param if d.HasField("dim_param") else (d.dim_value if d.HasField("dim_value") else None) for d in shape.dim]


model = onnx.load(sys.argv[1])
opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
checked = opset <= onnx.defs.onnx_opset_version()
if checked:
    onnx.checker.check_model(model, full_check=True)
graph = model.graph
print(json.dumps({
    "checked": checked,
    "ir_version": model.ir_version,
    "opset": [{"domain": o.domain, "version": o.version} for o in model.opset_import],
    "producer_name": model.producer_name,
    "producer_version": model.producer_version,
    "graph_name": graph.name,
    "inputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in graph.input],
    "outputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in graph.output],
    "initializers": [{"name": t.name, "dims": list(t.dims)} for t in graph.initializer],
    "ops": sorted({n.op_type for n in graph.node}),
}, separators=(",", ":")))

// Runs one ONNX model in ONNX Runtime (CPU) for tests/Unrolled.Tests/OnnxExportTests:
//   node tests/onnx/run.mjs MODEL.onnx FEEDS.json
// FEEDS.json is {"input name": {"type": "float32" | "int32", "dims": [...], "data": [...]}, ...}; prints the outputs as
// {"output name": {"dims": [...], "data": [...]}, ...}, in the session's output order, on one line.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";

const [modelPath, feedsPath] = process.argv.slice(2);
const options = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" };
const session = await ort.InferenceSession.create(modelPath, options);
const feeds = {};
for (const [name, value] of Object.entries(JSON.parse(readFileSync(feedsPath, "utf8")))) {
  const data = value.type === "int32" ? Int32Array.from(value.data) : Float32Array.from(value.data);
  feeds[name] = new ort.Tensor(value.type, data, value.dims);
}
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) {
  outputs[name] = { dims: results[name].dims.map(Number), data: Array.from(results[name].data, Number) };
}
console.log(JSON.stringify({ inputs: session.inputNames, outputs }));

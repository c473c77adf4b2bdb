// ONNX Runtime 1.30 (CPU, one intra-op thread) on the models bench/torch_models.py exports: prints "case microseconds",
// the median of ROUNDS rounds of about 0.3 s each, as bench/Unrolled.Benchmarks --probe does.
//   node bench/ort/probe.mjs MODEL_DIR [ROUNDS]
import * as ort from "onnxruntime-node";

const [dir, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText ?? 5);
const options = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" };

function random(n) {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.random();
  return values;
}

async function median(run) {
  for (let i = 0; i < 20; i++) await run();
  const results = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    while (Number(process.hrtime.bigint() - start) < 3e8 || n < 3) {
      await run();
      n++;
    }
    results.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(rounds / 2)];
}

const mlp = await ort.InferenceSession.create(`${dir}/mlp.onnx`, options);
const conv = await ort.InferenceSession.create(`${dir}/conv.onnx`, options);
const lstm = await ort.InferenceSession.create(`${dir}/lstm.onnx`, options);
const feeds = (batch) => ({
  mlp: { x: new ort.Tensor("float32", random(batch * 784), [batch, 784]) },
  conv: { img: new ort.Tensor("float32", random(batch * 784), [batch, 1, 28, 28]) },
  lstm: {
    ids: new ort.Tensor("int64", BigInt64Array.from({ length: batch * 100 }, (_, i) => BigInt((i * 7919) % 10000)), [batch, 100]),
    aux: new ort.Tensor("float32", random(batch * 5), [batch, 5]),
  },
});
const one = feeds(1), many = feeds(64);
const cases = [
  ["mlp_predict_b1", () => mlp.run(one.mlp)],
  ["mlp_predict_b64", () => mlp.run(many.mlp)],
  ["conv_predict_b1", () => conv.run(one.conv)],
  ["conv_predict_b64", () => conv.run(many.conv)],
  ["lstm_predict_b1", () => lstm.run(one.lstm)],
];
for (const [name, run] of cases) {
  console.log(`${name} ${(await median(run)).toFixed(2)}`);
}

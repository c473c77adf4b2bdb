using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Runs a model from its <see cref="ModelGraph"/> alone, as an exporter would read it: nodes in order, groups skipped,
/// each computation from its kind, settings, weights and input edges, in plain double-precision loops with nothing
/// from the generated code. Covers the Dense family, merges, operations, TimeDistributed's folding, global average
/// pooling and LayerNormalization.
/// </summary>
internal static class FlatGraphInterpreter
{
    /// <summary>A value: rows (the batch, or batch × steps inside TimeDistributed) of one per-sample shape.</summary>
    private sealed record Value(double[] Data, int[] Shape, int Rows)
    {
        public int Size => Shape.Aggregate(1, (a, b) => a * b);
    }

    public static float[][] Run(ModelGraph graph, float[] weights, float[][] inputs, int batch)
    {
        var values = new Value?[graph.Nodes.Count];
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            values[graph.Inputs[i]] = new Value(inputs[i].Select(v => (double)v).ToArray(), graph[graph.Inputs[i]].Shape.ToArray(), batch);
        }

        foreach (var node in graph.Nodes)
        {
            if (node.IsGroup || values[node.Id] is not null)
            {
                continue;
            }

            var args = node.Inputs.Select(i => values[i] ?? throw new InvalidOperationException($"{node} reads {i}, which has no value yet")).ToList();
            var value = Evaluate(node, args, node.Weights.Select(w => weights.AsSpan(w.Offset, w.Size).ToArray()).ToList());
            Assert.True(value.Shape.SequenceEqual(node.Shape.Select(d => d)), $"{node}: computed shape [{string.Join(", ", value.Shape)}], described [{string.Join(", ", node.Shape)}]");
            values[node.Id] = value;
        }

        return graph.Outputs.Select(o => values[o]!.Data.Select(v => (float)v).ToArray()).ToArray();
    }

    private static Value Evaluate(GraphNode node, List<Value> x, List<float[]> w)
    {
        switch (node.Kind)
        {
            case GraphNodeKind.InputLayer:
            case GraphNodeKind.Dropout:
            case GraphNodeKind.Flatten:
            case GraphNodeKind.Reshape:
                // A nested model's input passes its tensor on; the others only change the shape, or nothing when predicting.
                return x[0] with { Shape = node.Shape.ToArray() };
            case GraphNodeKind.Dense:
            {
                int inputs = x[0].Shape[^1], units = node.Setting("units")!.AsInt32();
                bool bias = node.Setting("use_bias")!.AsBoolean();
                Assert.Equal(new[] { inputs, units }, node.Weights[0].Shape);
                int positions = x[0].Data.Length / inputs;
                var y = new double[positions * units];
                for (int p = 0; p < positions; p++)
                {
                    for (int u = 0; u < units; u++)
                    {
                        double sum = bias ? w[1][u] : 0;
                        for (int i = 0; i < inputs; i++)
                        {
                            sum += x[0].Data[p * inputs + i] * w[0][i * units + u];
                        }

                        y[p * units + u] = sum;
                    }
                }

                var shape = x[0].Shape[..^1].Append(units).ToArray();
                return Activate(new Value(y, shape, x[0].Rows), node.Setting("activation")!.AsString());
            }

            case GraphNodeKind.Activation:
                return Activate(x[0], node.Setting("activation")!.AsString());
            case GraphNodeKind.Concatenate:
            {
                int rank = x[0].Shape.Length, axis = Axis(node.Setting("axis")!.AsInt32(), rank);
                int outer = x[0].Shape[..axis].Aggregate(1, (a, b) => a * b) * x[0].Rows;
                var shape = (int[])x[0].Shape.Clone();
                shape[axis] = x.Sum(v => v.Shape[axis]);
                var y = new List<double>();
                for (int o = 0; o < outer; o++)
                {
                    foreach (var v in x)
                    {
                        int block = v.Shape[axis..].Aggregate(1, (a, b) => a * b);
                        y.AddRange(v.Data.Skip(o * block).Take(block));
                    }
                }

                return new Value(y.ToArray(), shape, x[0].Rows);
            }

            case GraphNodeKind.Add:
                return x.Skip(1).Aggregate(x[0], (a, b) => Broadcast(a, b, (p, q) => p + q));
            case GraphNodeKind.Subtract:
                return Broadcast(x[0], x[1], (p, q) => p - q);
            case GraphNodeKind.Multiply:
                return x.Skip(1).Aggregate(x[0], (a, b) => Broadcast(a, b, (p, q) => p * q));
            case GraphNodeKind.Maximum:
                return x.Skip(1).Aggregate(x[0], (a, b) => Broadcast(a, b, Math.Max));
            case GraphNodeKind.Minimum:
                return x.Skip(1).Aggregate(x[0], (a, b) => Broadcast(a, b, Math.Min));
            case GraphNodeKind.Average:
            {
                var sum = x.Skip(1).Aggregate(x[0], (a, b) => Broadcast(a, b, (p, q) => p + q));
                return sum with { Data = sum.Data.Select(v => v / x.Count).ToArray() };
            }

            case GraphNodeKind.Dot:
            {
                // Keras's batch_dot, element by element: out[x's free indices…, y's free indices…] = Σₖ x[…k…] · y[…k…].
                var setting = node.Setting("axes")!;
                int[] written = setting.Kind == LayerSettingKind.Integers ? setting.AsInt32s().ToArray() : new[] { setting.AsInt32() };
                int Resolve(int i, int rank) { int w = written[written.Length == 1 ? 0 : i]; return (w < 0 ? w + rank + 1 : w) - 1; }
                int first = Resolve(0, x[0].Shape.Length), second = Resolve(1, x[1].Shape.Length);
                bool normalize = node.Setting("normalize")!.AsBoolean();
                var (a, b) = (x[0], x[1]);
                int k = a.Shape[first];
                int[] freeA = a.Shape.Where((_, i) => i != first).ToArray(), freeB = b.Shape.Where((_, i) => i != second).ToArray();
                int sizeA = a.Shape.Aggregate(1, (p, d) => p * d), sizeB = b.Shape.Aggregate(1, (p, d) => p * d);
                int p = freeA.Aggregate(1, (u, d) => u * d), q = freeB.Aggregate(1, (u, d) => u * d);
                int innerA = a.Shape.Skip(first + 1).Aggregate(1, (u, d) => u * d), innerB = b.Shape.Skip(second + 1).Aggregate(1, (u, d) => u * d);
                int At(int free, int kk, int inner) => ((free / inner) * k * inner) + (kk * inner) + (free % inner);
                var y = new double[a.Rows * p * q];
                for (int r = 0; r < a.Rows; r++)
                {
                    for (int i = 0; i < p; i++)
                    {
                        for (int j = 0; j < q; j++)
                        {
                            double sum = 0, na = 0, nb = 0;
                            for (int kk = 0; kk < k; kk++)
                            {
                                double u = a.Data[(r * sizeA) + At(i, kk, innerA)], v = b.Data[(r * sizeB) + At(j, kk, innerB)];
                                sum += u * v;
                                na += u * u;
                                nb += v * v;
                            }

                            y[(r * p * q) + (i * q) + j] = normalize ? sum / (Math.Sqrt(Math.Max(na, 1e-12)) * Math.Sqrt(Math.Max(nb, 1e-12))) : sum;
                        }
                    }
                }

                int[] shape = freeA.Concat(freeB).ToArray();
                return new Value(y, shape.Length == 0 ? new[] { 1 } : shape, a.Rows);
            }

            case GraphNodeKind.Attention:
            {
                // softmax(scale · q·kᵀ)·v per sample, in double; the key is the value when not given.
                var (q, v) = (x[0], x[1]);
                var k = x.Count > 2 ? x[2] : v;
                int tq = q.Shape[0], dim = q.Shape[1], tv = v.Shape[0], dv = v.Shape[1];
                double scale = node.Setting("use_scale")!.AsBoolean() ? w[0][0] : 1;
                var y = new double[q.Rows * tq * dv];
                for (int r = 0; r < q.Rows; r++)
                {
                    for (int i = 0; i < tq; i++)
                    {
                        var scores = new double[tv];
                        for (int j = 0; j < tv; j++)
                        {
                            for (int p = 0; p < dim; p++)
                            {
                                scores[j] += q.Data[(((r * tq) + i) * dim) + p] * k.Data[(((r * tv) + j) * dim) + p];
                            }

                            scores[j] *= scale;
                        }

                        double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                        for (int j = 0; j < tv; j++)
                        {
                            double weight = Math.Exp(scores[j] - max) / sum;
                            for (int c = 0; c < dv; c++)
                            {
                                y[(((r * tq) + i) * dv) + c] += weight * v.Data[(((r * tv) + j) * dv) + c];
                            }
                        }
                    }
                }

                return new Value(y, new[] { tq, dv }, q.Rows);
            }

            case GraphNodeKind.EinsumDense:
            {
                // The einsum itself, index by index: every output element the sum over the contracted letters of input ×
                // kernel, the bias (Keras's: from the first bias letter to the end, 1 on the others) broadcast from the right.
                string equation = node.Setting("equation")!.AsString().Replace(" ", string.Empty);
                string[] sides = equation.Split("->");
                string[] operands = sides[0].Split(',');
                string input = operands[0], kernel = operands[1], output = sides[1];
                // Per-sample labels: the batch letter (or the ellipsis's first axis) dropped, the ellipsis's axes as digits.
                int elided = x[0].Shape.Length - (input.Replace("...", string.Empty).Length - (input.StartsWith("...", StringComparison.Ordinal) ? 0 : 1));
                string dots = new string(Enumerable.Range(0, elided).Select(i => (char)('0' + i)).ToArray());
                string Expand(string side) => side.StartsWith("...", StringComparison.Ordinal) ? dots + side[3..]
                    : side.EndsWith("...", StringComparison.Ordinal) ? side[1..^3] + dots : side[1..];
                string inputLabels = Expand(input), outputLabels = Expand(output);
                var size = new Dictionary<char, int>();
                for (int i = 0; i < inputLabels.Length; i++)
                {
                    size[inputLabels[i]] = x[0].Shape[i];
                }

                var kernelShape = node.Weights[0].Shape;
                for (int i = 0; i < kernel.Length; i++)
                {
                    size[kernel[i]] = kernelShape[i];
                }

                var outputShape = outputLabels.Select(l => size[l]).ToArray();
                string summed = new string(kernel.Where(l => outputLabels.IndexOf(l) < 0).ToArray());
                string biasAxes = node.Setting("bias_axes")!.Kind == LayerSettingKind.None ? string.Empty : node.Setting("bias_axes")!.AsString();
                int biasFrom = biasAxes.Length == 0 ? -1 : outputLabels.IndexOfAny(biasAxes.ToCharArray());
                int Flat(string labels, IReadOnlyDictionary<char, int> at)
                {
                    int index = 0;
                    foreach (char l in labels)
                    {
                        index = (index * size[l]) + at[l];
                    }

                    return index;
                }

                int outputSize = outputShape.Aggregate(1, (a, d) => a * d), inputSize = x[0].Size;
                var y = new double[x[0].Rows * outputSize];
                var at = new Dictionary<char, int>();
                for (int r = 0; r < x[0].Rows; r++)
                {
                    for (int o = 0; o < outputSize; o++)
                    {
                        for (int i = outputLabels.Length - 1, rest = o; i >= 0; i--)
                        {
                            at[outputLabels[i]] = rest % size[outputLabels[i]];
                            rest /= size[outputLabels[i]];
                        }

                        int combinations = summed.Aggregate(1, (a, l) => a * size[l]);
                        double sum = 0;
                        for (int c = 0; c < combinations; c++)
                        {
                            for (int i = summed.Length - 1, rest = c; i >= 0; i--)
                            {
                                at[summed[i]] = rest % size[summed[i]];
                                rest /= size[summed[i]];
                            }

                            sum += x[0].Data[(r * inputSize) + Flat(inputLabels, at)] * w[0][Flat(kernel, at)];
                        }

                        if (biasFrom >= 0)
                        {
                            int b = 0;
                            foreach (char l in outputLabels[biasFrom..])
                            {
                                b = biasAxes.IndexOf(l) >= 0 ? (b * size[l]) + at[l] : b;
                            }

                            sum += w[1][b];
                        }

                        y[(r * outputSize) + o] = sum;
                    }
                }

                return Activate(new Value(y, outputShape, x[0].Rows), node.Setting("activation")!.AsString());
            }

            case GraphNodeKind.AdditiveAttention:
            {
                // softmax over j of Σ_d scale_d · tanh(q[i, d] + k[j, d]), times v, per sample in double.
                var (q, v) = (x[0], x[1]);
                var k = x.Count > 2 ? x[2] : v;
                int tq = q.Shape[0], dim = q.Shape[1], tv = v.Shape[0], dv = v.Shape[1];
                bool useScale = node.Setting("use_scale")!.AsBoolean();
                var y = new double[q.Rows * tq * dv];
                for (int r = 0; r < q.Rows; r++)
                {
                    for (int i = 0; i < tq; i++)
                    {
                        var scores = new double[tv];
                        for (int j = 0; j < tv; j++)
                        {
                            for (int d = 0; d < dim; d++)
                            {
                                scores[j] += (useScale ? w[0][d] : 1) * Math.Tanh(q.Data[(((r * tq) + i) * dim) + d] + k.Data[(((r * tv) + j) * dim) + d]);
                            }
                        }

                        double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                        for (int j = 0; j < tv; j++)
                        {
                            for (int c = 0; c < dv; c++)
                            {
                                y[(((r * tq) + i) * dv) + c] += Math.Exp(scores[j] - max) / sum * v.Data[(((r * tv) + j) * dv) + c];
                            }
                        }
                    }
                }

                return new Value(y, new[] { tq, dv }, q.Rows);
            }

            case GraphNodeKind.MultiHeadAttention:
            {
                // Per sample and head, in double: q = x_q·Wq[:, h, :] + bq[h] (likewise k and v), softmax over the keys of
                // q·kᵀ/√key_dim (key steps after the query step masked off with the causal mask), times v; the heads'
                // outputs through Wo[h] summed, plus bo.
                int heads = node.Setting("num_heads")!.AsInt32(), kd = node.Setting("key_dim")!.AsInt32(), vd = node.Setting("value_dim")!.AsInt32();
                bool bias = node.Setting("use_bias")!.AsBoolean(), causal = node.Setting("use_causal_mask")!.AsBoolean();
                var (query, value) = (x[0], x[1]);
                var key = x.Count > 2 ? x[2] : value;
                int tq = query.Shape[0], dq = query.Shape[1], tk = value.Shape[0], dv = value.Shape[1], dk = key.Shape[1];
                int step = bias ? 2 : 1;
                float[] wq = w[0], wk = w[step], wv = w[2 * step], wo = w[3 * step];
                int output = wo.Length / (heads * vd);
                double[] Project(Value input, int r, int t, int features, float[] kernel, float[]? b, int h, int dim)
                {
                    var y = new double[dim];
                    for (int d = 0; d < dim; d++)
                    {
                        double sum = b is null ? 0 : b[(h * dim) + d];
                        for (int f = 0; f < features; f++)
                        {
                            sum += input.Data[(((r * input.Shape[0]) + t) * features) + f] * kernel[(((f * heads) + h) * dim) + d];
                        }

                        y[d] = sum;
                    }

                    return y;
                }

                var result = new double[query.Rows * tq * output];
                for (int r = 0; r < query.Rows; r++)
                {
                    for (int i = 0; i < tq; i++)
                    {
                        for (int o = 0; o < output; o++)
                        {
                            result[(((r * tq) + i) * output) + o] = bias ? w[7][o] : 0;
                        }

                        for (int h = 0; h < heads; h++)
                        {
                            var q = Project(query, r, i, dq, wq, bias ? w[1] : null, h, kd);
                            var scores = new double[tk];
                            for (int j = 0; j < tk; j++)
                            {
                                var k = Project(key, r, j, dk, wk, bias ? w[3] : null, h, kd);
                                scores[j] = causal && j > i ? double.NegativeInfinity : q.Zip(k, (a, b) => a * b).Sum() / Math.Sqrt(kd);
                            }

                            double max = scores.Max(), sum = scores.Sum(z => Math.Exp(z - max));
                            var attended = new double[vd];
                            for (int j = 0; j < tk; j++)
                            {
                                var v = Project(value, r, j, dv, wv, bias ? w[5] : null, h, vd);
                                for (int d = 0; d < vd; d++)
                                {
                                    attended[d] += Math.Exp(scores[j] - max) / sum * v[d];
                                }
                            }

                            for (int o = 0; o < output; o++)
                            {
                                for (int d = 0; d < vd; d++)
                                {
                                    result[(((r * tq) + i) * output) + o] += attended[d] * wo[(((h * vd) + d) * output) + o];
                                }
                            }
                        }
                    }
                }

                return new Value(result, new[] { tq, output }, query.Rows);
            }

            case GraphNodeKind.MatMul:
            {
                // (…, m, k)·(…, k, n) per leading index, the leading axes broadcast as NumPy's (right-aligned, a missing
                // axis or one of length 1 repeating), summed in double.
                var (a, b) = (x[0], x[1]);
                int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
                int[] la = a.Shape[..^2], lb = b.Shape[..^2];
                int rank = Math.Max(la.Length, lb.Length);
                int At(int[] l, int d) => d - (rank - l.Length) >= 0 ? l[d - (rank - l.Length)] : 1;
                int[] outer = Enumerable.Range(0, rank).Select(d => Math.Max(At(la, d), At(lb, d))).ToArray();
                int count = outer.Aggregate(1, (p, d) => p * d), ca = la.Aggregate(1, (p, d) => p * d), cb = lb.Aggregate(1, (p, d) => p * d);
                int Source(int[] l, int index)
                {
                    // The output's leading index → the input's matrix: its own axes' positions, 0 where it broadcasts.
                    int source = 0, step = 1;
                    for (int d = rank - 1; d >= 0; d--)
                    {
                        int position = index % outer[d];
                        index /= outer[d];
                        int size = At(l, d);
                        source += (size == 1 ? 0 : position) * step;
                        step *= size;
                    }

                    return source;
                }

                var y = new double[a.Rows * count * m * n];
                for (int r = 0; r < a.Rows; r++)
                {
                    for (int c = 0; c < count; c++)
                    {
                        int ia = (r * ca) + Source(la, c), ib = (r * cb) + Source(lb, c);
                        for (int i = 0; i < m; i++)
                        {
                            for (int j = 0; j < n; j++)
                            {
                                double sum = 0;
                                for (int p = 0; p < k; p++)
                                {
                                    sum += a.Data[(ia * m * k) + (i * k) + p] * b.Data[(ib * k * n) + (p * n) + j];
                                }

                                y[(((r * count) + c) * m * n) + (i * n) + j] = sum;
                            }
                        }
                    }
                }

                return new Value(y, outer.Append(m).Append(n).ToArray(), a.Rows);
            }

            case GraphNodeKind.Permute:
            {
                // Output index by output index: each output axis j reads input axis dims[j] - 1.
                int[] dims = node.Setting("dims")!.AsInt32s().Select(d => d - 1).ToArray();
                int[] shape = x[0].Shape, outShape = dims.Select(d => shape[d]).ToArray();
                int size = shape.Aggregate(1, (p, d) => p * d);
                var y = new double[x[0].Data.Length];
                var index = new int[shape.Length];
                for (int r = 0; r < x[0].Rows; r++)
                {
                    for (int j = 0; j < size; j++)
                    {
                        int rest = j;
                        for (int axis = outShape.Length - 1; axis >= 0; axis--)
                        {
                            index[dims[axis]] = rest % outShape[axis];
                            rest /= outShape[axis];
                        }

                        int source = 0;
                        for (int axis = 0; axis < shape.Length; axis++)
                        {
                            source = (source * shape[axis]) + index[axis];
                        }

                        y[(r * size) + j] = x[0].Data[(r * size) + source];
                    }
                }

                return new Value(y, outShape, x[0].Rows);
            }

            case GraphNodeKind.Softmax:
            {
                // exp(x − max) / Σ exp(x − max) along the axis, element by element in double.
                int rank = x[0].Shape.Length, axis = node.Setting("axis")!.AsInt32();
                axis = (axis < 0 ? axis + rank + 1 : axis) - 1;
                int length = x[0].Shape[axis], inner = x[0].Shape.Skip(axis + 1).Aggregate(1, (p, d) => p * d);
                int size = x[0].Shape.Aggregate(1, (p, d) => p * d), outer = size / (length * inner);
                var y = new double[x[0].Data.Length];
                for (int r = 0; r < x[0].Rows; r++)
                {
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            int start = (r * size) + (o * length * inner) + i;
                            double max = Enumerable.Range(0, length).Max(k => x[0].Data[start + (k * inner)]);
                            double sum = Enumerable.Range(0, length).Sum(k => Math.Exp(x[0].Data[start + (k * inner)] - max));
                            for (int k = 0; k < length; k++)
                            {
                                y[start + (k * inner)] = Math.Exp(x[0].Data[start + (k * inner)] - max) / sum;
                            }
                        }
                    }
                }

                return x[0] with { Data = y };
            }

            case GraphNodeKind.UnaryOp:
                return Map(x[0], node.Setting("function")!.AsString() switch
                {
                    "math.abs" => Math.Abs,
                    "math.exp" => Math.Exp,
                    "math.log" => Math.Log,
                    "math.sqrt" => Math.Sqrt,
                    "math.square" => v => v * v,
                    var f => throw new NotSupportedException(f),
                });
            case GraphNodeKind.ActivationOp:
                return Activate(x[0], node.Setting("activation")!.AsString());
            case GraphNodeKind.Affine:
            {
                double scale = node.Setting("scale")!.AsDouble(), shift = node.Setting("shift")!.AsDouble();
                return Map(x[0], v => scale * v + shift);
            }

            case GraphNodeKind.BinaryOp:
                return Broadcast(x[0], x[1], node.Setting("function")!.AsString() switch
                {
                    "__operators__.add" => (p, q) => p + q,
                    "math.subtract" => (p, q) => p - q,
                    "math.multiply" => (p, q) => p * q,
                    "math.truediv" => (p, q) => p / q,
                    "math.maximum" => Math.Max,
                    "math.minimum" => Math.Min,
                    var f => throw new NotSupportedException(f),
                });
            case GraphNodeKind.Reduce:
            {
                int rank = x[0].Shape.Length, axis = Axis(node.Setting("axis")!.AsInt32(), rank);
                bool mean = node.Setting("function")!.AsString() == "math.reduce_mean";
                int before = x[0].Shape[..axis].Aggregate(1, (a, b) => a * b) * x[0].Rows, length = x[0].Shape[axis];
                int after = x[0].Shape[(axis + 1)..].Aggregate(1, (a, b) => a * b);
                var y = new double[before * after];
                for (int b = 0; b < before; b++)
                {
                    for (int a = 0; a < after; a++)
                    {
                        double sum = 0;
                        for (int i = 0; i < length; i++)
                        {
                            sum += x[0].Data[(b * length + i) * after + a];
                        }

                        y[b * after + a] = mean ? sum / length : sum;
                    }
                }

                var shape = node.Setting("keepdims")!.AsBoolean()
                    ? x[0].Shape.Select((d, i) => i == axis ? 1 : d).ToArray()
                    : x[0].Shape.Where((_, i) => i != axis).ToArray();
                return new Value(y, shape, x[0].Rows);
            }

            case GraphNodeKind.Fold:
            {
                int steps = node.Setting("steps")!.AsInt32();
                Assert.Equal(steps, x[0].Shape[0]);
                return new Value(x[0].Data, x[0].Shape[1..], x[0].Rows * steps);
            }

            case GraphNodeKind.Unfold:
            {
                int steps = node.Setting("steps")!.AsInt32();
                return new Value(x[0].Data, x[0].Shape.Prepend(steps).ToArray(), x[0].Rows / steps);
            }

            case GraphNodeKind.LayerNormalization:
                return LayerNormalization(node, x[0], w);
            case GraphNodeKind.GlobalAveragePooling1D:
            case GraphNodeKind.GlobalAveragePooling2D:
            {
                // The mean over every position, per channel.
                int channels = x[0].Shape[^1], positions = x[0].Size / channels;
                var y = new double[x[0].Rows * channels];
                for (int r = 0; r < x[0].Rows; r++)
                {
                    for (int p = 0; p < positions; p++)
                    {
                        for (int c = 0; c < channels; c++)
                        {
                            y[r * channels + c] += x[0].Data[(r * positions + p) * channels + c] / positions;
                        }
                    }
                }

                return new Value(y, [channels], x[0].Rows);
            }

            default:
                throw new NotSupportedException($"The test's interpreter has no {node.Kind}.");
        }
    }

    /// <summary>
    /// Keras 3's LayerNormalization written out: for each sample and each position of the axes that are not
    /// normalised, the mean and biased variance over the normalised ones; y = (x − mean) / sqrt(var + ε) · γ + β, or with
    /// rms_scaling y = x / sqrt(var + ε) · γ (Keras's formula: the variance stays the centred one).
    /// </summary>
    private static Value LayerNormalization(GraphNode node, Value x, List<float[]> w)
    {
        int rank = x.Shape.Length;
        var axis = node.Setting("axis")!;
        var axes = (axis.Kind == LayerSettingKind.Integer ? new[] { axis.AsInt32() } : axis.AsInt32s().ToArray()).Select(a => Axis(a, rank)).Order().ToArray();
        double epsilon = node.Setting("epsilon")!.AsDouble();
        bool rms = node.Setting("rms_scaling")!.AsBoolean();
        var weights = node.Weights.Select((info, i) => (info.Name, Values: w[i])).ToDictionary(p => p.Name, p => p.Values);
        int outer = x.Shape[..axes[0]].Aggregate(1, (a, d) => a * d) * x.Rows;
        int length = axes.Aggregate(1, (a, d) => a * x.Shape[d]);
        int inner = x.Shape[(axes[^1] + 1)..].Aggregate(1, (a, d) => a * d);
        var y = new double[x.Data.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int At(int l) => (o * length + l) * inner + i;
                double mean = Enumerable.Range(0, length).Average(l => x.Data[At(l)]);
                double variance = Enumerable.Range(0, length).Average(l => (x.Data[At(l)] - mean) * (x.Data[At(l)] - mean));
                double inverse = 1 / Math.Sqrt(variance + epsilon);
                for (int l = 0; l < length; l++)
                {
                    double v = ((rms ? x.Data[At(l)] : x.Data[At(l)] - mean) * inverse * (weights.TryGetValue("gamma", out var g) ? g[l] : 1))
                        + (weights.TryGetValue("beta", out var b) ? b[l] : 0);
                    y[At(l)] = v;
                }
            }
        }

        return x with { Data = y };
    }

    /// <summary>A Keras axis (the batch is 0; negative from the end) as a per-sample axis.</summary>
    private static int Axis(int axis, int rank) => axis < 0 ? rank + axis : axis - 1;

    private static Value Map(Value x, Func<double, double> f) => x with { Data = x.Data.Select(f).ToArray() };

    /// <summary>An element-wise operation, per-sample shapes broadcast from the right as NumPy and Keras's merges do.</summary>
    private static Value Broadcast(Value a, Value b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Shape.Length, b.Shape.Length);
        int[] Pad(int[] s) => Enumerable.Repeat(1, rank - s.Length).Concat(s).ToArray();
        int[] sa = Pad(a.Shape), sb = Pad(b.Shape);
        int[] shape = sa.Zip(sb, Math.Max).ToArray();
        int size = shape.Aggregate(1, (p, q) => p * q);
        var y = new double[a.Rows * size];
        for (int r = 0; r < a.Rows; r++)
        {
            for (int i = 0; i < size; i++)
            {
                int ia = 0, ib = 0, rest = i;
                int strideA = 1, strideB = 1;
                for (int axis = rank - 1; axis >= 0; axis--)
                {
                    int index = rest % shape[axis];
                    rest /= shape[axis];
                    ia += (sa[axis] == 1 ? 0 : index) * strideA;
                    ib += (sb[axis] == 1 ? 0 : index) * strideB;
                    strideA *= sa[axis];
                    strideB *= sb[axis];
                }

                y[r * size + i] = f(a.Data[r * a.Size + ia], b.Data[r * b.Size + ib]);
            }
        }

        return new Value(y, shape, a.Rows);
    }

    private static Value Activate(Value x, string activation)
    {
        switch (activation)
        {
            case "linear":
                return x;
            case "relu":
                return Map(x, v => Math.Max(v, 0));
            case "tanh":
                return Map(x, Math.Tanh);
            case "sigmoid":
                return Map(x, v => 1 / (1 + Math.Exp(-v)));
            case "elu":
                return Map(x, v => v > 0 ? v : Math.Exp(v) - 1);
            case "softmax":
            {
                int n = x.Shape[^1];
                var y = (double[])x.Data.Clone();
                for (int p = 0; p < y.Length; p += n)
                {
                    double max = y.AsSpan(p, n).ToArray().Max(), sum = 0;
                    for (int i = p; i < p + n; i++)
                    {
                        y[i] = Math.Exp(y[i] - max);
                        sum += y[i];
                    }

                    for (int i = p; i < p + n; i++)
                    {
                        y[i] /= sum;
                    }
                }

                return x with { Data = y };
            }

            default:
                throw new NotSupportedException($"The test's interpreter has no activation '{activation}'.");
        }
    }
}

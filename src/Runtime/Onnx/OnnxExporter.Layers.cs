using System;
using System.Linq;
using Unrolled.Kernels;

namespace Unrolled.Onnx;

// Each kind of node as ONNX operators. Values are [batch, per-sample shape…]; inside TimeDistributed the leading
// axis is batch × steps, which changes nothing here.
internal sealed partial class OnnxExporter
{
    /// <summary>
    /// The ONNX form of a node. A kind with settings is mapped by its settings record (<see cref="LayerSettings"/>'s
    /// <c>ExportOnnx</c>, abstract, so a record without its ONNX form does not compile); the few kinds without settings
    /// are mapped here.
    /// </summary>
    private string Map(GraphNode node, string[] x)
    {
        if (node.Settings is { } settings)
        {
            return settings.ExportOnnx(this, node, x);
        }

        return node.Kind switch
        {
            // A hand-built input without its settings still passes its tensor on.
            GraphNodeKind.InputLayer => x[0],
            GraphNodeKind.Add => Merge(node, x, x.Length == 2 ? "Add" : "Sum"),
            GraphNodeKind.Subtract => Merge(node, x, "Sub"),
            GraphNodeKind.Multiply => Merge(node, x, "Mul"),
            GraphNodeKind.Average => Merge(node, x, "Mean"),
            GraphNodeKind.Maximum => Merge(node, x, "Max"),
            GraphNodeKind.Minimum => Merge(node, x, "Min"),
            GraphNodeKind.AttentionScores => _states[node.Inputs[0]] is [_, ..] scores ? scores[0]
                : throw Unsupported(node, "its MultiHeadAttention kept no attention weights"),
            // Groups compute nothing themselves: their children are mapped.
            GraphNodeKind.Lambda or GraphNodeKind.TimeDistributed or GraphNodeKind.Functional
                => throw Unsupported(node, "a group has no operators of its own"),
            _ when Enum.IsDefined(node.Kind) => throw Unsupported(node, $"it has no settings, which a {node.Kind} needs (a hand-built node must be given its settings record)"),
            _ => throw Unsupported(node, $"this exporter has no ONNX form for the kind {(int)node.Kind}"),
        };
    }

    /// <summary>Keras's Reshape: the per-sample target shape behind the batch axis, which Reshape's 0 copies.</summary>
    internal string Reshape(string x, System.Collections.Generic.IReadOnlyList<int> targetShape)
        => Op("Reshape", new[] { x, Int64s(new long[] { 0 }.Concat(Longs(targetShape)).ToArray()) }, null);

    /// <summary>Keras's Flatten: channels-last data flattens in its own order.</summary>
    internal string Flatten(string x) => Op("Reshape", new[] { x, Int64s(0, -1) }, null);

    internal string Embedding(GraphNode node, string ids)
        => Op("Gather", new[] { Initializer(WeightName(node, "embeddings"), Longs(WeightShape(node, "embeddings")), () => Weight(node, "embeddings")), ids },
            null, OnnxAttribute.Int("axis", 0));

    internal string Unary(GraphNode node, OperationSettings operation, string[] x) => operation.Function switch
    {
        "math.abs" => Op("Abs", x, null),
        "math.exp" => Op("Exp", x, null),
        "math.log" => Op("Log", x, null),
        "math.sqrt" => Op("Sqrt", x, null),
        "math.square" => Op("Mul", new[] { x[0], x[0] }, null),
        var f => throw Unsupported(node, $"the function '{f}' has no ONNX form here"),
    };

    internal string Binary(GraphNode node, OperationSettings operation, string[] x) => Merge(node, x, operation.Function switch
    {
        "__operators__.add" => "Add",
        "math.subtract" => "Sub",
        "math.multiply" => "Mul",
        "math.truediv" => "Div",
        "math.maximum" => "Max",
        "math.minimum" => "Min",
        var f => throw Unsupported(node, $"the function '{f}' has no ONNX form here"),
    });

    internal string ReduceOp(GraphNode node, ReduceSettings reduce, string x)
    {
        return Reduce(reduce.Function switch
        {
            "math.reduce_sum" => "ReduceSum",
            "math.reduce_mean" => "ReduceMean",
            var f => throw Unsupported(node, $"the function '{f}' has no ONNX form here"),
        }, x, new long[] { reduce.Axis }, reduce.KeepDims, null);
    }

    /// <summary>The reduction over the spatial axes needs no change of layout.</summary>
    internal string GlobalPooling(GraphNode node, GlobalPoolingSettings pooling, string x)
    {
        if (MaskOf(node, 0) is { } mask)
        {
            // The mean of the kept steps: Σ x·mask / max(Σ mask, 1), zeros for a sample with no kept step, as the kernel.
            string weights = Op("Unsqueeze", new[] { mask, Int64s(-1) }, "mask_column");
            string sum = Reduce("ReduceSum", Op("Mul", new[] { x, weights }, "kept"), new long[] { 1 }, pooling.KeepDims, "sum");
            string count = Op("Max", new[] { Reduce("ReduceSum", weights, new long[] { 1 }, pooling.KeepDims, "count"), Scalar(1f) }, "count_at_least_1");
            return Op("Div", new[] { sum, count }, null);
        }

        int rank = node.InputShapes[0].Count + 1;
        var axes = Enumerable.Range(1, rank - 2).Select(a => (long)a).ToArray();
        bool max = node.Kind is GraphNodeKind.GlobalMaxPooling1D or GraphNodeKind.GlobalMaxPooling2D;
        return Reduce(max ? "ReduceMax" : "ReduceMean", x, axes, pooling.KeepDims, null);
    }

    /// <summary>The Keras mask of a node's input <paramref name="input"/> as an ONNX value, [batch, steps] of 1 and 0, or
    /// null when that input carries none.</summary>
    internal string? MaskOf(GraphNode node, int input)
        => input < node.Masks.Count && node.Masks[input] >= 0 ? _values[node.Masks[input]] : null;

    /// <summary>A <see cref="GraphNodeKind.Mask"/> node: 1 where some value of the step differs from the padding value
    /// (over the features for Masking), as floats; or the largest of its inputs' masks (their OR).</summary>
    internal string Mask(GraphNode node, MaskSettings mask, string[] x)
    {
        if (mask.Op == "or")
        {
            return Op("Max", x, null);
        }

        if (mask.Op == "ones")
        {
            string shape = Op("Slice", new[] { Op("Shape", new[] { x[0] }, "shape"), Int64s(0), Int64s(-1) }, "steps_shape");
            return Op("Expand", new[] { Scalar(1f), shape }, "all_kept");
        }

        if (mask.Op == "concat")
        {
            return Op("Concat", x, null, OnnxAttribute.Int("axis", mask.Axis + 1));
        }

        string values = node.Graph[node.Inputs[0]].DType == DType.Int32 ? Op("Cast", new[] { x[0] }, "values", OnnxAttribute.Int("to", 1)) : x[0];
        string kept = Op("Cast", new[] { Op("Not", new[] { Op("Equal", new[] { values, Scalar((float)mask.Value) }, "padding") }, "kept") },
            mask.OverLastAxis ? "kept_values" : null, OnnxAttribute.Int("to", 1));
        return mask.OverLastAxis ? Reduce("ReduceMax", kept, new long[] { -1 }, keepDims: false, null) : kept;
    }

    /// <summary>Keras's Attention on masked values and with <c>use_causal_mask</c>: 1e9 subtracted from the scores
    /// [batch, Tq, Tv] of every hidden key (a masked value's, and with <paramref name="causal"/> a later step's), once.</summary>
    internal string HideMaskedKeys(GraphNode node, string scores, bool causal = false)
    {
        string? visible = MaskOf(node, 1) is { } mask ? Op("Unsqueeze", new[] { mask, Int64s(1) }, "value_mask") : null;
        if (causal)
        {
            int tq = node.InputShapes[0][0], tk = node.InputShapes[1][0];
            if (tq < 0 || tk < 0)
            {
                throw Unsupported(node, "its causal mask needs the number of steps, which is known only at run time");
            }

            string triangle = Triangle(node, "causal_visible", tq, tk, 1f, 0f);
            visible = visible is null ? triangle : Op("Mul", new[] { visible, triangle }, "visible");
        }

        if (visible is null)
        {
            return scores;
        }

        string penalty = Op("Mul", new[] { Op("Sub", new[] { visible, Scalar(1f) }, "hidden"), Scalar(1e9f) }, "penalty");
        return Op("Add", new[] { scores, penalty }, "masked_scores");
    }

    /// <summary>A constant [tq, tk]: <paramref name="seen"/> where query i may see key j (j ≤ i), <paramref name="future"/>
    /// above the diagonal.</summary>
    internal string Triangle(GraphNode node, string name, int tq, int tk, float seen, float future)
        => Initializer(node.Name + "/" + name, new long[] { tq, tk }, () =>
        {
            var values = new float[tq * tk];
            for (int i = 0; i < tq; i++)
            {
                for (int j = 0; j < tk; j++)
                {
                    values[(i * tk) + j] = j <= i ? seen : future;
                }
            }

            return values;
        });

    /// <summary>Keras's Attention on a masked query: the masked queries' outputs [batch, Tq, dv] are zeros.</summary>
    internal string ZeroMaskedQueries(GraphNode node, string y)
        => MaskOf(node, 0) is { } mask ? Op("Mul", new[] { y, Op("Unsqueeze", new[] { mask, Int64s(-1) }, "query_mask") }, "masked_output") : y;

    /// <summary>MultiHeadAttention's attention mask from the inputs' Keras masks, [batch, 1, Tq, Tk] of 1 and 0 (query ⊗
    /// value ⊗ a separate key's), or null when no input is masked.</summary>
    internal string? MultiHeadMask(GraphNode node, bool separateKey)
    {
        string? visible = null;
        string Combine(string? product, string next) => product is null ? next : Op("Mul", new[] { product, next }, "visible");
        if (MaskOf(node, 0) is { } query)
        {
            visible = Op("Unsqueeze", new[] { query, Int64s(1, 3) }, "query_mask");
        }

        if (MaskOf(node, 1) is { } value)
        {
            visible = Combine(visible, Op("Unsqueeze", new[] { value, Int64s(1, 2) }, "value_mask"));
        }

        if (separateKey && MaskOf(node, 2) is { } key)
        {
            visible = Combine(visible, Op("Unsqueeze", new[] { key, Int64s(1, 2) }, "key_mask"));
        }

        return visible;
    }

    /// <summary>Keeps values a later node reads from this one (a recurrent layer's last states, attention's weights).</summary>
    internal void KeepStates(GraphNode node, params string[] values) => _states[node.Id] = values;

    internal string RecurrentState(GraphNode node, RecurrentStateSettings state)
    {
        int index = state.Index;
        var states = _states[node.Inputs[0]];
        return states is not null && index >= 1 && index <= states.Length
            ? states[index - 1]
            : throw Unsupported(node, $"its recurrent layer has no state {index}");
    }

    // ---- settings ----

    // ---- the Dense family ----

    internal string Dense(GraphNode node, DenseSettings dense, string x)
    {
        string kernel = Initializer(WeightName(node, "kernel"), Longs(WeightShape(node, "kernel")), () => Weight(node, "kernel"));
        string? bias = dense.UseBias
            ? Initializer(WeightName(node, "bias"), Longs(WeightShape(node, "bias")), () => Weight(node, "bias"))
            : null;
        string y;
        if (node.InputShapes[0].Count == 1)
        {
            y = Op("Gemm", bias is null ? new[] { x, kernel } : new[] { x, kernel, bias }, bias is null ? "matmul" : "gemm");
        }
        else
        {
            // Dense on a sequence or image applies to the last axis at every position, as MatMul broadcasts.
            y = Op("MatMul", new[] { x, kernel }, "matmul");
            if (bias is not null)
            {
                y = Op("Add", new[] { y, bias }, "bias");
            }
        }

        return Activate(node, y, dense.Activation);
    }

    /// <summary>Keras 3's activations, each as the formula Unrolled computes (see <see cref="ActivationKernels"/>).</summary>
    internal string Activate(GraphNode node, string x, string activation)
    {
        switch (activation)
        {
            case "linear":
                return x;
            case "relu":
                return Op("Relu", new[] { x }, "relu");
            case "relu6":
                return Op("Clip", new[] { x, Scalar(0f), Scalar(6f) }, "relu6");
            case "elu":
                return Op("Elu", new[] { x }, "elu", OnnxAttribute.Float("alpha", 1f));
            case "selu":
                return Op("Selu", new[] { x }, "selu", OnnxAttribute.Float("alpha", 1.6732632423543772f), OnnxAttribute.Float("gamma", 1.0507009873554805f));
            case "sigmoid":
                return Op("Sigmoid", new[] { x }, "sigmoid");
            case "hard_sigmoid":
                // Keras 3: relu6(x + 3) / 6 = max(0, min(1, x / 6 + 0.5)).
                return Op("HardSigmoid", new[] { x }, "hard_sigmoid", OnnxAttribute.Float("alpha", 1f / 6f), OnnxAttribute.Float("beta", 0.5f));
            case "tanh":
                return Op("Tanh", new[] { x }, "tanh");
            case "softmax":
                return Op("Softmax", new[] { x }, "softmax", OnnxAttribute.Int("axis", -1));
            case "softplus":
                return Op("Softplus", new[] { x }, "softplus");
            case "softsign":
                return Op("Softsign", new[] { x }, "softsign");
            case "swish":
                return Op("Mul", new[] { x, Op("Sigmoid", new[] { x }, "sigmoid") }, "swish");
            case "gelu":
                if (_opset >= 20)
                {
                    return Op("Gelu", new[] { x }, "gelu", OnnxAttribute.String("approximate", "none"));
                }

                // Exact GELU, x · Φ(x) = x · (1 + erf(x / √2)) / 2, which is what Gelu(approximate='none') means.
                string erf = Op("Erf", new[] { Op("Div", new[] { x, Scalar(MathF.Sqrt(2f)) }, "gelu_scaled") }, "gelu_erf");
                string half = Op("Mul", new[] { Op("Add", new[] { erf, Scalar(1f) }, "gelu_cdf2"), Scalar(0.5f) }, "gelu_cdf");
                return Op("Mul", new[] { x, half }, "gelu");
            case "exponential":
                return Op("Exp", new[] { x }, "exponential");
            default:
                throw Unsupported(node, $"the activation '{activation}' has no ONNX form here");
        }
    }

    /// <summary>An element-wise operation of tensors broadcast as Keras does (per-sample shapes from the right).</summary>
    internal string Merge(GraphNode node, string[] x, string op)
    {
        int rank = node.InputShapes.Max(s => s.Count) + 1;
        var aligned = new string[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            aligned[i] = Align(x[i], node.InputShapes[i].Count + 1, rank);
        }

        switch (op)
        {
            case "Sub" or "Div" when aligned.Length != 2:
                throw Unsupported(node, $"it has {aligned.Length} inputs; {op} takes two");
            case "Mul":
            {
                // Mul takes two inputs: a chain, in Keras's order.
                string y = aligned[0];
                for (int i = 1; i < aligned.Length; i++)
                {
                    y = Op("Mul", new[] { y, aligned[i] }, i == aligned.Length - 1 ? null : "partial");
                }

                return y;
            }

            default:
                // Add, Sub and Div of two; Sum, Mean, Max and Min of any number.
                return Op(op, aligned, null);
        }
    }

    internal string Affine(GraphNode node, AffineSettings affine, string x)
    {
        float scale = (float)affine.Scale, shift = (float)affine.Shift;
        string y = x;
        if (scale != 1f)
        {
            y = Op("Mul", new[] { y, Scalar(scale) }, shift != 0f ? "scale" : null);
        }

        if (shift != 0f)
        {
            y = Op("Add", new[] { y, Scalar(shift) }, null);
        }

        return y == x ? Op("Identity", new[] { x }, null) : y;
    }

    /// <summary>
    /// Keras's Dot (<c>batch_dot</c>) over one axis of each input, optionally of inputs L2-normalised along it: the first
    /// input transposed to [N, free…, K] and flattened to [N, P, K], the second to [N, K, free…] and [N, K, Q], one
    /// batched MatMul, and the [N, P, Q] result reshaped to the output's axes.
    /// </summary>
    internal string Dot(GraphNode node, DotSettings dot, string a, string b)
    {
        var shapeA = node.InputShapes[0];
        var shapeB = node.InputShapes[1];
        int rankA = shapeA.Count + 1, rankB = shapeB.Count + 1;
        var (first, second) = dot.Resolve(rankA, rankB);
        if (dot.Normalize)
        {
            a = L2Normalize(a, first, "normalize_a");
            b = L2Normalize(b, second, "normalize_b");
        }

        long k = shapeA[first - 1];
        if (first != rankA - 1)
        {
            a = Transpose(a, Enumerable.Range(0, rankA).Where(i => i != first).Append(first).Select(i => (long)i).ToArray(), "contracted_last_a");
        }

        if (second != 1)
        {
            b = Transpose(b, new[] { 0, second }.Concat(Enumerable.Range(1, rankB - 1).Where(i => i != second)).Select(i => (long)i).ToArray(),
                "contracted_first_b");
        }

        if ((rankA != 3 || rankB != 3) && k < 0)
        {
            throw Unsupported(node, "it contracts an axis whose length is known only at run time between inputs that need reshaping (more or fewer than two axes per sample)");
        }

        if (rankA != 3)
        {
            a = Op("Reshape", new[] { a, Int64s(0, -1, k) }, "rows_a");
        }

        if (rankB != 3)
        {
            b = Op("Reshape", new[] { b, Int64s(0, k, -1) }, "columns_b");
        }

        bool reshaped = rankA != 3 || rankB != 3;
        string y = Op("MatMul", new[] { a, b }, reshaped ? "matmul" : null);
        if (!reshaped)
        {
            return y;
        }

        if (node.Shape.Count(d => d < 0) > 1)
        {
            throw Unsupported(node, "its output has more than one axis whose length is known only at run time");
        }

        return Op("Reshape", new[] { y, Int64s(new long[] { 0 }.Concat(node.Shape.Select(d => d < 0 ? -1L : d)).ToArray()) }, null);
    }

    /// <summary>Keras's l2_normalize along one axis: x / sqrt(max(Σx², 1e-12)).</summary>
    private string L2Normalize(string x, int axis, string step)
    {
        string squares = Reduce("ReduceSumSquare", x, new long[] { axis }, keepDims: true, step + "/sum_squares");
        string norm = Op("Sqrt", new[] { Op("Max", new[] { squares, Scalar(1e-12f) }, step + "/clamped") }, step + "/norm");
        return Op("Div", new[] { x, norm }, step);
    }

    // ---- TimeDistributed ----

    /// <summary>(N, steps, rest…) to (N · steps, rest…).</summary>
    internal string Fold(GraphNode node, string x)
    {
        var rest = node.Shape;
        string shape = rest.All(d => d >= 0)
            ? Int64s(new long[] { -1 }.Concat(Longs(rest)).ToArray())
            : Op("Concat", new[] { Int64s(-1), Op("Shape", new[] { x }, "rest", OnnxAttribute.Int("start", 2)) }, "shape", OnnxAttribute.Int("axis", 0));
        return Op("Reshape", new[] { x, shape }, null);
    }

    /// <summary>(N · steps, rest…) back to (N, steps, rest…), with steps read from the matching Fold's input when it is
    /// known only at run time.</summary>
    internal string Unfold(GraphNode node, int steps, string x)
    {
        var rest = node.Shape.Skip(1).ToArray();
        if (steps >= 0 && rest.All(d => d >= 0))
        {
            return Op("Reshape", new[] { x, Int64s(new long[] { -1, steps }.Concat(Longs(rest)).ToArray()) }, null);
        }

        string stepsValue = steps >= 0 ? Int64s(steps) : Op("Shape", new[] { FoldInput(node) }, "steps", OnnxAttribute.Int("start", 1), OnnxAttribute.Int("end", 2));
        string restValue = rest.All(d => d >= 0) ? Int64s(Longs(rest)) : Op("Shape", new[] { x }, "rest", OnnxAttribute.Int("start", 1));
        string shape = Op("Concat", new[] { Int64s(-1), stepsValue, restValue }, "shape", OnnxAttribute.Int("axis", 0));
        return Op("Reshape", new[] { x, shape }, null);
    }

    private string FoldInput(GraphNode unfold)
    {
        if (unfold.Parent >= 0)
        {
            foreach (var child in _graph[unfold.Parent].Children)
            {
                if (child.Kind == GraphNodeKind.Fold && child.Inputs.Count == 1)
                {
                    return _values[child.Inputs[0]]!;
                }
            }
        }

        throw Unsupported(unfold, "its TimeDistributed group has no Fold to take the number of steps from");
    }

    // ---- convolutions, pooling, resizing ----

    /// <summary>
    /// Padding attributes for a window operation. Keras's valid padding is none; its same padding (TensorFlow's) puts
    /// ⌊total / 2⌋ before and the rest after, with total = max((out − 1)·stride + (kernel − 1)·dilation + 1 − in, 0).
    /// The pads are written out when they are known: for known lengths, and for any length with stride 1 (the total is
    /// then (kernel − 1)·dilation). Otherwise (a strided window over a length known only at run time) the attribute is
    /// SAME_UPPER, which ONNX defines by the same formula with the odd pixel after; ONNX Runtime refuses it with
    /// dilation, but Keras and the generator refuse strides with dilation anyway.
    /// </summary>
    private static OnnxAttribute[] WindowPadding(int[] input, int[] output, int[] kernel, int[] strides, int[] dilations, bool same)
    {
        if (!same)
        {
            return Array.Empty<OnnxAttribute>();
        }

        int n = input.Length;
        var pads = new long[2 * n];
        for (int i = 0; i < n; i++)
        {
            int total;
            if (input[i] >= 0 && output[i] >= 0)
            {
                total = Math.Max(((output[i] - 1) * strides[i]) + ((kernel[i] - 1) * dilations[i]) + 1 - input[i], 0);
            }
            else if (strides[i] == 1)
            {
                total = (kernel[i] - 1) * dilations[i];
            }
            else
            {
                return new[] { OnnxAttribute.String("auto_pad", "SAME_UPPER") };
            }

            pads[i] = total / 2;
            pads[n + i] = total - pads[i];
        }

        return new[] { OnnxAttribute.Ints("pads", pads) };
    }

    /// <summary>The spatial lengths of a channels-last per-sample shape.</summary>
    private static int[] Spatial(System.Collections.Generic.IReadOnlyList<int> shape) => shape.Take(shape.Count - 1).ToArray();

    internal string Convolution(GraphNode node, ConvolutionSettings convolution, string x)
    {
        var input = node.InputShapes[0];
        int rank = input.Count + 1;
        int[] kernel = convolution.KernelSize.ToArray(), strides = convolution.Strides.ToArray(), dilations = convolution.DilationRate.ToArray();
        bool same = convolution.Padding == "same";
        int[] inSpatial = Spatial(input), outSpatial = Spatial(node.Shape);
        string? bias = convolution.UseBias
            ? Initializer(WeightName(node, "bias"), Longs(WeightShape(node, "bias")), () => Weight(node, "bias"))
            : null;
        string[] WithBias(string xf, string w) => bias is null ? new[] { xf, w } : new[] { xf, w, bias };
        var window = new[] { OnnxAttribute.Ints("kernel_shape", Longs(kernel)), OnnxAttribute.Ints("strides", Longs(strides)) };
        string xcf = ToChannelsFirst(x, rank);
        string y;
        switch (node.Kind)
        {
            case GraphNodeKind.Conv2DTranspose:
            {
                // Keras's kernel [kh, kw, filters, channels] is ConvTranspose's [in = channels, out = filters, kh, kw].
                // The output is in·s + max(k − s, 0) (valid) or in·s (same): whatever the input length, that is ONNX's
                // (in − 1)·s + k − pads + output_padding with pads max(k − s, 0) split as same padding splits it (none
                // for valid) and output_padding max(s − k, 0).
                string w = KernelInitializer(node, "kernel", new[] { 3, 2, 0, 1 });
                var pads = new long[4];
                var outputPadding = new long[2];
                for (int i = 0; i < 2; i++)
                {
                    int total = same ? Math.Max(kernel[i] - strides[i], 0) : 0;
                    pads[i] = total / 2;
                    pads[2 + i] = total - (total / 2);
                    outputPadding[i] = Math.Max(strides[i] - kernel[i], 0);
                }

                y = Op("ConvTranspose", WithBias(xcf, w), "conv_transpose", window
                    .Append(OnnxAttribute.Ints("pads", pads)).Append(OnnxAttribute.Ints("output_padding", outputPadding)).ToArray());
                break;
            }

            case GraphNodeKind.SeparableConv2D:
            {
                // Depthwise: a convolution with one group per input channel, output channel c·m + j from Keras's
                // depthwise_kernel[:, :, c, j]; then the 1×1 pointwise convolution with the bias.
                var depthShape = WeightShape(node, "depthwise_kernel");
                int channels = depthShape[2], multiplier = depthShape[3];
                string depthwise = Initializer(WeightName(node, "depthwise_kernel"), new long[] { channels * multiplier, 1, depthShape[0], depthShape[1] },
                    () => Permute(Weight(node, "depthwise_kernel"), depthShape, new[] { 2, 3, 0, 1 }));
                string t = Op("Conv", new[] { xcf, depthwise }, "depthwise", window
                    .Append(OnnxAttribute.Ints("dilations", Longs(dilations))).Append(OnnxAttribute.Int("group", channels))
                    .Concat(WindowPadding(inSpatial, outSpatial, kernel, strides, dilations, same)).ToArray());
                string pointwise = KernelInitializer(node, "pointwise_kernel", new[] { 3, 2, 0, 1 });
                y = Op("Conv", WithBias(t, pointwise), "pointwise", OnnxAttribute.Ints("kernel_shape", 1, 1));
                break;
            }

            default:
            {
                // Keras's kernel [k…, in, out] is Conv's [out, in, k…].
                string w = KernelInitializer(node, "kernel", node.Kind == GraphNodeKind.Conv1D ? new[] { 2, 1, 0 } : new[] { 3, 2, 0, 1 });
                y = Op("Conv", WithBias(xcf, w), "conv", window.Append(OnnxAttribute.Ints("dilations", Longs(dilations)))
                    .Concat(WindowPadding(inSpatial, outSpatial, kernel, strides, dilations, same)).ToArray());
                break;
            }
        }

        return Activate(node, ToChannelsLast(y, rank), convolution.Activation);
    }

    private string KernelInitializer(GraphNode node, string weight, int[] perm)
    {
        var shape = WeightShape(node, weight);
        return Initializer(WeightName(node, weight), perm.Select(p => (long)shape[p]).ToArray(), () => Permute(Weight(node, weight), shape, perm));
    }

    internal string Pooling(GraphNode node, PoolingSettings pooling, string x)
    {
        var input = node.InputShapes[0];
        int rank = input.Count + 1;
        int[] pool = pooling.PoolSize.ToArray(), strides = pooling.Strides.ToArray();
        bool same = pooling.Padding == "same";
        bool max = node.Kind is GraphNodeKind.MaxPooling1D or GraphNodeKind.MaxPooling2D;
        var attributes = new[] { OnnxAttribute.Ints("kernel_shape", Longs(pool)), OnnxAttribute.Ints("strides", Longs(strides)) }
            .Concat(WindowPadding(Spatial(input), Spatial(node.Shape), pool, strides, pool.Select(_ => 1).ToArray(), same));
        if (!max)
        {
            // Keras averages over the window's pixels inside the input only.
            attributes = attributes.Append(OnnxAttribute.Int("count_include_pad", 0));
        }

        string y = Op(max ? "MaxPool" : "AveragePool", new[] { ToChannelsFirst(x, rank) }, "pool", attributes.ToArray());
        return ToChannelsLast(y, rank, null);
    }

    internal string UpSampling(GraphNode node, UpSamplingSettings upSampling, string x)
    {
        var size = upSampling.Size;
        if (upSampling.Interpolation != "nearest")
        {
            throw Unsupported(node, $"its interpolation is '{upSampling.Interpolation}'; this exporter knows 'nearest'");
        }

        // Nearest neighbour with whole factors: output pixel o reads input pixel ⌊o / factor⌋, which is Resize's
        // asymmetric coordinates rounded down. Resized in place on the channels-last layout (scales 1 on N and C).
        string scales = Floats(1f, size[0], size[1], 1f);
        return Op("Resize", new[] { x, string.Empty, scales }, null,
            OnnxAttribute.String("mode", "nearest"), OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"),
            OnnxAttribute.String("nearest_mode", "floor"));
    }

    /// <summary>A 1-D float constant.</summary>
    private string Floats(params float[] values)
    {
        string key = "f32[" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        if (!_constants.TryGetValue(key, out string? name))
        {
            name = Fresh("const/" + key);
            _onnx.Initializers.Add(new OnnxTensor(name, new long[] { values.Length }, values));
            _constants[key] = name;
        }

        return name;
    }

    // ---- normalisation ----

    internal string BatchNormalization(GraphNode node, BatchNormalizationSettings batchNorm, string x)
    {
        var input = node.InputShapes[0];
        int rank = input.Count + 1;
        int channels = input[^1];
        if (batchNorm.Axis != -1 && batchNorm.Axis != input.Count)
        {
            throw Unsupported(node, $"it normalises axis {batchNorm.Axis}; this exporter knows the last (channel) axis");
        }

        string Vector(string weight, float fallback)
            => HasWeight(node, weight)
                ? Initializer(WeightName(node, weight), new long[] { channels }, () => Weight(node, weight))
                : Initializer(WeightName(node, weight), new long[] { channels }, () => Enumerable.Repeat(fallback, channels).ToArray());
        var inputs = new[] { rank > 2 ? ToChannelsFirst(x, rank) : x, Vector("gamma", 1f), Vector("beta", 0f), Vector("moving_mean", 0f), Vector("moving_variance", 1f) };
        string y = Op("BatchNormalization", inputs, rank > 2 ? "batch_norm" : null,
            OnnxAttribute.Float("epsilon", (float)batchNorm.Epsilon));
        return rank > 2 ? ToChannelsLast(y, rank, null) : y;
    }


    // ---- recurrent layers ----

    /// <summary>
    /// LSTM, GRU and SimpleRNN as ONNX's LSTM, GRU and RNN, whose defaults are Keras's activations (sigmoid gates, tanh).
    /// ONNX runs time-major, so the input goes from [N, steps, features] to [steps, N, features]. Weights become
    /// W [1, gates·units, features] and R [1, gates·units, units] (the transposed Keras kernels, LSTM's gates reordered
    /// from Keras's i, f, c, o to ONNX's i, o, f, c; GRU's z, r, h are the same in both) and B [1, 2·gates·units] (input
    /// bias, then recurrent bias: zero except for GRU with reset_after, whose two rows are exactly these).
    /// </summary>
    /// <summary>ONNX's LSTM, GRU or RNN operator; <paramref name="initialState"/> (Keras's initial_state, [batch, units]
    /// each) becomes its <c>initial_h</c> (and LSTM's <c>initial_c</c>), [1, batch, units].</summary>
    internal string Recurrent(GraphNode node, RecurrentSettings recurrent, string x, string[] initialState)
    {
        int units = recurrent.Units;
        bool sequences = recurrent.ReturnSequences, state = recurrent.ReturnState, bias = recurrent.UseBias;
        int gates = node.Kind switch { GraphNodeKind.LSTM => 4, GraphNodeKind.GRU => 3, _ => 1 };
        int[] order = node.Kind == GraphNodeKind.LSTM ? new[] { 0, 3, 1, 2 } : Enumerable.Range(0, gates).ToArray();
        bool resetAfter = recurrent.ResetAfter == true;
        if (node.Kind != GraphNodeKind.SimpleRNN && recurrent.RecurrentActivation != "sigmoid" || recurrent.Activation != "tanh")
        {
            throw Unsupported(node, "its activations are not Keras's defaults (tanh, sigmoid gates)");
        }

        var kernelShape = WeightShape(node, "kernel");
        int features = kernelShape[0];
        string w = Initializer(WeightName(node, "kernel"), new long[] { 1, gates * units, features },
            () => GateRows(Weight(node, "kernel"), features, units, order));
        string r = Initializer(WeightName(node, "recurrent_kernel"), new long[] { 1, gates * units, units },
            () => GateRows(Weight(node, "recurrent_kernel"), units, units, order));
        if (recurrent.GoBackwards)
        {
            // Keras's go_backwards runs the steps last to first and returns them in that order: the ordinary forward
            // operator over the reversed sequence gives exactly that (ONNX's direction "reverse" would return the
            // outputs in the input's order instead).
            x = Op("Slice", new[] { x, Int64s(-1), Int64s(long.MinValue), Int64s(1), Int64s(-1) }, "go_backwards");
        }

        string? mask = MaskOf(node, 0);
        if (mask is not null && recurrent.GoBackwards)
        {
            mask = Op("Slice", new[] { mask, Int64s(-1), Int64s(long.MinValue), Int64s(1), Int64s(-1) }, "mask_backwards");
        }

        var inputs = new System.Collections.Generic.List<string> { mask is null ? Transpose(x, new long[] { 1, 0, 2 }, "time_major") : x, w, r };
        if (bias)
        {
            inputs.Add(Initializer(WeightName(node, "bias"), new long[] { 1, 2 * gates * units }, () =>
            {
                float[] keras = Weight(node, "bias");
                var b = new float[2 * gates * units];
                for (int g = 0; g < gates; g++)
                {
                    Array.Copy(keras, order[g] * units, b, g * units, units);
                    if (resetAfter)
                    {
                        Array.Copy(keras, (gates + order[g]) * units, b, (gates + g) * units, units);
                    }
                }

                return b;
            }));
        }

        var attributes = new System.Collections.Generic.List<OnnxAttribute> { OnnxAttribute.Int("hidden_size", units) };
        if (node.Kind == GraphNodeKind.GRU)
        {
            attributes.Add(OnnxAttribute.Int("linear_before_reset", resetAfter ? 1 : 0));
        }

        string op = node.Kind == GraphNodeKind.SimpleRNN ? "RNN" : node.Kind.ToString();
        if (mask is not null)
        {
            return MaskedRecurrent(node, recurrent, op, attributes.ToArray(), inputs.ToArray(), mask, initialState);
        }

        if (initialState.Length > 0)
        {
            // Inputs 3 and 4 (B, sequence_lens) may be left out with empty names; then initial_h and initial_c.
            if (!bias)
            {
                inputs.Add(string.Empty);
            }

            inputs.Add(string.Empty);
            for (int i = 0; i < initialState.Length; i++)
            {
                inputs.Add(Op("Unsqueeze", new[] { initialState[i], Int64s(0) }, i == 0 ? "initial_h" : "initial_c"));
            }
        }

        string ys = sequences ? ValueName("Y") : string.Empty;
        string yh = ValueName("Y_h");
        var outputs = new System.Collections.Generic.List<string> { ys, yh };
        string? yc = null;
        if (node.Kind == GraphNodeKind.LSTM && state)
        {
            yc = ValueName("Y_c");
            outputs.Add(yc);
        }

        Add(op, inputs.ToArray(), outputs.ToArray(), attributes.ToArray());
        string h = Op("Squeeze", new[] { yh, Int64s(0) }, "h");
        if (state)
        {
            _states[node.Id] = yc is null ? new[] { h } : new[] { h, Op("Squeeze", new[] { yc, Int64s(0) }, "c") };
        }

        if (!sequences)
        {
            return h;
        }

        // Y [steps, 1, N, units] to [N, steps, units].
        return Transpose(Op("Squeeze", new[] { ys, Int64s(1) }, "sequence"), new long[] { 1, 0, 2 }, "batch_major");
    }

    /// <summary>
    /// A recurrent layer over a Keras-masked sequence, unrolled: ONNX's recurrent operators take lengths, not masks, so each
    /// step is one operator over that step alone (from the previous state), and the mask picks, per sample, the new state
    /// or the carried one (<c>Where</c>), as Keras's masked step does; the output of a masked step is the carried state, or
    /// zeros with zero_output_for_mask. Needs the number of steps.
    /// </summary>
    /// <param name="node">The layer's node.</param>
    /// <param name="recurrent">Its settings.</param>
    /// <param name="op">LSTM, GRU or RNN.</param>
    /// <param name="attributes">The operator's attributes.</param>
    /// <param name="weights">The batch-major sequence (already reversed for go_backwards), then W, R and B as the operator takes them.</param>
    /// <param name="mask">[batch, steps], in processing order.</param>
    /// <param name="initialState">The call's initial h (and c), or none.</param>
    private string MaskedRecurrent(GraphNode node, RecurrentSettings recurrent, string op, OnnxAttribute[] attributes, string[] weights, string mask,
        string[] initialState)
    {
        int steps = node.InputShapes[0][0];
        if (steps <= 0)
        {
            throw Unsupported(node, "it reads a Keras mask, which is exported one step at a time, and its number of steps is known only at run time " +
                                    "(export a model with fixed steps, or without the mask for inputs that are not padded)");
        }

        bool lstm = node.Kind == GraphNodeKind.LSTM;
        string? h = initialState.Length > 0 ? Op("Unsqueeze", new[] { initialState[0], Int64s(0) }, "initial_h") : null;
        string? c = initialState.Length > 1 ? Op("Unsqueeze", new[] { initialState[1], Int64s(0) }, "initial_c") : null;
        var outputs = new System.Collections.Generic.List<string>();
        for (int t = 0; t < steps; t++)
        {
            string xt = Transpose(Op("Slice", new[] { weights[0], Int64s(t), Int64s(t + 1), Int64s(1) }, "step_input"), new long[] { 1, 0, 2 }, "step_time_major");
            string mt = Op("Unsqueeze", new[] { Op("Slice", new[] { mask, Int64s(t), Int64s(t + 1), Int64s(1) }, "step_mask"), Int64s(0) }, "step_kept");
            string kept = Op("Cast", new[] { mt }, "step_kept_bool", OnnxAttribute.Int("to", 9));

            // [x_t, W, R, B, sequence_lens, initial_h, initial_c]: empty names for the inputs left out.
            var stepInputs = new System.Collections.Generic.List<string> { xt, weights[1], weights[2], weights.Length > 3 ? weights[3] : string.Empty, string.Empty };
            if (h is not null)
            {
                stepInputs.Add(h);
                if (lstm)
                {
                    stepInputs.Add(c ?? Zeros(h, "zero_c")); // c₀ = 0 with a given h₀ alone
                }
            }

            while (stepInputs[^1].Length == 0)
            {
                stepInputs.RemoveAt(stepInputs.Count - 1);
            }

            string yh = ValueName("step_h"), yc = lstm ? ValueName("step_c") : string.Empty;
            Add(op, stepInputs.ToArray(), lstm ? new[] { string.Empty, yh, yc } : new[] { string.Empty, yh }, attributes);

            // The state: the step's where kept, else the carried one (zeros before the first step without an initial state).
            string carriedH = h ?? Zeros(yh, "zero_h");
            string? carriedC = lstm ? c ?? Zeros(yc, "zero_c") : null;
            h = Op("Where", new[] { kept, yh, carriedH }, "h");
            if (lstm)
            {
                c = Op("Where", new[] { kept, yc, carriedC! }, "c");
            }

            if (recurrent.ReturnSequences)
            {
                outputs.Add(recurrent.ZeroOutputForMask ? Op("Mul", new[] { yh, mt }, "step_output") : h);
            }
        }

        string last = Op("Squeeze", new[] { h!, Int64s(0) }, "last_h");
        if (recurrent.ReturnState)
        {
            _states[node.Id] = lstm ? new[] { last, Op("Squeeze", new[] { c!, Int64s(0) }, "last_c") } : new[] { last };
        }

        // The steps' outputs [1, N, units] each, to [N, steps, units].
        return recurrent.ReturnSequences
            ? Transpose(outputs.Count == 1 ? outputs[0] : Op("Concat", outputs.ToArray(), "sequence", OnnxAttribute.Int("axis", 0)), new long[] { 1, 0, 2 }, "batch_major")
            : last;
    }

    /// <summary>Zeros shaped as <paramref name="like"/> (an Expand of 0, which stays 0 whatever the values are).</summary>
    private string Zeros(string like, string step) => Op("Expand", new[] { Scalar(0f), Op("Shape", new[] { like }, step + "_shape") }, step);

    /// <summary>A Keras recurrent kernel [rows, gates·units] as ONNX's [gates·units, rows], gate blocks in ONNX's order.</summary>
    private static float[] GateRows(float[] kernel, int rows, int units, int[] order)
    {
        int gates = order.Length;
        var result = new float[kernel.Length];
        for (int g = 0; g < gates; g++)
        {
            for (int u = 0; u < units; u++)
            {
                int column = (order[g] * units) + u;
                int target = ((g * units) + u) * rows;
                for (int i = 0; i < rows; i++)
                {
                    result[target + i] = kernel[(i * gates * units) + column];
                }
            }
        }

        return result;
    }
}

using System.Linq;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>Forward and backward code for the convolutional, pooling, embedding, recurrent and normalisation layers.</summary>
internal sealed partial class ModelEmitter
{
    /// <summary>Whether some layer keeps state in the weight buffer (BatchNormalization's moving statistics).</summary>
    private bool HasState => _plan.Layers.Any(l => _plan.Model.WeightsOf(l).Any(w => !w.Trainable));

    /// <summary>The forward pass's weights: writable when a layer updates state in them while training.</summary>
    private string WeightsType => HasState ? Span : ReadOnlySpan;

    /// <summary>Whether a layer behaves differently while training (Dropout, BatchNormalization).</summary>
    private bool UsesTrainingFlag => _plan.Model.UsedNodes.Any(n => _spec.Layers[_spec.Nodes[n].Layer].Kind is LayerKind.Dropout or LayerKind.BatchNormalization);

    private string W(int layer, string name) => Slice("weights", layer, name);

    private string G(int layer, string name) => Slice("gradients", layer, name);

    private string Slice(string buffer, int layer, string name)
    {
        var weights = _plan.Model.WeightsOf(layer);
        for (int w = 0; w < weights.Count; w++)
        {
            if (weights[w].Name == name)
            {
                return $"{buffer}.Slice({N(_plan.WeightOffsets[layer][w])}, {N(weights[w].Size)})";
            }
        }

        return $"{(buffer == "weights" ? ReadOnlySpan : Span)}.Empty";
    }

    private bool HasWeight(int layer, string name) => _plan.Model.WeightsOf(layer).Any(w => w.Name == name);

    /// <summary>A node's scratch: what its kernels need per row, times the rows of this call.</summary>
    private string ScratchFor(int n) => _plan.BoundedScratch.Contains(n)
        ? "workspace.FixedScratch"
        : $"workspace.ScratchSpace(0, batchSize * {D(_plan.NodeScratch[n])})";

    private string InputGradientOrEmpty(int n) => _plan.NeedsGradient[_spec.Nodes[n].Inputs[0]] ? Gradient(_spec.Nodes[n].Inputs[0]) : $"{Span}.Empty";

    /// <summary>Rows of a channels-last tensor per sample: every axis but the last.</summary>
    private int PositionsOf(int node)
    {
        var dims = _plan.Model.ShapeOf(node).Dims;
        return Dims.Product(dims.Take(dims.Count - 1));
    }

    /// <summary>
    /// The kernels' description of a window over a channels-last tensor: from <paramref name="from"/> (the window's
    /// input) to <paramref name="to"/> (its output), with Keras's (TensorFlow's) padding for same.
    /// </summary>
    private string Geometry(int from, int to, int fromChannels, int toChannels, int kh, int kw, int sh, int sw, int dh, int dw, bool same, bool oneD)
    {
        var a = _plan.Model.ShapeOf(from).Dims;
        var b = _plan.Model.ShapeOf(to).Dims;
        int inH = oneD ? 1 : a[0], inW = a[oneD ? 0 : 1], outH = oneD ? 1 : b[0], outW = b[oneD ? 0 : 1];
        string Pad(int input, int output, int k, int s, int d)
        {
            if (!same)
            {
                return "0";
            }

            if (input >= 0 && output >= 0)
            {
                return N(System.Math.Max((output - 1) * s + (k - 1) * d + 1 - input, 0) / 2);
            }

            return $"global::Unrolled.Kernels.ConvGeometry.PadBefore({D(input)}, {D(output)}, {N(k)}, {N(s)}, {N(d)})";
        }

        return $"new global::Unrolled.Kernels.ConvGeometry({D(inH)}, {D(inW)}, {N(fromChannels)}, {D(outH)}, {D(outW)}, {N(toChannels)}, " +
               $"{N(kh)}, {N(kw)}, {N(sh)}, {N(sw)}, {N(dh)}, {N(dw)}, {(oneD ? "0" : Pad(inH, outH, kh, sh, dh))}, {Pad(inW, outW, kw, sw, dw)})";
    }

    private int Channels(int node) => _plan.Model.ShapeOf(node).Dims[_plan.Model.ShapeOf(node).Dims.Count - 1];

    /// <summary>The geometry of a convolution layer, or for a transposed one of the convolution it is the gradient of.</summary>
    private string ConvolutionGeometry(int n, LayerSpec layer)
    {
        int input = _spec.Nodes[n].Inputs[0];
        var c = layer.Config;
        bool oneD = layer.Kind == LayerKind.Conv1D;
        if (layer.Kind == LayerKind.Conv2DTranspose)
        {
            // Runs from this layer's (larger) output back to its input: kernel [kh, kw, filters, channels] is that
            // convolution's [kh, kw, in, out].
            return Geometry(n, input, layer.Units, Channels(input), c[0], c[1], c[2], c[3], 1, 1, c[6] == 1, oneD: false);
        }

        int outChannels = layer.Kind == LayerKind.SeparableConv2D ? Channels(input) * c[7] : layer.Units;
        return Geometry(input, n, Channels(input), outChannels, c[0], c[1], c[2], c[3], c[4], c[5], c[6] == 1, oneD);
    }

    /// <summary>Bias and activation over a channels-last output, as Dense's epilogue.</summary>
    private void WriteEpilogue(int n, LayerSpec layer, string z)
    {
        string rows = RowsExpression(PositionsOf(n));
        if (layer.UseBias)
        {
            _w.Line($"{Kernels}TensorOps.AddBias({z}, {W(_spec.Nodes[n].Layer, "bias")}, {rows}, {N(layer.Units)});");
        }

        if (layer.Activation != ActivationInfo.Linear)
        {
            _w.Line($"{Kernels}ActivationKernels.Forward({Rt}Activation.{ActivationInfo.Names[layer.Activation]}, {z}, y, {rows}, {N(layer.Units)});");
        }
    }

    private void WriteLayerForward(int n, LayerSpec layer)
    {
        int input = _spec.Nodes[n].Inputs[0];
        int index = _spec.Nodes[n].Layer;
        var c = layer.Config;
        string x = Values(input);
        switch (layer.Kind)
        {
            case LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D:
            {
                _w.Line($"var x = {x};");
                _w.Line($"var y = {Values(n)};");
                string z = layer.Activation != ActivationInfo.Linear && _regions.PreActivationOffset[n] != -1 ? "z" : "y";
                if (z == "z")
                {
                    _w.Line($"var z = workspace.Values({D(_regions.PreActivationOffset[n])}, batchSize * {D(Sz(n))});");
                }

                _w.Line($"var geometry = {ConvolutionGeometry(n, layer)};");
                if (layer.Kind == LayerKind.Conv2DTranspose)
                {
                    _w.Line($"{Kernels}Conv2D.BackwardInput(x, {W(index, "kernel")}, {z}, geometry, batchSize, {ScratchFor(n)}, accumulate: false);");
                }
                else if (layer.Kind == LayerKind.SeparableConv2D)
                {
                    int depthwise = Channels(input) * c[7];
                    _w.Line($"var t = {Temporary(n, 0, Dims.Mul(PositionsOf(n), depthwise))};");
                    _w.Line($"{Kernels}DepthwiseConv2D.Forward(x, {W(index, "depthwise_kernel")}, t, geometry, batchSize, {N(c[7])});");
                    _w.Line($"{Kernels}Gemm.Multiply(t, {W(index, "pointwise_kernel")}, {z}, {RowsExpression(PositionsOf(n))}, {N(depthwise)}, {N(layer.Units)}, accumulate: false);");
                }
                else
                {
                    // Bias and activation applied to each part of the output as the kernel finishes it (still in cache).
                    string bias = layer.UseBias ? W(index, "bias") : $"{ReadOnlySpan}.Empty";
                    _w.Line($"{Kernels}Conv2D.ForwardBiasActivation(x, {W(index, "kernel")}, {z}, geometry, batchSize, {ScratchFor(n)}, {bias}, " +
                            $"{Rt}Activation.{ActivationInfo.Names[layer.Activation]}, y);");
                    break;
                }

                WriteEpilogue(n, layer, z);
                break;
            }

            case LayerKind.MaxPooling1D or LayerKind.MaxPooling2D or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D:
            {
                bool max = layer.Kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D;
                string g = Geometry(input, n, Channels(input), Channels(input), c[0], c[1], c[2], c[3], 1, 1, c[4] == 1, layer.Kind.IsOneDimensional());
                _w.Line($"{Kernels}Pooling.{(max ? "Max" : "Average")}Forward({x}, {Values(n)}, {g}, batchSize);");
                break;
            }

            case LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D:
                _w.Line($"{Kernels}Pooling.GlobalMaxForward({x}, {Values(n)}, batchSize, {D(PositionsOf(input))}, {N(Channels(input))});");
                break;
            case LayerKind.GlobalAveragePooling1D or LayerKind.GlobalAveragePooling2D:
            {
                int length = PositionsOf(input);
                _w.Line($"{Kernels}OpKernels.Reduce({x}, {Values(n)}, batchSize, {D(length)}, {N(Channels(input))}, {MeanScale(length)});");
                break;
            }

            case LayerKind.UpSampling2D:
            {
                var dims = _plan.Model.ShapeOf(input).Dims;
                _w.Line($"{Kernels}Resize.UpSampleForward({x}, {Values(n)}, batchSize, {D(dims[0])}, {D(dims[1])}, {N(dims[2])}, {N(c[0])}, {N(c[1])});");
                break;
            }

            case LayerKind.Embedding:
            {
                int count = Dims.Product(_plan.Model.ShapeOf(input).Dims);
                _w.Line($"{Kernels}Embedding.Forward({x}, {W(index, "embeddings")}, {Values(n)}, batchSize * {D(count)}, {N(layer.Units)}, {N(c[0])}, {D(count)});");
                break;
            }

            case LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN:
            {
                var (steps, features) = Sequence(input);
                string name = RecurrentName(layer.Kind);
                string cache = Temporary(n, 0, Dims.Mul(steps, ExecutionPlan.CachePerStep(layer)));
                string states = States(n, layer, backward: false);
                string tail = $"batchSize, {D(steps)}, {N(features)}, {N(layer.Units)}, returnSequences: {Bool(c[0] == 1)}" +
                              (layer.Kind == LayerKind.GRU ? $", resetAfter: {Bool(c[1] == 1)}" : string.Empty);
                _w.Line($"{Kernels}Recurrent.{name}Forward({x}, {W(index, "kernel")}, {W(index, "recurrent_kernel")}, {W(index, "bias")}, " +
                        $"{Values(n)}, {states}, {cache}, {ScratchFor(n)}, {tail});");
                break;
            }

            case LayerKind.Reshape or LayerKind.Flatten:
                _w.Line($"{x}.CopyTo({Values(n)}); // an output of its own (a view otherwise)");
                break;
            case LayerKind.Activation:
            {
                var (rows, columns) = ActivationGeometry(input);
                _w.Line($"{Kernels}ActivationKernels.Forward({Rt}Activation.{ActivationInfo.Names[layer.Activation]}, {x}, {Values(n)}, {rows}, {columns});");
                break;
            }

            case LayerKind.Dropout:
            {
                string mask = Temporary(n, 0, Sz(n));
                _w.Open("if (workspace.TrainingPass)");
                _w.Line($"{Kernels}Dropout.Forward({x}, {Values(n)}, {mask}, {Float(layer.Scale)}, workspace.NextRandomSeed());");
                _w.Close();
                _w.Open("else");
                _w.Line($"{x}.CopyTo({Values(n)});");
                _w.Close();
                break;
            }

            case LayerKind.BatchNormalization:
            {
                int channels = Channels(input);
                string rows = RowsExpression(PositionsOf(input));
                string common = $"{W(index, "gamma")}, {W(index, "beta")}";
                _w.Open("if (workspace.TrainingPass)");
                _w.Line($"{Kernels}BatchNorm.ForwardTraining({x}, {common}, {W(index, "moving_mean")}, {W(index, "moving_variance")}, {Values(n)}, " +
                        $"{Temporary(n, 0, 2 * channels)}, {rows}, {N(channels)}, momentum: {Float(layer.Scale)}, epsilon: {Float(layer.Shift)});");
                _w.Close();
                _w.Open("else");
                _w.Line($"{Kernels}BatchNorm.ForwardInference({x}, {common}, {W(index, "moving_mean")}, {W(index, "moving_variance")}, {Values(n)}, " +
                        $"{rows}, {N(channels)}, epsilon: {Float(layer.Shift)});");
                _w.Close();
                break;
            }
        }
    }

    private void WriteLayerBackward(int n, LayerSpec layer)
    {
        int input = _spec.Nodes[n].Inputs[0];
        int index = _spec.Nodes[n].Layer;
        var c = layer.Config;
        bool inputNeedsGradient = _plan.NeedsGradient[input];
        _w.Line($"var dy = {Gradient(n)};");
        switch (layer.Kind)
        {
            case LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D:
            {
                string rows = RowsExpression(PositionsOf(n));
                if (layer.Activation != ActivationInfo.Linear)
                {
                    string z = _regions.PreActivationOffset[n] != -1 ? $"workspace.Values({D(_regions.PreActivationOffset[n])}, batchSize * {D(Sz(n))})" : $"{ReadOnlySpan}.Empty";
                    _w.Line($"{Kernels}ActivationKernels.Backward({Rt}Activation.{ActivationInfo.Names[layer.Activation]}, {z}, {Values(n)}, dy, {rows}, {N(layer.Units)});");
                }

                _w.Line($"var x = {Values(input)};");
                _w.Line($"var geometry = {ConvolutionGeometry(n, layer)};");
                if (layer.UseBias)
                {
                    _w.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {G(index, "bias")}, {rows}, {N(layer.Units)});");
                }

                switch (layer.Kind)
                {
                    case LayerKind.Conv2DTranspose:
                        // The transpose of a convolution: its kernel gradient swaps the roles of input and output.
                        _w.Line($"{Kernels}Conv2D.BackwardKernel(dy, x, {G(index, "kernel")}, geometry, batchSize, {ScratchFor(n)});");
                        if (inputNeedsGradient)
                        {
                            _w.Line($"{Kernels}Conv2D.Forward(dy, {W(index, "kernel")}, {Gradient(input)}, geometry, batchSize, {ScratchFor(n)}, accumulate: true);");
                        }

                        break;
                    case LayerKind.SeparableConv2D:
                    {
                        int depthwise = Channels(input) * c[7];
                        int size = Dims.Mul(PositionsOf(n), depthwise);
                        _w.Line($"var t = {Temporary(n, 0, size)};");
                        _w.Line($"var dt = {TemporaryGradient(n, 0, size)};");
                        _w.Line($"{Kernels}Gemm.MultiplyTransposedA(t, dy, {G(index, "pointwise_kernel")}, {N(depthwise)}, {rows}, {N(layer.Units)}, accumulate: true);");
                        _w.Line($"{Kernels}Gemm.MultiplyTransposedB(dy, {W(index, "pointwise_kernel")}, dt, {rows}, {N(layer.Units)}, {N(depthwise)}, accumulate: true);");
                        _w.Line($"{Kernels}DepthwiseConv2D.BackwardKernel(x, dt, {G(index, "depthwise_kernel")}, geometry, batchSize, {N(c[7])});");
                        if (inputNeedsGradient)
                        {
                            _w.Line($"{Kernels}DepthwiseConv2D.BackwardInput(dt, {W(index, "depthwise_kernel")}, {Gradient(input)}, geometry, batchSize, {N(c[7])});");
                        }

                        break;
                    }

                    default:
                        _w.Line($"{Kernels}Conv2D.BackwardKernel(x, dy, {G(index, "kernel")}, geometry, batchSize, {ScratchFor(n)});");
                        if (inputNeedsGradient)
                        {
                            _w.Line($"{Kernels}Conv2D.BackwardInput(dy, {W(index, "kernel")}, {Gradient(input)}, geometry, batchSize, {ScratchFor(n)}, accumulate: true);");
                        }

                        break;
                }

                break;
            }

            case LayerKind.MaxPooling1D or LayerKind.MaxPooling2D or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D:
            {
                string g = Geometry(input, n, Channels(input), Channels(input), c[0], c[1], c[2], c[3], 1, 1, c[4] == 1, layer.Kind.IsOneDimensional());
                _w.Line(layer.Kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D
                    ? $"{Kernels}Pooling.MaxBackward({Values(input)}, {Values(n)}, dy, {Gradient(input)}, {g}, batchSize);"
                    : $"{Kernels}Pooling.AverageBackward(dy, {Gradient(input)}, {g}, batchSize);");
                break;
            }

            case LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D:
                _w.Line($"{Kernels}Pooling.GlobalMaxBackward({Values(input)}, {Values(n)}, dy, {Gradient(input)}, batchSize, {D(PositionsOf(input))}, {N(Channels(input))});");
                break;
            case LayerKind.GlobalAveragePooling1D or LayerKind.GlobalAveragePooling2D:
            {
                int length = PositionsOf(input);
                _w.Line($"{Kernels}OpKernels.ReduceBackward(dy, {Gradient(input)}, batchSize, {D(length)}, {N(Channels(input))}, {MeanScale(length)});");
                break;
            }

            case LayerKind.UpSampling2D:
            {
                var dims = _plan.Model.ShapeOf(input).Dims;
                _w.Line($"{Kernels}Resize.UpSampleBackward(dy, {Gradient(input)}, batchSize, {D(dims[0])}, {D(dims[1])}, {N(dims[2])}, {N(c[0])}, {N(c[1])});");
                break;
            }

            case LayerKind.Embedding:
            {
                int count = Dims.Product(_plan.Model.ShapeOf(input).Dims);
                _w.Line($"{Kernels}Embedding.Backward({Values(input)}, dy, {G(index, "embeddings")}, batchSize * {D(count)}, {N(layer.Units)});");
                break;
            }

            case LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN:
            {
                var (steps, features) = Sequence(input);
                string cache = Temporary(n, 0, Dims.Mul(steps, ExecutionPlan.CachePerStep(layer)));
                string states = States(n, layer, backward: true);
                string tail = $"batchSize, {D(steps)}, {N(features)}, {N(layer.Units)}, returnSequences: {Bool(c[0] == 1)}" +
                              (layer.Kind == LayerKind.GRU ? $", resetAfter: {Bool(c[1] == 1)}" : string.Empty);
                _w.Line($"{Kernels}Recurrent.{RecurrentName(layer.Kind)}Backward({Values(input)}, {W(index, "kernel")}, {W(index, "recurrent_kernel")}, {cache}, " +
                        $"dy, {states}, {InputGradientOrEmpty(n)}, {G(index, "kernel")}, {G(index, "recurrent_kernel")}, {G(index, "bias")}, {ScratchFor(n)}, {tail});");
                break;
            }

            case LayerKind.Reshape or LayerKind.Flatten:
                _w.Line($"{Kernels}TensorOps.Accumulate(dy, {Gradient(input)});");
                break;
            case LayerKind.Activation:
            {
                // The derivative turns dy into the input's gradient in place (dy is used only here).
                var (rows, columns) = ActivationGeometry(input);
                string z = ActivationInfo.NeedsPreActivation(layer.Activation) ? Values(input) : $"{ReadOnlySpan}.Empty";
                _w.Line($"{Kernels}ActivationKernels.Backward({Rt}Activation.{ActivationInfo.Names[layer.Activation]}, {z}, {Values(n)}, dy, {rows}, {columns});");
                _w.Line($"{Kernels}TensorOps.Accumulate(dy, {Gradient(input)});");
                break;
            }

            case LayerKind.Dropout:
                _w.Line($"{Kernels}Dropout.Backward(dy, {Temporary(n, 0, Sz(n))}, {Gradient(input)});");
                break;
            case LayerKind.BatchNormalization:
            {
                int channels = Channels(input);
                _w.Line($"{Kernels}BatchNorm.Backward({Values(input)}, {W(index, "gamma")}, {Temporary(n, 0, 2 * channels)}, dy, {InputGradientOrEmpty(n)}, " +
                        $"{G(index, "gamma")}, {G(index, "beta")}, {RowsExpression(PositionsOf(input))}, {N(channels)});");
                break;
            }
        }
    }

    /// <summary>The last-state arguments of a recurrent kernel: the regions kept for return_state, or empty.</summary>
    private string States(int n, LayerSpec layer, bool backward)
    {
        int count = layer.Kind == LayerKind.LSTM ? 2 : 1;
        bool returned = layer.Config.Count > 2 && layer.Config[2] == 1;
        string empty = backward ? $"{ReadOnlySpan}.Empty" : $"{Span}.Empty";
        return string.Join(", ", Enumerable.Range(1, count).Select(k => !returned ? empty
            : backward ? TemporaryGradient(n, k, layer.Units) : Temporary(n, k, layer.Units)));
    }

    /// <summary>Rows and columns for an activation over a tensor: softmax normalises each row of the last axis.</summary>
    private (string Rows, string Columns) ActivationGeometry(int node)
    {
        var dims = _plan.Model.ShapeOf(node).Dims;
        return dims.Count == 0 ? ("batchSize", "1") : (RowsExpression(PositionsOf(node)), D(dims[dims.Count - 1]));
    }

    private (int Steps, int Features) Sequence(int node)
    {
        var dims = _plan.Model.ShapeOf(node).Dims;
        return (dims[0], dims[1]);
    }

    private static string RecurrentName(LayerKind kind) => kind switch
    {
        LayerKind.LSTM => "Lstm",
        LayerKind.GRU => "Gru",
        _ => "SimpleRnn",
    };

    private static string Bool(bool value) => value ? "true" : "false";
}

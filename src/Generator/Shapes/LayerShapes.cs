using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Shapes;

/// <summary>
/// Shapes and weights of the convolutional, pooling, reshaping, embedding, recurrent and normalisation layers, as
/// Keras computes them when it builds each layer.
/// </summary>
internal static class LayerShapes
{
    public static bool Handles(LayerKind kind) => kind.IsConvolution() || kind.IsPooling() || kind.IsGlobalPooling() || kind.IsRecurrent()
        || kind is LayerKind.UpSampling2D or LayerKind.Reshape or LayerKind.Flatten or LayerKind.Embedding or LayerKind.Dropout
            or LayerKind.BatchNormalization or LayerKind.Activation;

    public static TensorShape? Infer(GraphView spec, int node, List<TensorShape> inputs, EquatableArray<WeightSpec>[] weights,
        List<DiagnosticInfo> diagnostics, DimTable dims)
    {
        var context = new Context(spec, node, inputs[0], diagnostics, dims);
        var layer = context.Layer;
        if (layer.Kind is not (LayerKind.Embedding or LayerKind.Reshape or LayerKind.Flatten) && !context.IsFloat())
        {
            return null;
        }

        var result = layer.Kind switch
        {
            _ when layer.Kind.IsConvolution() => Convolution(context),
            _ when layer.Kind.IsPooling() => Pooling(context),
            _ when layer.Kind.IsGlobalPooling() => GlobalPooling(context),
            _ when layer.Kind.IsRecurrent() => Recurrent(context),
            LayerKind.UpSampling2D => UpSampling(context),
            LayerKind.Reshape => Reshape(context) is { } reshaped ? reshaped with { DType = context.Input.DType } : null,
            LayerKind.Flatten => context.Shape(new[] { dims.Product(context.Input.Dims) }) with { DType = context.Input.DType },
            LayerKind.Embedding => Embedding(context),
            LayerKind.Dropout or LayerKind.Activation => context.Input with { Repeat = 1 },
            LayerKind.BatchNormalization => BatchNormalization(context),
            _ => null,
        };
        if (result is null || context.Weights.Count == 0)
        {
            return result;
        }

        // A shared layer keeps the weights of its first call; a later call must fit them.
        int index = spec.Nodes[node].Layer;
        var built = context.Weights.ToEquatableArray();
        _ = built.Sum(w => w.Size); // throws past int, reported by the caller
        if (weights[index].Count > 0 && !weights[index].Equals(built))
        {
            string Shapes(EquatableArray<WeightSpec> w) => string.Join(", ", w.Select(x => $"{x.Name} [{string.Join(", ", x.Dims)}]"));
            context.Report(DiagnosticIds.SharedLayerShapeMismatch, spec.Nodes[node].InputSpans[0],
                $"input has shape {context.Input.Keras}, which needs {Shapes(built)}, but the layer was first called on a tensor " +
                $"that gave it {Shapes(weights[index])}, and a shared layer keeps one set of weights");
            return null;
        }

        weights[index] = built;
        return result;
    }

    /// <summary>What one layer call is checked with, and what it builds.</summary>
    private sealed class Context
    {
        public Context(GraphView spec, int node, TensorShape input, List<DiagnosticInfo> diagnostics, DimTable dims)
        {
            Spec = spec;
            Node = node;
            Input = input;
            Diagnostics = diagnostics;
            Dims = dims;
            Layer = spec.Layers[spec.Nodes[node].Layer];
        }

        public GraphView Spec { get; }

        public int Node { get; }

        public TensorShape Input { get; }

        public List<DiagnosticInfo> Diagnostics { get; }

        public DimTable Dims { get; }

        public LayerSpec Layer { get; }

        public List<WeightSpec> Weights { get; } = new();

        public string What => $"{Layer.Kind} '{Layer.Name}'";

        public int Config(int index) => index < Layer.Config.Count ? Layer.Config[index] : 0;

        public TensorShape Shape(IEnumerable<int> dims) => new(dims.ToEquatableArray(), 0);

        public void Weight(string name, WeightInit init, params int[] dims) => Weights.Add(new WeightSpec(name, dims.ToEquatableArray(), init));

        public void Report(string id, SourceSpan span, params string[] arguments)
            => Diagnostics.Add(new DiagnosticInfo(id, span, new[] { What }.Concat(arguments).ToEquatableArray()));

        /// <summary>Reports a shape problem at the input and returns null.</summary>
        public TensorShape? Fail(string message)
        {
            Report(DiagnosticIds.ShapeMismatch, Spec.Nodes[Node].InputSpans[0], message);
            return null;
        }

        public bool IsFloat()
        {
            if (Input.DType == 0)
            {
                return true;
            }

            Diagnostics.Add(new DiagnosticInfo(DiagnosticIds.DTypeMismatch, Spec.Nodes[Node].InputSpans[0],
                new[] { What, ShapeInference.TensorName(Spec, Spec.Nodes[Node].Inputs[0]), "int32" }.ToEquatableArray()));
            return false;
        }

        /// <summary>Checks the rank (batch axis excluded) and a known last axis; null after reporting.</summary>
        public int? Channels(int rank, string layout)
        {
            if (Input.Dims.Count != rank)
            {
                Fail($"its input has shape {Input.Keras}, but {Layer.Kind} needs {layout}");
                return null;
            }

            int channels = Input.Dims[rank - 1];
            if (DimTable.IsSymbolic(channels))
            {
                Fail($"its input has shape {Input.Keras}, whose last axis (the channels) is known only at run time; {Layer.Kind} needs it known to size its weights");
                return null;
            }

            return channels;
        }
    }

    private static TensorShape? Convolution(Context c)
    {
        var kind = c.Layer.Kind;
        bool oneD = kind == LayerKind.Conv1D;
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        if (channels is not int ch)
        {
            return null;
        }

        int filters = c.Layer.Units;
        int kh = c.Config(0), kw = c.Config(1), sh = c.Config(2), sw = c.Config(3), dh = c.Config(4), dw = c.Config(5);
        bool same = c.Config(6) == 1;
        int multiplier = c.Config(7);
        int height = oneD ? 1 : c.Input.Dims[0], width = c.Input.Dims[oneD ? 0 : 1];
        int outHeight, outWidth;
        if (kind == LayerKind.Conv2DTranspose)
        {
            // The gradient of a convolution, as Keras sizes it: valid gives n · s + max(k − s, 0), same gives n · s.
            outHeight = same ? c.Dims.Mul(height, sh) : c.Dims.AddConstant(c.Dims.Mul(height, sh), System.Math.Max(kh - sh, 0));
            outWidth = same ? c.Dims.Mul(width, sw) : c.Dims.AddConstant(c.Dims.Mul(width, sw), System.Math.Max(kw - sw, 0));
        }
        else
        {
            outHeight = oneD ? 1 : c.Dims.Window(height, kh, sh, dh, same);
            outWidth = c.Dims.Window(width, kw, sw, dw, same);
            if (outHeight == 0 || outWidth == 0)
            {
                return c.Fail($"its input has shape {c.Input.Keras}, too small for a {(oneD ? kw.ToString(CultureInfo.InvariantCulture) : $"{kh}×{kw}")} window " +
                    $"with dilation {(oneD ? dw : dh)} and valid padding (use Padding.Same, or a smaller window)");
            }
        }

        switch (kind)
        {
            case LayerKind.Conv1D:
                c.Weight("kernel", WeightInit.GlorotUniform, kw, ch, filters);
                break;
            case LayerKind.Conv2D:
                c.Weight("kernel", WeightInit.GlorotUniform, kh, kw, ch, filters);
                break;
            case LayerKind.Conv2DTranspose:
                c.Weight("kernel", WeightInit.GlorotUniform, kh, kw, filters, ch);
                break;
            default:
                c.Weight("depthwise_kernel", WeightInit.GlorotUniform, kh, kw, ch, multiplier);
                c.Weight("pointwise_kernel", WeightInit.GlorotUniform, 1, 1, ch * multiplier, filters);
                break;
        }

        if (c.Layer.UseBias)
        {
            c.Weight("bias", WeightInit.Zeros, filters);
        }

        return c.Shape(oneD ? new[] { outWidth, filters } : new[] { outHeight, outWidth, filters });
    }

    private static TensorShape? Pooling(Context c)
    {
        bool oneD = c.Layer.Kind.IsOneDimensional();
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        if (channels is not int ch)
        {
            return null;
        }

        int ph = c.Config(0), pw = c.Config(1), sh = c.Config(2), sw = c.Config(3);
        bool same = c.Config(4) == 1;
        int height = oneD ? 1 : c.Input.Dims[0], width = c.Input.Dims[oneD ? 0 : 1];
        int outHeight = oneD ? 1 : c.Dims.Window(height, ph, sh, 1, same);
        int outWidth = c.Dims.Window(width, pw, sw, 1, same);
        if (outHeight == 0 || outWidth == 0)
        {
            return c.Fail($"its input has shape {c.Input.Keras}, smaller than the pooling window (use Padding.Same, or a smaller pool size)");
        }

        return c.Shape(oneD ? new[] { outWidth, ch } : new[] { outHeight, outWidth, ch });
    }

    private static TensorShape? GlobalPooling(Context c)
    {
        bool oneD = c.Layer.Kind.IsOneDimensional();
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        return channels is int ch ? c.Shape(new[] { ch }) : null;
    }

    private static TensorShape? UpSampling(Context c)
    {
        int? channels = c.Channels(3, "(None, height, width, channels)");
        return channels is int ch
            ? c.Shape(new[] { c.Dims.Mul(c.Input.Dims[0], c.Config(0)), c.Dims.Mul(c.Input.Dims[1], c.Config(1)), ch })
            : null;
    }

    private static TensorShape? Reshape(Context c)
    {
        var target = c.Layer.Shape;
        int size = c.Dims.Product(c.Input.Dims);
        int known = target.Where(d => d > 0).Aggregate(1, (a, d) => a * d);
        int? rest = target.Contains(-1) ? c.Dims.DivideExact(size, known) : size == known ? 1 : null;
        string wanted = "(None, " + string.Join(", ", target.Select(d => d < 0 ? "-1" : d.ToString(CultureInfo.InvariantCulture))) + ")";
        if (rest is null || rest == 0)
        {
            return c.Fail($"its input has shape {c.Input.Keras} ({(DimTable.IsSymbolic(size) ? "a size known only at run time" : size.ToString(CultureInfo.InvariantCulture) + " values")} per sample), " +
                $"which cannot be reshaped to {wanted}: the number of values must stay the same");
        }

        return c.Shape(target.Select(d => d < 0 ? rest.Value : d));
    }

    private static TensorShape? Embedding(Context c)
    {
        if (c.Input.DType != 1)
        {
            c.Report(DiagnosticIds.DTypeMismatch, c.Spec.Nodes[c.Node].InputSpans[0], ShapeInference.TensorName(c.Spec, c.Spec.Nodes[c.Node].Inputs[0]), "float32");
            return null;
        }

        c.Weight("embeddings", WeightInit.Uniform, c.Config(0), c.Layer.Units);
        return c.Shape(c.Input.Dims.Concat(new[] { c.Layer.Units }));
    }

    private static TensorShape? Recurrent(Context c)
    {
        int? features = c.Channels(2, "(None, steps, features)");
        if (features is not int f)
        {
            return null;
        }

        int units = c.Layer.Units;
        bool sequences = c.Config(0) == 1;
        bool option = c.Config(1) == 1;
        int gates = c.Layer.Kind switch { LayerKind.LSTM => 4, LayerKind.GRU => 3, _ => 1 };
        c.Weight("kernel", WeightInit.GlorotUniform, f, gates * units);
        c.Weight("recurrent_kernel", WeightInit.Orthogonal, units, gates * units);
        if (c.Layer.UseBias)
        {
            if (c.Layer.Kind == LayerKind.GRU && option)
            {
                c.Weight("bias", WeightInit.Zeros, 2, gates * units); // reset_after: input and recurrent biases
            }
            else
            {
                c.Weight("bias", c.Layer.Kind == LayerKind.LSTM && option ? WeightInit.UnitForgetBias : WeightInit.Zeros, gates * units);
            }
        }

        return c.Shape(sequences ? new[] { c.Input.Dims[0], units } : new[] { units });
    }

    private static TensorShape? BatchNormalization(Context c)
    {
        if (c.Input.Dims.Count == 0)
        {
            return c.Fail($"its input has shape {c.Input.Keras}; BatchNormalization needs a channel axis");
        }

        int channels = c.Input.Dims[c.Input.Dims.Count - 1];
        if (DimTable.IsSymbolic(channels))
        {
            return c.Fail($"its input has shape {c.Input.Keras}, whose last axis is known only at run time; BatchNormalization needs it known");
        }

        if (c.Config(1) == 1)
        {
            c.Weight("gamma", WeightInit.Ones, channels);
        }

        if (c.Config(0) == 1)
        {
            c.Weight("beta", WeightInit.Zeros, channels);
        }

        c.Weights.Add(new WeightSpec("moving_mean", new[] { channels }.ToEquatableArray(), WeightInit.Zeros, Trainable: false));
        c.Weights.Add(new WeightSpec("moving_variance", new[] { channels }.ToEquatableArray(), WeightInit.Ones, Trainable: false));
        return c.Input with { Repeat = 1 };
    }
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Shapes;

/// <summary>The layers and nodes of a graph, complete or still being built.</summary>
internal readonly record struct GraphView(IReadOnlyList<LayerSpec> Layers, IReadOnlyList<NodeSpec> Nodes);

/// <summary>
/// Checks an evaluated model the way Keras checks it when the model is built, but at compile time: the inputs and
/// outputs, connectivity, and every node's shape. Pure: same spec in, same result out.
/// </summary>
internal static partial class ShapeInference
{
    public static AnalyzedModel Analyze(ModelSpec spec)
    {
        var diagnostics = new List<DiagnosticInfo>(spec.Diagnostics);
        var nodes = spec.Nodes;
        var layers = spec.Layers;
        var shapes = new TensorShape?[nodes.Count];
        var parameterCounts = new int[layers.Count];
        var weights = new EquatableArray<WeightSpec>[layers.Count];
        var used = new List<int>();
        var outputNames = new List<string>();
        var dims = new DimTable();

        bool parseFailed = spec.Diagnostics.Any(d => d.Id != DiagnosticIds.UnusedInput);
        if (!parseFailed && spec.HasGraph)
        {
            CheckInputsAndOutputs(spec, diagnostics);
            used = UsedNodes(spec);
            CheckConnectivity(spec, used, diagnostics);
            InferShapes(new GraphView(spec.Layers, spec.Nodes), shapes, weights, diagnostics, dims, spec.Applications);
            for (int o = 0; o < spec.Outputs.Count; o++)
            {
                if (shapes[spec.Outputs[o]] is { Repeat: not 1 })
                {
                    Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.OutputSpans[o], "The model's output",
                        "this tensor is computed inside a TimeDistributed layer, step by step; use the TimeDistributed layer's output");
                }
            }
            outputNames = UniqueOutputNames(spec);
        }

        for (int l = 0; l < layers.Count; l++)
        {
            weights[l] = weights[l].Count > 0 ? weights[l] : EquatableArray<WeightSpec>.Empty;
            parameterCounts[l] = weights[l].Sum(w => w.Size);
        }

        try
        {
            // The weight buffer and the workspace are indexed with ints.
            _ = used.Select(n => spec.Nodes[n].Layer).Distinct().Sum(l => parameterCounts[l]);
            used.Where(n => shapes[n] is not null).Aggregate(0, (total, n) => dims.Add(total, dims.Size(shapes[n]!)));
        }
        catch (System.OverflowException)
        {
            Report(diagnostics, DiagnosticIds.InvalidArgument, spec.ModelSpan,
                "The model needs more than 2,147,483,647 weights, or values per sample, in all; use smaller layers or inputs");
        }

        return new AnalyzedModel(
            spec,
            used.ToEquatableArray(),
            shapes.Select(s => new TensorShapeOrNone(s)).ToEquatableArray(),
            parameterCounts.ToEquatableArray(),
            outputNames.ToEquatableArray(),
            diagnostics.ToEquatableArray(),
            dims.ToData(),
            weights.ToEquatableArray());
    }

    /// <summary>
    /// The shapes of the nodes built so far, for a builder that asks for a shape while it is evaluated
    /// (<c>x.Shape</c>, <c>layer.OutputShape</c>). Null where a shape is not defined (an error is reported later).
    /// </summary>
    public static TensorShape?[] ShapesSoFar(IReadOnlyList<LayerSpec> layers, IReadOnlyList<NodeSpec> nodes)
    {
        var shapes = new TensorShape?[nodes.Count];
        InferShapes(new GraphView(layers, nodes), shapes, new EquatableArray<WeightSpec>[layers.Count], new List<DiagnosticInfo>(), new DimTable());
        return shapes;
    }

    private static void Report(List<DiagnosticInfo> diagnostics, string id, SourceSpan span, params string[] arguments)
        => diagnostics.Add(new DiagnosticInfo(id, span, arguments.ToEquatableArray()));

    private static void CheckInputsAndOutputs(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        string? missing = (spec.Inputs.Count, spec.Outputs.Count) switch
        {
            (0, 0) => "The model has no inputs and no outputs; pass the tensors returned by Input(…) and the tensors they lead to",
            (_, 0) => "The model has no outputs; pass at least one tensor as its outputs",
            (0, _) => "The model has no inputs; pass the tensors returned by Input(…) as its inputs",
            _ => null,
        };
        if (missing is not null)
        {
            Report(diagnostics, DiagnosticIds.NoOutputs, spec.ModelSpan, missing);
        }

        var seen = new HashSet<int>();
        for (int i = 0; i < spec.Inputs.Count; i++)
        {
            int node = spec.Inputs[i];
            var layer = spec.Layers[spec.Nodes[node].Layer];
            if (layer.Kind != LayerKind.InputLayer)
            {
                Report(diagnostics, DiagnosticIds.NotAnInput, spec.InputSpans[i], TensorName(new GraphView(spec.Layers, spec.Nodes), node), layer.Name);
            }
            else if (!seen.Add(node))
            {
                Report(diagnostics, DiagnosticIds.InputListedTwice, spec.InputSpans[i], layer.Name, "inputs");
            }
        }

        var outputs = new HashSet<int>();
        for (int o = 0; o < spec.Outputs.Count; o++)
        {
            if (!outputs.Add(spec.Outputs[o]))
            {
                Report(diagnostics, DiagnosticIds.InputListedTwice, spec.OutputSpans[o], TensorName(new GraphView(spec.Layers, spec.Nodes), spec.Outputs[o]), "outputs");
            }
        }
    }

    /// <summary>The nodes that some output depends on, in node (topological) order.</summary>
    private static List<int> UsedNodes(ModelSpec spec)
    {
        var needed = new bool[spec.Nodes.Count];
        var stack = new Stack<int>(spec.Outputs);
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            if (needed[node])
            {
                continue;
            }

            needed[node] = true;
            if (spec.Inputs.Contains(node))
            {
                continue; // a listed input is where the model starts, even if a layer produced it
            }

            foreach (int input in spec.Nodes[node].Inputs)
            {
                stack.Push(input);
            }
        }

        return Enumerable.Range(0, spec.Nodes.Count).Where(n => needed[n]).ToList();
    }

    private static void CheckConnectivity(ModelSpec spec, List<int> used, List<DiagnosticInfo> diagnostics)
    {
        var usedSet = new HashSet<int>(used);
        for (int o = 0; o < spec.Outputs.Count; o++)
        {
            foreach (int missing in Ancestors(spec, spec.Outputs[o]).Where(n => spec.Nodes[n].Inputs.Count == 0 && !spec.Inputs.Contains(n)))
            {
                var input = spec.Layers[spec.Nodes[missing].Layer];
                diagnostics.Add(new DiagnosticInfo(DiagnosticIds.GraphDisconnected, spec.OutputSpans[o],
                    new[] { TensorName(new GraphView(spec.Layers, spec.Nodes), spec.Outputs[o]), input.Name, input.Name }.ToEquatableArray(),
                    Related: input.Span));
            }
        }

        for (int i = 0; i < spec.Inputs.Count; i++)
        {
            int node = spec.Inputs[i];
            bool feedsAnOutput = spec.Outputs.Contains(node) || used.Any(n => spec.Nodes[n].Inputs.Contains(node));
            if (!feedsAnOutput && spec.Layers[spec.Nodes[node].Layer].Kind == LayerKind.InputLayer)
            {
                Report(diagnostics, DiagnosticIds.UnusedInput, spec.InputSpans[i], spec.Layers[spec.Nodes[node].Layer].Name);
            }
        }
    }

    private static IEnumerable<int> Ancestors(ModelSpec spec, int output)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>();
        stack.Push(output);
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            if (!seen.Add(node))
            {
                continue;
            }

            yield return node;
            if (spec.Inputs.Contains(node))
            {
                continue;
            }

            foreach (int input in spec.Nodes[node].Inputs)
            {
                stack.Push(input);
            }
        }
    }

    private static TensorShape? Fail(List<DiagnosticInfo> diagnostics, NodeSpec node, string what, string message)
    {
        Report(diagnostics, DiagnosticIds.ShapeMismatch, node.Span, what, message);
        return null;
    }

    /// <summary>A model applied as a layer must get tensors of its inputs' shapes (Keras checks this at the call).</summary>
    private static bool CheckApplication(ApplicationSpec application, TensorShape?[] shapes, List<DiagnosticInfo> diagnostics)
    {
        for (int i = 0; i < application.ExpectedShapes.Count; i++)
        {
            var actual = shapes[application.Inputs[i]];
            var expected = application.ExpectedShapes[i];
            if (actual is not null && !Accepts(expected, actual.Dims))
            {
                var wanted = new TensorShape(expected, 0).Keras;
                int axis = FirstDifferentAxis(actual.Dims, expected);
                diagnostics.Add(new DiagnosticInfo(DiagnosticIds.ShapeMismatch, application.Span,
                    new[] { $"Model '{application.ModelName}'", $"input {i} has shape {actual.Keras} but the model expects {wanted}" +
                        (axis > 0 ? $"; they differ on axis {axis}" : "; their ranks differ") }.ToEquatableArray()));
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a tensor of shape <paramref name="actual"/> fits a declared shape, where <c>-1</c> (null) takes any size.</summary>
    private static bool Accepts(EquatableArray<int> declared, EquatableArray<int> actual)
        => declared.Count == actual.Count && declared.Zip(actual, (d, a) => d == -1 || d == a).All(ok => ok);

    private static void InferShapes(GraphView spec, TensorShape?[] shapes, EquatableArray<WeightSpec>[] weights, List<DiagnosticInfo> diagnostics,
        DimTable dims, IReadOnlyList<ApplicationSpec>? applications = null)
    {
        // Dense layers fix their input size at their first call (Keras's build); later calls must match.
        var denseInput = new int?[spec.Layers.Count];
        var applicationChecked = new Dictionary<int, bool>();
        for (int n = 0; n < spec.Nodes.Count; n++)
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            var inputs = node.Inputs.Select(i => shapes[i]).ToList();
            if (inputs.Any(s => s is null))
            {
                continue; // an earlier error; do not pile more on
            }

            if (node.Application >= 0 && applications is not null)
            {
                if (!applicationChecked.TryGetValue(node.Application, out bool fits))
                {
                    fits = CheckApplication(applications[node.Application], shapes, diagnostics);
                    applicationChecked[node.Application] = fits;
                }

                if (!fits)
                {
                    continue;
                }
            }

            if (inputs.Count > 1 && inputs.Any(t => t!.Repeat != inputs[0]!.Repeat))
            {
                Report(diagnostics, DiagnosticIds.ShapeMismatch, node.Span, $"{layer.Kind} '{layer.Name}'",
                    "its inputs come from inside and outside a TimeDistributed layer; combine them outside it");
                continue;
            }

            TensorShape? shape;
            try
            {
                shape = NodeShape(spec, n, inputs!, weights, diagnostics, dims, denseInput);
            }
            catch (System.OverflowException)
            {
                Report(diagnostics, DiagnosticIds.InvalidArgument, node.Span,
                    $"{layer.Kind} '{layer.Name}' would need a tensor or weight of more than 2,147,483,647 values (per sample); use smaller sizes");
                shape = null;
            }

            // Inside TimeDistributed every layer works on rows; Fold and Unfold set the row count themselves.
            int rows = inputs.Count > 0 ? inputs[0]!.Repeat : 1;
            shapes[n] = shape is null || layer.Kind is LayerKind.Fold or LayerKind.Unfold ? shape : shape with { Repeat = rows };
        }

        // A model applied inside a Lambda or TimeDistributed has its nodes in that group: check its call here.
        for (int a = 0; applications is not null && a < applications.Count; a++)
        {
            if (!applicationChecked.ContainsKey(a) && applications[a].ExpectedShapes.Count > 0)
            {
                CheckApplication(applications[a], shapes, diagnostics);
            }
        }
    }

    /// <summary>One node's output shape (null after reporting); throws <see cref="System.OverflowException"/> for sizes past int.</summary>
    private static TensorShape? NodeShape(GraphView spec, int n, List<TensorShape> inputs, EquatableArray<WeightSpec>[] weights,
        List<DiagnosticInfo> diagnostics, DimTable dims, int?[] denseInput)
    {
        var node = spec.Nodes[n];
        var layer = spec.Layers[node.Layer];
        {
            int repeat = inputs.Count > 0 ? inputs[0]!.Repeat : 1;
            int? unfolded = layer.Kind == LayerKind.Unfold ? dims.DivideExact(repeat, layer.Units) : null;
            var shape = layer.Kind switch
            {
                LayerKind.InputLayer => InputShape(n, layer, dims),
                LayerKind.Dense => DenseShape(spec, n, inputs!, denseInput, weights, diagnostics),
                LayerKind.Concatenate => ConcatenateShape(spec, n, inputs!, diagnostics, dims),
                LayerKind.Dot => DotShape(spec, n, inputs!, diagnostics),
                LayerKind.UnaryOp or LayerKind.ActivationOp or LayerKind.Affine => CheckFloat(spec, n, inputs!, diagnostics) ? inputs[0] : null,
                LayerKind.BinaryOp => BroadcastShape(spec, n, inputs!, diagnostics),
                LayerKind.Reduce => ReduceShape(spec, n, inputs!, diagnostics),
                LayerKind.Fold => FoldShape(spec, n, inputs[0]!, diagnostics, dims),
                LayerKind.Select => new TensorShape(new[] { spec.Layers[spec.Nodes[node.Inputs[0]].Layer].Units }.ToEquatableArray(), 0),
                LayerKind.Unfold when unfolded is null => Fail(diagnostics, node, "TimeDistributed",
                    "the layer inside TimeDistributed must compute its result from each time step it is given"),
                LayerKind.Unfold => new TensorShape(new[] { layer.Units }.Concat(inputs[0]!.Dims).ToEquatableArray(), inputs[0]!.DType, unfolded!.Value),
                _ when layer.Kind.IsElementwiseMerge() => ElementwiseShape(spec, n, inputs!, diagnostics),
                _ when LayerShapes.Handles(layer.Kind) => LayerShapes.Infer(spec, n, inputs!, weights, diagnostics, dims),
                _ => Fail(diagnostics, node, layer.Name, $"a {layer.Kind} layer cannot be applied here"),
            };

            // A shape's size must fit an int too (the workspace indexes floats with ints).
            if (shape is not null)
            {
                dims.Size(shape with { Repeat = repeat });
            }

            return shape;
        }
    }

    /// <summary>An input's shape; each unknown (<c>null</c>) dimension becomes a length given at run time.</summary>
    private static TensorShape InputShape(int node, LayerSpec layer, DimTable dims)
        => new(layer.Shape.Select((d, axis) => d < 0 ? dims.Length(node, axis) : d).ToEquatableArray(), layer.DType);

    private static bool CheckFloat(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].DType != 0)
            {
                Report(diagnostics, DiagnosticIds.DTypeMismatch, spec.Nodes[node].InputSpans[i],
                    $"{layer.Kind} '{layer.Name}'", TensorName(spec, spec.Nodes[node].Inputs[i]), "int32");
                return false;
            }
        }

        return true;
    }

    private static TensorShape? DenseShape(GraphView spec, int node, List<TensorShape> inputs, int?[] denseInput, EquatableArray<WeightSpec>[] weights,
        List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        var input = inputs[0];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        if (input.Dims.Count == 0)
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[0], $"Dense '{layer.Name}'",
                $"its input {TensorName(spec, spec.Nodes[node].Inputs[0])} has shape {input.Keras}, but Dense needs at least one axis besides the batch");
            return null;
        }

        int k = input.Dims[input.Dims.Count - 1];
        int layerIndex = spec.Nodes[node].Layer;
        if (DimTable.IsSymbolic(k))
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[0], $"Dense '{layer.Name}'",
                $"its input {TensorName(spec, spec.Nodes[node].Inputs[0])} has shape {input.Keras}, whose last axis is known only at run time; " +
                "Dense needs a known last axis to size its kernel (give that axis of the Input a size)");
            return null;
        }

        if (denseInput[layerIndex] is int built && built != k)
        {
            Report(diagnostics, DiagnosticIds.SharedLayerShapeMismatch, spec.Nodes[node].InputSpans[0], $"Dense '{layer.Name}'",
                $"input has shape {input.Keras} with {k} on axis -1, but the layer was first called on a tensor with {built} on axis -1 " +
                "and a shared layer keeps one kernel");
            return null;
        }

        denseInput[layerIndex] = k;
        _ = checked((k * layer.Units) + layer.Units); // throws past int, reported by the caller
        weights[layerIndex] = Weights(
            new WeightSpec("kernel", new[] { k, layer.Units }.ToEquatableArray(), WeightInit.GlorotUniform),
            layer.UseBias ? new WeightSpec("bias", new[] { layer.Units }.ToEquatableArray(), WeightInit.Zeros) : null);
        var dims = input.Dims.Take(input.Dims.Count - 1).Concat(new[] { layer.Units }).ToEquatableArray();
        return new TensorShape(dims, 0);
    }

    private static EquatableArray<WeightSpec> Weights(params WeightSpec?[] weights)
        => weights.Where(w => w is not null).Select(w => w!).ToEquatableArray();

    private static TensorShape? ConcatenateShape(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics, DimTable dims)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        int rank = inputs[0].Dims.Count + 1; // Keras counts the batch axis
        int axis = layer.Axis < 0 ? layer.Axis + rank : layer.Axis;
        if (axis < 1 || axis >= rank)
        {
            Report(diagnostics, DiagnosticIds.InvalidArgument, layer.Span,
                $"Concatenate '{layer.Name}' has axis {layer.Axis}, but its inputs have rank {rank} (batch included), so the axis must be in 1..{rank - 1} or -{rank - 1}..-1");
            return null;
        }

        int sampleAxis = axis - 1;
        var first = inputs[0];
        int total = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            var shape = inputs[i];
            bool ok = shape.Dims.Count == first.Dims.Count;
            int badAxis = -1;
            for (int d = 0; ok && d < shape.Dims.Count; d++)
            {
                if (d != sampleAxis && shape.Dims[d] != first.Dims[d])
                {
                    ok = false;
                    badAxis = d + 1;
                }
            }

            if (!ok)
            {
                Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[i], $"Concatenate '{layer.Name}'",
                    $"input {i} has shape {shape.Keras} but input 0 has shape {first.Keras}; " +
                    (badAxis >= 0 ? $"they differ on axis {badAxis.ToString(CultureInfo.InvariantCulture)}" : "their ranks differ") +
                    $", and only the concatenation axis ({axis}) may differ");
                return null;
            }

            total = dims.Add(total, shape.Dims[sampleAxis]);
        }

        return new TensorShape(first.Dims.Select((d, i) => i == sampleAxis ? total : d).ToEquatableArray(), 0);
    }

    private static TensorShape? ElementwiseShape(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        var first = inputs[0];
        if (inputs.All(t => t.Dims.Equals(first.Dims)))
        {
            return first;
        }

        // Keras broadcasts merge inputs: shapes aligned on the right, an axis of length 1 repeats. (Subtract takes
        // exactly two.)
        var shape = first.Dims;
        for (int i = 1; i < inputs.Count; i++)
        {
            var combined = Broadcast(shape, inputs[i].Dims);
            if (combined is null)
            {
                int axis = FirstDifferentAxis(first.Dims, inputs[i].Dims);
                Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[i], $"{layer.Kind} '{layer.Name}'",
                    $"input {i} has shape {inputs[i].Keras} but input 0 has shape {first.Keras}; " +
                    (axis > 0 ? $"they differ on axis {axis}" : "their ranks differ") +
                    ", and they cannot be broadcast together (each pair of axes, aligned on the right, must be equal or 1)" +
                    RunTimeHint(first, inputs[i]));
                return null;
            }

            shape = combined.Value;
        }

        return new TensorShape(shape, 0);
    }

    private static TensorShape? DotShape(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        var (a, b) = (inputs[0], inputs[1]);
        int rank = a.Dims.Count + 1;
        int axis = layer.Axis < 0 ? layer.Axis + rank : layer.Axis;
        if (a.Dims.Count != b.Dims.Count)
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[1], $"Dot '{layer.Name}'",
                $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; this version needs inputs of one rank");
            return null;
        }

        if (a.Dims.Count == 0 || axis != rank - 1)
        {
            Report(diagnostics, DiagnosticIds.InvalidArgument, layer.Span,
                $"Dot '{layer.Name}' has axes {layer.Axis}; this version contracts the last axis of each input (axes: -1)");
            return null;
        }

        int n = a.Dims[a.Dims.Count - 1];
        if (DimTable.IsSymbolic(n) || DimTable.IsSymbolic(b.Dims[b.Dims.Count - 1]))
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[DimTable.IsSymbolic(n) ? 0 : 1], $"Dot '{layer.Name}'",
                $"its inputs have shapes {a.Keras} and {b.Keras}; the contracted last axes must have a length known at compile time");
            return null;
        }

        if (b.Dims[b.Dims.Count - 1] != n)
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[1], $"Dot '{layer.Name}'",
                $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; the contracted last axes must have one length ({b.Dims[b.Dims.Count - 1]} vs {n})");
            return null;
        }

        var dims = a.Dims.Take(a.Dims.Count - 1).Concat(b.Dims.Take(b.Dims.Count - 1)).ToList();
        return new TensorShape((dims.Count == 0 ? new List<int> { 1 } : dims).ToEquatableArray(), 0);
    }

    /// <summary>The broadcast of two per-sample shapes, or null when they are incompatible.</summary>
    private static EquatableArray<int>? Broadcast(EquatableArray<int> a, EquatableArray<int> b)
    {
        int rank = System.Math.Max(a.Count, b.Count);
        var dims = new int[rank];
        for (int i = 1; i <= rank; i++)
        {
            int x = i <= a.Count ? a[a.Count - i] : 1, y = i <= b.Count ? b[b.Count - i] : 1;
            if (x != y && x != 1 && y != 1)
            {
                return null; // includes a run-time length against another size: they might differ
            }

            dims[rank - i] = x == 1 ? y : x;
        }

        return dims.ToEquatableArray();
    }

    /// <summary>Keras's (NumPy's) broadcasting: shapes aligned on the right; each pair of dimensions equal or one of them 1.</summary>
    private static TensorShape? BroadcastShape(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        var shape = Broadcast(inputs[0].Dims, inputs[1].Dims);
        if (shape is null)
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].Span, $"'{layer.Name}'",
                $"shapes {inputs[0].Keras} and {inputs[1].Keras} cannot be broadcast together (each pair of axes, aligned on the right, must be equal or 1)" +
                RunTimeHint(inputs[0], inputs[1]));
            return null;
        }

        return new TensorShape(shape.Value, 0);
    }

    /// <summary>Why two shapes with run-time lengths do not combine, for a Keras user who expects a run-time check.</summary>
    private static string RunTimeHint(TensorShape a, TensorShape b)
        => a.IsStatic && b.IsStatic ? string.Empty
            : a.Keras == b.Keras
                ? "; both print None there, but their sizes are computed differently from the run-time lengths (for example by windows " +
                  "with valid padding on one path and same padding on the other), so they may differ"
                : "; a None axis is known only at run time, so it matches only 1 or the same input's None axis, never a fixed size or another input's length";

    private static TensorShape? FoldShape(GraphView spec, int node, TensorShape input, List<DiagnosticInfo> diagnostics, DimTable dims)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (input.Dims.Count < 2)
        {
            Report(diagnostics, DiagnosticIds.ShapeMismatch, spec.Nodes[node].InputSpans[0], "TimeDistributed",
                $"its input has shape {input.Keras}, but TimeDistributed needs a time axis and at least one more: (None, steps, …)");
            return null;
        }

        return new TensorShape(input.Dims.Skip(1).ToEquatableArray(), input.DType, dims.Mul(input.Repeat, layer.Units));
    }

    private static TensorShape? ReduceShape(GraphView spec, int node, List<TensorShape> inputs, List<DiagnosticInfo> diagnostics)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (!CheckFloat(spec, node, inputs, diagnostics))
        {
            return null;
        }

        var input = inputs[0];
        int rank = input.Dims.Count + 1;
        int axis = layer.Axis < 0 ? layer.Axis + rank : layer.Axis;
        if (axis < 1 || axis >= rank)
        {
            Report(diagnostics, DiagnosticIds.InvalidArgument, spec.Nodes[node].Span,
                $"'{layer.Name}' reduces axis {layer.Axis}, but its input {input.Keras} has axes 1..{rank - 1} (the batch axis 0 cannot be reduced)");
            return null;
        }

        var dims = input.Dims.Select((d, i) => i == axis - 1 ? 1 : d).Where((d, i) => layer.UseBias || i != axis - 1).ToEquatableArray();
        return new TensorShape(dims, 0);
    }

    private static int FirstDifferentAxis(EquatableArray<int> a, EquatableArray<int> b)
    {
        if (a.Count != b.Count)
        {
            return -1;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>A tensor's name as Keras prints it in messages: the producing layer and node.</summary>
    public static string TensorName(GraphView spec, int node)
    {
        var layer = spec.Layers[spec.Nodes[node].Layer];
        return layer.Name;
    }

    private static List<string> UniqueOutputNames(ModelSpec spec)
    {
        var names = new List<string>();
        foreach (int output in spec.Outputs)
        {
            // An output made inside a Lambda, TimeDistributed or nested model is named after that layer, as in Keras.
            int application = spec.Nodes[output].Application;
            string baseName = application >= 0 && spec.Applications[application].Outputs.Contains(output)
                ? spec.Applications[application].ModelName
                : spec.Layers[spec.Nodes[output].Layer].Name;
            string name = baseName;
            for (int i = 1; names.Contains(name); i++)
            {
                name = baseName + "_" + i.ToString(CultureInfo.InvariantCulture);
            }

            names.Add(name);
        }

        return names;
    }
}

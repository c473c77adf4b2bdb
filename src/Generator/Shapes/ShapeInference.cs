using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Layers;
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

        bool parseFailed = spec.Diagnostics.Any(d => !DiagnosticIds.IsWarning(d.Id));
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

        // A member the user declared that the generator also writes: one error at the user's member (the generator
        // leaves its own out), not CS0111 in a generated file.
        if (spec.UserMembers.Count > 0 && !spec.IsLossGraph)
        {
            foreach (var (key, display) in Emit.GeneratedMembers.Of(spec, outputNames))
            {
                foreach (var member in spec.UserMembers.Where(m => m.Key == key))
                {
                    Report(diagnostics, DiagnosticIds.MemberConflict, member.Span, display, spec.ClassName);
                }
            }
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

            foreach (int input in spec.Nodes[node].Reads)
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
            bool feedsAnOutput = spec.Outputs.Contains(node) || used.Any(n => spec.Nodes[n].Reads.Contains(node));
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

            foreach (int input in spec.Nodes[node].Reads)
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
    private static bool CheckApplication(ApplicationSpec application, IReadOnlyList<TensorShape?> shapes, List<DiagnosticInfo> diagnostics)
    {
        for (int i = 0; i < application.ExpectedShapes.Count; i++)
        {
            var actual = shapes[application.Inputs[i]];
            var expected = application.ExpectedShapes[i];
            if (actual is not null && !Accepts(expected, actual.Dims))
            {
                var wanted = new TensorShape(expected, 0).Keras;
                int axis = Broadcasting.FirstDifferentAxis(actual.Dims, expected);
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
        DimTable dims, IReadOnlyList<ApplicationSpec> applications)
    {
        var tracker = new Tracker(spec, diagnostics, dims, applications);
        tracker.InferAll();
        for (int n = 0; n < shapes.Length; n++)
        {
            shapes[n] = tracker.ShapeOf(n);
        }

        for (int l = 0; l < weights.Length; l++)
        {
            weights[l] = tracker.WeightsOf(l);
        }
    }

    /// <summary>
    /// Infers shapes node by node, each once: nodes are appended in topological order and never change, so a node's
    /// shape depends only on earlier ones. The evaluator keeps one while the builder runs (for <c>x.Shape</c>, a Lambda's
    /// <c>outputShape</c>, TimeDistributed's steps), asking for a node's shape as soon as it exists.
    /// </summary>
    internal sealed class Tracker
    {
        private readonly GraphView _spec;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly DimTable _dims;
        private readonly IReadOnlyList<ApplicationSpec>? _applications;
        private readonly List<TensorShape?> _shapes = new();
        private readonly Dictionary<int, EquatableArray<WeightSpec>> _weights = new();
        private readonly Dictionary<int, bool> _applicationChecked = new();

        /// <param name="spec">The graph; its lists may still grow.</param>
        /// <param name="diagnostics">Where problems are reported.</param>
        /// <param name="dims">The run-time lengths and the dimensions built from them.</param>
        /// <param name="applications">The calls of nested models to check, or null while the builder runs (they are
        /// checked once it has finished).</param>
        public Tracker(GraphView spec, List<DiagnosticInfo> diagnostics, DimTable dims, IReadOnlyList<ApplicationSpec>? applications)
        {
            _spec = spec;
            _diagnostics = diagnostics;
            _dims = dims;
            _applications = applications;
        }

        /// <summary>A node's shape, inferring the nodes up to it that are not yet; null where it is not defined
        /// (an error is reported).</summary>
        public TensorShape? ShapeOf(int node)
        {
            while (_shapes.Count <= node && _shapes.Count < _spec.Nodes.Count)
            {
                _shapes.Add(Infer(_shapes.Count));
            }

            return node >= 0 && node < _shapes.Count ? _shapes[node] : null;
        }

        /// <summary>The weights a layer's first call built, or empty.</summary>
        public EquatableArray<WeightSpec> WeightsOf(int layer) => _weights.TryGetValue(layer, out var weights) ? weights : EquatableArray<WeightSpec>.Empty;

        /// <summary>Infers every node, then checks the calls of nested models inside a Lambda or TimeDistributed
        /// (their nodes are in that group, so no node of theirs checked them).</summary>
        public void InferAll()
        {
            ShapeOf(_spec.Nodes.Count - 1);
            for (int a = 0; _applications is not null && a < _applications.Count; a++)
            {
                if (!_applicationChecked.ContainsKey(a) && _applications[a].ExpectedShapes.Count > 0)
                {
                    CheckApplication(_applications[a], _shapes, _diagnostics);
                }
            }
        }

        private TensorShape? Infer(int n)
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            var inputs = new List<TensorShape>(node.Inputs.Count);
            foreach (int input in node.Inputs)
            {
                if (_shapes[input] is not { } inputShape)
                {
                    return null; // an earlier error; do not pile more on
                }

                inputs.Add(inputShape);
            }

            if (node.Application >= 0 && _applications is not null)
            {
                if (!_applicationChecked.TryGetValue(node.Application, out bool fits))
                {
                    fits = CheckApplication(_applications[node.Application], _shapes, _diagnostics);
                    _applicationChecked[node.Application] = fits;
                }

                if (!fits)
                {
                    return null;
                }
            }

            if (inputs.Count > 1 && inputs.Any(t => t.Repeat != inputs[0].Repeat))
            {
                Report(_diagnostics, DiagnosticIds.ShapeMismatch, node.Span, $"{layer.Kind} '{layer.Name}'",
                    "its inputs come from inside and outside a TimeDistributed layer; combine them outside it");
                return null;
            }

            // A mask is one value per step: the input's shape without its features (Keras fails at run time otherwise).
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                int mask = node.MaskOf(i);
                if (mask < 0)
                {
                    continue;
                }

                if (_shapes[mask] is not { } maskShape)
                {
                    return null;
                }

                var dims = inputs[i].Dims;
                if (dims.Count < 2 || !maskShape.Dims.SequenceEqual(dims.Take(dims.Count - 1)))
                {
                    Report(_diagnostics, DiagnosticIds.ShapeMismatch, node.InputSpans[i], $"{layer.Kind} '{layer.Name}'",
                        $"its input {ShapeInference.TensorName(_spec, node.Inputs[i])} has shape {inputs[i].Keras} and carries a mask of shape " +
                        $"{maskShape.Keras}, but {layer.Kind} reads a mask as one value per step of a (None, steps, features) input; " +
                        "mask the sequence itself (Embedding(maskZero: true) or Masking on (None, steps, features))");
                    return null;
                }
            }

            TensorShape? shape;
            try
            {
                shape = NodeShape(n, inputs);
            }
            catch (System.OverflowException)
            {
                Report(_diagnostics, DiagnosticIds.InvalidArgument, node.Span,
                    $"{layer.Kind} '{layer.Name}' would need a tensor or weight of more than 2,147,483,647 values (per sample); use smaller sizes");
                return null;
            }

            // Inside TimeDistributed every layer works on rows; Fold and Unfold set the row count themselves.
            int rows = inputs.Count > 0 ? inputs[0].Repeat : 1;
            return shape is null || LayerRules.Of(layer.Kind).ChangesRows ? shape : shape with { Repeat = rows };
        }

        /// <summary>One node's output shape (null after reporting), from its kind's rule; throws
        /// <see cref="System.OverflowException"/> for sizes past int.</summary>
        private TensorShape? NodeShape(int n, List<TensorShape> inputs)
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            var rule = LayerRules.Of(layer.Kind);
            var built = WeightsOf(node.Layer);
            var context = new ShapeContext(_spec, n, inputs, _diagnostics, _dims, built);
            var shape = rule.Infer(context);
            if (shape is null)
            {
                return null;
            }

            if (context.Weights.Count > 0)
            {
                // A shared layer keeps the weights of its first call; a later call must fit them.
                var weightsOfCall = context.Weights.ToEquatableArray();
                _ = weightsOfCall.Sum(w => w.Size); // throws past int, reported by the caller
                if (built.Count > 0 && !built.Equals(weightsOfCall))
                {
                    string Shapes(EquatableArray<WeightSpec> w) => string.Join(", ", w.Select(x => $"{x.Name} [{string.Join(", ", x.Dims)}]"));
                    context.Report(DiagnosticIds.SharedLayerShapeMismatch, node.InputSpans[0],
                        $"input has shape {inputs[0].Keras}, which needs {Shapes(weightsOfCall)}, but the layer was first called on a tensor " +
                        $"that gave it {Shapes(built)}, and a shared layer keeps one set of weights");
                    return null;
                }

                _weights[node.Layer] = weightsOfCall;
            }

            // A shape's size must fit an int too (the workspace indexes floats with ints).
            int repeat = inputs.Count > 0 ? inputs[0].Repeat : 1;
            _dims.Size(shape with { Repeat = repeat });
            return shape;
        }
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

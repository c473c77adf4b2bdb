using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Dot</c>'s settings: the axes as written (one for both inputs, or one per input; Keras counts the batch
/// axis as 0), whether they were written as a list, and whether the inputs are L2-normalised first (the cosine
/// similarity).</summary>
internal sealed record DotConfig(EquatableArray<int> Axes, bool AxesIsList, bool Normalize) : LayerConfig
{
    /// <summary>Input <paramref name="input"/>'s contracted axis, counting the batch axis as 0, as Keras resolves it: a
    /// negative axis counts from the end of its own input (so <c>axes: -1</c> is the last axis of each, whatever their
    /// ranks). Not checked against the rank.</summary>
    public int AxisOf(int input, int rank)
    {
        int given = Axes[Axes.Count == 1 ? 0 : input];
        return given < 0 ? given + rank : given;
    }
}

/// <summary>
/// <c>Dot(axes, normalize)</c> of two tensors, as Keras's <c>batch_dot</c>: per sample, the sum over one axis of each
/// input (any axis but the batch axis, the two of one length) of every pair of the inputs' other elements. The output
/// holds the first input's remaining axes, then the second's, each in its order (<c>[1]</c> when none remain), so
/// <c>Dot(axes: [2, 2])</c> of (T, d) queries and (S, d) keys gives (T, S) scores and <c>Dot(axes: [2, 1])</c> of those
/// and (S, e) values gives (T, e).
/// </summary>
internal sealed class DotRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Dot };

    /// <summary>Keras's Dot supports masking and returns no mask.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Ends;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var axes = args.Axes("axes");
        if (axes is null)
        {
            return null;
        }

        bool list = args.Raw("axes").Kind == ValueKind.List;
        if (list && axes.Value.Count != 2)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("axes"), $"Dot needs 'axes' to be one integer or two (one per input), but it has {axes.Value.Count}");
            return null;
        }

        return args.Bool("normalize") is bool normalize ? new DotConfig(axes.Value, list, normalize) : null;
    }

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 2);

    /// <summary>The contracted axis of each input, counting the batch axis as 0, as Keras resolves them: a negative axis
    /// counts from the end of its own input (so <c>axes: -1</c> contracts the last axis of each, whatever their ranks).</summary>
    /// <returns>The two axes, or null (after reporting) when one is the batch axis or beyond its input's rank.</returns>
    private static (int First, int Second)? Resolve(ShapeContext c, DotConfig s)
    {
        var (a, b) = (c.Inputs[0], c.Inputs[1]);
        int[] ranks = { a.Dims.Count + 1, b.Dims.Count + 1 };
        var resolved = new int[2];
        for (int i = 0; i < 2; i++)
        {
            int given = s.Axes[s.Axes.Count == 1 ? 0 : i], axis = s.AxisOf(i, ranks[i]);
            if (axis <= 0 || axis >= ranks[i])
            {
                var shape = i == 0 ? a : b;
                c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                    $"Dot '{c.Layer.Name}' contracts axis {given} of input {i}, shaped {shape.Keras}: " +
                    (axis == 0 ? "the batch axis cannot be contracted" : $"it has axes 1 to {ranks[i] - 1} besides the batch axis"));
                return null;
            }

            resolved[i] = axis;
        }

        return (resolved[0], resolved[1]);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var (a, b) = (c.Inputs[0], c.Inputs[1]);
        if (a.Dims.Count == 0 || b.Dims.Count == 0)
        {
            return c.FailAt(a.Dims.Count == 0 ? 0 : 1, $"its inputs have shapes {a.Keras} and {b.Keras}; Dot needs at least one axis besides the batch axis in each");
        }

        if (Resolve(c, c.Settings<DotConfig>()) is not var (first, second))
        {
            return null;
        }

        // A length known only at run time matches only itself (the same input's axis, or one derived from it): the
        // kernels take the contracted length at run time, so attention over sequences of any length works.
        int n = a.Dims[first - 1], m = b.Dims[second - 1];
        if (n != m)
        {
            return c.FailAt(1, DimTable.IsSymbolic(n) || DimTable.IsSymbolic(m)
                ? $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; the contracted axes ({first} and {second}) must have one length, " +
                  "and a length known only at run time matches only the same run-time length (of the same input)"
                : $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; the contracted axes ({first} and {second}) must have one length ({m} vs {n})");
        }

        var dims = a.Dims.Where((_, i) => i != first - 1).Concat(b.Dims.Where((_, i) => i != second - 1)).ToList();
        return c.Shape(dims.Count == 0 ? new List<int> { 1 } : dims);
    }

    /// <summary>normalize=True keeps the normalised inputs for backward.</summary>
    public override int[] Temporaries(PlanContext c)
        => c.Settings<DotConfig>().Normalize ? c.NodeSpec.Inputs.Select(i => c.Dims.Size(c.Model.ShapeOf(i))).ToArray() : System.Array.Empty<int>();

    public override void Forward(NodeEmitter e)
    {
        var g = Geometry(e);
        string a = e.Values(e.Inputs[0]), b = e.Values(e.Inputs[1]);
        if (e.Settings<DotConfig>().Normalize)
        {
            // normalize=True: the cosine similarity of the L2-normalised inputs, kept for backward.
            e.Line($"var a = {e.Temporary(0, g.ASize)};");
            e.Line($"var b = {e.Temporary(1, g.BSize)};");
            e.Line($"{Kernels}DotKernels.L2Normalize({a}, a, {e.Rows(g.AOuter)}, {e.D(g.K)}, {e.D(g.AInner)});");
            e.Line($"{Kernels}DotKernels.L2Normalize({b}, b, {e.Rows(g.BOuter)}, {e.D(g.K)}, {e.D(g.BInner)});");
            (a, b) = ("a", "b");
        }

        e.Line($"{Kernels}DotKernels.Forward({a}, {b}, {e.Values(e.Node)}, batchSize, {Arguments(e, g)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        var g = Geometry(e);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (!e.Settings<DotConfig>().Normalize)
        {
            e.Line($"{Kernels}DotKernels.Backward(dy, {e.Values(inputs[0])}, {e.Values(inputs[1])}, {e.GradientOrEmpty(inputs[0])}, {e.GradientOrEmpty(inputs[1])}, " +
                   $"batchSize, {Arguments(e, g)});");
            return;
        }

        e.Line($"var a = {e.Temporary(0, g.ASize)};");
        e.Line($"var b = {e.Temporary(1, g.BSize)};");
        e.Line($"var da = {e.TemporaryGradient(0, g.ASize)};");
        e.Line($"var db = {e.TemporaryGradient(1, g.BSize)};");
        e.Line($"{Kernels}DotKernels.Backward(dy, a, b, da, db, batchSize, {Arguments(e, g)});");
        if (e.NeedsGradient(inputs[0]))
        {
            e.Line($"{Kernels}DotKernels.L2NormalizeBackward({e.Values(inputs[0])}, a, da, {e.Gradient(inputs[0])}, {e.Rows(g.AOuter)}, {e.D(g.K)}, {e.D(g.AInner)});");
        }

        if (e.NeedsGradient(inputs[1]))
        {
            e.Line($"{Kernels}DotKernels.L2NormalizeBackward({e.Values(inputs[1])}, b, db, {e.Gradient(inputs[1])}, {e.Rows(g.BOuter)}, {e.D(g.K)}, {e.D(g.BInner)});");
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var dot = layer.Settings<DotConfig>();
        config.Settings("DotSettings");
        if (dot.AxesIsList)
        {
            config.Ints("axes", dot.Axes.ToArray());
        }
        else
        {
            config.Int("axes", dot.Axes[0]);
        }

        config.Bool("normalize", dot.Normalize);
    }

    /// <summary>Each input per sample viewed around its contracted axis as [outer, K, inner] (products of the axes before
    /// and after it), as <c>DotKernels</c> takes them.</summary>
    private readonly record struct DotGeometry(int AOuter, int K, int AInner, int BOuter, int BInner, int ASize, int BSize);

    private static DotGeometry Geometry(NodeEmitter e)
    {
        var a = e.ShapeOf(e.Inputs[0]).Dims;
        var b = e.ShapeOf(e.Inputs[1]).Dims;
        var s = e.Settings<DotConfig>();

        // Inference accepted the axes; as indices into the per-sample dims (no batch axis).
        int first = s.AxisOf(0, a.Count + 1) - 1, second = s.AxisOf(1, b.Count + 1) - 1;
        var dims = e.Dims;
        return new DotGeometry(dims.Product(a.Take(first)), a[first], dims.Product(a.Skip(first + 1)), dims.Product(b.Take(second)),
            dims.Product(b.Skip(second + 1)), dims.Product(a), dims.Product(b));
    }

    private static string Arguments(NodeEmitter e, DotGeometry g)
        => $"{e.D(g.AOuter)}, {e.D(g.K)}, {e.D(g.AInner)}, {e.D(g.BOuter)}, {e.D(g.BInner)}";
}

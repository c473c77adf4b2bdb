using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Dot</c>'s settings: the axes as written (Keras counts the batch axis) and whether the inputs are
/// L2-normalised first (the cosine similarity).</summary>
internal sealed record DotConfig(int Axes, bool Normalize) : LayerConfig;

/// <summary><c>Dot(axes, normalize)</c> of two tensors: this version contracts the last axis of each.</summary>
internal sealed class DotRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Dot };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? axes = args.Int("axes");
        bool? normalize = axes is null ? null : args.Bool("normalize");
        return axes is null || normalize is null ? null : new DotConfig(axes.Value, normalize.Value);
    }

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 2);

    public override TensorShape? Infer(ShapeContext c)
    {
        var layer = c.Layer;
        if (!c.IsFloat())
        {
            return null;
        }

        int given = c.Settings<DotConfig>().Axes;
        var (a, b) = (c.Inputs[0], c.Inputs[1]);
        int rank = a.Dims.Count + 1;
        int axis = given < 0 ? given + rank : given;
        if (a.Dims.Count != b.Dims.Count)
        {
            return c.FailAt(1, $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; this version needs inputs of one rank");
        }

        if (a.Dims.Count == 0 || axis != rank - 1)
        {
            c.ReportRaw(DiagnosticIds.InvalidArgument, layer.Span,
                $"Dot '{layer.Name}' has axes {given}; this version contracts the last axis of each input (axes: -1)");
            return null;
        }

        int n = a.Dims[a.Dims.Count - 1];
        if (DimTable.IsSymbolic(n) || DimTable.IsSymbolic(b.Dims[b.Dims.Count - 1]))
        {
            return c.FailAt(DimTable.IsSymbolic(n) ? 0 : 1,
                $"its inputs have shapes {a.Keras} and {b.Keras}; the contracted last axes must have a length known at compile time");
        }

        if (b.Dims[b.Dims.Count - 1] != n)
        {
            return c.FailAt(1, $"input 1 has shape {b.Keras} but input 0 has shape {a.Keras}; the contracted last axes must have one length ({b.Dims[b.Dims.Count - 1]} vs {n})");
        }

        var dims = a.Dims.Take(a.Dims.Count - 1).Concat(b.Dims.Take(b.Dims.Count - 1)).ToList();
        return c.Shape(dims.Count == 0 ? new List<int> { 1 } : dims);
    }

    /// <summary>normalize=True keeps the normalised inputs for backward.</summary>
    public override int[] Temporaries(PlanContext c)
        => c.Settings<DotConfig>().Normalize ? c.NodeSpec.Inputs.Select(i => c.Dims.Size(c.Model.ShapeOf(i))).ToArray() : System.Array.Empty<int>();

    public override void Forward(NodeEmitter e)
    {
        var (p, q, k, aSize, bSize) = Geometry(e);
        string a = e.Values(e.Inputs[0]), b = e.Values(e.Inputs[1]);
        if (e.Settings<DotConfig>().Normalize)
        {
            // normalize=True: the cosine similarity of the L2-normalised inputs, kept for backward.
            e.Line($"var a = {e.Temporary(0, aSize)};");
            e.Line($"var b = {e.Temporary(1, bSize)};");
            e.Line($"{Kernels}DotKernels.L2Normalize({a}, a, {e.Rows(p)}, {e.D(k)});");
            e.Line($"{Kernels}DotKernels.L2Normalize({b}, b, {e.Rows(q)}, {e.D(k)});");
            (a, b) = ("a", "b");
        }

        e.Line($"{Kernels}DotKernels.Forward({a}, {b}, {e.Values(e.Node)}, batchSize, {e.D(p)}, {e.D(q)}, {e.D(k)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        var (p, q, k, aSize, bSize) = Geometry(e);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (!e.Settings<DotConfig>().Normalize)
        {
            e.Line($"{Kernels}DotKernels.Backward(dy, {e.Values(inputs[0])}, {e.Values(inputs[1])}, {e.GradientOrEmpty(inputs[0])}, {e.GradientOrEmpty(inputs[1])}, " +
                   $"batchSize, {e.D(p)}, {e.D(q)}, {e.D(k)});");
            return;
        }

        e.Line($"var a = {e.Temporary(0, aSize)};");
        e.Line($"var b = {e.Temporary(1, bSize)};");
        e.Line($"var da = {e.TemporaryGradient(0, aSize)};");
        e.Line($"var db = {e.TemporaryGradient(1, bSize)};");
        e.Line($"{Kernels}DotKernels.Backward(dy, a, b, da, db, batchSize, {e.D(p)}, {e.D(q)}, {e.D(k)});");
        if (e.NeedsGradient(inputs[0]))
        {
            e.Line($"{Kernels}DotKernels.L2NormalizeBackward({e.Values(inputs[0])}, a, da, {e.Gradient(inputs[0])}, {e.Rows(p)}, {e.D(k)});");
        }

        if (e.NeedsGradient(inputs[1]))
        {
            e.Line($"{Kernels}DotKernels.L2NormalizeBackward({e.Values(inputs[1])}, b, db, {e.Gradient(inputs[1])}, {e.Rows(q)}, {e.D(k)});");
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var dot = layer.Settings<DotConfig>();
        config.Settings("DotSettings").Int("axes", dot.Axes).Bool("normalize", dot.Normalize);
    }

    private static (int P, int Q, int N, int ASize, int BSize) Geometry(NodeEmitter e)
    {
        var a = e.ShapeOf(e.Inputs[0]);
        var b = e.ShapeOf(e.Inputs[1]);
        int contracted = a.Dims[a.Dims.Count - 1];
        return (e.Dims.Product(a.Dims.Take(a.Dims.Count - 1)), e.Dims.Product(b.Dims.Take(b.Dims.Count - 1)), contracted,
            e.Dims.Product(a.Dims), e.Dims.Product(b.Dims));
    }
}

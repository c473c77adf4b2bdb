using System;
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Attention</c>'s settings: whether a learned scalar scales the scores.</summary>
internal sealed record AttentionConfig(bool UseScale, double Dropout = 0, string ScoreMode = "dot") : LayerConfig
{
    /// <summary>Keras's <c>score_mode="concat"</c>: w · Σ tanh(s · (q + k)) instead of the dot product.</summary>
    public bool Concat => ScoreMode == "concat";
}

/// <summary>One call's settings of an <c>Attention</c> or <c>AdditiveAttention</c> layer: Keras's <c>use_causal_mask</c>
/// and whether the call returns the attention scores.</summary>
internal sealed record AttentionCall(bool Causal, bool ReturnScores) : LayerConfig;

/// <summary>
/// Keras's <c>AdditiveAttention(use_scale)</c> (scores Σ_d scale_d · tanh(q_d + k_d), scale a learned [dim] vector,
/// glorot-initialised), and <c>Attention(use_scale, score_mode="dot")</c> applied to <c>[query, value]</c> or <c>[query, value, key]</c>:
/// scores q·kᵀ (times the learned scalar <c>scale</c>, started at 1, with use_scale), softmax over the keys, the weights
/// times the values, with dropout on the weights while training, and Keras's masks (the value's hides keys, the query's
/// zeroes outputs). A call may hide later keys (<c>useCausalMask</c>, combined with the value's mask as Keras does: 1e9
/// subtracted once from a hidden key's score) and return the weights (<see cref="AttentionScoresRule"/>; after dropout
/// while training, as Keras returns them).
/// </summary>
internal sealed class AttentionRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Attention, LayerKind.AdditiveAttention };

    /// <summary>The value's mask hides its steps from every query (Keras's <c>scores - 1e9</c>); the query's zeroes the
    /// masked queries' outputs and is the output's mask.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override bool ConsumesMask(LayerSpec layer) => true;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        bool? useScale = args.Bool("useScale");
        var mode = kind == LayerKind.Attention ? args.Known("scoreMode") : Value.Text("dot");
        double? dropout = args.Number("dropout");
        if (useScale is null || mode is null || dropout is null)
        {
            return null;
        }

        if (mode.Kind != ValueKind.String || mode.String is not ("dot" or "concat"))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("scoreMode"),
                $"Attention's scoreMode is \"dot\" (q·kᵀ) or \"concat\" (Σ tanh(q + k)), as Keras's score_mode; got {mode}");
            return null;
        }

        if (!(dropout.Value >= 0 && dropout.Value < 1))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("dropout"),
                $"{kind}'s dropout must lie in [0, 1), but it is {dropout.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return new AttentionConfig(useScale.Value, dropout.Value, mode.String!);
    }

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 3);

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var q = c.Inputs[0].Dims;
        var v = c.Inputs[1].Dims;
        var k = c.Inputs.Count > 2 ? c.Inputs[2].Dims : v;
        int keyInput = c.Inputs.Count > 2 ? 2 : 1;
        for (int i = 0; i < c.Inputs.Count; i++)
        {
            if (c.Inputs[i].Dims.Count != 2)
            {
                return c.FailAt(i, $"input {i} has shape {c.Inputs[i].Keras}; Attention takes sequences, (None, steps, features)");
            }
        }

        if (k[0] != v[0])
        {
            return c.FailAt(keyInput, $"the key has shape {c.Inputs[keyInput].Keras} and the value {c.Inputs[1].Keras}: they need one number of steps");
        }

        if (q[1] != k[1])
        {
            return c.FailAt(keyInput, $"the query has shape {c.Inputs[0].Keras} and the key {c.Inputs[keyInput].Keras}: their features must have one length for the dot product");
        }

        if (c.Settings<AttentionConfig>().UseScale)
        {
            // Attention's learned scalar starts at 1; AdditiveAttention's scale has one entry per feature (glorot).
            if (c.Layer.Kind == LayerKind.AdditiveAttention)
            {
                c.Weight("scale", WeightInit.GlorotUniform, q[1]);
            }
            else
            {
                c.Weight("scale", WeightInit.Ones);
            }
        }

        if (c.Settings<AttentionConfig>().Concat)
        {
            c.Weight("concat_score_weight", WeightInit.Ones); // Keras's scalar weighting the summed tanh terms
        }

        return c.Shape(new[] { q[0], v[1] });
    }

    /// <summary>The softmax weights, and with use_scale the unscaled scores (the scale's gradient reads them).</summary>
    public override int[] Temporaries(PlanContext c)
    {
        int scores = Scores(c);
        int count = (KeepsRawScores(c.Layer) ? 2 : 1) + (c.Settings<AttentionConfig>().Dropout > 0 ? 1 : 0);
        return Enumerable.Repeat(scores, count).ToArray();
    }

    /// <summary>Dropout on the weights applies while training only.</summary>
    public override bool UsesTrainingFlag(LayerSpec layer) => layer.Config is AttentionConfig { Dropout: > 0 };

    /// <summary>The kernels' dropout arguments (the last temporary holds the dropped weights); nothing without dropout. A
    /// call that returns the weights gets them in that temporary when predicting too (dropout rate 0 copies them).</summary>
    private static string Dropout(NodeEmitter e, int scores, bool backward)
    {
        var s = e.Settings<AttentionConfig>();
        if (s.Dropout <= 0)
        {
            return string.Empty;
        }

        string region = e.Temporary(KeepsRawScores(e.Layer) ? 2 : 1, scores);
        return !backward && ReturnsScores(e.NodeSpec)
            ? $", dropped: {region}, dropoutRate: workspace.TrainingPass ? {Float(s.Dropout)} : 0f, seed: workspace.TrainingPass ? workspace.NextRandomSeed() : 0UL"
            : DropoutArguments(region, s.Dropout, backward);
    }

    /// <summary>Whether the call returns its attention weights (an <see cref="AttentionScoresRule"/> view of
    /// <see cref="ScoresTemporary"/>).</summary>
    private static bool ReturnsScores(NodeSpec node) => node.CallSettings<AttentionCall>()?.ReturnScores == true;

    /// <summary>The temporary a call's returned weights alias: the dropped weights when there is dropout (Keras returns
    /// the weights after dropout), otherwise the softmax weights.</summary>
    public static int ScoresTemporary(LayerSpec layer)
        => layer.Settings<AttentionConfig>().Dropout > 0 ? (KeepsRawScores(layer) ? 2 : 1) : 0;

    /// <summary>The call's arguments: the causal mask, and the returned weights' gradient (added to the weights' own).</summary>
    private static string CallArguments(NodeEmitter e, int scores, bool backward)
    {
        var call = e.NodeSpec.CallSettings<AttentionCall>();
        if (backward)
        {
            return call?.ReturnScores == true ? $", dScores: {e.TemporaryGradient(ScoresTemporary(e.Layer), scores)}" : string.Empty;
        }

        return call?.Causal == true ? ", causal: true" : string.Empty;
    }

    /// <summary>Whether the unscaled dot scores are kept (the scale's gradient reads them): dot scores with use_scale.</summary>
    private static bool KeepsRawScores(LayerSpec layer)
        => layer.Kind == LayerKind.Attention && layer.Settings<AttentionConfig>().UseScale && !layer.Settings<AttentionConfig>().Concat;

    /// <summary>
    /// The attention kernels' dropout arguments, shared by the three attention kinds: the region of the dropped weights
    /// (given to forward only in a training pass), the rate and a fresh seed; backward reads the region alone.
    /// </summary>
    internal static string DropoutArguments(string region, double rate, bool backward)
        => backward
            ? $", dropped: {region}"
            : $", dropped: workspace.TrainingPass ? {region} : default, dropoutRate: {Float(rate)}, seed: workspace.TrainingPass ? workspace.NextRandomSeed() : 0UL";

    /// <summary>The gradient of the weights, one sample at a time.</summary>
    public override int Scratch(PlanContext c) => Scores(c);

    /// <summary>Floats of one sample's scores: query steps × value steps.</summary>
    private static int Scores(PlanContext c)
        => c.Dims.Mul(c.Model.ShapeOf(c.NodeSpec.Inputs[0]).Dims[0], c.Model.ShapeOf(c.NodeSpec.Inputs[1]).Dims[0]);

    public override void Forward(NodeEmitter e)
    {
        var (tq, tv, dim, dv, scores) = Geometry(e);
        bool scaled = e.Settings<AttentionConfig>().UseScale;
        if (e.Layer.Kind == LayerKind.AdditiveAttention)
        {
            e.Line($"{Kernels}AttentionKernels.AdditiveForward({e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, {e.Weight("scale")}, " +
                   $"{e.Temporary(0, scores)}, {e.Values(e.Node)}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: false)}{Masks(e)}{CallArguments(e, scores, backward: false)});");
            return;
        }

        if (e.Settings<AttentionConfig>().Concat)
        {
            e.Line($"{Kernels}AttentionKernels.ConcatForward({e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
                   $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {e.Weight("concat_score_weight")}, {e.Temporary(0, scores)}, " +
                   $"{e.Values(e.Node)}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: false)}{Masks(e)}{CallArguments(e, scores, backward: false)});");
            return;
        }

        e.Line($"{Kernels}AttentionKernels.Forward({e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
               $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {(scaled ? e.Temporary(1, scores) : $"{Span}.Empty")}, {e.Temporary(0, scores)}, " +
               $"{e.Values(e.Node)}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: false)}{Masks(e)}{CallArguments(e, scores, backward: false)});");
    }

    /// <summary>Keras's masks of the query (its masked rows output zeros) and of the value (its masked steps are hidden).</summary>
    private static string Masks(NodeEmitter e) => e.MaskArgument(0, "queryMask") + e.MaskArgument(1, "valueMask");

    public override void Backward(NodeEmitter e)
    {
        var (tq, tv, dim, dv, scores) = Geometry(e);
        bool scaled = e.Settings<AttentionConfig>().UseScale;
        if (e.Mask(0) is { } queryMask)
        {
            // A masked query's output is zeros whatever the inputs: its gradient stops here.
            e.Line($"{Kernels}Masking.ZeroRows({e.Gradient(e.Node)}, {queryMask}, batchSize * {e.D(tq)}, {e.D(dv)});");
        }

        if (e.Layer.Kind == LayerKind.AdditiveAttention)
        {
            e.Line($"{Kernels}AttentionKernels.AdditiveBackward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
                   $"{e.Weight("scale")}, {e.Temporary(0, scores)}, {e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(Key(e))}, " +
                   $"{e.GradientOrEmpty(e.Inputs[1])}, {e.WeightGradientOrEmpty("scale")}, {e.Scratch}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: true)}{CallArguments(e, scores, backward: true)});");
            return;
        }

        if (e.Settings<AttentionConfig>().Concat)
        {
            e.Line($"{Kernels}AttentionKernels.ConcatBackward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
                   $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {e.Weight("concat_score_weight")}, {e.Temporary(0, scores)}, " +
                   $"{e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(Key(e))}, {e.GradientOrEmpty(e.Inputs[1])}, {e.WeightGradientOrEmpty("scale")}, " +
                   $"{e.WeightGradientOrEmpty("concat_score_weight")}, {e.Scratch}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: true)}{CallArguments(e, scores, backward: true)});");
            return;
        }

        e.Line($"{Kernels}AttentionKernels.Backward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
               $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {(scaled ? e.Temporary(1, scores) : $"{ReadOnlySpan}.Empty")}, {e.Temporary(0, scores)}, " +
               $"{e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(Key(e))}, {e.GradientOrEmpty(e.Inputs[1])}, {e.WeightGradientOrEmpty("scale")}, {e.Scratch}, " +
               $"batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)}{Dropout(e, scores, backward: true)}{CallArguments(e, scores, backward: true)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        if (layer.Kind == LayerKind.AdditiveAttention)
        {
            config.Settings("AdditiveAttentionSettings").Bool("use_scale", layer.Settings<AttentionConfig>().UseScale).Number("dropout", layer.Settings<AttentionConfig>().Dropout);
            return;
        }

        config.Settings("AttentionSettings").Bool("use_scale", layer.Settings<AttentionConfig>().UseScale).Text("score_mode", layer.Settings<AttentionConfig>().ScoreMode).Number("dropout", layer.Settings<AttentionConfig>().Dropout);
    }

    /// <summary>The call's arguments, listed only for the calls that give them.</summary>
    public override void DescribeCall(NodeSpec node, KerasConfig config)
    {
        if (node.CallSettings<AttentionCall>() is not { } call)
        {
            return;
        }

        if (call.Causal)
        {
            config.Bool("use_causal_mask", true);
        }

        if (call.ReturnScores)
        {
            config.Bool("return_attention_scores", true);
        }
    }

    private static int Key(NodeEmitter e) => e.Inputs.Count > 2 ? e.Inputs[2] : e.Inputs[1];

    private static (int Tq, int Tv, int Dim, int Dv, int Scores) Geometry(NodeEmitter e)
    {
        var q = e.ShapeOf(e.Inputs[0]).Dims;
        var v = e.ShapeOf(e.Inputs[1]).Dims;
        return (q[0], v[0], q[1], v[1], e.Dims.Mul(q[0], v[0]));
    }
}

/// <summary><c>MultiHeadAttention</c>'s settings.</summary>
/// <param name="Heads">num_heads.</param>
/// <param name="KeyDim">key_dim: features of each head's query and key.</param>
/// <param name="ValueDim">value_dim, key_dim when not given.</param>
/// <param name="UseBias">use_bias.</param>
/// <param name="OutputShape">output_shape, or 0 for the query's features.</param>
/// <param name="Dropout">dropout: the fraction of attention weights zeroed while training.</param>
/// <param name="AttentionAxes">attention_axes as given (Keras's axes, the batch axis 0; negative from the end), or empty
/// for Keras's default, every axis between the batch and the features.</param>
internal sealed record MultiHeadAttentionConfig(int Heads, int KeyDim, int ValueDim, bool UseBias, int OutputShape, double Dropout = 0,
    EquatableArray<int> AttentionAxes = default) : LayerConfig
{
    /// <summary>On inputs of <paramref name="rank"/> axes per sample (features last): how many of the leading ones are
    /// batch-like (attention runs for each of their positions apart), or null when the attention axes are not the ones
    /// just before the features.</summary>
    public int? LeadingAxes(int rank)
    {
        if (AttentionAxes.Count == 0)
        {
            return 0;
        }

        var axes = AttentionAxes.Select(a => a < 0 ? a + rank + 1 : a).OrderBy(a => a).ToList();
        int first = rank - axes.Count;
        return axes.Distinct().Count() == axes.Count && axes.SequenceEqual(Enumerable.Range(first, axes.Count)) && first >= 1 ? first - 1 : null;
    }
}

/// <summary>One call's settings of a <c>MultiHeadAttention</c> layer: Keras's <c>use_causal_mask</c>, whether the call
/// gives an <c>attention_mask</c> (then the node's last input), and whether it returns the attention scores.</summary>
internal sealed record MultiHeadAttentionCall(bool Causal, bool AttentionMask = false, bool ReturnScores = false) : LayerConfig;

/// <summary>
/// Keras 3's <c>MultiHeadAttention(num_heads, key_dim, value_dim, dropout, use_bias, output_shape, attention_axes)</c>
/// called as <c>mha(query, value, key, useCausalMask)</c> on sequences (steps, features): the query, key and value are
/// projected per head (EinsumDense kernels [features, heads, dim] and biases [heads, dim]), each head attends with
/// softmax(q·kᵀ/√key_dim) (step i sees steps 0..i with the causal mask), and the heads' outputs are projected by the
/// output kernel [heads, value_dim, out] to the query's features (or output_shape). Weights in Keras's order and saving
/// paths (<c>_query_dense/vars/0</c>, …). With dropout, the attention weights are dropped while training (the values are
/// weighted by the dropped ones, kept for backward). The inputs' Keras masks and a call's attention_mask combine with the
/// causal mask; a call may return the weights (<see cref="AttentionScoresRule"/>). On inputs of more axes, attention runs
/// over attention_axes (the last before the features; all of them by default), the axes before them batch-like.
/// </summary>
internal sealed class MultiHeadAttentionRule : LayerRule
{
    /// <summary>The weights, in Keras's order: each sublayer's kernel then (with use_bias) bias.</summary>
    private static readonly string[] Sublayers = { "query", "key", "value", "attention_output" };

    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.MultiHeadAttention };

    /// <summary>Keras's attention mask from the inputs' masks: query ⊗ value (⊗ key), and the causal one; the output
    /// keeps the query's mask.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override bool ConsumesMask(LayerSpec layer) => true;

    /// <summary>The Keras masks of the query, value and key; an attention mask given to the call is not masked itself.</summary>
    public override int MaskedInputs(LayerSpec layer) => 3;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? heads = args.Positive("numHeads");
        int? keyDim = args.Positive("keyDim");
        var valueDim = args.Known("valueDim");
        double? dropout = args.Number("dropout");
        bool? useBias = args.Bool("useBias");
        var outputShape = args.Known("outputShape");
        var axes = args.Known("attentionAxes");
        if (heads is null || keyDim is null || valueDim is null || dropout is null || useBias is null || outputShape is null || axes is null)
        {
            return null;
        }

        int value = keyDim.Value;
        if (valueDim.Kind != ValueKind.Null)
        {
            if (valueDim is not { Kind: ValueKind.Number, IsInteger: true } || valueDim.Number <= 0)
            {
                args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("valueDim"), $"MultiHeadAttention needs a positive 'valueDim' (or null for keyDim), but it is {valueDim}");
                return null;
            }

            value = (int)valueDim.Number;
        }

        if (!(dropout.Value >= 0 && dropout.Value < 1))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("dropout"),
                $"MultiHeadAttention's dropout must lie in [0, 1), but it is {dropout.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        int output = 0;
        if (outputShape.Kind != ValueKind.Null)
        {
            var single = outputShape.Kind == ValueKind.List && outputShape.Items!.Count == 1 ? outputShape.Items[0] : outputShape;
            if (single is not { Kind: ValueKind.Number, IsInteger: true } || single.Number <= 0)
            {
                args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("outputShape"),
                    $"MultiHeadAttention projects its output to a positive number of features ('outputShape', or null for the query's); got {outputShape}");
                return null;
            }

            output = (int)single.Number;
        }

        var attentionAxes = new List<int>();
        if (axes.Kind != ValueKind.Null)
        {
            var items = axes.Kind == ValueKind.List ? axes.Items! : new List<Value> { axes };
            if (items.Count == 0 || items.Any(a => a is not { Kind: ValueKind.Number, IsInteger: true } || a.Number == 0))
            {
                args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("attentionAxes"),
                    $"MultiHeadAttention's attentionAxes are the axes attention runs over, as Keras counts them (1 the first after the batch axis, " +
                    $"negative from the end), or null for every axis between the batch and the features; got {axes}");
                return null;
            }

            attentionAxes.AddRange(items.Select(a => (int)a.Number));
        }

        _ = checked(heads.Value * Math.Max(keyDim.Value, value)); // throws past int, reported by the caller
        return new MultiHeadAttentionConfig(heads.Value, keyDim.Value, value, useBias.Value, output, dropout.Value, attentionAxes.ToEquatableArray());
    }

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 4);

    public override TensorShape? Infer(ShapeContext c)
    {
        bool hasMask = c.NodeSpec.CallSettings<MultiHeadAttentionCall>()?.AttentionMask ?? false;
        int sequences = c.Inputs.Count - (hasMask ? 1 : 0);
        if (!c.IsFloat(sequences))
        {
            return null; // the attention mask may be int32; the sequences may not
        }

        string[] names = { "query", "value", "key" };
        var s = c.Settings<MultiHeadAttentionConfig>();
        int rank = c.Inputs[0].Dims.Count;
        for (int i = 0; i < sequences; i++)
        {
            var dims = c.Inputs[i].Dims;
            if (dims.Count < 2 || dims.Count != rank)
            {
                return c.FailAt(i, $"the {names[i]} has shape {c.Inputs[i].Keras}; MultiHeadAttention takes sequences, (None, steps, features), or inputs " +
                                   $"of more axes with the query's rank (the query has shape {c.Inputs[0].Keras})");
            }

            if (DimTable.IsSymbolic(dims[dims.Count - 1]))
            {
                return c.FailAt(i, $"the {names[i]} has shape {c.Inputs[i].Keras}, whose features are known only at run time; " +
                                   "MultiHeadAttention needs them to size its kernels (give that axis of the Input a size)");
            }
        }

        if (s.LeadingAxes(rank) is not int lead)
        {
            // The choices this input allows: the last n axes before the features, for each n.
            string choices = string.Join(" or ", Enumerable.Range(1, rank - 1).Select(n => "[" + string.Join(", ", Enumerable.Range(rank - n, n)) + "]"));
            c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                $"MultiHeadAttention '{c.Layer.Name}' has attentionAxes [{string.Join(", ", s.AttentionAxes)}] on inputs of shape {c.Inputs[0].Keras}: this version " +
                $"attends over the last axes before the features ({choices} here, or null for all of them); put the axes there first with Permute");
            return null;
        }

        // Attention over several axes: each query position among the attention axes is a step; the axes before them are
        // batch-like, and must agree between the inputs.
        var q = Steps(c.Inputs[0].Dims, lead, c.Dims);
        var v = Steps(c.Inputs[1].Dims, lead, c.Dims);
        int keyInput = sequences > 2 ? 2 : 1;
        var k = Steps(c.Inputs[keyInput].Dims, lead, c.Dims);
        for (int i = 1; i < sequences; i++)
        {
            if (!c.Inputs[i].Dims.Take(lead).SequenceEqual(c.Inputs[0].Dims.Take(lead)))
            {
                return c.FailAt(i, $"the {names[i]} has shape {c.Inputs[i].Keras} and the query {c.Inputs[0].Keras}: the axes attention does not run " +
                                   $"over (the first {lead}) must agree");
            }
        }

        if (!c.Inputs[keyInput].Dims.Skip(lead).Take(rank - 1 - lead).SequenceEqual(c.Inputs[1].Dims.Skip(lead).Take(rank - 1 - lead)))
        {
            return c.FailAt(keyInput, $"the key has shape {c.Inputs[keyInput].Keras} and the value {c.Inputs[1].Keras}: they need one number of steps");
        }

        if (rank > 2)
        {
            // Keras's masks, the causal mask, attention_mask and returned scores are laid out for one attention axis.
            var call = c.NodeSpec.CallSettings<MultiHeadAttentionCall>();
            string? refused = Enumerable.Range(0, sequences).Any(c.HasMask) ? "a Keras mask on its inputs"
                : call?.Causal == true ? "the causal mask" : call?.AttentionMask == true ? "an attention mask"
                : call?.ReturnScores == true ? "returned attention scores" : null;
            if (refused is not null)
            {
                return c.Fail($"its query has shape {c.Inputs[0].Keras}: with {refused}, MultiHeadAttention takes sequences, (None, steps, features), in this version");
            }
        }

        if (hasMask)
        {
            var mask = c.Inputs[sequences];
            if (mask.Dims.Count != 2 || mask.Dims[0] != q[0] || mask.Dims[1] != v[0])
            {
                return c.FailAt(sequences, $"the attention mask has shape {mask.Keras}, but Keras's attention_mask is (None, query steps, key steps): " +
                                           $"(None, {TensorShape.DimText(q[0])}, {TensorShape.DimText(v[0])}) here");
            }
        }

        int output = s.OutputShape > 0 ? s.OutputShape : q[1];
        _ = checked((q[1] + k[1]) * s.Heads * s.KeyDim + (v[1] + output) * s.Heads * s.ValueDim);
        Project(c, "query", q[1], s.Heads, s.KeyDim, s.UseBias);
        Project(c, "key", k[1], s.Heads, s.KeyDim, s.UseBias);
        Project(c, "value", v[1], s.Heads, s.ValueDim, s.UseBias);
        c.Weight("attention_output/kernel", WeightInit.GlorotUniform, s.Heads, s.ValueDim, output);
        if (s.UseBias)
        {
            c.Weight("attention_output/bias", WeightInit.Zeros, output);
        }

        var query = c.Inputs[0].Dims;
        return c.Shape(query.Take(query.Count - 1).Concat(new[] { output }));
    }

    /// <summary>An input as (steps, features): the attention axes' product, then the features.</summary>
    private static int[] Steps(IReadOnlyList<int> dims, int lead, DimTable table)
        => new[] { table.Product(dims.Skip(lead).Take(dims.Count - 1 - lead)), dims[dims.Count - 1] };

    /// <summary>The product of the batch-like axes before the attention axes: each is one more row of the kernels' batch.</summary>
    private static int Leading(IReadOnlyList<int> dims, MultiHeadAttentionConfig s, DimTable table)
        => table.Product(dims.Take(s.LeadingAxes(dims.Count) ?? 0));

    private static void Project(ShapeContext c, string name, int features, int heads, int dim, bool bias)
    {
        c.Weight(name + "/kernel", WeightInit.GlorotUniform, features, heads, dim);
        if (bias)
        {
            c.Weight(name + "/bias", WeightInit.Zeros, heads, dim);
        }
    }

    /// <summary>The projected queries, keys and values, the attention weights and the heads' combined outputs; with
    /// dropout, the weights after dropout too.</summary>
    public override int[] Temporaries(PlanContext c)
    {
        var g = Geometry(c.Model.ShapeOf, c.Layer, c.NodeSpec, c.Dims);
        var sizes = g.Config.Dropout > 0 ? g.Sizes.Append(g.Sizes[ScoresTemporary]) : g.Sizes;
        return sizes.Select(c.PerRow).ToArray();
    }

    /// <summary>
    /// In a prediction workspace the weights' regions (and the dropped weights') take no room when the call does not
    /// return them and its steps are fixed: outside a training pass the kernel keeps no weights, and needs at most one
    /// head's scores (which it computes one head at a time where it cannot fuse them), taken from the fixed scratch. For 4
    /// heads over 512 steps that is 4 MiB per sample less.
    /// </summary>
    public override int[] PredictionTemporaries(PlanContext c)
    {
        var sizes = Temporaries(c);
        if (ScoresFromScratch(c.Model.ShapeOf, c.Layer, c.NodeSpec, c.Dims))
        {
            sizes[ScoresTemporary] = 0;
            if (sizes.Length > DroppedTemporary)
            {
                sizes[DroppedTemporary] = 0;
            }
        }

        return sizes;
    }

    public override string BoundedScratch(NodeEmitter e)
    {
        var g = Geometry(e.ShapeOf, e.Layer, e.NodeSpec, e.Dims);
        return N(checked(g.Tq * g.Tk));
    }

    /// <summary>Whether passes that keep no weights take one head's scores from the fixed scratch: a call that does not
    /// return them, with a fixed number of query and key steps.</summary>
    private static bool ScoresFromScratch(Func<int, TensorShape> shapeOf, LayerSpec layer, NodeSpec node, DimTable dims)
    {
        if (ReturnsScores(node))
        {
            return false;
        }

        var g = Geometry(shapeOf, layer, node, dims);
        return g.Tq >= 0 && g.Tk >= 0 && (long)g.Tq * g.Tk <= int.MaxValue;
    }

    /// <summary>Dropout on the attention weights applies while training only, and only a training pass keeps the weights
    /// (the kernel's <c>keepWeights</c>; outside one it fuses each head's scores, softmax and weighted sum).</summary>
    public override bool UsesTrainingFlag(LayerSpec layer) => true;

    /// <summary>The kernels' dropout arguments: the dropped weights' region (in a training forward pass, or backward),
    /// the rate and a fresh seed; nothing without dropout.</summary>
    private static string Dropout(NodeEmitter e, MultiHead g, bool backward)
    {
        if (g.Config.Dropout <= 0)
        {
            return string.Empty;
        }

        return AttentionRule.DropoutArguments(e.Temporary(DroppedTemporary, g.Sizes[ScoresTemporary]), g.Config.Dropout, backward);
    }

    public override void Forward(NodeEmitter e)
    {
        var g = Geometry(e.ShapeOf, e.Layer, e.NodeSpec, e.Dims);
        e.Line($"{Kernels}MultiHeadAttention.Forward({Shape(e, g)}, {e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {e.Values(Key(e))}, " +
               $"{string.Join(", ", Sublayers.SelectMany(n => new[] { e.Weight(n + "/kernel"), e.Weight(n + "/bias") }))}, " +
               $"{string.Join(", ", g.Sizes.Select((size, i) => ForwardTemporary(e, g, i, size)))}, {e.Values(e.Node)}{Dropout(e, g, backward: false)}" +
               e.MaskArgument(0, "queryMask") + e.MaskArgument(1, "valueMask") +
               (Sequences(e.NodeSpec) > 2 && e.Inputs[2] != e.Inputs[1] ? e.MaskArgument(2, "keyMask") : string.Empty) + AttentionMaskArgument(e) +
               (ReturnsScores(e.NodeSpec) ? string.Empty : ", keepWeights: workspace.TrainingPass") + ");");
    }

    /// <summary>A temporary as the forward pass passes it: the weights' region only in a training pass when a pass that keeps
    /// no weights takes one head's scores from the fixed scratch (the region has no room in a prediction workspace).</summary>
    private static string ForwardTemporary(NodeEmitter e, MultiHead g, int index, int size)
        => index == ScoresTemporary && ScoresFromScratch(e.ShapeOf, e.Layer, e.NodeSpec, e.Dims)
            ? $"(workspace.TrainingPass ? {e.Temporary(index, size)} : {e.Scratch})"
            : e.Temporary(index, size);

    public override void Backward(NodeEmitter e)
    {
        var g = Geometry(e.ShapeOf, e.Layer, e.NodeSpec, e.Dims);
        e.Line($"{Kernels}MultiHeadAttention.Backward({Shape(e, g)}, {e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {e.Values(Key(e))}, " +
               $"{string.Join(", ", Sublayers.Select(n => e.Weight(n + "/kernel")))}, " +
               $"{string.Join(", ", g.Sizes.Select((size, i) => e.Temporary(i, size)))}, " +
               $"{e.TemporaryGradient(0, g.Sizes[0])}, {e.TemporaryGradient(1, g.Sizes[1])}, {e.TemporaryGradient(2, g.Sizes[2])}, " +
               $"{(ReturnsScores(e.NodeSpec) ? e.Scratch : e.TemporaryGradient(ScoresTemporary, g.Sizes[ScoresTemporary]))}, {e.TemporaryGradient(4, g.Sizes[4])}, " +
               $"{e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(e.Inputs[1])}, {e.GradientOrEmpty(Key(e))}, " + // no key given: the value's, which it is
               $"{string.Join(", ", Sublayers.SelectMany(n => new[] { e.WeightGradientOrEmpty(n + "/kernel"), e.WeightGradientOrEmpty(n + "/bias") }))}{Dropout(e, g, backward: true)}" +
               (ReturnsScores(e.NodeSpec) ? $", dProbabilities: {e.TemporaryGradient(ScoresTemporary, g.Sizes[ScoresTemporary])}" : string.Empty) + ");");
    }

    /// <summary>Whether the call returns its attention scores: their gradient (the weights' temporary's, which the view
    /// aliases) then joins the weights' own, and backward works in the node's scratch instead.</summary>
    private static bool ReturnsScores(NodeSpec node) => node.CallSettings<MultiHeadAttentionCall>()?.ReturnScores == true;

    /// <summary>With returned scores, one head's score gradients (query steps × key steps) per row; otherwise, with fixed
    /// steps, one head's scores once per workspace, for the passes that keep no weights (see
    /// <see cref="PredictionTemporaries"/>).</summary>
    public override int Scratch(PlanContext c)
    {
        if (ReturnsScores(c.NodeSpec))
        {
            var g = Geometry(c.Model.ShapeOf, c.Layer, c.NodeSpec, c.Dims);
            return c.Dims.Mul(g.Tq, g.Tk);
        }

        if (ScoresFromScratch(c.Model.ShapeOf, c.Layer, c.NodeSpec, c.Dims))
        {
            c.BoundScratch();
        }

        return 0;
    }

    /// <summary>Which temporary the returned scores alias: the weights before dropout.</summary>
    public const int ScoresTemporary = 3;

    /// <summary>The temporary of the weights after dropout (with a dropout rate only), the weights' size.</summary>
    private const int DroppedTemporary = 5;

    public override string WeightPath(LayerSpec layer, int index, WeightSpec weight)
    {
        // Keras keeps each projection's variables under its EinsumDense attribute: _query_dense/vars/0 (kernel), /1 (bias).
        int slash = weight.Name.IndexOf('/');
        string sublayer = slash > 0 ? weight.Name.Substring(0, slash) : weight.Name;
        string attribute = sublayer == "attention_output" ? "_output_dense" : "_" + sublayer + "_dense";
        return "/" + attribute + "/vars/" + (weight.Name.EndsWith("/bias", StringComparison.Ordinal) ? "1" : "0");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<MultiHeadAttentionConfig>();
        config.Settings("MultiHeadAttentionSettings").Int("num_heads", s.Heads).Int("key_dim", s.KeyDim).Int("value_dim", s.ValueDim).Number("dropout", s.Dropout)
            .Bool("use_bias", s.UseBias).OptionalInt("output_shape", s.OutputShape > 0 ? s.OutputShape : null)
            .OptionalInts("attention_axes", s.AttentionAxes.Count > 0 ? s.AttentionAxes.ToArray() : null);
    }

    public override void DescribeCall(NodeSpec node, KerasConfig config)
    {
        var call = node.CallSettings<MultiHeadAttentionCall>();
        config.Bool("use_causal_mask", call?.Causal ?? false);
        if (call?.AttentionMask == true)
        {
            config.Bool("attention_mask", true); // listed only for the calls that give one
        }

        if (call?.ReturnScores == true)
        {
            config.Bool("return_attention_scores", true);
        }
    }

    /// <summary>How many of the node's inputs are sequences (query, value and perhaps key): the attention mask, when the
    /// call gives one, comes last.</summary>
    private static int Sequences(NodeSpec node) => node.Inputs.Count - (node.CallSettings<MultiHeadAttentionCall>()?.AttentionMask == true ? 1 : 0);

    private static int Key(NodeEmitter e) => Sequences(e.NodeSpec) > 2 ? e.Inputs[2] : e.Inputs[1];

    /// <summary>The kernels' attention-mask argument, written only when the call gives one.</summary>
    private static string AttentionMaskArgument(NodeEmitter e)
        => Sequences(e.NodeSpec) < e.Inputs.Count ? $", attentionMask: {e.Values(e.Inputs[e.Inputs.Count - 1])}" : string.Empty;

    private static string Shape(NodeEmitter e, MultiHead g)
        => $"new {Kernels}MultiHeadShape({(g.Rows == 1 ? "batchSize" : $"batchSize * {e.D(g.Rows)}")}, {e.D(g.Tq)}, {e.D(g.Tk)}, {N(g.Dq)}, {N(g.Dk)}, {N(g.Dv)}, {N(g.Config.Heads)}, {N(g.Config.KeyDim)}, " +
           $"{N(g.Config.ValueDim)}, {N(g.Output)}, {Bool(g.Causal)})";

    private static MultiHead Geometry(Func<int, TensorShape> shapeOf, LayerSpec layer, NodeSpec node, DimTable dims)
    {
        var s = layer.Settings<MultiHeadAttentionConfig>();
        var query = shapeOf(node.Inputs[0]).Dims;
        int lead = s.LeadingAxes(query.Count) ?? 0;
        var q = Steps(query, lead, dims);
        var v = Steps(shapeOf(node.Inputs[1]).Dims, lead, dims);
        var k = Steps(shapeOf(Sequences(node) > 2 ? node.Inputs[2] : node.Inputs[1]).Dims, lead, dims);
        int output = s.OutputShape > 0 ? s.OutputShape : q[1];
        int hk = s.Heads * s.KeyDim, hv = s.Heads * s.ValueDim;
        int rows = Leading(query, s, dims);

        // Per sample: per batch-like position, the queries', keys' and values' projections, the weights and the heads.
        var sizes = new[]
        {
            dims.Mul(q[0], hk), dims.Mul(v[0], hk), dims.Mul(v[0], hv), dims.Mul(dims.Mul(q[0], v[0]), s.Heads), dims.Mul(q[0], hv),
        }.Select(size => dims.Mul(size, rows)).ToArray();
        return new MultiHead(s, q[0], v[0], q[1], k[1], v[1], output, node.CallSettings<MultiHeadAttentionCall>()?.Causal ?? false, sizes, rows);
    }

    /// <summary>One call's geometry: steps and features of each input, the sizes of its temporaries, and
    /// <paramref name="Rows"/>, the batch-like positions per sample (1 for sequences).</summary>
    private sealed record MultiHead(MultiHeadAttentionConfig Config, int Tq, int Tk, int Dq, int Dk, int Dv, int Output, bool Causal, int[] Sizes, int Rows);
}

/// <summary>Which temporary of the attention node an <see cref="LayerKind.AttentionScores"/> view aliases.</summary>
internal sealed record AttentionScoresConfig(int Temporary) : LayerConfig;

/// <summary>
/// The attention weights a call returns with <c>returnAttentionScores: true</c>: a <c>MultiHeadAttention</c>'s (heads,
/// query steps, key steps), before dropout as Keras returns them; an <c>Attention</c>'s or <c>AdditiveAttention</c>'s
/// (query steps, value steps), after dropout while training as Keras returns those. A view of the weights the layer keeps
/// (the temporary its <see cref="AttentionScoresConfig"/> names). Its inputs are the attention's output and the value
/// (read for its steps only); its gradient is the weights' temporary's, which the attention's backward adds to the
/// weights' own.
/// </summary>
internal sealed class AttentionScoresRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.AttentionScores };

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Array.Empty<(string, LayerKind)>();

    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Ends;

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 2);

    public override TensorShape? Infer(ShapeContext c)
    {
        var producer = c.Spec.Layers[c.Spec.Nodes[c.NodeSpec.Inputs[0]].Layer];
        return producer.Config is MultiHeadAttentionConfig multiHead
            ? c.Shape(new[] { multiHead.Heads, c.Inputs[0].Dims[0], c.Inputs[1].Dims[0] })
            : c.Shape(new[] { c.Inputs[0].Dims[0], c.Inputs[1].Dims[0] });
    }

    public override bool IsView(LayerSpec layer) => true;

    public override int? AliasedTemporary(LayerSpec layer) => layer.Settings<AttentionScoresConfig>().Temporary;

    public override bool IsKerasLayer(LayerKind kind) => false;

    public override void Forward(NodeEmitter e)
    {
    }

    public override void Backward(NodeEmitter e)
    {
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
    }
}

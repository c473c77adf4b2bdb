using System.Collections.Generic;
using System.Linq;
using Unrolled.Onnx;

namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// Additive (Bahdanau-style) attention, as Keras's <c>AdditiveAttention(use_scale)</c>: applied to
    /// <c>[query, value]</c> or <c>[query, value, key]</c> of shapes (Tq, dim), (Tv, dv) and (Tv, dim), the scores are
    /// Σ_d scale[d] · tanh(q[i, d] + k[j, d]), softmax over the keys, times the value: (Tq, dv). With
    /// <paramref name="useScale"/> (Keras's default) the layer learns <c>scale</c>, one weight per feature
    /// (glorot-uniform); without it the scale is 1.
    /// </summary>
    /// <param name="useScale">Learn a scale per feature.</param>
    /// <param name="dropout">Dropout on the weights while training (Keras's <c>dropout</c>): the fraction zeroed, the rest
    /// scaled by 1 / (1 − dropout); none when predicting.</param>
    /// <param name="name">The layer's name (<c>additive_attention</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to two or three tensors: <c>AdditiveAttention()([query, value])</c>, with Keras's call
    /// arguments <c>useCausalMask</c> and <c>returnAttentionScores</c>.</returns>
    public static SequenceAttentionLayer AdditiveAttention(bool useScale = true, double dropout = 0.0, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(AdditiveAttention));

    /// <summary>
    /// Multi-head attention, as Keras 3's <c>MultiHeadAttention</c>: called as <c>mha(query, value)</c> (or with a key)
    /// on sequences (steps, features), each of <paramref name="numHeads"/> heads projects the query and key to
    /// <paramref name="keyDim"/> features and the value to <paramref name="valueDim"/>, attends with
    /// softmax(q·kᵀ / √keyDim) over the key's steps, and the heads' outputs, side by side, are projected back to the
    /// query's features (or <paramref name="outputShape"/>). Its weights are Keras's, in Keras's order:
    /// <c>query/kernel</c> [query features, heads, keyDim], <c>query/bias</c> [heads, keyDim], the same for
    /// <c>key</c> and <c>value</c>, then <c>attention_output/kernel</c> [heads, valueDim, output] and
    /// <c>attention_output/bias</c>.
    /// </summary>
    /// <param name="numHeads">Attention heads.</param>
    /// <param name="keyDim">Features of each head's query and key.</param>
    /// <param name="valueDim">Features of each head's value; <paramref name="keyDim"/> when null.</param>
    /// <param name="dropout">Dropout on the attention weights while training (Keras's <c>dropout</c>): the fraction of
    /// weights zeroed, the rest scaled by 1 / (1 − dropout); none when predicting.</param>
    /// <param name="useBias">Whether the four projections have biases.</param>
    /// <param name="outputShape">Features of the output; the query's when null.</param>
    /// <param name="attentionAxes">The axes attention runs over, as Keras counts them (1 the first after the batch axis,
    /// negative from the end): null for every axis between the batch and the features (an image's rows and columns
    /// together), or the last ones before the features (the axes before them then batch-like: attention runs for each of
    /// their positions apart). Inputs of more than (steps, features) take no mask, causal mask or returned scores.</param>
    /// <param name="name">The layer's name (<c>multi_head_attention</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to call as <c>mha(query, value, key, useCausalMask)</c>.</returns>
    public static AttentionLayer MultiHeadAttention(int numHeads, int keyDim, int? valueDim = null, double dropout = 0.0, bool useBias = true,
        int? outputShape = null, int[]? attentionAxes = null, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(MultiHeadAttention));
}

/// <summary>The settings of a <see cref="Layers.MultiHeadAttention"/> layer and of one of its calls.</summary>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="KeyDim">Features of each head's query and key.</param>
/// <param name="ValueDim">Features of each head's value.</param>
/// <param name="Dropout">Dropout on the attention weights, 0.</param>
/// <param name="UseBias">Whether the projections have biases.</param>
/// <param name="OutputShape">Features of the output, or null for the query's.</param>
/// <param name="AttentionAxes">The attention axes, null (the steps).</param>
/// <param name="UseCausalMask">The call's causal mask: query step i sees key steps 0..i only.</param>
/// <param name="AttentionMask">Whether the call gives Keras's <c>attention_mask</c> (the node's last input).</param>
/// <param name="ReturnAttentionScores">Whether the call also returns the attention weights (Keras's
/// <c>return_attention_scores</c>), an <see cref="GraphNodeKind.AttentionScores"/> node reading this one.</param>
public sealed record MultiHeadAttentionSettings(int NumHeads, int KeyDim, int ValueDim, double Dropout, bool UseBias, int? OutputShape,
    IReadOnlyList<int>? AttentionAxes, bool UseCausalMask, bool AttentionMask = false, bool ReturnAttentionScores = false) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.MultiHeadAttention;

    /// <summary>
    /// Each projection a MatMul (and Add) over [features, heads·dim], reshaped to [batch, heads, steps, dim]; the scaled
    /// query times the transposed key, the causal mask added as −1e9 as Keras adds it, Softmax over the keys, MatMul with
    /// the value; the heads back side by side, then the output projection.
    /// </summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        // The call's attention_mask, when given, follows the sequences.
        int sequences = AttentionMask ? x.Length - 1 : x.Length;
        var query = node.InputShapes[0];
        if (query.Count > 2)
        {
            // Attention over the axes before the features: each input as [batch · the axes before them, steps, features],
            // the output put back in the query's shape.
            int lead = LeadingAxes(query.Count);
            string original = x[0];
            x = (string[])x.Clone();
            for (int i = 0; i < sequences; i++)
            {
                var dims = node.InputShapes[i];
                long steps = 1;
                foreach (int d in dims.Skip(lead).Take(dims.Count - 1 - lead))
                {
                    steps = d < 0 ? throw OnnxExporter.Unsupported(node, "its attention axes have a length known only at run time") : steps * d;
                }

                x[i] = onnx.Op("Reshape", new[] { x[i], onnx.Int64s(-1, steps, dims[^1]) }, "steps");
            }

            // The query's shape but its features, then the output's features.
            string flat = ExportFlat(onnx, node, x, sequences);
            string outer = onnx.Op("Slice", new[] { onnx.Op("Shape", new[] { original }, "query_shape"), onnx.Int64s(0), onnx.Int64s(-1) }, "outer_shape");
            string shape = onnx.Op("Concat", new[] { outer, onnx.Int64s(OnnxExporter.WeightShape(node, "attention_output/kernel")[2]) }, "output_shape",
                OnnxAttribute.Int("axis", 0));
            return onnx.Op("Reshape", new[] { flat, shape }, null);
        }

        return ExportFlat(onnx, node, x, sequences);
    }

    /// <summary>How many of the inputs' leading axes (after the batch) attention does not run over, on inputs of
    /// <paramref name="rank"/> axes per sample: the attention axes are the ones just before the features.</summary>
    private int LeadingAxes(int rank) => AttentionAxes is { Count: > 0 } axes ? rank - 1 - axes.Count : 0;

    /// <summary>The attention over inputs of (steps, features) each.</summary>
    private string ExportFlat(OnnxExporter onnx, GraphNode node, string[] x, int sequences)
    {
        string key = sequences > 2 ? x[2] : x[1];
        int hk = NumHeads * KeyDim, hv = NumHeads * ValueDim;
        string Project(string input, string sublayer, int width, int dim, long[] perm)
        {
            int[] shape = OnnxExporter.WeightShape(node, sublayer + "/kernel");
            string kernel = onnx.Initializer(OnnxExporter.WeightName(node, sublayer + "/kernel"), new long[] { shape[0], width },
                () => onnx.Weight(node, sublayer + "/kernel"));
            string y = onnx.Op("MatMul", new[] { input, kernel }, sublayer);
            if (UseBias)
            {
                y = onnx.Op("Add", new[] { y, onnx.Initializer(OnnxExporter.WeightName(node, sublayer + "/bias"), new long[] { width },
                    () => onnx.Weight(node, sublayer + "/bias")) }, sublayer + "_bias");
            }

            if (sublayer == "query")
            {
                y = onnx.Op("Mul", new[] { y, onnx.Scalar(1f / System.MathF.Sqrt(KeyDim)) }, "query_scaled");
            }

            string heads = onnx.Op("Reshape", new[] { y, onnx.Int64s(0, -1, NumHeads, dim) }, sublayer + "_heads");
            return onnx.Transpose(heads, perm, sublayer + "_transposed");
        }

        string q = Project(x[0], "query", hk, KeyDim, new long[] { 0, 2, 1, 3 });   // [batch, heads, Tq, keyDim]
        string k = Project(key, "key", hk, KeyDim, new long[] { 0, 2, 3, 1 });      // [batch, heads, keyDim, Tk]
        string v = Project(x[1], "value", hv, ValueDim, new long[] { 0, 2, 1, 3 }); // [batch, heads, Tk, valueDim]
        string scores = onnx.Op("MatMul", new[] { q, k }, "scores");
        int tq = node.InputShapes[0][0], tk = node.InputShapes[1][0];

        if (UseCausalMask)
        {
            if (tq < 0 || tk < 0)
            {
                throw OnnxExporter.Unsupported(node, "its causal mask needs the number of steps, which is known only at run time");
            }

            scores = onnx.Op("Add", new[] { scores, onnx.Triangle(node, "causal_mask", tq, tk, 0f, -1e9f) }, "masked");
        }

        // The inputs' Keras masks, as the kernel applies them: masked scores −1e9, their weights 0 after the softmax.
        string? visible = onnx.MultiHeadMask(node, separateKey: sequences > 2 && node.Inputs[2] != node.Inputs[1]);
        if (AttentionMask)
        {
            // Keras's attention_mask [batch, Tq, Tk]: a query attends to a key where it is above 0.5, for every head.
            string allowed = onnx.Op("Unsqueeze", new[] { onnx.Op("Cast", new[] { onnx.Op("Greater", new[] { x[^1], onnx.Scalar(0.5f) }, "allowed") },
                "allowed_values", OnnxAttribute.Int("to", 1)), onnx.Int64s(1) }, "attention_mask");
            visible = visible is null ? allowed : onnx.Op("Mul", new[] { visible, allowed }, "visible_allowed");
        }

        if (visible is not null && UseCausalMask)
        {
            // Keras zeroes the weights wherever the combined mask is off, the causal part included: a query whose past keys
            // are all masked gets zeros, not the softmax of its (equally hidden) future.
            visible = onnx.Op("Mul", new[] { visible, onnx.Triangle(node, "causal_visible", tq, tk, 1f, 0f) }, "visible_causal");
        }

        if (visible is not null)
        {
            string penalty = onnx.Op("Mul", new[] { onnx.Op("Sub", new[] { visible, onnx.Scalar(1f) }, "hidden"), onnx.Scalar(1e9f) }, "penalty");
            scores = onnx.Op("Add", new[] { onnx.Op("Mul", new[] { scores, visible }, "kept_scores"), penalty }, "masked_scores");
        }

        string weights = onnx.Op("Softmax", new[] { scores }, "weights", OnnxAttribute.Int("axis", -1));
        if (visible is not null)
        {
            weights = onnx.Op("Mul", new[] { weights, visible }, "masked_weights");
        }

        onnx.KeepStates(node, weights); // the weights a call with return_attention_scores also returns
        string heads = onnx.Op("MatMul", new[] { weights, v }, "heads");
        string combined = onnx.Op("Reshape", new[] { onnx.Transpose(heads, new long[] { 0, 2, 1, 3 }, "heads_transposed"), onnx.Int64s(0, -1, hv) }, "combined");
        int[] outputShape = OnnxExporter.WeightShape(node, "attention_output/kernel");
        string kernel = onnx.Initializer(OnnxExporter.WeightName(node, "attention_output/kernel"), new long[] { hv, outputShape[2] },
            () => onnx.Weight(node, "attention_output/kernel"));
        string output = onnx.Op("MatMul", new[] { combined, kernel }, UseBias ? "output" : null);
        return UseBias
            ? onnx.Op("Add", new[] { output, onnx.Initializer(OnnxExporter.WeightName(node, "attention_output/bias"), new long[] { outputShape[2] },
                () => onnx.Weight(node, "attention_output/bias")) }, null)
            : output;
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("num_heads", NumHeads);
        yield return new("key_dim", KeyDim);
        yield return new("value_dim", ValueDim);
        yield return new("dropout", Dropout);
        yield return new("use_bias", UseBias);
        yield return OutputShape is { } output ? new("output_shape", output) : LayerSetting.None("output_shape");
        yield return AttentionAxes is { } axes ? new("attention_axes", axes) : LayerSetting.None("attention_axes");
        yield return new("use_causal_mask", UseCausalMask);
        if (AttentionMask)
        {
            yield return new("attention_mask", AttentionMask); // call arguments, listed only for the calls that give them
        }

        if (ReturnAttentionScores)
        {
            yield return new("return_attention_scores", ReturnAttentionScores);
        }
    }
}

/// <summary>The settings of an <see cref="Layers.AdditiveAttention"/> layer.</summary>
/// <param name="UseScale">Whether a learned scale per feature weights the tanh terms.</param>
/// <param name="Dropout">Dropout on the weights, 0.</param>
/// <param name="UseCausalMask">The call's causal mask: query step i sees value steps 0..i only.</param>
/// <param name="ReturnAttentionScores">Whether the call also returns the attention weights, an
/// <see cref="GraphNodeKind.AttentionScores"/> node reading this one.</param>
public sealed record AdditiveAttentionSettings(bool UseScale, double Dropout, bool UseCausalMask = false, bool ReturnAttentionScores = false) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.AdditiveAttention;

    /// <summary>The query <c>Unsqueeze</c>d to [batch, Tq, 1, dim] plus the key to [batch, 1, Tv, dim], <c>Tanh</c>,
    /// <c>Mul</c> by the initializer <c>layer/scale</c>, <c>ReduceSum</c> over the features, <c>Softmax</c> over the
    /// keys, <c>MatMul</c> with the value.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        string key = x.Length > 2 ? x[2] : x[1];
        string terms = onnx.Op("Tanh", new[] { onnx.Op("Add", new[] { onnx.Op("Unsqueeze", new[] { x[0], onnx.Int64s(2) }, "query_rows"),
            onnx.Op("Unsqueeze", new[] { key, onnx.Int64s(1) }, "key_columns") }, "sums") }, "terms");
        if (UseScale)
        {
            string scale = onnx.Initializer(OnnxExporter.WeightName(node, "scale"), OnnxExporter.Longs(OnnxExporter.WeightShape(node, "scale")),
                () => onnx.Weight(node, "scale"));
            terms = onnx.Op("Mul", new[] { terms, scale }, "scaled");
        }

        string scores = onnx.HideMaskedKeys(node, onnx.Reduce("ReduceSum", terms, new long[] { -1 }, keepDims: false, "scores"), UseCausalMask);
        string weights = onnx.Op("Softmax", new[] { scores }, "weights", OnnxAttribute.Int("axis", -1));
        onnx.KeepStates(node, weights); // the weights a call with return_attention_scores also returns
        return onnx.ZeroMaskedQueries(node, onnx.Op("MatMul", new[] { weights, x[1] }, "weighted"));
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("use_scale", UseScale);
        yield return new("dropout", Dropout);
        foreach (var setting in AttentionSettings.CallSettings(UseCausalMask, ReturnAttentionScores))
        {
            yield return setting;
        }
    }
}

using System.Collections.Generic;
using Unrolled.Onnx;

namespace Unrolled;

/// <summary>
/// The layers of the functional API, named and parameterised as in Keras. Bring them into scope with
/// <c>using static Unrolled.Layers;</c> and call them inside a <see cref="ModelBuilderAttribute">[ModelBuilder]</see>
/// method, which the generator evaluates at compile time. Every argument must be a compile-time value (a literal,
/// a constant, a loop variable with constant bounds, or a helper's constant parameter).
/// </summary>
public static partial class Layers
{
    /// <summary>
    /// A model input, as Keras's <c>Input(shape, dtype, name)</c>. The shape excludes the batch axis.
    /// </summary>
    /// <param name="shape">The shape of one sample, for example <c>[784]</c> or <c>[28, 28, 1]</c>.</param>
    /// <param name="dtype">The element type; <see cref="DType.Float32"/> unless stated.</param>
    /// <param name="name">The input's name (<c>input_1</c>, <c>input_2</c>, … by default); the generated
    /// <c>Predict</c> names its parameter after it.</param>
    /// <returns>A symbolic tensor to apply layers to.</returns>
    public static Tensor Input(int?[] shape, DType dtype = DType.Float32, string? name = null)
        => throw BuilderOnlyException.For(nameof(Input));

    /// <summary>
    /// A densely connected layer, as Keras's <c>Dense</c>: <c>activation(dot(x, kernel) + bias)</c>, applied to the
    /// last axis. The kernel starts glorot-uniform, the bias at zero.
    /// </summary>
    /// <param name="units">The number of outputs.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias vector.</param>
    /// <param name="name">The layer's name (<c>dense</c>, <c>dense_1</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a tensor: <c>Dense(64, Activation.Relu)(x)</c>.</returns>
    public static Layer Dense(int units, Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Dense));

    /// <summary>
    /// A dense product written as an einsum, as Keras's <c>EinsumDense(equation, output_shape, activation, bias_axes)</c>:
    /// each letter is kept (input and output), contracted (input and kernel) or new (kernel and output), in any order, such
    /// as <c>"abc,cd->abd"</c> (Dense over the last axis), <c>"abc,cde->abde"</c> (one projection per head, as Keras's
    /// MultiHeadAttention builds them), <c>"ab,cb->ac"</c> (the kernel [out, in]), <c>"abc,cd->adb"</c> (the new axis
    /// before a kept one) or with Keras's ellipsis, <c>"...b,bc->...c"</c> and <c>"ab...,bc->ac..."</c>. The kernel has the
    /// equation's kernel axes (glorot-uniform); the bias, Keras's: from the output's first bias letter to its end, the bias
    /// letters' sizes and 1 elsewhere, starting at zero.
    /// </summary>
    /// <param name="equation">The einsum: input, kernel, output letters, the first letter the batch axis (or Keras's
    /// <c>...</c> leading or ending both the input and the output).</param>
    /// <param name="outputShape">The output's explicit axes after the batch axis: sizes, or null for an axis the input keeps.</param>
    /// <param name="activation">The activation applied after the bias, over the output's last axis.</param>
    /// <param name="biasAxes">The output letters the bias spans, or null for no bias.</param>
    /// <param name="name">The layer's name (<c>einsum_dense</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer EinsumDense(string equation, int?[] outputShape, Activation activation = Activation.Linear, string? biasAxes = null, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(EinsumDense));

    /// <summary>An <see cref="EinsumDense(string, int?[], Activation, string?, string?, bool, string?, string?, Regularizer?, Regularizer?, Constraint?, Constraint?, Regularizer?)"/> whose output has one axis after the
    /// batch axis: <c>EinsumDense("ab,bc->ac", 64)</c>.</summary>
    /// <param name="equation">The einsum: input, kernel, output letters, the first letter the batch axis.</param>
    /// <param name="outputShape">The output's one axis after the batch axis.</param>
    /// <param name="activation">The activation applied after the bias.</param>
    /// <param name="biasAxes">The output letters the bias spans, or null for no bias.</param>
    /// <param name="name">The layer's name (<c>einsum_dense</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer EinsumDense(string equation, int outputShape, Activation activation = Activation.Linear, string? biasAxes = null, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Dense));

    /// <summary>A layer that concatenates its inputs along an axis, as Keras's <c>Concatenate(axis=-1)</c>.</summary>
    /// <param name="axis">The axis, counted as Keras does (the batch axis is 0; -1 is the last).</param>
    /// <param name="name">The layer's name (<c>concatenate</c>, … by default).</param>
    /// <returns>A layer to apply to a list of tensors: <c>Concatenate()([a, b])</c>.</returns>
    public static MergeLayer Concatenate(int axis = -1, string? name = null)
        => throw BuilderOnlyException.For(nameof(Concatenate));

    /// <summary>Concatenates tensors along an axis, as Keras's <c>concatenate([a, b], axis=-1)</c>.</summary>
    /// <param name="inputs">The tensors; all dimensions but <paramref name="axis"/> must agree.</param>
    /// <param name="axis">The axis, counted as Keras does (the batch axis is 0; -1 is the last).</param>
    /// <param name="name">The layer's name (<c>concatenate</c>, … by default).</param>
    /// <returns>The concatenated tensor.</returns>
    public static Tensor Concatenate(Tensor[] inputs, int axis = -1, string? name = null)
        => throw BuilderOnlyException.For(nameof(Concatenate));

    /// <summary>A layer that adds its inputs element-wise, as Keras's <c>Add()</c>.</summary>
    /// <param name="name">The layer's name (<c>add</c>, … by default).</param>
    /// <returns>A layer to apply to a list of tensors of one shape: <c>Add()([a, b])</c>.</returns>
    public static MergeLayer Add(string? name = null)
        => throw BuilderOnlyException.For(nameof(Add));

    /// <summary>Adds tensors of one shape element-wise, as Keras's <c>add([a, b])</c>.</summary>
    /// <param name="inputs">The tensors to add.</param>
    /// <param name="name">The layer's name (<c>add</c>, … by default).</param>
    /// <returns>The sum.</returns>
    public static Tensor Add(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Add));

    /// <summary>A layer that subtracts its second input from its first, as Keras's <c>Subtract()</c>.</summary>
    /// <param name="name">The layer's name (<c>subtract</c>, … by default).</param>
    /// <returns>A layer to apply to exactly 2 tensors of one shape: <c>Subtract()([a, b])</c>.</returns>
    public static MergeLayer Subtract(string? name = null)
        => throw BuilderOnlyException.For(nameof(Subtract));

    /// <summary>Applies a new <c>Subtract</c> layer at once, as Keras's <c>subtract([a, b])</c>.</summary>
    /// <param name="inputs">Exactly 2 tensors of one shape.</param>
    /// <param name="name">The layer's name (<c>subtract</c>, … by default).</param>
    /// <returns>A − b.</returns>
    public static Tensor Subtract(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Subtract));

    /// <summary>A layer that multiplies its inputs element-wise, as Keras's <c>Multiply()</c>.</summary>
    /// <param name="name">The layer's name (<c>multiply</c>, … by default).</param>
    /// <returns>A layer to apply to tensors of one shape: <c>Multiply()([a, b])</c>.</returns>
    public static MergeLayer Multiply(string? name = null)
        => throw BuilderOnlyException.For(nameof(Multiply));

    /// <summary>Applies a new <c>Multiply</c> layer at once, as Keras's <c>multiply([a, b])</c>.</summary>
    /// <param name="inputs">Tensors of one shape.</param>
    /// <param name="name">The layer's name (<c>multiply</c>, … by default).</param>
    /// <returns>The element-wise product.</returns>
    public static Tensor Multiply(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Multiply));

    /// <summary>A layer that averages its inputs element-wise, as Keras's <c>Average()</c>.</summary>
    /// <param name="name">The layer's name (<c>average</c>, … by default).</param>
    /// <returns>A layer to apply to tensors of one shape: <c>Average()([a, b])</c>.</returns>
    public static MergeLayer Average(string? name = null)
        => throw BuilderOnlyException.For(nameof(Average));

    /// <summary>Applies a new <c>Average</c> layer at once, as Keras's <c>average([a, b])</c>.</summary>
    /// <param name="inputs">Tensors of one shape.</param>
    /// <param name="name">The layer's name (<c>average</c>, … by default).</param>
    /// <returns>The element-wise mean.</returns>
    public static Tensor Average(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Average));

    /// <summary>A layer that takes the element-wise maximum of its inputs, as Keras's <c>Maximum()</c>.</summary>
    /// <param name="name">The layer's name (<c>maximum</c>, … by default).</param>
    /// <returns>A layer to apply to tensors of one shape: <c>Maximum()([a, b])</c>.</returns>
    public static MergeLayer Maximum(string? name = null)
        => throw BuilderOnlyException.For(nameof(Maximum));

    /// <summary>Applies a new <c>Maximum</c> layer at once, as Keras's <c>maximum([a, b])</c>.</summary>
    /// <param name="inputs">Tensors of one shape.</param>
    /// <param name="name">The layer's name (<c>maximum</c>, … by default).</param>
    /// <returns>The element-wise maximum.</returns>
    public static Tensor Maximum(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Maximum));

    /// <summary>A layer that takes the element-wise minimum of its inputs, as Keras's <c>Minimum()</c>.</summary>
    /// <param name="name">The layer's name (<c>minimum</c>, … by default).</param>
    /// <returns>A layer to apply to tensors of one shape: <c>Minimum()([a, b])</c>.</returns>
    public static MergeLayer Minimum(string? name = null)
        => throw BuilderOnlyException.For(nameof(Minimum));

    /// <summary>Applies a new <c>Minimum</c> layer at once, as Keras's <c>minimum([a, b])</c>.</summary>
    /// <param name="inputs">Tensors of one shape.</param>
    /// <param name="name">The layer's name (<c>minimum</c>, … by default).</param>
    /// <returns>The element-wise minimum.</returns>
    public static Tensor Minimum(Tensor[] inputs, string? name = null)
        => throw BuilderOnlyException.For(nameof(Minimum));

    /// <summary>
    /// A layer that takes the dot product of two tensors over one axis of each, as Keras's <c>Dot(axes)</c>
    /// (<c>batch_dot</c>): per sample, the sum over that axis of every pair of the inputs' other elements. The output
    /// holds the first input's remaining axes, then the second's: vectors give one value per sample, and
    /// <c>Dot(axes: -1)</c> of (T, d) and (S, d) sequences gives their (T, S) matrix of products.
    /// </summary>
    /// <param name="axes">The contracted axis of both inputs, counting the batch axis as 0; a negative axis counts from
    /// the end of each input (-1, the last).</param>
    /// <param name="normalize">L2-normalise both inputs along the contracted axes first, so the result is the cosine
    /// similarity.</param>
    /// <param name="name">The layer's name (<c>dot</c>, … by default).</param>
    /// <returns>A layer to apply to two tensors: <c>Dot(axes: -1)([a, b])</c>.</returns>
    public static MergeLayer Dot(int axes, bool normalize = false, string? name = null)
        => throw BuilderOnlyException.For(nameof(Dot));

    /// <summary>
    /// A layer that takes the dot product of two tensors over one axis of each, chosen per input, as Keras's
    /// <c>Dot(axes=(i, j))</c>: attention by hand is <c>Dot(axes: [2, 2])([queries, keys])</c> for the (T, S) scores and
    /// <c>Dot(axes: [2, 1])([weights, values])</c> for the (T, e) result.
    /// </summary>
    /// <param name="axes">Two axes, the first input's then the second's, counting the batch axis as 0; negative ones
    /// count from the end of their input. The two must have one length.</param>
    /// <param name="normalize">L2-normalise each input along its contracted axis first (cosine similarity).</param>
    /// <param name="name">The layer's name (<c>dot</c>, … by default).</param>
    /// <returns>A layer to apply to two tensors.</returns>
    public static MergeLayer Dot(int[] axes, bool normalize = false, string? name = null)
        => throw BuilderOnlyException.For(nameof(Dot));

    /// <summary>Applies a new <c>Dot</c> layer at once, as Keras's <c>dot([a, b], axes)</c>.</summary>
    /// <param name="inputs">Two tensors whose contracted axes have one length.</param>
    /// <param name="axes">The contracted axis of both inputs, counting the batch axis as 0; -1 for the last of each.</param>
    /// <param name="normalize">L2-normalise both inputs along the contracted axes first (cosine similarity).</param>
    /// <param name="name">The layer's name (<c>dot</c>, … by default).</param>
    /// <returns>The dot products.</returns>
    public static Tensor Dot(Tensor[] inputs, int axes, bool normalize = false, string? name = null)
        => throw BuilderOnlyException.For(nameof(Dot));

    /// <summary>Applies a new <c>Dot</c> layer at once, as Keras's <c>dot([a, b], axes=(i, j))</c>.</summary>
    /// <param name="inputs">Two tensors whose contracted axes have one length.</param>
    /// <param name="axes">Two axes, the first input's then the second's, counting the batch axis as 0.</param>
    /// <param name="normalize">L2-normalise each input along its contracted axis first (cosine similarity).</param>
    /// <param name="name">The layer's name (<c>dot</c>, … by default).</param>
    /// <returns>The dot products.</returns>
    public static Tensor Dot(Tensor[] inputs, int[] axes, bool normalize = false, string? name = null)
        => throw BuilderOnlyException.For(nameof(Dot));

    /// <summary>
    /// Dot-product attention, as Keras's <c>Attention(use_scale, score_mode="dot")</c> (Luong-style): applied to
    /// <c>[query, value]</c> or <c>[query, value, key]</c> of shapes (Tq, dim), (Tv, dv) and (Tv, dim), it gives
    /// softmax(q·kᵀ)·v, (Tq, dv); the key is the value when not given. With <paramref name="useScale"/>, a learned
    /// scalar <c>scale</c> (started at 1) multiplies the scores first.
    /// </summary>
    /// <param name="useScale">Learn a scalar that scales the scores.</param>
    /// <param name="scoreMode">Keras's score function: <c>"dot"</c>, scale · q·kᵀ, or <c>"concat"</c>, concat_score_weight · Σ_d tanh(scale · (q_d + k_d)), with the learned scalar <c>concat_score_weight</c> (started at 1).</param>
    /// <param name="dropout">Dropout on the weights while training (Keras's <c>dropout</c>): the fraction zeroed, the rest
    /// scaled by 1 / (1 − dropout); none when predicting.</param>
    /// <param name="name">The layer's name (<c>attention</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to two or three tensors: <c>Attention()([query, value])</c>, with Keras's call arguments
    /// <c>useCausalMask</c> and <c>returnAttentionScores</c>.</returns>
    public static SequenceAttentionLayer Attention(bool useScale = false, string scoreMode = "dot", double dropout = 0.0, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(Attention));

    /// <summary>
    /// A layer that applies a function of tensors, as Keras's <c>Lambda(function, output_shape)</c>. The function is
    /// evaluated at compile time from <see cref="Ops"/> and the tensor operators, and differentiated there.
    /// </summary>
    /// <param name="function">A lambda or static method: <c>x =&gt; Ops.Square(x)</c>.</param>
    /// <param name="outputShape">Optionally, the output shape as a function of the input shape (batch axis excluded);
    /// the generator checks it against the shape it infers.</param>
    /// <param name="name">The layer's name (<c>lambda</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer Lambda(System.Func<Tensor, Tensor> function, System.Func<int[], int[]>? outputShape = null, string? name = null)
        => throw BuilderOnlyException.For(nameof(Lambda));

    /// <summary>
    /// A layer that applies a function of several tensors, as Keras's <c>Lambda</c> applied to a list:
    /// <c>Lambda((Tensor[] v) =&gt; Exp(-Sum(Abs(v[0] - v[1]), axis: 1, keepDims: true)))([left, right])</c>.
    /// </summary>
    /// <param name="function">A lambda or static method taking the tensors as an array.</param>
    /// <param name="outputShape">Optionally, the output shape as a function of the input shapes (batch axis excluded);
    /// the generator checks it against the shape it infers.</param>
    /// <param name="name">The layer's name (<c>lambda</c>, … by default).</param>
    /// <returns>A layer to apply to a list of tensors.</returns>
    public static MergeLayer Lambda(System.Func<Tensor[], Tensor> function, System.Func<int[][], int[]>? outputShape = null, string? name = null)
        => throw BuilderOnlyException.For(nameof(Lambda));

    /// <summary>
    /// Applies a layer (or a model, which converts to a layer) to every time step of a sequence, as Keras's
    /// <c>TimeDistributed(layer)</c>: an input of shape (None, steps, …) gives (None, steps, …) with the inner layer's
    /// weights shared across the steps.
    /// </summary>
    /// <param name="layer">The layer or model to apply to each step.</param>
    /// <param name="name">The layer's name (<c>time_distributed</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer TimeDistributed(Layer layer, string? name = null)
        => throw BuilderOnlyException.For(nameof(TimeDistributed));
}

/// <summary>The settings of an <c>InputLayer</c>.</summary>
/// <param name="DType">Keras's dtype: <c>float32</c> or <c>int32</c>.</param>
public sealed record InputSettings(string DType) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.InputLayer;

    // A nested model's input passes its tensor on.
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => x[0];

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("dtype", DType);
    }
}

/// <summary>The settings of a <see cref="Layers.Dense"/> layer.</summary>
/// <param name="Units">The output size.</param>
/// <param name="Activation">Keras's name of the activation (<c>relu</c>, <c>linear</c>).</param>
/// <param name="UseBias">Whether the layer has a bias.</param>
public sealed record DenseSettings(int Units, string Activation, bool UseBias) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Dense;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Dense(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("units", Units);
        yield return new("activation", Activation);
        yield return new("use_bias", UseBias);
    }
}

/// <summary>The settings of an <see cref="Layers.EinsumDense(string, int?[], Activation, string?, string?, bool, string?, string?, Regularizer?, Regularizer?, Constraint?, Constraint?, Regularizer?)"/> layer.</summary>
/// <param name="Equation">The einsum.</param>
/// <param name="OutputShape">The output's axes after the batch axis (0 where given as None).</param>
/// <param name="Activation">Keras's activation name.</param>
/// <param name="BiasAxes">The letters the bias spans, or null.</param>
public sealed record EinsumDenseSettings(string Equation, IReadOnlyList<int> OutputShape, string Activation, string? BiasAxes) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.EinsumDense;

    /// <summary>ONNX's Einsum with the kernel as the initializer <c>layer/kernel</c> in Keras's shape, the bias added (it
    /// spans the last axes, as ONNX broadcasts), then the activation.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        string kernel = onnx.Initializer(OnnxExporter.WeightName(node, "kernel"), OnnxExporter.Longs(OnnxExporter.WeightShape(node, "kernel")),
            () => onnx.Weight(node, "kernel"));
        string y = onnx.Op("Einsum", new[] { x[0], kernel }, "einsum", OnnxAttribute.String("equation", Equation.Replace(" ", string.Empty)));
        if (BiasAxes is not null)
        {
            y = onnx.Op("Add", new[] { y, onnx.Initializer(OnnxExporter.WeightName(node, "bias"), OnnxExporter.Longs(OnnxExporter.WeightShape(node, "bias")),
                () => onnx.Weight(node, "bias")) }, "bias");
        }

        return onnx.Activate(node, y, Activation);
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("equation", Equation);
        yield return new("output_shape", OutputShape);
        yield return new("activation", Activation);
        yield return BiasAxes is { } axes ? new("bias_axes", axes) : LayerSetting.None("bias_axes");
    }
}

/// <summary>The settings of a <see cref="Layers.Concatenate(int, string?)"/> layer.</summary>
/// <param name="Axis">The axis joined, counting the batch axis as 0, or from the end (-1 the last).</param>
public sealed record ConcatenateSettings(int Axis) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Concatenate;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Op("Concat", x, null, OnnxAttribute.Int("axis", Axis));

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("axis", Axis);
    }
}

/// <summary>The settings of a <see cref="Layers.Dot(int[], bool, string?)"/> layer.</summary>
/// <param name="Axes">The contracted axes as written: one for both inputs, or the first input's and the second's,
/// counting the batch axis as 0; negative ones count from the end of their input.</param>
/// <param name="Normalize">Whether both inputs are L2-normalised along their contracted axes first (cosine similarity).</param>
public sealed record DotSettings(IReadOnlyList<int> Axes, bool Normalize) : LayerSettings
{
    /// <summary>Settings over one axis of both inputs, which Keras's <c>get_config()</c> gives as a number.</summary>
    /// <param name="Axes">The contracted axis of both inputs, counting the batch axis as 0, or -1 for the last.</param>
    /// <param name="Normalize">Whether both inputs are L2-normalised first (cosine similarity).</param>
#pragma warning disable IDE1006, CA1707 // named as the record's properties, so generated code names arguments once for either form
    public DotSettings(int Axes, bool Normalize)
#pragma warning restore IDE1006, CA1707
        : this(new[] { Axes }, Normalize)
    {
        AxesIsList = false;
    }

    /// <summary>Whether the axes were given as a list (<c>axes=(2, 1)</c>) rather than one number (<c>axes=-1</c>).</summary>
    public bool AxesIsList { get; init; } = true;

    /// <summary>The contracted axis of each input, counting the batch axis as 0, as Keras resolves them.</summary>
    /// <param name="firstRank">The first input's rank, the batch axis included.</param>
    /// <param name="secondRank">The second input's rank, the batch axis included.</param>
    /// <returns>The two axes.</returns>
    internal (int First, int Second) Resolve(int firstRank, int secondRank)
    {
        int first = Axes[0], second = Axes[Axes.Count == 1 ? 0 : 1];
        return (first < 0 ? first + firstRank : first, second < 0 ? second + secondRank : second);
    }

    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Dot;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Dot(node, this, x[0], x[1]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return AxesIsList || Axes.Count != 1 ? new("axes", Axes) : new("axes", Axes[0]);
        yield return new("normalize", Normalize);
    }
}

/// <summary>The settings of the steps <see cref="Layers.TimeDistributed"/> adds around its layer: folding the time axis
/// into the batch and unfolding it again.</summary>
/// <param name="Steps">The length of the time axis, or -1 when it is known only at run time.</param>
public sealed record StepsSettings(int Steps) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind is GraphNodeKind.Fold or GraphNodeKind.Unfold;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => node.Kind == GraphNodeKind.Fold ? onnx.Fold(node, x[0]) : onnx.Unfold(node, Steps, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("steps", Steps);
    }
}

/// <summary>The settings of an <see cref="Layers.Attention"/> layer.</summary>
/// <param name="UseScale">Whether a learned scalar scales the scores.</param>
/// <param name="ScoreMode">Keras's score function: <c>dot</c> (q·kᵀ) or <c>concat</c> (w · Σ tanh(s · (q + k))).</param>
/// <param name="Dropout">Dropout on the weights, 0.</param>
/// <param name="UseCausalMask">The call's causal mask: query step i sees value steps 0..i only.</param>
/// <param name="ReturnAttentionScores">Whether the call also returns the attention weights, an
/// <see cref="GraphNodeKind.AttentionScores"/> node reading this one.</param>
public sealed record AttentionSettings(bool UseScale, string ScoreMode, double Dropout, bool UseCausalMask = false, bool ReturnAttentionScores = false)
    : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Attention;

    /// <summary>Dot scores: MatMul of the query and the transposed key, times the scale. Concat scores: the query
    /// <c>Unsqueeze</c>d to [batch, Tq, 1, dim] plus the key to [batch, 1, Tv, dim], times the scale, <c>Tanh</c>,
    /// <c>ReduceSum</c> over the features, times <c>concat_score_weight</c>. Then Softmax over the keys, MatMul with the
    /// value.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        string key = x.Length > 2 ? x[2] : x[1];
        string? scale = UseScale
            ? onnx.Initializer(OnnxExporter.WeightName(node, "scale"), System.Array.Empty<long>(), () => onnx.Weight(node, "scale"))
            : null;
        string scores;
        if (ScoreMode == "concat")
        {
            string sums = onnx.Op("Add", new[] { onnx.Op("Unsqueeze", new[] { x[0], onnx.Int64s(2) }, "query_rows"),
                onnx.Op("Unsqueeze", new[] { key, onnx.Int64s(1) }, "key_columns") }, "sums");
            if (scale is not null)
            {
                sums = onnx.Op("Mul", new[] { sums, scale }, "scaled");
            }

            string weight = onnx.Initializer(OnnxExporter.WeightName(node, "concat_score_weight"), System.Array.Empty<long>(),
                () => onnx.Weight(node, "concat_score_weight"));
            scores = onnx.Op("Mul", new[] { onnx.Reduce("ReduceSum", onnx.Op("Tanh", new[] { sums }, "terms"), new long[] { -1 }, keepDims: false, "summed"), weight },
                "scores");
        }
        else
        {
            scores = onnx.Op("MatMul", new[] { x[0], onnx.Transpose(key, new long[] { 0, 2, 1 }, "key_transposed") }, "scores");
            if (scale is not null)
            {
                scores = onnx.Op("Mul", new[] { scores, scale }, "scaled");
            }
        }

        string weights = onnx.Op("Softmax", new[] { onnx.HideMaskedKeys(node, scores, UseCausalMask) }, "weights", OnnxAttribute.Int("axis", -1));
        onnx.KeepStates(node, weights); // the weights a call with return_attention_scores also returns
        return onnx.ZeroMaskedQueries(node, onnx.Op("MatMul", new[] { weights, x[1] }, "weighted"));
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("use_scale", UseScale);
        yield return new("score_mode", ScoreMode);
        yield return new("dropout", Dropout);
        foreach (var setting in CallSettings(UseCausalMask, ReturnAttentionScores))
        {
            yield return setting;
        }
    }

    /// <summary>A call's arguments, listed only for the calls that give them (they are not the layer's config in Keras).</summary>
    internal static IEnumerable<LayerSetting> CallSettings(bool causal, bool scores)
    {
        if (causal)
        {
            yield return new("use_causal_mask", causal);
        }

        if (scores)
        {
            yield return new("return_attention_scores", scores);
        }
    }
}

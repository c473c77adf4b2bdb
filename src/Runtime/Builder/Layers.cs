namespace Unrolled;

/// <summary>
/// The layers of the functional API, named and parameterised as in Keras. Bring them into scope with
/// <c>using static Unrolled.Layers;</c> and call them inside a <see cref="ModelBuilderAttribute">[ModelBuilder]</see>
/// method, which the generator evaluates at compile time. Every argument must be a compile-time value (a literal,
/// a constant, a loop variable with constant bounds, or a helper's constant parameter).
/// </summary>
public static class Layers
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
    /// <returns>A layer to apply to a tensor: <c>Dense(64, Activation.Relu)(x)</c>.</returns>
    public static Layer Dense(int units, Activation activation = Activation.Linear, bool useBias = true, string? name = null)
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
}

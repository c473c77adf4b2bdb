namespace Unrolled.Generator.Model;

/// <summary>The layer types the generator knows, named as Keras names their classes.</summary>
internal enum LayerKind
{
    InputLayer,
    Dense,
    Concatenate,
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Dot,

    /// <summary>A Lambda layer: its function's operations are nodes of the kinds below, grouped under it.</summary>
    Lambda,

    /// <summary>An element-wise function (Units: the runtime's <c>UnaryOp</c>).</summary>
    UnaryOp,

    /// <summary>An activation function used as an operation (Units: the <c>Activation</c> value).</summary>
    ActivationOp,

    /// <summary><c>Scale · x + Shift</c>: a tensor combined with constants.</summary>
    Affine,

    /// <summary>A broadcasting binary operation (Units: the runtime's <c>BinaryOp</c>).</summary>
    BinaryOp,

    /// <summary>A sum (Units 0) or mean (Units 1) over Axis, keeping it when UseBias (keepDims).</summary>
    Reduce,

    /// <summary>A TimeDistributed layer: its inner layer's nodes are grouped under it.</summary>
    TimeDistributed,

    /// <summary>Views [T, rest…] per sample as T rows of rest… (Units: T); aliases its input's memory.</summary>
    Fold,

    /// <summary>Views T rows of rest… as [T, rest…] per sample (Units: T); aliases its input's memory.</summary>
    Unfold,
}

internal static class LayerKindExtensions
{
    /// <summary>Layers applied to a list of tensors (Keras's merge layers).</summary>
    public static bool IsMerge(this LayerKind kind) => kind is LayerKind.Concatenate or LayerKind.Add or LayerKind.Subtract
        or LayerKind.Multiply or LayerKind.Average or LayerKind.Maximum or LayerKind.Minimum or LayerKind.Dot;

    /// <summary>Merges that combine inputs of one shape element by element.</summary>
    public static bool IsElementwiseMerge(this LayerKind kind) => kind is LayerKind.Add or LayerKind.Subtract
        or LayerKind.Multiply or LayerKind.Average or LayerKind.Maximum or LayerKind.Minimum;
}

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

    // Layers with windows. Units: filters; Config: [kernel h, kernel w, stride h, stride w, dilation h, dilation w,
    // same (1) or valid (0), depth multiplier]. A 1-D layer has height 1.
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    SeparableConv2D,

    // Pooling. Config: [pool h, pool w, stride h, stride w, same].
    MaxPooling1D,
    MaxPooling2D,
    AveragePooling1D,
    AveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,

    /// <summary>Config: [size h, size w].</summary>
    UpSampling2D,

    /// <summary>Shape: the target shape (-1 for the rest); aliases its input's memory.</summary>
    Reshape,

    /// <summary>Aliases its input's memory.</summary>
    Flatten,

    /// <summary>Units: output dim; Config: [input dim].</summary>
    Embedding,

    // Recurrent layers. Units: units; UseBias; Config: [return sequences, unit forget bias (LSTM) / reset after (GRU), return state].
    LSTM,
    GRU,
    SimpleRNN,

    /// <summary>Scale: the rate.</summary>
    Dropout,

    /// <summary>Keras's Activation layer (Activation: the function; softmax over the last axis).</summary>
    Activation,

    /// <summary>Scale: momentum; Shift: epsilon; Config: [center, scale].</summary>
    BatchNormalization,

    /// <summary>A recurrent layer's returned state (Units: 1 the hidden state, 2 LSTM's cell state); aliases the
    /// recurrent node's memory for it.</summary>
    Select,
}

internal static class LayerKindExtensions
{
    public static bool IsConvolution(this LayerKind kind) => kind is LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D;

    public static bool IsPooling(this LayerKind kind) => kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D
        or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D;

    public static bool IsGlobalPooling(this LayerKind kind) => kind is LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D
        or LayerKind.GlobalAveragePooling1D or LayerKind.GlobalAveragePooling2D;

    public static bool IsRecurrent(this LayerKind kind) => kind is LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN;

    /// <summary>Layers whose output is their input's memory under another shape.</summary>
    public static bool IsView(this LayerKind kind) => kind is LayerKind.Fold or LayerKind.Unfold or LayerKind.Reshape or LayerKind.Flatten or LayerKind.Select;

    /// <summary>Whether a 1-D layer (over (steps, channels)) rather than a 2-D one.</summary>
    public static bool IsOneDimensional(this LayerKind kind) => kind is LayerKind.Conv1D or LayerKind.MaxPooling1D or LayerKind.AveragePooling1D
        or LayerKind.GlobalMaxPooling1D or LayerKind.GlobalAveragePooling1D;

    /// <summary>Layers applied to a list of tensors (Keras's merge layers).</summary>
    public static bool IsMerge(this LayerKind kind) => kind is LayerKind.Concatenate or LayerKind.Add or LayerKind.Subtract
        or LayerKind.Multiply or LayerKind.Average or LayerKind.Maximum or LayerKind.Minimum or LayerKind.Dot;

    /// <summary>Merges that combine inputs of one shape element by element.</summary>
    public static bool IsElementwiseMerge(this LayerKind kind) => kind is LayerKind.Add or LayerKind.Subtract
        or LayerKind.Multiply or LayerKind.Average or LayerKind.Maximum or LayerKind.Minimum;
}

namespace Unrolled.Generator.Model;

/// <summary>Groupings of the kinds in the shared catalogue (src/Shared/LayerKind.cs).</summary>
internal static class LayerKindExtensions
{
    public static bool IsConvolution(this LayerKind kind) => kind is LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D;

    public static bool IsPooling(this LayerKind kind) => kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D
        or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D;

    public static bool IsGlobalPooling(this LayerKind kind) => kind is LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D
        or LayerKind.GlobalAveragePooling1D or LayerKind.GlobalAveragePooling2D;

    public static bool IsRecurrent(this LayerKind kind) => kind is LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN;

    /// <summary>Layers whose output is their input's memory under another shape.</summary>
    public static bool IsView(this LayerKind kind) => kind is LayerKind.Fold or LayerKind.Unfold or LayerKind.Reshape or LayerKind.Flatten or LayerKind.RecurrentState;

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

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

namespace Unrolled.Generator.Model;

/// <summary>The layer types the generator knows, named as Keras names their classes.</summary>
internal enum LayerKind
{
    InputLayer,
    Dense,
    Concatenate,
    Add,
}

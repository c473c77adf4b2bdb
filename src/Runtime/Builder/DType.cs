namespace Unrolled;

/// <summary>Element type of a model input, as Keras's <c>dtype</c>.</summary>
public enum DType
{
    /// <summary>32-bit floating point (<c>"float32"</c>), the default.</summary>
    Float32,

    /// <summary>32-bit integer (<c>"int32"</c>), for token ids fed to an <c>Embedding</c>.</summary>
    Int32,
}

namespace Unrolled;

/// <summary>How a convolution or pooling window treats the borders, as Keras's <c>padding</c>.</summary>
public enum Padding
{
    /// <summary>No padding: the window stays inside the input, so the output is smaller (Keras's <c>"valid"</c>).</summary>
    Valid,

    /// <summary>Zero padding so that the output has ceil(input / stride) positions (Keras's <c>"same"</c>).</summary>
    Same,
}

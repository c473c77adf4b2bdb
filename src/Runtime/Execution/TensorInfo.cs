using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>Describes one input or output of a generated model: its name, per-sample shape and element type.</summary>
public sealed class TensorInfo
{
    /// <summary>Creates a description; called by generated code.</summary>
    /// <param name="name">The Keras name of the input, or of the layer that produces the output.</param>
    /// <param name="shape">The shape of one sample (no batch axis).</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="offset">Where the tensor lives in a <see cref="Workspace"/>, in floats per sample.</param>
    /// <param name="activation">For an output: the activation of the layer that produces it.</param>
    public TensorInfo(string name, int[] shape, DType dtype, int offset, Activation activation = Activation.Linear)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        DType = dtype;
        Offset = offset;
        Activation = activation;
        Size = ShapeMath.Product(shape);
    }

    /// <summary>The Keras name (<c>input_1</c>, <c>main_output</c>, …).</summary>
    public string Name { get; }

    /// <summary>The shape of one sample, without the batch axis.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The number of elements in one sample (the product of <see cref="Shape"/>).</summary>
    public int Size { get; }

    /// <summary>The activation of the layer that produces this tensor (used to fuse softmax / sigmoid with cross-entropy).</summary>
    public Activation Activation { get; }

    /// <summary>Offset of the tensor in the workspace's activation buffer, in floats per sample.</summary>
    public int Offset { get; }

    /// <summary>The shape as Keras prints it, with the batch axis: <c>(None, 784)</c>.</summary>
    public string KerasShape => Shape.Count == 1 ? $"(None, {Shape[0]})" : "(None, " + string.Join(", ", Shape) + ")";
}

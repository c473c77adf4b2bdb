using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>Describes one input or output of a generated model: its name, per-sample shape and element type.</summary>
public sealed class TensorInfo
{
    /// <summary>Creates a description; called by generated code.</summary>
    /// <param name="name">The Keras name of the input, or of the layer that produces the output.</param>
    /// <param name="shape">The shape of one sample (no batch axis); -1 for an axis whose length is known only at run time.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="offset">Where the tensor lives in a <see cref="Workspace"/>, in floats per sample; -1 when that depends on
    /// run-time lengths.</param>
    /// <param name="activation">For an output: the activation of the layer that produces it.</param>
    /// <param name="maskOffset">For an output that carries a Keras mask (a sequence after <c>Embedding(maskZero: true)</c>):
    /// where the mask (one float per row, 1 kept) lives in a <see cref="Workspace"/>, in floats per sample; -1 for none or
    /// when that depends on run-time lengths.</param>
    public TensorInfo(string name, int[] shape, DType dtype, int offset, Activation activation = Activation.Linear, int maskOffset = -1)
    {
        MaskOffset = maskOffset;
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        DType = dtype;
        Offset = offset;
        Activation = activation;
        IsStatic = Array.TrueForAll(shape, d => d >= 0);
        Size = IsStatic ? ShapeMath.Product(shape) : -1;
    }

    /// <summary>Whether every axis has a fixed length (none is <c>None</c>).</summary>
    public bool IsStatic { get; }

    /// <summary>The Keras name (<c>input_1</c>, <c>main_output</c>, …).</summary>
    public string Name { get; }

    /// <summary>The shape of one sample, without the batch axis; -1 for an axis known only at run time (Keras's <c>None</c>).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The number of elements in one sample (the product of <see cref="Shape"/>); -1 when it depends on a run-time length.</summary>
    public int Size { get; }

    /// <summary>The activation of the layer that produces this tensor (used to fuse softmax / sigmoid with cross-entropy).</summary>
    public Activation Activation { get; }

    /// <summary>Offset of the tensor in the workspace's activation buffer, in floats per sample; -1 when it depends on a run-time length.</summary>
    public int Offset { get; }

    /// <summary>For an output that carries a Keras mask: the mask's offset in the workspace's activation buffer (the loss
    /// and the metrics leave its masked rows out, as Keras's do); -1 when it has none or it depends on a run-time length.</summary>
    public int MaskOffset { get; }

    /// <summary>The shape as Keras prints it, with the batch axis: <c>(None, 784)</c>.</summary>
    public string KerasShape => ModelGraph.KerasShape(Shape);
}

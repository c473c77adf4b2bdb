using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>One weight tensor of a layer (Keras's <c>layer.weights</c>): where it lives in the model's weight buffer.</summary>
public sealed class WeightInfo
{
    /// <summary>Creates a description; called by generated code.</summary>
    /// <param name="layer">The layer's Keras name (<c>dense_1</c>).</param>
    /// <param name="name">The weight's name within the layer (<c>kernel</c>, <c>bias</c>).</param>
    /// <param name="shape">The weight's shape (a Dense kernel is [inputs, units]).</param>
    /// <param name="offset">Where it starts in <see cref="CompiledModel.Weights"/>.</param>
    /// <param name="trainable">False for state the optimizer leaves alone (BatchNormalization's moving statistics).</param>
    public WeightInfo(string layer, string name, int[] shape, int offset, bool trainable = true)
    {
        Trainable = trainable;
        Layer = layer ?? throw new ArgumentNullException(nameof(layer));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        Offset = offset;
        Size = ShapeMath.Product(shape);
    }

    /// <summary>Whether the optimizer trains it (Keras's <c>trainable_weights</c>) or it is state (<c>non_trainable_weights</c>).</summary>
    public bool Trainable { get; }

    /// <summary>The layer's Keras name.</summary>
    public string Layer { get; }

    /// <summary>The weight's name within the layer.</summary>
    public string Name { get; }

    /// <summary>The weight's shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Where the weight starts in the model's weight buffer.</summary>
    public int Offset { get; }

    /// <summary>The number of floats (the product of <see cref="Shape"/>).</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Layer}/{Name} [{string.Join(", ", Shape)}]";
}

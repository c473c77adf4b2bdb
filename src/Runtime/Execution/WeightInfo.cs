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
    /// <param name="kerasPath">Where Keras 3 saves the weight in a <c>.weights.h5</c> file (<c>layers/dense_1/vars/0</c>).</param>
    /// <param name="kerasLayer">The entry of Keras's <c>model.layers</c> that holds the weight: the layer, or the nested
    /// model or wrapper around it.</param>
    /// <param name="kerasIndex">The weight's position in Keras's <c>model.weights</c>.</param>
    /// <param name="l1">The L1 factor of its regularizer (Keras's <c>kernel_regularizer</c>, …), or 0.</param>
    /// <param name="l2">The L2 factor of its regularizer, or 0.</param>
    /// <param name="constraint">Its constraint (Keras's <c>kernel_constraint</c>, …) as the generator writes it
    /// (<c>MaxNorm:0:3:1:0</c>: kind, minimum, maximum, rate, axes), or null.</param>
    /// <param name="rowSparse">Whether its gradient is zero outside the rows a step's ids look up, which the generated
    /// backward pass records (an <c>Embedding</c> table, [rows, width]).</param>
    public WeightInfo(string layer, string name, int[] shape, int offset, bool trainable = true, string? kerasPath = null,
        string? kerasLayer = null, int kerasIndex = -1, double l1 = 0, double l2 = 0, string? constraint = null, bool rowSparse = false)
    {
        RowSparse = rowSparse && shape is { Length: 2 };
        Constraint = constraint;
        L1 = l1 >= 0 && double.IsFinite(l1) ? l1 : throw new ArgumentOutOfRangeException(nameof(l1), l1, "l1 must be finite and ≥ 0.");
        L2 = l2 >= 0 && double.IsFinite(l2) ? l2 : throw new ArgumentOutOfRangeException(nameof(l2), l2, "l2 must be finite and ≥ 0.");
        KerasPath = kerasPath;
        KerasLayer = kerasLayer ?? layer;
        KerasIndex = kerasIndex;
        Trainable = trainable;
        Layer = layer ?? throw new ArgumentNullException(nameof(layer));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        Offset = offset;
        Size = ShapeMath.Product(shape);
    }

    /// <summary>Whether the optimizer trains it (Keras's <c>trainable_weights</c>) or it is state (<c>non_trainable_weights</c>).</summary>
    public bool Trainable { get; }

    /// <summary>
    /// Whether the weight's gradient is zero outside the rows a training step's ids look up (an <c>Embedding</c> table,
    /// whose rows the generated backward pass records): with an optimizer that leaves a weight whose gradient is zero
    /// as it is (SGD without momentum; Adagrad; RMSprop neither centered nor with momentum, with ρ and ε positive; none of
    /// them clipping, decaying weights or averaging them) and no regularizer or constraint on the table, a step clears,
    /// checks and updates only those rows, with the same result as updating every row (docs/performance.md,
    /// <em>Embedding rows</em>).
    /// </summary>
    public bool RowSparse { get; }

    /// <summary>The weight's constraint, applied after every update (<c>MaxNorm:0:3:1:0</c>), or null.</summary>
    public string? Constraint { get; }

    /// <summary>The L1 factor of the weight's regularizer: l1·Σ|w| joins the loss (0 for none).</summary>
    public double L1 { get; }

    /// <summary>The L2 factor of the weight's regularizer: l2·Σw² joins the loss (0 for none).</summary>
    public double L2 { get; }

    /// <summary>The layer's Keras name.</summary>
    public string Layer { get; }

    /// <summary>The weight's name within the layer.</summary>
    public string Name { get; }

    /// <summary>The weight's shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Where the weight starts in the model's weight buffer.</summary>
    public int Offset { get; }

    /// <summary>
    /// Where Keras 3 saves this weight (<c>model.save_weights</c>, and <c>model.weights.h5</c> inside a <c>.keras</c>
    /// file): the path of its dataset, such as <c>layers/dense_1/vars/0</c> or <c>layers/lstm/cell/vars/1</c>. Keras
    /// names the groups after the layers' classes and their order in <c>model.layers</c>, not after the layers' names.
    /// Null for a model that was not generated.
    /// </summary>
    public string? KerasPath { get; }

    /// <summary>The name of the entry of Keras's <c>model.layers</c> that holds this weight: <see cref="Layer"/>, or
    /// the nested model or TimeDistributed wrapper around that layer. Keras 2 <c>.h5</c> files group weights by it.</summary>
    public string KerasLayer { get; }

    /// <summary>The weight's position in Keras's <c>model.weights</c> (layers in <c>model.layers</c> order, which is by
    /// depth from the outputs and can differ from the order of <see cref="CompiledModel.Weights"/>); -1 when unknown.</summary>
    public int KerasIndex { get; }

    /// <summary>The number of floats (the product of <see cref="Shape"/>).</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Layer}/{Name} [{string.Join(", ", Shape)}]";
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Unrolled.Interop.Keras;

namespace Unrolled;

/// <summary>
/// One entry of a model's <see cref="CompiledModel.Layers"/>, as Keras's <c>model.layers</c>: a layer, or a nested
/// model (or <c>Lambda</c> / <c>TimeDistributed</c> wrapper) with its own <see cref="Layers"/>. Its
/// <see cref="Trainable"/> flag freezes and unfreezes it as Keras's <c>layer.trainable</c> does.
/// </summary>
/// <remarks>
/// A frozen layer's weights get no update and their optimizer slots are never read or written; the generated backward
/// pass skips its weight gradients, and skips the input gradient of every node below the lowest layer that still trains.
/// A frozen <c>BatchNormalization</c> runs in inference mode even in a training step (Keras 3: its moving statistics
/// normalise, and are not updated). The flag may change between training steps (the next step follows it) but not while
/// a call runs on the model; as in Keras, freezing keeps the optimizer's state of the other weights.
/// </remarks>
public sealed class ModelLayer
{
    private readonly CompiledModel _model;
    private readonly List<ModelLayer> _layers = new();
    private readonly List<int> _slots = new();
    private readonly List<WeightInfo> _weights = new();
    private bool _trainable = true;

    internal ModelLayer(CompiledModel model, string name, string className, GraphNodeKind kind, ModelLayer? parent)
    {
        _model = model;
        Name = name;
        ClassName = className;
        Kind = kind;
        Parent = parent;
    }

    /// <summary>The layer's Keras name (<c>dense_1</c>), or the nested model's.</summary>
    public string Name { get; }

    /// <summary>Keras's class name (<c>Dense</c>, <c>Functional</c>, <c>TimeDistributed</c>).</summary>
    public string ClassName { get; }

    /// <summary>What the layer computes; <see cref="GraphNodeKind.Functional"/> for a nested model.</summary>
    public GraphNodeKind Kind { get; }

    /// <summary>The nested model or wrapper this layer belongs to, or null at the model's top level.</summary>
    public ModelLayer? Parent { get; }

    /// <summary>For a nested model or wrapper: its layers, in order (Keras's <c>model.layers</c>); empty for a layer.</summary>
    public IReadOnlyList<ModelLayer> Layers => _layers;

    /// <summary>
    /// Whether the layer trains, as Keras's <c>layer.trainable</c>. Setting it on a nested model sets it on every layer
    /// inside (Keras 3), and a layer inside a frozen model stays frozen whatever its own flag.
    /// </summary>
    /// <exception cref="InvalidOperationException">A call (Predict, TrainOnBatch, Fit, Evaluate) is running on the model.</exception>
    public bool Trainable
    {
        get => _trainable;
        set => _model.SetTrainable(this, value);
    }

    /// <summary>The layer's weights (for a nested model, every layer's inside it), in the order of
    /// <see cref="CompiledModel.Weights"/>.</summary>
    public IReadOnlyList<WeightInfo> Weights => _weights;

    /// <summary>The weights the optimizer updates now, as Keras's <c>layer.trainable_weights</c>: none when the layer is
    /// frozen; else those that are not state (BatchNormalization's moving statistics).</summary>
    public IReadOnlyList<WeightInfo> TrainableWeights => _weights.Where(_model.IsTrained).ToArray();

    /// <summary>The other weights, as Keras's <c>layer.non_trainable_weights</c>.</summary>
    public IReadOnlyList<WeightInfo> NonTrainableWeights => _weights.Where(w => !_model.IsTrained(w)).ToArray();

    /// <summary>The number of weights, as Keras's <c>layer.count_params()</c>.</summary>
    /// <returns>The sum of the weights' sizes.</returns>
    public int CountParams() => _weights.Sum(w => w.Size);

    /// <summary>A layer of this nested model by name, as Keras's <c>model.get_layer(name)</c>.</summary>
    /// <param name="name">The layer's Keras name.</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentException">No layer of that name is directly inside; the message lists those that are.</exception>
    public ModelLayer GetLayer(string name) => Find(_layers, name, $"'{Name}'");

    /// <summary>
    /// Loads a Keras weight file saved from this nested model alone (Keras's <c>base_model.load_weights(path)</c>): the
    /// file's layers are matched with this model's layers as <see cref="CompiledModel.LoadKerasWeights(string, KerasLayerMatching)"/>
    /// matches a whole model's, and only these weights change.
    /// </summary>
    /// <param name="path">The file: a Keras 3 <c>.weights.h5</c> or <c>.keras</c>, or a Keras 2 <c>.h5</c>.</param>
    /// <param name="matching">How the file's layers are paired with this model's.</param>
    /// <returns>What was loaded from where.</returns>
    /// <exception cref="KerasWeightsMismatchException">The file's weights do not fit this layer; nothing was loaded.</exception>
    /// <exception cref="ArgumentException">The layer has no weights.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras weight file, or is corrupt or truncated.</exception>
    /// <exception cref="NotSupportedException">The file uses an HDF5 or Keras feature the reader does not handle.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidOperationException">A call is running on the model.</exception>
    public KerasImportReport LoadKerasWeights(string path, KerasLayerMatching matching = KerasLayerMatching.Auto)
        => _model.LoadKerasWeights(path, matching, this);

    /// <summary>Loads Keras weights saved from this nested model alone from a stream (see
    /// <see cref="LoadKerasWeights(string, KerasLayerMatching)"/>).</summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="matching">How the file's layers are paired with this model's.</param>
    /// <returns>What was loaded from where.</returns>
    /// <exception cref="KerasWeightsMismatchException">The file's weights do not fit this layer; nothing was loaded.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a Keras weight file, or are corrupt or truncated.</exception>
    public KerasImportReport LoadKerasWeights(Stream stream, KerasLayerMatching matching = KerasLayerMatching.Auto)
        => _model.LoadKerasWeights(stream, matching, this);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({ClassName}{(_trainable ? string.Empty : ", frozen")})";

    /// <summary>The layers' flags, own and inherited: where <see cref="CompiledModel"/> keeps them consistent.</summary>
    internal bool OwnTrainable
    {
        get => _trainable;
        set => _trainable = value;
    }

    /// <summary>Whether this layer and every enclosing model train.</summary>
    internal bool EffectivelyTrainable => _trainable && (Parent?.EffectivelyTrainable ?? true);

    /// <summary>The slots (see <see cref="TrainableState"/>) of the weights held directly by this layer.</summary>
    internal List<int> OwnSlots => _slots;

    internal List<ModelLayer> Children => _layers;

    internal void AddWeight(WeightInfo weight, int slot)
    {
        for (var layer = this; layer is not null; layer = layer.Parent)
        {
            if (!layer._weights.Contains(weight))
            {
                layer._weights.Add(weight);
            }
        }

        if (!_slots.Contains(slot))
        {
            _slots.Add(slot);
        }
    }

    /// <summary>Every layer at and below this one.</summary>
    internal IEnumerable<ModelLayer> SelfAndDescendants()
    {
        yield return this;
        foreach (var child in _layers)
        {
            foreach (var layer in child.SelfAndDescendants())
            {
                yield return layer;
            }
        }
    }

    internal static ModelLayer Find(IReadOnlyList<ModelLayer> layers, string name, string where)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var layer in layers)
        {
            if (layer.Name == name)
            {
                return layer;
            }
        }

        string known = string.Join(", ", layers.Select(l => $"'{l.Name}'"));
        throw new ArgumentException($"Model {where} has no layer named '{name}'. Its layers: {known}.", nameof(name));
    }
}

using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>What the generator knows about a model at compile time, available at run time.</summary>
public sealed class ModelDescription
{
    /// <summary>Creates a description; called by generated code.</summary>
    /// <param name="name">The model's name.</param>
    /// <param name="inputs">The inputs, in the order of the builder's <c>Model(inputs, …)</c>.</param>
    /// <param name="outputs">The outputs, in the order of the builder's <c>Model(…, outputs)</c>.</param>
    /// <param name="parameterCount">The number of trainable parameters.</param>
    /// <param name="activationSize">Floats per sample of the workspace's activation buffer.</param>
    /// <param name="scratchSize">Floats per sample of the workspace's scratch buffer.</param>
    /// <param name="summary">The Keras-format summary table.</param>
    /// <param name="weights">Every weight tensor, layer by layer in the order the builder first uses each layer (which is
    /// Keras's <c>model.weights</c> order for a chain; <see cref="WeightInfo.KerasIndex"/> gives Keras's position).</param>
    /// <param name="lengths">The lengths given at run time (inputs' <c>null</c> axes); none when every shape is fixed.</param>
    /// <param name="predictActivationSize">Floats per sample of a prediction workspace's activation buffer, whose
    /// regions are reused once read; by default <paramref name="activationSize"/>.</param>
    /// <param name="fixedScratchSize">Scratch floats a workspace needs whatever its batch (convolutions' working
    /// space); the scratch buffer holds at least this many.</param>
    /// <param name="graph">The model's graph; empty when not given.</param>
    /// <param name="frozenLayers">The layers and nested models the builder froze (<c>trainable: false</c>, or
    /// <c>Model.Trainable = false</c>), by name; the model's own name freezes it all.</param>
    /// <param name="gradientActivationSize">Floats per sample of a training workspace's gradient buffer, whose regions
    /// are reused once their backward step has run; by default <paramref name="predictActivationSize"/> (the two differ
    /// where a layer keeps a region for training that a prediction does not need).</param>
    public ModelDescription(string name, TensorInfo[] inputs, TensorInfo[] outputs, int parameterCount,
        int activationSize, int scratchSize, string summary, WeightInfo[]? weights = null, LengthInfo[]? lengths = null,
        int? predictActivationSize = null, int fixedScratchSize = 0, ModelGraph? graph = null, string[]? frozenLayers = null,
        int? gradientActivationSize = null)
    {
        FrozenLayers = frozenLayers ?? Array.Empty<string>();
        FixedScratchSize = fixedScratchSize;
        PredictActivationSize = predictActivationSize ?? activationSize;
        GradientActivationSize = gradientActivationSize ?? PredictActivationSize;
        Weights = weights ?? Array.Empty<WeightInfo>();
        Lengths = lengths ?? Array.Empty<LengthInfo>();
        Name = name;
        Inputs = inputs;
        Outputs = outputs;
        ParameterCount = parameterCount;
        ActivationSize = activationSize;
        ScratchSize = scratchSize;
        Summary = summary;
        Graph = graph ?? new ModelGraph(Array.Empty<int>(), Array.Empty<int>(), Array.Empty<GraphNode>());
        Graph.Bind(name, Weights);
    }

    /// <summary>The layers and nested models the builder froze, by name: where <see cref="CompiledModel.Layers"/> starts.</summary>
    public IReadOnlyList<string> FrozenLayers { get; }

    /// <summary>The model's name (Keras's default is <c>model</c>).</summary>
    public string Name { get; }

    /// <summary>The inputs, in the order the model lists them.</summary>
    public IReadOnlyList<TensorInfo> Inputs { get; }

    /// <summary>The outputs, in the order the model lists them.</summary>
    public IReadOnlyList<TensorInfo> Outputs { get; }

    /// <summary>The number of trainable parameters (Keras's <c>count_params()</c>).</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The lengths each call gives at run time, one per input axis declared <c>null</c> (Keras's <c>None</c>), in the
    /// order of the generated methods' parameters. Empty when every shape is fixed at compile time.
    /// </summary>
    public IReadOnlyList<LengthInfo> Lengths { get; }

    /// <summary>Whether some shape depends on a length given at run time.</summary>
    public bool IsDynamic => Lengths.Count > 0;

    /// <summary>Floats per sample in a workspace's activation (and activation-gradient) buffer; -1 when it depends on
    /// the run-time lengths.</summary>
    public int ActivationSize { get; }

    /// <summary>Floats per sample in a prediction workspace's activation buffer: smaller than <see cref="ActivationSize"/>
    /// when the generator reuses regions whose readers have run, and leaves out what only training reads (the attention
    /// weights of <c>MultiHeadAttention</c>); -1 when it depends on the run-time lengths.</summary>
    public int PredictActivationSize { get; }

    /// <summary>Floats per sample in a training workspace's gradient buffer, laid out as a prediction's is, by reuse (a
    /// gradient lives only from its last reader's backward step to its own), but with every region a training pass keeps;
    /// -1 when it depends on the run-time lengths.</summary>
    public int GradientActivationSize { get; }

    /// <summary>Scratch floats a workspace holds whatever its batch: the working space of the fixed-shape convolutions,
    /// whose kernels need a bounded amount (see <c>Conv2D.ScratchBound</c>), and one head's attention scores for a
    /// MultiHeadAttention that keeps no weights, not an amount per sample.</summary>
    public int FixedScratchSize { get; }

    /// <summary>Floats per sample in a workspace's scratch buffer.</summary>
    public int ScratchSize { get; }

    /// <summary>The Keras-format summary table.</summary>
    public string Summary { get; }

    /// <summary>Every weight tensor, layer by layer, in the order of <see cref="CompiledModel.Weights"/>.</summary>
    public IReadOnlyList<WeightInfo> Weights { get; }

    /// <summary>
    /// The model's graph: every layer call with its Keras name, class, shapes and edges, nested models, Lambdas and
    /// TimeDistributed layers as groups, and under it the flat computation (kinds, settings, weights, input edges) for
    /// tools that export or inspect the model. <see cref="CompiledModel.Graph(GraphFormat, bool, bool)"/> draws it.
    /// </summary>
    public ModelGraph Graph { get; }

    /// <summary>Index of the input called <paramref name="name"/>, or -1.</summary>
    public int IndexOfInput(string name) => IndexOf(Inputs, name);

    /// <summary>Index of the output called <paramref name="name"/>, or -1.</summary>
    public int IndexOfOutput(string name) => IndexOf(Outputs, name);

    private static int IndexOf(IReadOnlyList<TensorInfo> list, string name)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Layers;

/// <summary>
/// Everything the generator knows about some layer kinds (one family: Dense, the convolutions, …), in one place: the
/// builder functions that create them and the checks of their arguments, their typed settings, shape inference and
/// weights, what they keep for the backward pass, the forward and backward code, and how Keras names and describes
/// them. <see cref="LayerRules"/> lists every rule; a kind without one is an internal error (UNR0017), never a silent
/// gap, and a test checks that every kind of the catalogue has one.
/// </summary>
internal abstract class LayerRule
{
    /// <summary>The kinds this rule serves.</summary>
    public abstract IReadOnlyList<LayerKind> Kinds { get; }

    /// <summary>The builder functions (<c>Unrolled.Layers</c>) that create the kinds, with Keras's aliases
    /// (<c>MaxPool2D</c>). Empty for kinds the evaluator creates itself (inputs, operations inside a Lambda).</summary>
    public virtual IEnumerable<(string Function, LayerKind Kind)> Functions => Kinds.Select(k => (k.ToString(), k));

    /// <summary>Reads a builder call's arguments into the kind's settings; null after reporting an invalid one.</summary>
    public virtual LayerConfig? Create(LayerKind kind, LayerArguments args) => NoSettings.Instance;

    /// <summary>How many tensors a node takes: exactly <c>Min</c> when <c>Max</c> is 1; merges take a list.</summary>
    public virtual (int Min, int Max) Arity(LayerSpec layer) => (1, 1);

    /// <summary>How many states a call returns besides its output (a recurrent layer's <c>return_state</c>): each is a
    /// <c>RecurrentState</c> node reading the call.</summary>
    public virtual int StateOutputs(LayerSpec layer) => 0;

    /// <summary>What becomes of a Keras mask on the node's inputs (Keras's <c>supports_masking</c> and
    /// <c>compute_mask</c>): by default the layer does not support masking, so the mask stops there with a warning
    /// (UNR0019), as Keras warns.</summary>
    public virtual MaskFlow Mask(LayerSpec layer) => MaskFlow.Unsupported;

    /// <summary>Whether the layer's computation reads its inputs' masks (Keras passes them as <c>mask</c>): the node
    /// lists them in <see cref="NodeSpec.Masks"/>, and its kernels skip the masked steps.</summary>
    public virtual bool ConsumesMask(LayerSpec layer) => false;

    /// <summary>How many of the node's first inputs have their masks read (a recurrent layer reads its sequence's,
    /// not its initial states').</summary>
    public virtual int MaskedInputs(LayerSpec layer) => int.MaxValue;

    /// <summary>The output's shape for the node's input shapes, adding the layer's weights (Keras's <c>build</c>);
    /// null after reporting why the inputs do not fit.</summary>
    public abstract TensorShape? Infer(ShapeContext c);

    /// <summary>Whether the rule sets the output's rows per sample itself (TimeDistributed's views); otherwise the
    /// output has as many rows as the input.</summary>
    public virtual bool ChangesRows => false;

    /// <summary>Whether the layer behaves differently while training (reads <c>workspace.TrainingPass</c>).</summary>
    public virtual bool UsesTrainingFlag(LayerSpec layer) => false;

    /// <summary>Whether the node's output is its input's memory under another shape (no code of its own).</summary>
    public virtual bool IsView(LayerSpec layer) => false;

    /// <summary>For a view of another node's temporary (a recurrent layer's returned state, attention's returned
    /// scores): which of its first input's temporaries it is; null for a view of the input's value.</summary>
    public virtual int? AliasedTemporary(LayerSpec layer) => null;

    /// <summary>Whether a view that is a model output gets a region (and code) of its own instead: each output's loss
    /// writes the gradient of its own region, and a shared one would keep only the last loss's.</summary>
    public virtual bool CopiedWhenOutput => false;

    /// <summary>Whether backward needs the pre-activation kept (an activation whose derivative needs its input).</summary>
    public virtual bool KeepsPreActivation(LayerSpec layer) => false;

    /// <summary>The regions the node keeps from forward for backward besides its output, in floats per sample (each
    /// gets a gradient region of the same size too).</summary>
    public virtual int[] Temporaries(PlanContext c) => System.Array.Empty<int>();

    /// <summary>The temporaries' sizes in a prediction workspace: <see cref="Temporaries"/>'s, or 0 for a region only a
    /// training pass reads (its generated code must then not touch that region outside one).</summary>
    public virtual int[] PredictionTemporaries(PlanContext c) => Temporaries(c);

    /// <summary>Whether Backward writes every element of input <paramref name="input"/>'s gradient with "=" when
    /// <see cref="NodeEmitter.InputGradientFresh"/> says this node is the first to write it in the backward pass (the pass
    /// then skips clearing that region); false: Backward adds to it, as always.</summary>
    public virtual bool OverwritesInputGradient(LayerSpec layer, int input) => false;

    /// <summary>Whether Backward reads or writes the gradient region of temporary <paramref name="temporary"/> (the
    /// generated pass zeroes it where it starts, which costs a pass over it every step); false when only the values
    /// are used (a recurrent layer's per-step cache).</summary>
    public virtual bool TemporaryHasGradient(LayerSpec layer, int temporary) => true;

    /// <summary>The scratch its kernels need per row, reused by the next node.</summary>
    public virtual int Scratch(PlanContext c) => 0;

    /// <summary>For a node whose scratch <see cref="PlanContext.BoundScratch"/> marked bounded: code for the floats it
    /// needs whatever the batch.</summary>
    public virtual string BoundedScratch(NodeEmitter e) => throw new System.InvalidOperationException($"{e.Layer.Kind} has no bounded scratch");

    /// <summary>Writes the node's forward code.</summary>
    public abstract void Forward(NodeEmitter e);

    /// <summary>Writes the node's backward code: its weights' gradients and its inputs' (where they are needed).</summary>
    public abstract void Backward(NodeEmitter e);

    /// <summary>The class <c>summary()</c> and <c>plot_model</c> print: the Keras class, <c>TFOpLambda</c> for an operation.</summary>
    public virtual string KerasClass(LayerKind kind) => kind.ToString();

    /// <summary>Whether Keras 3 lists it in <c>model.layers</c> (and so in its weight files' paths): false for tensor
    /// operations and for the steps the generator adds.</summary>
    public virtual bool IsKerasLayer(LayerKind kind) => true;

    /// <summary>Where below the layer's saving path Keras keeps its variables (<c>/cell</c> for a recurrent layer).</summary>
    public virtual string WeightPathSuffix => string.Empty;

    /// <summary>Where Keras 3 saves the layer's weight <paramref name="index"/>, below the layer's saving path (which
    /// ends with <see cref="WeightPathSuffix"/>): <c>/vars/{index}</c>, or a sublayer's (<c>/_query_dense/vars/0</c>).</summary>
    public virtual string WeightPath(LayerSpec layer, int index, WeightSpec weight) => "/vars/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Its settings under the names of Keras's <c>get_config()</c>, in that order.</summary>
    public abstract void Describe(LayerSpec layer, KerasConfig config);

    /// <summary>A node's own settings (Keras's call arguments, <see cref="NodeSpec.Call"/>), described after the
    /// layer's; nothing for most kinds.</summary>
    public virtual void DescribeCall(NodeSpec node, KerasConfig config)
    {
    }
}

/// <summary>What one node's shape is inferred from, and what it builds (Keras's <c>build</c>).</summary>
internal sealed class ShapeContext
{
    private readonly List<DiagnosticInfo> _diagnostics;

    public ShapeContext(GraphView spec, int node, IReadOnlyList<TensorShape> inputs, List<DiagnosticInfo> diagnostics, DimTable dims,
        EquatableArray<WeightSpec> built)
    {
        Spec = spec;
        Node = node;
        Inputs = inputs;
        _diagnostics = diagnostics;
        Dims = dims;
        Layer = spec.Layers[spec.Nodes[node].Layer];
        Built = built;
    }

    public GraphView Spec { get; }

    public int Node { get; }

    public NodeSpec NodeSpec => Spec.Nodes[Node];

    public LayerSpec Layer { get; }

    public IReadOnlyList<TensorShape> Inputs { get; }

    /// <summary>The first (for most layers the only) input.</summary>
    public TensorShape Input => Inputs[0];

    /// <summary>Whether input <paramref name="input"/> carries a Keras mask the node reads (<see cref="NodeSpec.Masks"/>).</summary>
    public bool HasMask(int input) => NodeSpec.MaskOf(input) >= 0;

    public DimTable Dims { get; }

    /// <summary>The weights an earlier call of this (shared) layer built, or empty.</summary>
    public EquatableArray<WeightSpec> Built { get; }

    /// <summary>The weights this call builds, in Keras's order.</summary>
    public List<WeightSpec> Weights { get; } = new();

    /// <summary><c>Dense 'dense_1'</c>: how messages name the layer.</summary>
    public string What => $"{Layer.Kind} '{Layer.Name}'";

    public T Settings<T>()
        where T : LayerConfig
        => Layer.Settings<T>();

    public TensorShape Shape(IEnumerable<int> dims) => new(dims.ToEquatableArray(), 0);

    public void Weight(string name, WeightInit init, params int[] dims)
        => Weights.Add(new WeightSpec(name, dims.ToEquatableArray(), Layer.InitializerFor(name, init)));

    /// <summary>A [rows, width] table whose gradient the layer's backward pass writes only in the rows its ids name, and
    /// records them with <c>workspace.TouchedRows(offset)</c> (<see cref="NodeEmitter.WeightOffset"/>).</summary>
    public void RowTable(string name, WeightInit init, int rows, int width)
        => Weights.Add(new WeightSpec(name, new[] { rows, width }.ToEquatableArray(), Layer.InitializerFor(name, init), RowSparse: true));

    /// <summary>State the optimizer leaves alone (moving statistics).</summary>
    public void State(string name, WeightInit init, params int[] dims) => Weights.Add(new WeightSpec(name, dims.ToEquatableArray(), init, Trainable: false));

    public void Report(string id, SourceSpan span, params string[] arguments)
        => _diagnostics.Add(new DiagnosticInfo(id, span, new[] { What }.Concat(arguments).ToEquatableArray()));

    /// <summary>Reports without the layer's name in front (messages whose first argument is something else).</summary>
    public void ReportRaw(string id, SourceSpan span, params string[] arguments) => _diagnostics.Add(new DiagnosticInfo(id, span, arguments.ToEquatableArray()));

    /// <summary>Reports a shape problem at the first input and returns null.</summary>
    public TensorShape? Fail(string message) => FailAt(0, message);

    /// <summary>Reports a shape problem at input <paramref name="input"/> and returns null.</summary>
    public TensorShape? FailAt(int input, string message)
    {
        Report(DiagnosticIds.ShapeMismatch, NodeSpec.InputSpans[input], message);
        return null;
    }

    /// <summary>A tensor's name as messages give it: its producing layer's.</summary>
    public string TensorName(int input) => ShapeInference.TensorName(Spec, NodeSpec.Inputs[input]);

    /// <summary>Whether every input (or the first <paramref name="count"/>) is float32; reports UNR0008 at the first that
    /// is not.</summary>
    public bool IsFloat(int count = int.MaxValue)
    {
        for (int i = 0; i < System.Math.Min(count, Inputs.Count); i++)
        {
            if (Inputs[i].DType != 0)
            {
                _diagnostics.Add(new DiagnosticInfo(DiagnosticIds.DTypeMismatch, NodeSpec.InputSpans[i],
                    new[] { What, TensorName(i), "int32" }.ToEquatableArray()));
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks the rank (batch axis excluded) and a known last axis; null after reporting.</summary>
    public int? Channels(int rank, string layout)
    {
        if (Input.Dims.Count != rank)
        {
            Fail($"its input has shape {Input.Keras}, but {Layer.Kind} needs {layout}");
            return null;
        }

        int channels = Input.Dims[rank - 1];
        if (DimTable.IsSymbolic(channels))
        {
            Fail($"its input has shape {Input.Keras}, whose last axis (the channels) is known only at run time; {Layer.Kind} needs it known to size its weights");
            return null;
        }

        return channels;
    }
}

/// <summary>What a rule sizes a node's temporaries and scratch from.</summary>
internal sealed class PlanContext
{
    private readonly ExecutionPlan _plan;

    public PlanContext(ExecutionPlan plan, AnalyzedModel model, int node)
    {
        _plan = plan;
        Model = model;
        Node = node;
        Layer = model.Spec.Layers[model.Spec.Nodes[node].Layer];
    }

    public AnalyzedModel Model { get; }

    public int Node { get; }

    public LayerSpec Layer { get; }

    public NodeSpec NodeSpec => Model.Spec.Nodes[Node];

    public DimTable Dims => _plan.Dims;

    public T Settings<T>()
        where T : LayerConfig
        => Layer.Settings<T>();

    public TensorShape Output => Model.ShapeOf(Node);

    public TensorShape Input => Model.ShapeOf(NodeSpec.Inputs[0]);

    /// <summary>Floats per sample of the output.</summary>
    public int OutputSize => Dims.Size(Output);

    /// <summary>Floats per row, times the rows a sample has here (several inside TimeDistributed).</summary>
    public int PerRow(int floats) => Dims.Mul(floats, Output.Repeat);

    /// <summary>Marks the node's scratch as bounded whatever the batch (fixed-shape convolutions, MultiHeadAttention's
    /// one head of scores): the workspace keeps it once, sized by <see cref="LayerRule.BoundedScratch"/>.</summary>
    public void BoundScratch() => _plan.BoundedScratch.Add(Node);
}

/// <summary>What a layer does with the Keras masks of its inputs (see <see cref="LayerRule.Mask"/>).</summary>
internal enum MaskFlow
{
    /// <summary>The layer does not support masking: a mask on its input stops there, and UNR0019 warns.</summary>
    Unsupported,

    /// <summary>The layer supports masking but its output has no mask (a pooling over the steps, a recurrent layer's
    /// last state, the steps the generator adds).</summary>
    Ends,

    /// <summary>The output keeps the first input's mask (Dense, Dropout, LayerNormalization, attention's query).</summary>
    Keeps,

    /// <summary>The output's mask is the OR of the inputs' masks, none if some input has none (Keras's merges).</summary>
    Merges,

    /// <summary>The layer makes a mask of its own (<c>Embedding(mask_zero=True)</c>, <c>Masking</c>).</summary>
    Produces,

    /// <summary>Keras's <c>Concatenate</c>: along the features, as <see cref="Merges"/>; along another axis, the inputs'
    /// masks concatenated along it, an unmasked input's steps all kept.</summary>
    Concatenates,
}

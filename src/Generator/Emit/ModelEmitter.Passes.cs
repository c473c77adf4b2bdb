using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>The passes: the workspace's measure, forward and backward, each node's code written by its layer rule.</summary>
internal sealed partial class ModelEmitter
{
    /// <summary>The scratch the bounded nodes (fixed-shape convolutions, attention's one head of scores) need whatever the
    /// batch: the most any of them needs.</summary>
    private void WriteFixedScratch()
    {
        if (_plan.BoundedScratch.Count == 0)
        {
            return;
        }

        _w.Line("private static int FixedScratchSize()");
        _w.Open(string.Empty);
        _w.Line("int floats = 0;");
        foreach (int n in _plan.BoundedScratch)
        {
            var layer = _spec.Layers[_spec.Nodes[n].Layer];
            _w.Line($"floats = global::System.Math.Max(floats, {LayerRules.Of(layer.Kind).BoundedScratch(new NodeEmitter(this, n))}); // {layer.Name}");
        }

        _w.Line("return floats;");
        _w.Close();
        _w.Line();
    }

    /// <summary>A node's value: inside a node's block, a local named after the layer that produced it (declared at the
    /// block's start, once the rule has asked for it), else the workspace expression.</summary>
    internal string Values(int node)
    {
        string expression = _inputParameters is { } parameters && _inputOf.TryGetValue(node, out int port)
            ? parameters[port]
            : $"workspace.Values({RegionOffset(r => r.ValueOffset[node])}, batchSize * {D(Sz(node))})";
        if (_block is not { } block || !block.Candidates.Contains(node))
        {
            return expression;
        }

        if (!block.Names.TryGetValue(node, out string? name))
        {
            name = Naming.Unique(LocalName(node), block.Taken);
            block.Names[node] = name;
            block.Declarations[node] = $"var {name} = {expression};";
        }

        return name;
    }

    /// <summary>The locals of the node block being written: the node's inputs and output, named when first used.</summary>
    private sealed class BlockLocals
    {
        public BlockLocals((int Position, int Indent) mark, List<int> candidates)
        {
            Mark = mark;
            Candidates = candidates;
        }

        public (int Position, int Indent) Mark { get; }

        /// <summary>The nodes that get a local, in the order the locals are declared: the inputs, then the output.</summary>
        public List<int> Candidates { get; }

        public Dictionary<int, string> Names { get; } = new();

        public Dictionary<int, string> Declarations { get; } = new();

        /// <summary>Names the rules' own locals and the pass's use, which a layer's name must not take.</summary>
        public HashSet<string> Taken { get; } = new(System.StringComparer.Ordinal)
        {
            "x", "y", "z", "dy", "geometry", "t", "dt", "a", "b", "da", "db", "claimed", "others", "scaled",
            "weights", "gradients", "workspace", "batchSize", "lengths", "training", "reusing", "Rows", "floats", "winograd",
        };
    }

    private BlockLocals? _block;

    private void BeginLocals(int n)
    {
        _block = new BlockLocals(_w.Mark, _spec.Nodes[n].Reads.Distinct().Where(i => i != n).Append(n).ToList());
        _block.Taken.UnionWith(InputParameterNames); // the forward pass's input parameters
        _block.Taken.UnionWith(_plan.Folds.Select(NodeEmitter.FoldedTable)); // and its folded tables
    }

    private void EndLocals()
    {
        if (_block is { } block)
        {
            _w.Insert(block.Mark, block.Candidates.Where(block.Declarations.ContainsKey).Select(c => block.Declarations[c]));
            _block = null;
        }
    }

    /// <summary>A local's name: the producing layer's (camel case: <c>dense_1</c> is <c>dense1</c>), with the call's
    /// number for a later call of a shared layer (<c>sharedLstmAt1</c>); an operation is named by its function.</summary>
    private string LocalName(int node)
    {
        string name = _spec.Layers[_spec.Nodes[node].Layer].Name;
        if (name.StartsWith("/", System.StringComparison.Ordinal))
        {
            name = name.Substring(name.LastIndexOf('.') + 1).TrimStart('/');
        }

        int call = _plan.NodeIndexInLayer[node];
        return Naming.Camel(call > 0 ? name + "_at_" + call.ToString(CultureInfo.InvariantCulture) : name);
    }

    // Gradients live in the reusing layout: a region's gradient is needed over the same steps as its value in prediction.
    internal string Gradient(int node) => $"workspace.Gradient({D(_plan.Gradients.ValueOffset[node])}, batchSize * {D(Sz(node))})";

    /// <summary>One node's block of a pass: its comment line, then its rule's forward or backward code.</summary>
    private void WriteNode(int n, bool backward, string? guard = null)
    {
        _w.Line();
        _w.Line(Describe(n));
        if (guard is not null)
        {
            _w.Line(guard);
        }

        OpenNodeBlock(n, backward);
        var layer = _spec.Layers[_spec.Nodes[n].Layer];
        var rule = LayerRules.Of(layer.Kind);
        var emitter = new NodeEmitter(this, n);
        var (l1, l2) = layer.RegularizerOf(ActivityRegularizer);
        bool activity = (l1 > 0 || l2 > 0) && !_plan.Aliased[n];
        if (backward)
        {
            if (activity)
            {
                // Keras's activity_regularizer: its gradient joins the output's before the layer's own backward step.
                _w.Line($"{Kernels}ActivityRegularization.AddGradient({Values(n)}, {Gradient(n)}, {Double(l1)}, {Double(l2)}, batchSize);");
            }

            rule.Backward(emitter);
        }
        else
        {
            rule.Forward(emitter);
            if (activity)
            {
                _w.Open("if (workspace.MeasuresActivity)");
                _w.Line($"workspace.ActivityLoss += {Kernels}ActivityRegularization.Penalty({Values(n)}, {Double(l1)}, {Double(l2)}) / batchSize;");
                _w.Close();
            }
        }

        CloseNodeBlock(n);
    }

    /// <summary>The pseudo-weight name the builder's <c>activityRegularizer:</c> is recorded under (with the weights' regularizers).</summary>
    internal const string ActivityRegularizer = "activity";

    private static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private string Describe(int node)
    {
        var layer = _spec.Layers[_spec.Nodes[node].Layer];
        var inputs = string.Join(", ", _spec.Nodes[node].Inputs.Select(i => _plan.Model.ShapeOf(i).Keras));
        return $"// {layer.Name} ({layer.Kind}): {inputs} -> {_plan.Model.ShapeOf(node).Keras}";
    }

    /// <summary>For a model with run-time lengths: where the ports lie and how large the workspace is, for given lengths.</summary>
    private void WriteMeasure()
    {
        if (!_plan.IsDynamic)
        {
            return;
        }

        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void Measure({Rt}WorkspaceLayout layout)");
        WriteLengthsLocal("layout");
        _w.Open("checked");
        foreach (var window in Dims.WindowChecks)
        {
            // A convolution or pooling over a run-time length needs at least one window.
            _w.Line($"RequireWindows({D(window.Inner)}, {N(window.Window)}, {N(window.Stride)}, {N(window.Dilation)}, {(window.Same ? "true" : "false")});");
        }

        _w.Line($"layout.ActivationSize = {D(_plan.ActivationSize)};");
        _w.Line($"layout.PredictActivationSize = {D(_plan.Predict.ActivationSize)};");
        _w.Line($"layout.GradientActivationSize = {D(_plan.Gradients.ActivationSize)};");
        _w.Line($"layout.ScratchSize = {D(_plan.Scratch)};");
        foreach (var port in _inputs)
        {
            _w.Line($"layout.InputOffsets[{N(port.Index)}] = {D(_plan.Training.ValueOffset[port.Node])};");
            _w.Line($"layout.InputSizes[{N(port.Index)}] = {D(Sz(port.Node))};");
        }

        foreach (var port in _outputs)
        {
            _w.Line($"layout.OutputOffsets[{N(port.Index)}] = {D(_plan.Training.ValueOffset[port.Node])};");
            _w.Line($"layout.OutputSizes[{N(port.Index)}] = {D(Sz(port.Node))};");
            if (_spec.OutputMaskOf(port.Index) is >= 0 and int mask)
            {
                _w.Line($"layout.OutputMaskOffsets[{N(port.Index)}] = {D(_plan.Training.ValueOffset[mask])};");
            }
        }

        _w.Close();
        _w.Close();
        _w.Line();
    }

    /// <summary>
    /// The forward pass, written once for both workspace layouts: where a region lies elsewhere in a prediction
    /// workspace (which reuses regions whose readers have run; see Summary()'s workspace line), its offset is chosen
    /// by <c>reusing</c>.
    /// </summary>
    private void WriteForward()
    {
        FindZeroCopyInputs();
        _bothLayouts = !_plan.Predict.SameAs(_plan.Training);
        try
        {
            _w.Line("/// <inheritdoc/>");
            if (_inputOf.Count == 0)
            {
                _w.Open($"protected override void Forward({Rt}Workspace workspace, int batchSize, bool training)");
            }
            else
            {
                // The inputs are read where the caller holds them (Predict passes its spans); the other passes copy them
                // into the workspace first, as before.
                string copied = string.Join(", ", _inputs.Select(p => $"workspace.Values({D(_plan.Training.ValueOffset[p.Node])}, batchSize * {D(Sz(p.Node))})"));
                _w.Open($"protected override void Forward({Rt}Workspace workspace, int batchSize, bool training)");
                WriteLengthsLocal("workspace");
                _w.Line($"Forward(workspace, batchSize, training, {copied});");
                _w.Close();
                _w.Line();
                _w.Line("/// <summary>The forward pass reading the inputs from the given spans, of batchSize samples each.</summary>");
                string parameters = string.Join(", ", _inputs.Select(p => $"{ReadOnlySpan} {InputParameterNames[p.Index]}"));
                _w.Open($"private void Forward({Rt}Workspace workspace, int batchSize, bool training, {parameters})");
            }

            _w.Line($"{WeightsType} weights = CurrentWeights;");
            WriteLayoutLocal();
            if (UsesTrainingFlag)
            {
                // A prediction workspace never runs a training pass.
                _w.Line(_bothLayouts ? "workspace.TrainingPass = training && !reusing;" : "workspace.TrainingPass = training;");
            }

            WriteLengthsLocal("workspace");
            WriteFolds();
            _inputParameters = _inputOf.Count == 0 ? null : InputParameterNames;
            foreach (int n in _plan.Model.UsedNodes)
            {
                var node = _spec.Nodes[n];
                var layer = _spec.Layers[node.Layer];
                if (layer.Kind == LayerKind.InputLayer || _plan.Aliased[n])
                {
                    continue;
                }

                WriteNode(n, backward: false);
            }

            _w.Close();
            _w.Line();
        }
        finally
        {
            _bothLayouts = false;
            _inputParameters = null;
        }
    }

    /// <summary>Per node whose value is a model input (the input itself, or a view of it at the same place): the input's
    /// index. Empty when the inputs must be copied into the workspace after all.</summary>
    private readonly Dictionary<int, int> _inputOf = new();

    /// <summary>While the forward pass's body is written: the parameter holding each input.</summary>
    private string[]? _inputParameters;

    /// <summary>The forward pass's input parameters (names no layer's local can take; see <see cref="BlockLocals"/>).</summary>
    private string[] InputParameterNames => _inputs.Select(p => "modelInput" + p.Index.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// Whether Predict may hand its input spans to the forward pass instead of copying them into the workspace: every
    /// node that reads an input's memory (the input, or a view of it) must be read from the forward pass's own body, not
    /// from inside TimeDistributed (whose code is a static local function), a view must lie exactly where its input does,
    /// and no output may be an input (Predict copies outputs from the workspace).
    /// </summary>
    private void FindZeroCopyInputs()
    {
        _inputOf.Clear();
        var candidate = new Dictionary<int, int>();
        foreach (var port in _inputs)
        {
            candidate[port.Node] = port.Index;
        }

        foreach (int n in _plan.Model.UsedNodes)
        {
            var node = _spec.Nodes[n];
            if (_plan.Aliased[n] && node.Inputs.Count > 0 && candidate.TryGetValue(node.Inputs[0], out int port))
            {
                int root = _inputs[port].Node;
                if (_plan.Training.ValueOffset[n] != _plan.Training.ValueOffset[root] || _plan.Predict.ValueOffset[n] != _plan.Predict.ValueOffset[root]
                    || Sz(n) != Sz(root))
                {
                    return;
                }

                candidate[n] = port;
            }
        }

        foreach (int n in _plan.Model.UsedNodes)
        {
            if (_plan.Model.ShapeOf(n).Repeat != 1 && _spec.Nodes[n].Inputs.Any(candidate.ContainsKey))
            {
                return;
            }
        }

        if (_outputs.Any(p => candidate.ContainsKey(p.Node)))
        {
            return; // an output that is an input: Predict copies it out of the workspace, so it must be there
        }

        foreach (var pair in candidate)
        {
            _inputOf[pair.Key] = pair.Value;
        }
    }

    /// <summary>
    /// Declares each fold's table (see <see cref="ProjectionFold"/>): empty while training, and until folding pays; the
    /// Embedding and recurrent nodes then choose their path by whether it is empty.
    /// </summary>
    private void WriteFolds()
    {
        foreach (var fold in _plan.Folds)
        {
            _w.Line($"{ReadOnlySpan} {NodeEmitter.FoldedTable(fold)} = training ? default : FoldedProjection({N(fold.Slot)}, (long)batchSize * {FoldArguments(fold)});");
        }
    }

    /// <summary>
    /// A model with folds decides them once for each many-batch call (the array Predict), so its batches run the same
    /// way on either thread: <c>BeginBatches</c> counts the call's ids for each fold up front.
    /// </summary>
    private void WriteBeginBatches()
    {
        if (_plan.Folds.Count == 0)
        {
            return;
        }

        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void BeginBatches({Rt}Workspace workspace, int samples)");
        _w.Line($"{ReadOnlySpan} weights = CurrentWeights;");
        WriteLengthsLocal("workspace");
        foreach (var fold in _plan.Folds)
        {
            _w.Line($"DecideFoldedProjection({N(fold.Slot)}, (long)samples * {FoldArguments(fold)});");
        }

        _w.Close();
        _w.Line();
    }

    /// <summary>A fold's arguments after the slot and the count's factor: ids per sample, then the tables and sizes.</summary>
    private string FoldArguments(ProjectionFold fold)
    {
        int embeddingLayer = _spec.Nodes[fold.Embedding].Layer, recurrentLayer = _spec.Nodes[fold.Recurrent].Layer;
        int bias = _plan.WeightOffset(recurrentLayer, "bias");
        int ids = Dims.Product(_plan.Model.ShapeOf(_spec.Nodes[fold.Embedding].Inputs[0]).Dims);
        return $"{D(ids)}, {Slice("weights", embeddingLayer, "embeddings")}, {Slice("weights", recurrentLayer, "kernel")}, " +
               $"{(bias < 0 ? ReadOnlySpan + ".Empty" : $"weights.Slice({N(bias)}, {N(fold.Width)})")}, {N(fold.Vocabulary)}, {N(fold.Dim)}, {N(fold.Width)}";
    }

    /// <summary>Whether the code being written serves both layouts (the forward pass of a model whose prediction
    /// workspace reuses regions), choosing offsets by the <c>reusing</c> local.</summary>
    private bool _bothLayouts;

    /// <summary>Declares <c>reusing</c>, whether the workspace is a prediction workspace, where offsets depend on it.</summary>
    private void WriteLayoutLocal()
    {
        if (_bothLayouts)
        {
            _w.Line("bool reusing = !workspace.IsTraining;");
        }
    }

    /// <summary>A region's offset as code: the training layout's, or where the two layouts differ and the code serves
    /// both, the choice between them.</summary>
    private string RegionOffset(System.Func<RegionLayout, int> offset)
    {
        int training = offset(_plan.Training);
        if (!_bothLayouts)
        {
            return D(training);
        }

        int predict = offset(_plan.Predict);
        return predict == training ? D(training) : $"(reusing ? {D(predict)} : {D(training)})";
    }

    /// <summary>A node's pre-activation region (kept for Swish and Gelu), or null when it keeps none.</summary>
    internal string? PreActivation(int node) => _plan.Training.PreActivationOffset[node] == -1
        ? null
        : $"workspace.Values({RegionOffset(r => r.PreActivationOffset[node])}, batchSize * {D(Sz(node))})";

    /// <summary>
    /// Opens a node's block. Inside TimeDistributed a sample holds several rows, so the node's code runs in a static
    /// local function whose <c>batchSize</c> parameter is the row count: the same emitted code serves both cases.
    /// </summary>
    private void OpenNodeBlock(int n, bool backward)
    {
        _w.Open(string.Empty);
        int repeat = _plan.Model.ShapeOf(n).Repeat;
        if (repeat == 1)
        {
            BeginLocals(n);
            return;
        }

        string spans = backward ? $"weights, gradients" : "weights";
        string parameters = backward ? $"{ReadOnlySpan} weights, {Span} gradients" : $"{WeightsType} weights";
        _w.Line($"Rows(workspace, {spans}, batchSize * {D(repeat)});");
        _w.Open($"static void Rows({Rt}Workspace workspace, {parameters}, int batchSize)");
        WriteLayoutLocal();
        WriteLengthsLocal("workspace");
        BeginLocals(n);
    }

    private void CloseNodeBlock(int n)
    {
        EndLocals();
        if (_plan.Model.ShapeOf(n).Repeat != 1)
        {
            _w.Close();
        }

        _w.Close();
    }

    internal string RowsExpression(int rowsPerSample) => rowsPerSample == 1 ? "batchSize" : $"batchSize * {D(rowsPerSample)}";

    /// <summary>In a model with run-time lengths, declares <c>lengths</c> for the dimension expressions.</summary>
    private void WriteLengthsLocal(string owner)
    {
        if (_plan.IsDynamic)
        {
            _w.Line($"global::System.ReadOnlySpan<int> lengths = {owner}.Lengths;");
        }
    }

    /// <summary>Inputs of the node being written whose gradient it writes first, uncleared (<see cref="NodeEmitter.InputGradientFresh"/>).</summary>
    internal HashSet<int> FreshInputs { get; } = new();

    /// <summary>
    /// The clears before node <paramref name="n"/>'s backward step without those of its inputs' gradients that its rule
    /// writes whole (<see cref="LayerRule.OverwritesInputGradient"/>): a region cleared here starts here, so this node is the
    /// first to write it and others add after it. The inputs are noted in <see cref="FreshInputs"/>.
    /// </summary>
    private List<(int Offset, int Size)> SkipOverwritten(int n, List<(int Offset, int Size)> clears)
    {
        var node = _spec.Nodes[n];
        var layer = _spec.Layers[node.Layer];
        var rule = LayerRules.Of(layer.Kind);
        if (clears.Count == 0 || _plan.Aliased[n] || !_plan.NeedsGradient[n] || layer.Kind == LayerKind.InputLayer)
        {
            return clears;
        }

        var kept = clears;
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            // Not when another input of the node is m again or a view (which may be of m: its gradient is m's floats, to
            // which the node adds its initial state's gradient, say, before writing the input's).
            int m = node.Inputs[i];
            if (!rule.OverwritesInputGradient(layer, i) || _plan.Aliased[m]
                || node.Inputs.Where((x, j) => j != i && (x == m || _plan.Aliased[x])).Any())
            {
                continue;
            }

            int at = kept.FindIndex(c => c.Offset == _plan.Gradients.ValueOffset[m] && c.Size == Sz(m));
            if (at >= 0)
            {
                kept = new List<(int Offset, int Size)>(kept);
                kept.RemoveAt(at);
                FreshInputs.Add(i);
            }
        }

        return kept;
    }

    private void WriteBackward()
    {
        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void Backward({Rt}Workspace workspace, int batchSize)");
        _w.Line($"{ReadOnlySpan} weights = CurrentWeights;");
        _w.Line($"{Span} gradients = workspace.ParameterGradients;");
        WriteLengthsLocal("workspace");
        foreach (var (offset, size) in _plan.Gradients.GradientClearsAtStart)
        {
            // Gradients of regions that hold an output but are not its port: nothing else zeroes them.
            _w.Line($"{Rt}Kernels.TensorOps.Clear(workspace.Gradient({D(offset)}, batchSize * {D(size)}));");
        }

        foreach (int n in _plan.Model.UsedNodes.Reverse())
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            var clears = SkipOverwritten(n, _plan.Gradients.GradientClears[n]);
            if (clears.Count > 0)
            {
                // Gradient regions that start here; their floats may hold a gradient that ended further down the graph.
                _w.Line();
                foreach (var (offset, size) in clears)
                {
                    _w.Line($"{Rt}Kernels.TensorOps.Clear(workspace.Gradient({D(offset)}, batchSize * {D(size)}));");
                }
            }

            if (layer.Kind == LayerKind.InputLayer || _plan.Aliased[n] || !_plan.NeedsGradient[n])
            {
                continue;
            }

            // Below the lowest layer that trains nothing needs this node's gradient (GradientNeeds).
            WriteNode(n, backward: true, guard: $"if (workspace.NeedsGradient({N(n)}))");
            FreshInputs.Clear();
        }

        _w.Close();
        _w.Line();
    }

    /// <summary>
    /// Which nodes' gradients backward computes for given trainable flags (one per layer with weights): a node's gradient
    /// is needed when its layer has trainable weights that train, or an input's gradient is needed. Straight-line code
    /// in the nodes' order, run when a flag changes.
    /// </summary>
    private void WriteGradientNeeds()
    {
        _w.Line("/// <inheritdoc/>");
        _w.Open("protected override bool[] GradientNeeds(bool[] slots)");
        _w.Line($"var needs = new bool[{N(_spec.Nodes.Count)}];");
        if (_spec.IsLossGraph)
        {
            _w.Line($"needs[{N(_spec.Inputs[1])}] = true; // y_pred: the loss's gradient is for it");
        }

        foreach (int n in _plan.Model.UsedNodes)
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            if (!_plan.NeedsGradient[n] || layer.Kind == LayerKind.InputLayer)
            {
                continue;
            }

            var terms = new List<string>();
            if (!_plan.Aliased[n] && _plan.TrainableSlot.TryGetValue(node.Layer, out int slot) && _plan.Model.WeightsOf(node.Layer).Any(w => w.Trainable))
            {
                terms.Add($"slots[{N(slot)}]");
            }

            var inputs = _plan.Aliased[n] ? node.Inputs.Take(1) : node.Inputs;
            terms.AddRange(inputs.Where(i => _plan.NeedsGradient[i]).Distinct().Select(i => $"needs[{N(i)}]"));
            if (terms.Count > 0)
            {
                _w.Line($"needs[{N(n)}] = {string.Join(" || ", terms)}; // {layer.Name}");
            }
        }

        _w.Line("return needs;");
        _w.Close();
        _w.Line();
    }

    internal string Temporary(int node, int index, int size) => $"workspace.Values({RegionOffset(r => r.TemporaryOffsets[node][index])}, batchSize * {D(size)})";

    internal string TemporaryGradient(int node, int index, int size) => $"workspace.Gradient({D(_plan.Gradients.TemporaryOffsets[node][index])}, batchSize * {D(size)})";
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>
/// Emits the generated half of a model class: description, constructors, weight initialisation, the forward and
/// backward passes specialised to the model's constant shapes, and typed Predict / TrainOnBatch methods.
/// </summary>
internal sealed partial class ModelEmitter
{
    private const string Rt = "global::Unrolled.";
    private const string Kernels = "global::Unrolled.Kernels.";
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    private readonly ExecutionPlan _plan;

    /// <summary>The layout the code being written addresses: training's, except in the prediction forward pass.</summary>
    private RegionLayout _regions;
    private readonly ModelSpec _spec;
    private readonly IndentedWriter _w = new();
    private readonly List<Port> _inputs = new();
    private readonly List<Port> _outputs = new();

    /// <summary>Per atom of the dimension table: its index among the model's run-time lengths.</summary>
    private readonly Dictionary<int, int> _lengthOfAtom = new();

    /// <summary>The run-time lengths, in the order of the generated methods' parameters.</summary>
    private readonly List<Length> _lengths = new();

    private ModelEmitter(ExecutionPlan plan)
    {
        _plan = plan;
        _regions = plan.Training;
        _spec = plan.Model.Spec;
        var taken = new HashSet<string> { "batchSize", "workspace" };
        for (int i = 0; i < _spec.Inputs.Count; i++)
        {
            int node = _spec.Inputs[i];
            string name = _spec.Layers[_spec.Nodes[node].Layer].Name;
            _inputs.Add(new Port(i, node, name, Naming.Unique(Naming.Camel(name), taken), plan.Model.ShapeOf(node)));
        }

        for (int i = 0; i < _spec.Outputs.Count; i++)
        {
            int node = _spec.Outputs[i];
            string name = plan.Model.OutputNames[i];
            _outputs.Add(new Port(i, node, name, Naming.Unique(Naming.Camel(name), taken), plan.Model.ShapeOf(node)));
        }

        foreach (var output in _outputs)
        {
            output.TargetParameter = Naming.Unique(Naming.Camel(output.Name) + "Target", taken);
        }

        // One length per unknown axis of each input, named after the input: titleLength, or imageLength1 and
        // imageLength2 (Keras's axis numbers) when an input has several.
        foreach (var input in _inputs)
        {
            var declared = _spec.Layers[_spec.Nodes[input.Node].Layer].Settings<InputConfig>().Shape;
            int unknown = declared.Count(d => d < 0);
            for (int axis = 0; axis < declared.Count; axis++)
            {
                if (declared[axis] >= 0)
                {
                    continue;
                }

                int atom = plan.Dims.Atoms.ToList().IndexOf(new DimAtom(input.Node, axis));
                string suffix = unknown == 1 ? "Length" : "Length" + N(axis + 1);
                var length = new Length(_lengths.Count, input, axis, Naming.Unique(Naming.Camel(input.Name) + suffix, taken));
                _lengthOfAtom[atom] = length.Index;
                _lengths.Add(length);
                input.Lengths.Add(length);
            }
        }

        var constants = new HashSet<string> { "ParameterCount" };
        foreach (var port in _inputs.Concat(_outputs))
        {
            port.SizeConstant = Naming.Unique(Naming.Pascal(port.Name) + "Size", constants);
        }
    }

    /// <summary>A run-time length: the size of an input's unknown axis, a parameter of the generated methods.</summary>
    private sealed record Length(int Index, Port Input, int Axis, string Parameter);

    private sealed class Port
    {
        public Port(int index, int node, string name, string parameter, Shapes.TensorShape shape)
        {
            Index = index;
            Node = node;
            Name = name;
            Parameter = parameter;
            Shape = shape;
        }

        public int Index { get; }

        public int Node { get; }

        public string Name { get; }

        public string Parameter { get; }

        public string TargetParameter { get; set; } = string.Empty;

        public string SizeConstant { get; set; } = string.Empty;

        public Shapes.TensorShape Shape { get; }

        public int Size => Shape.Size;

        /// <summary>For an input: its unknown axes' run-time lengths.</summary>
        public List<Length> Lengths { get; } = new();
    }

    public static string Emit(ExecutionPlan plan) => new ModelEmitter(plan).EmitFile();

    internal ExecutionPlan Plan => _plan;

    internal ModelSpec Spec => _spec;

    internal IndentedWriter Writer => _w;

    /// <summary>The layout the code being written addresses.</summary>
    internal RegionLayout Regions => _regions;

    internal static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Code for a dimension: a literal, or an expression in the run-time lengths (<c>lengths[k]</c>).</summary>
    internal string D(int dim) => _plan.Dims.Code(dim, atom => $"lengths[{N(_lengthOfAtom[atom])}]");

    /// <summary>Floats per row of a node's output (a dimension): per sample, or per time step inside TimeDistributed,
    /// where the node's code runs with <c>batchSize</c> counting rows.</summary>
    internal int Sz(int node) => _plan.Dims.Product(_plan.Model.ShapeOf(node).Dims);

    private DimTable Dims => _plan.Dims;

    private string EmitFile()
    {
        _w.Line("// <auto-generated/>");
        _w.Line("// Generated by Unrolled from the [ModelBuilder] method " + _spec.ClassName + "." + _spec.BuilderName + ".");
        _w.Line("#nullable enable");
        _w.Line("#pragma warning disable CS1591, CS0618");
        _w.Line();
        if (_spec.Namespace.Length > 0)
        {
            _w.Open("namespace " + _spec.Namespace);
        }

        foreach (var outer in _spec.ContainingTypes)
        {
            _w.Open("partial " + outer.Keyword + " " + outer.Name);
        }

        WriteClass();

        foreach (var _ in _spec.ContainingTypes)
        {
            _w.Close();
        }

        if (_spec.Namespace.Length > 0)
        {
            _w.Close();
        }

        return _w.ToString();
    }

    private void WriteClass()
    {
        _w.Line("/// <summary>");
        _w.Line($"/// The model \"{Xml(_spec.ModelName)}\" built by <see cref=\"{_spec.BuilderName}\"/>: {N(_plan.ParameterCount)} parameters, " +
                $"{N(_inputs.Count)} input(s), {N(_outputs.Count)} output(s).");
        _w.Line("/// </summary>");
        _w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"Unrolled.Generator\", \"1.0\")]");
        _w.Open("partial class " + _spec.ClassName + " : " + Rt + "CompiledModel");
        WriteConstants();
        WriteDescription();
        WriteFixedScratch();
        WriteConstructors();
        WriteInitialize();
        WriteMeasure();
        WriteForward();
        WriteBackward();
        WritePredict();
        WritePredictArrays();
        WriteTrainOnBatch();
        _w.Close();
    }

    private void WriteConstants()
    {
        _w.Line($"/// <summary>The number of parameters, trainable or not, as Keras's <c>count_params()</c> ({_plan.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)}).</summary>");
        _w.Line($"public const int ParameterCount = {N(_plan.ParameterCount)};");
        _w.Line();
        // A port whose size depends on a run-time length has no constant; its size is checked per call.
        foreach (var port in _inputs.Where(p => p.Shape.IsStatic))
        {
            _w.Line($"/// <summary>Floats per sample of input '{Xml(port.Name)}', shape {port.Shape.Keras}.</summary>");
            _w.Line($"public const int {port.SizeConstant} = {N(port.Size)};");
            _w.Line();
        }

        foreach (var port in _outputs.Where(p => p.Shape.IsStatic))
        {
            _w.Line($"/// <summary>Floats per sample of output '{Xml(port.Name)}', shape {port.Shape.Keras}.</summary>");
            _w.Line($"public const int {port.SizeConstant} = {N(port.Size)};");
            _w.Line();
        }
    }

    private void WriteDescription()
    {
        string summary = SummaryWriter.Write(_plan);
        _w.Line($"private static readonly {Rt}ModelDescription s_description = new {Rt}ModelDescription(");
        _w.Line($"    {Naming.Literal(_spec.ModelName)},");
        _w.Line($"    new {Rt}TensorInfo[]");
        _w.Line("    {");
        foreach (var port in _inputs)
        {
            var layer = _spec.Layers[_spec.Nodes[port.Node].Layer];
            _w.Line($"        new {Rt}TensorInfo({Naming.Literal(port.Name)}, {DescribedShape(port)}, " +
                    $"{Rt}DType.{(layer.Settings<InputConfig>().DType == 0 ? "Float32" : "Int32")}, {DescribedDim(_regions.ValueOffset[port.Node])}),");
        }

        _w.Line("    },");
        _w.Line($"    new {Rt}TensorInfo[]");
        _w.Line("    {");
        foreach (var port in _outputs)
        {
            _w.Line($"        new {Rt}TensorInfo({Naming.Literal(port.Name)}, {DescribedShape(port)}, " +
                    $"{Rt}DType.Float32, {DescribedDim(_regions.ValueOffset[port.Node])}, {Rt}Activation.{ActivationInfo.Names[FusableActivation(port)]}),");
        }

        _w.Line("    },");
        _w.Line($"    parameterCount: {N(_plan.ParameterCount)},");
        _w.Line($"    activationSize: {DescribedDim(_plan.ActivationSize)},");
        _w.Line($"    predictActivationSize: {DescribedDim(_plan.Predict.ActivationSize)},");
        if (_plan.BoundedScratch.Count > 0)
        {
            _w.Line("    fixedScratchSize: FixedScratchSize(),");
        }

        _w.Line($"    scratchSize: {DescribedDim(_plan.Scratch)},");
        _w.Line($"    summary: {Naming.Literal(summary)},");
        _w.Line($"    weights: new {Rt}WeightInfo[]");
        _w.Line("    {");
        var keras = KerasLayout.Compute(_plan.Model);
        foreach (int layerIndex in _plan.Layers)
        {
            var layer = _spec.Layers[layerIndex];
            var weights = _plan.Model.WeightsOf(layerIndex);
            var place = keras[layerIndex];
            for (int w = 0; w < weights.Count; w++)
            {
                string trainable = weights[w].Trainable ? string.Empty : ", trainable: false";
                // Where Keras keeps the weight (saving_lib path, model.layers entry, model.weights position): what
                // LoadKerasWeights needs to read files by position as Keras does.
                string where = place is null ? string.Empty
                    : $", kerasPath: {Naming.Literal(place.Path + "/vars/" + N(w))}, kerasLayer: {Naming.Literal(place.TopLayer)}, kerasIndex: {N(place.FirstWeight + w)}";
                _w.Line($"        new {Rt}WeightInfo({Naming.Literal(layer.Name)}, {Naming.Literal(weights[w].Name)}, new int[] {{ {string.Join(", ", weights[w].Dims.Select(N))} }}, " +
                        $"{N(_plan.WeightOffsets[layerIndex][w])}{trainable}{where}),");
            }
        }

        _w.Line("    },");
        if (_lengths.Count > 0)
        {
            _w.Line($"    lengths: new {Rt}LengthInfo[]");
            _w.Line("    {");
            foreach (var length in _lengths)
            {
                _w.Line($"        new {Rt}LengthInfo({Naming.Literal(length.Parameter.TrimStart('@'))}, {N(length.Input.Index)}, {N(length.Axis + 1)}),");
            }

            _w.Line("    },");
        }

        WriteGraph();
        _w.Line();
    }

    /// <summary>The graph (<c>ModelGraph</c>): one row per layer call, group and step, for drawing and export tools.</summary>
    private void WriteGraph()
    {
        // The graph is a picture of the model, not part of what it computes: should building it fail (our bug), the
        // model is still emitted, with an empty graph.
        var table = Guard.Run(() => GraphTable.Build(_plan));
        if (table is null)
        {
            _w.Line("    graph: null);");
            return;
        }

        static string Ints(IEnumerable<int> values)
        {
            string items = string.Join(", ", values.Select(N));
            return items.Length == 0 ? "new int[0]" : "new int[] { " + items + " }";
        }

        _w.Line($"    graph: new {Rt}ModelGraph({Ints(table.Inputs)}, {Ints(table.Outputs)}, new {Rt}GraphNode[]");
        _w.Line("    {");
        for (int i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            var line = new System.Text.StringBuilder();
            line.Append($"        new {Rt}GraphNode({Naming.Literal(row.Name)}, {Naming.Literal(row.ClassName)}, {Rt}GraphNodeKind.{row.Kind}, ")
                .Append($"{N(row.Parent)}, {Ints(row.Inputs)}, {Ints(row.Shape)}");
            if (row.Config.ToCSharp() is { } settings)
            {
                line.Append(", ").Append(settings);
            }

            if (row.WeightCount > 0)
            {
                line.Append($", firstWeight: {N(row.FirstWeight)}, weightCount: {N(row.WeightCount)}");
            }

            if (row.Outputs is not null)
            {
                line.Append($", outputs: {Ints(row.Outputs)}");
            }

            if (row.IsInt32)
            {
                line.Append($", dtype: {Rt}DType.Int32");
            }

            _w.Line(line.Append("), // ").Append(N(i)).ToString());
        }

        _w.Line("    }));");
    }

    /// <summary>The scratch the fixed-shape convolutions need whatever the batch: the most any of them needs.</summary>
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

    /// <summary>A port's per-sample shape for its <c>TensorInfo</c>: -1 for an axis known only at run time.</summary>
    private static string DescribedShape(Port port) => $"new int[] {{ {string.Join(", ", port.Shape.Dims.Select(d => N(d >= 0 ? d : -1)))} }}";

    /// <summary>A size or offset for the description: the constant, or -1 when it depends on run-time lengths.</summary>
    private static string DescribedDim(int dim) => N(dim >= 0 ? dim : -1);

    /// <summary>
    /// The activation a loss may fuse with (softmax / sigmoid with cross-entropy): only when the output feeds nothing
    /// else and is listed once, since the fused gradient skips the activation's own derivative.
    /// </summary>
    private int FusableActivation(Port port)
    {
        if (_spec.Layers[_spec.Nodes[port.Node].Layer].Config is not DenseConfig { Activation: ActivationInfo.Softmax or ActivationInfo.Sigmoid } dense)
        {
            return ActivationInfo.Linear;
        }

        bool consumed = _plan.Model.UsedNodes.Any(n => _spec.Nodes[n].Inputs.Contains(port.Node));
        bool listedOnce = _spec.Outputs.Count(o => o == port.Node) == 1;
        return !consumed && listedOnce ? dense.Activation : ActivationInfo.Linear;
    }

    /// <summary>The index of the output port that is node <paramref name="node"/> with an activation the loss may fuse, or -1.</summary>
    internal int FusedOutputOf(int node)
        => _outputs.FirstOrDefault(o => o.Node == node && FusableActivation(o) != ActivationInfo.Linear)?.Index ?? -1;

    private void WriteConstructors()
    {
        _w.Line("/// <summary>Creates the model with weights initialised as Keras does, from a random seed.</summary>");
        _w.Line($"public {_spec.ClassName}()");
        _w.Line("    : this(global::System.Random.Shared.Next())");
        _w.Open(string.Empty);
        _w.Close();
        _w.Line();
        _w.Line("/// <summary>Creates the model with weights initialised as Keras does (glorot-uniform kernels, zero biases) from <paramref name=\"seed\"/>.</summary>");
        _w.Line("/// <param name=\"seed\">The same seed gives the same weights on every machine.</param>");
        _w.Line($"public {_spec.ClassName}(int seed)");
        _w.Line("    : base(s_description, seed)");
        _w.Open(string.Empty);
        _w.Close();
        _w.Line();
    }

    private void WriteInitialize()
    {
        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void InitializeWeights({Span} weights, ref {Rt}WeightInitializer initializer)");
        foreach (int layerIndex in _plan.Layers)
        {
            var layer = _spec.Layers[layerIndex];
            var weights = _plan.Model.WeightsOf(layerIndex);
            if (weights.Count == 0)
            {
                continue;
            }

            _w.Line($"// {layer.Name}: " + string.Join(", ", weights.Select(w => $"{w.Name} [{string.Join(", ", w.Dims.Select(N))}]")));
            for (int w = 0; w < weights.Count; w++)
            {
                var weight = weights[w];
                string slice = $"weights.Slice({N(_plan.WeightOffsets[layerIndex][w])}, {N(weight.Size)})";
                var dims = weight.Dims;
                switch (weight.Init)
                {
                    case WeightInit.GlorotUniform:
                    {
                        // Keras's fans: the last two axes, each times the receptive field (the product of the others).
                        int receptive = dims.Take(dims.Count - 2).Aggregate(1, (a, d) => a * d);
                        int fanIn = dims.Count >= 2 ? dims[dims.Count - 2] * receptive : dims[0];
                        int fanOut = dims.Count >= 2 ? dims[dims.Count - 1] * receptive : dims[0];
                        _w.Line($"initializer.GlorotUniform({slice}, {N(fanIn)}, {N(fanOut)});");
                        break;
                    }

                    case WeightInit.Zeros:
                        _w.Line($"initializer.Zeros({slice});");
                        break;
                    case WeightInit.Ones:
                        _w.Line($"initializer.Ones({slice});");
                        break;
                    case WeightInit.Orthogonal:
                        _w.Line($"initializer.Orthogonal({slice}, {N(dims[0])}, {N(weight.Size / dims[0])});");
                        break;
                    case WeightInit.Uniform:
                        _w.Line($"initializer.RandomUniform({slice}, -0.05f, 0.05f);");
                        break;
                    case WeightInit.UnitForgetBias:
                    {
                        int units = weight.Size / 4;
                        _w.Line($"initializer.Zeros({slice});");
                        _w.Line($"initializer.Ones(weights.Slice({N(_plan.WeightOffsets[layerIndex][w] + units)}, {N(units)})); // the forget gate (unit_forget_bias)");
                        break;
                    }
                }
            }
        }

        _w.Close();
        _w.Line();
    }

    internal string Values(int node) => $"workspace.Values({D(_regions.ValueOffset[node])}, batchSize * {D(Sz(node))})";

    // Gradients live in the reusing layout: a region's gradient is needed over the same steps as its value in prediction.
    internal string Gradient(int node) => $"workspace.Gradient({D(_plan.Predict.ValueOffset[node])}, batchSize * {D(Sz(node))})";

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
        _w.Line($"layout.ScratchSize = {D(_plan.Scratch)};");
        foreach (var port in _inputs)
        {
            _w.Line($"layout.InputOffsets[{N(port.Index)}] = {D(_regions.ValueOffset[port.Node])};");
            _w.Line($"layout.InputSizes[{N(port.Index)}] = {D(Sz(port.Node))};");
        }

        foreach (var port in _outputs)
        {
            _w.Line($"layout.OutputOffsets[{N(port.Index)}] = {D(_regions.ValueOffset[port.Node])};");
            _w.Line($"layout.OutputSizes[{N(port.Index)}] = {D(Sz(port.Node))};");
        }

        _w.Close();
        _w.Close();
        _w.Line();
    }

    private void WriteForward()
    {
        bool separate = !_plan.Predict.SameAs(_plan.Training);
        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void Forward({Rt}Workspace workspace, int batchSize, bool training)");
        if (separate)
        {
            // A prediction workspace reuses regions whose readers have run (see Summary()'s workspace line).
            _w.Open("if (!workspace.IsTraining)");
            _w.Line("ForwardReusingRegions(workspace, batchSize);");
            _w.Line("return;");
            _w.Close();
            _w.Line();
        }

        WriteForwardBody();
        _w.Close();
        _w.Line();
        if (separate)
        {
            _w.Line("/// <summary>The forward pass of a prediction workspace: the same code over the reusing layout.</summary>");
            _w.Open($"private void ForwardReusingRegions({Rt}Workspace workspace, int batchSize)");
            _regions = _plan.Predict;
            try
            {
                WriteForwardBody();
            }
            finally
            {
                _regions = _plan.Training;
            }

            _w.Close();
            _w.Line();
        }
    }

    private void WriteForwardBody()
    {
        _w.Line($"{WeightsType} weights = Weights;");
        if (UsesTrainingFlag)
        {
            _w.Line(ReferenceEquals(_regions, _plan.Predict) ? "workspace.TrainingPass = false;" : "workspace.TrainingPass = training;");
        }

        WriteLengthsLocal("workspace");
        foreach (int n in _plan.Model.UsedNodes)
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            if (layer.Kind == LayerKind.InputLayer || _plan.Aliased[n])
            {
                continue;
            }

            _w.Line();
            _w.Line(Describe(n));
            OpenNodeBlock(n, backward: false);
            LayerRules.Of(layer.Kind).Forward(new NodeEmitter(this, n));
            CloseNodeBlock(n);
        }
    }

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
            return;
        }

        string spans = backward ? $"weights, gradients" : "weights";
        string parameters = backward ? $"{ReadOnlySpan} weights, {Span} gradients" : $"{WeightsType} weights";
        _w.Line($"Rows(workspace, {spans}, batchSize * {D(repeat)});");
        _w.Open($"static void Rows({Rt}Workspace workspace, {parameters}, int batchSize)");
        WriteLengthsLocal("workspace");
    }

    private void CloseNodeBlock(int n)
    {
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

    private void WriteBackward()
    {
        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void Backward({Rt}Workspace workspace, int batchSize)");
        _w.Line($"{ReadOnlySpan} weights = Weights;");
        _w.Line($"{Span} gradients = workspace.ParameterGradients;");
        WriteLengthsLocal("workspace");
        foreach (var (offset, size) in _plan.Predict.GradientClearsAtStart)
        {
            // Gradients of regions that hold an output but are not its port: nothing else zeroes them.
            _w.Line($"workspace.Gradient({D(offset)}, batchSize * {D(size)}).Clear();");
        }

        foreach (int n in _plan.Model.UsedNodes.Reverse())
        {
            var node = _spec.Nodes[n];
            var layer = _spec.Layers[node.Layer];
            var clears = _plan.Predict.GradientClears[n];
            if (clears.Count > 0)
            {
                // Gradient regions that start here; their floats may hold a gradient that ended further down the graph.
                _w.Line();
                foreach (var (offset, size) in clears)
                {
                    _w.Line($"workspace.Gradient({D(offset)}, batchSize * {D(size)}).Clear();");
                }
            }

            if (layer.Kind == LayerKind.InputLayer || _plan.Aliased[n] || !_plan.NeedsGradient[n])
            {
                continue;
            }

            _w.Line();
            _w.Line(Describe(n));
            OpenNodeBlock(n, backward: true);
            LayerRules.Of(layer.Kind).Backward(new NodeEmitter(this, n));
            CloseNodeBlock(n);
        }

        _w.Close();
        _w.Line();
    }

    internal string Temporary(int node, int index, int size) => $"workspace.Values({D(_regions.TemporaryOffsets[node][index])}, batchSize * {D(size)})";

    internal string TemporaryGradient(int node, int index, int size) => $"workspace.Gradient({D(_plan.Predict.TemporaryOffsets[node][index])}, batchSize * {D(size)})";

    internal static string Float(double value)
    {
        float f = (float)value;
        return float.IsNaN(f) ? "float.NaN"
            : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
            : float.IsNegativeInfinity(f) ? "float.NegativeInfinity"
            : f.ToString("R", CultureInfo.InvariantCulture) + "f";
    }

    private string InputParameters(string type) => string.Join(", ", _inputs.Select(p => $"{type} {p.Parameter}"));

    private void WriteChecks(IEnumerable<Port> ports, bool targets = false)
    {
        foreach (var port in ports)
        {
            string parameter = targets ? port.TargetParameter : port.Parameter;
            string size = port.Shape.IsStatic ? port.SizeConstant : _inputs.Contains(port) ? $"InputSize({N(port.Index)})" : $"OutputSize({N(port.Index)})";
            _w.Line($"CheckLength({parameter}.Length, batchSize, {size}, {Naming.Literal(port.Name)}, nameof({parameter}));");
        }
    }

    private void WriteParameterDocs(IEnumerable<Port> ports, System.Func<Port, string> parameter, System.Func<Port, string> text)
    {
        foreach (var port in ports)
        {
            _w.Line($"/// <param name=\"{Xml(parameter(port).TrimStart('@'))}\">{text(port)}</param>");
        }
    }

    /// <summary>A port's floats per sample for the docs: the constant, or a product naming the length parameters.</summary>
    private string SizeText(Port port)
    {
        string code = Dims.Code(Sz(port.Node), atom => _lengths[_lengthOfAtom[atom]].Parameter.TrimStart('@'));
        code = code.StartsWith("(", System.StringComparison.Ordinal) ? code.Substring(1, code.Length - 2) : code;
        return code.Replace(" * ", " × ");
    }

    private string LengthParameters => string.Concat(_lengths.Select(l => $"int {l.Parameter}, "));

    private string LengthArguments => "[" + string.Join(", ", _lengths.Select(l => l.Parameter)) + "]";

    private void WriteLengthDocs()
    {
        foreach (var length in _lengths)
        {
            _w.Line($"/// <param name=\"{Xml(length.Parameter.TrimStart('@'))}\">The length of axis {N(length.Axis + 1)} of input '{Xml(length.Input.Name)}' " +
                    "(declared null) for this call, the same for every sample; at least 1.</param>");
        }
    }

    private void WritePredict()
    {
        _w.Line(_plan.IsDynamic
            ? "/// <summary>Runs the model on a batch. Allocates nothing once the workspace has grown to the batch size and lengths (see <c>Reserve</c>).</summary>"
            : "/// <summary>Runs the model on a batch. Allocates nothing once the workspace has grown to the batch size.</summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats, shape {p.Shape.Keras}, row-major.");
        WriteParameterDocs(_outputs, p => p.Parameter, p => $"Receives output '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats, shape {p.Shape.Keras}.");
        WriteLengthDocs();
        _w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">A span's length is not <paramref name=\"batchSize\"/> times its per-sample size" +
                (_plan.IsDynamic ? ", or a length is below 1" : string.Empty) + ".</exception>");
        string parameters = string.Join(", ", _inputs.Select(p => $"{ReadOnlySpan} {p.Parameter}").Concat(_outputs.Select(p => $"{Span} {p.Parameter}")));
        _w.Open($"public void Predict({parameters}, {LengthParameters}int batchSize)");
        if (!_plan.IsDynamic)
        {
            WriteChecks(_inputs);
            WriteChecks(_outputs);
        }

        WriteWithWorkspace("AcquirePredictWorkspace", () =>
        {
            if (_plan.IsDynamic)
            {
                WriteChecks(_inputs);
                WriteChecks(_outputs);
            }

            WriteInputCopies();
            _w.Line("Forward(workspace, batchSize, training: false);");
            foreach (var port in _outputs)
            {
                _w.Line($"{Values(port.Node)}.CopyTo({port.Parameter});");
            }
        });
        _w.Close();
        _w.Line();
    }

    private void WritePredictArrays()
    {
        // Tuple element names must be unique and not ones C# reserves (Rest, ItemN, object's members).
        var tupleNames = new HashSet<string> { "Rest", "ToString", "GetHashCode", "Equals", "GetType" };
        for (int i = 1; i <= 8; i++)
        {
            tupleNames.Add("Item" + i);
        }

        string returnType = _outputs.Count == 1
            ? "float[]"
            : "(" + string.Join(", ", _outputs.Select(p => "float[] " + Naming.Unique(Naming.Pascal(p.Name), tupleNames))) + ")";
        _w.Line("/// <summary>Runs the model on every sample of the given arrays (the batch size is inferred) and returns new arrays.</summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': samples × {Xml(SizeText(p))} floats, row-major.");
        WriteLengthDocs();
        _w.Line("/// <returns>The output" + (_outputs.Count == 1 ? $" '{Xml(_outputs[0].Name)}'" : "s") + ", samples × size floats each.</returns>");
        if (_plan.IsDynamic)
        {
            // The sizes depend on the lengths: the runtime's array Predict checks them and runs in batches.
            _w.Open($"public {returnType} Predict({InputParameters("float[]")}, {LengthParameters.TrimEnd(',', ' ')})");
            _w.Line($"float[][] outputs = Predict(new float[][] {{ {string.Join(", ", _inputs.Select(p => p.Parameter))} }}, 32, new int[] {{ {string.Join(", ", _lengths.Select(l => l.Parameter))} }});");
            _w.Line(_outputs.Count == 1 ? "return outputs[0];" : $"return ({string.Join(", ", _outputs.Select(p => $"outputs[{N(p.Index)}]"))});");
            _w.Close();
            _w.Line();
            return;
        }

        _w.Open($"public {returnType} Predict({InputParameters("float[]")})");
        var first = _inputs[0];
        _w.Line($"int batchSize = CountSamples({first.Parameter}, {first.SizeConstant}, {Naming.Literal(first.Name)}, nameof({first.Parameter}));");
        foreach (var port in _inputs.Skip(1))
        {
            _w.Line($"CheckSameSamples(batchSize, {port.Parameter}, {port.SizeConstant}, {Naming.Literal(port.Name)}, nameof({port.Parameter}));");
        }

        foreach (var port in _outputs)
        {
            _w.Line($"var {port.Parameter} = new float[batchSize * {port.SizeConstant}];");
        }

        _w.Line($"Predict({string.Join(", ", _inputs.Select(p => p.Parameter).Concat(_outputs.Select(p => p.Parameter)))}, batchSize);");
        _w.Line(_outputs.Count == 1 ? $"return {_outputs[0].Parameter};" : $"return ({string.Join(", ", _outputs.Select(p => p.Parameter))});");
        _w.Close();
        _w.Line();
    }

    private void WriteTrainOnBatch()
    {
        _w.Line("/// <summary>");
        _w.Line("/// One training step on a batch, as Keras's <c>train_on_batch</c>: forward, loss, backward and an optimizer update.");
        _w.Line("/// Needs <c>Compile</c> first. Allocates nothing once the workspace has grown to the batch size.");
        _w.Line("/// </summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats.");
        WriteParameterDocs(_outputs, p => p.TargetParameter,
            p => $"Targets for output '{Xml(p.Name)}' (one class index per sample for a sparse loss, else {Xml(SizeText(p))} floats per sample).");
        WriteLengthDocs();
        _w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        _w.Line("/// <returns>The batch's loss (the weighted sum over outputs), computed before the update.</returns>");
        string parameters = string.Join(", ", _inputs.Select(p => $"{ReadOnlySpan} {p.Parameter}").Concat(_outputs.Select(p => $"{ReadOnlySpan} {p.TargetParameter}")));
        _w.Open($"public float TrainOnBatch({parameters}, {LengthParameters}int batchSize)");
        if (!_plan.IsDynamic)
        {
            WriteChecks(_inputs);
        }

        WriteWithWorkspace("AcquireTrainingWorkspace", () =>
        {
            if (_plan.IsDynamic)
            {
                WriteChecks(_inputs);
            }

            foreach (var port in _outputs)
            {
                _w.Line($"SetTarget(workspace, {N(port.Index)}, {port.TargetParameter}, batchSize, nameof({port.TargetParameter}));");
            }

            WriteInputCopies();
            _w.Line("return TrainStep(workspace, batchSize);");
        });
        _w.Close();
    }

    /// <summary>Takes a workspace (which also guards against a concurrent call), runs the body, always gives it back.</summary>
    private void WriteWithWorkspace(string acquire, System.Action body)
    {
        _w.Line(_plan.IsDynamic ? $"var workspace = {acquire}(batchSize, {LengthArguments});" : $"var workspace = {acquire}(batchSize);");
        _w.Open("try");
        WriteLengthsLocal("workspace");
        body();
        _w.Close();
        _w.Open("finally");
        _w.Line("ReleaseWorkspace(workspace);");
        _w.Close();
    }

    private void WriteInputCopies()
    {
        foreach (var port in _inputs)
        {
            _w.Line($"{port.Parameter}.CopyTo({Values(port.Node)});");
        }
    }

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}

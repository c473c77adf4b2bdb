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
/// backward passes specialised to the model's constant shapes, and typed Predict / TrainOnBatch methods. This file
/// holds the ports and the class's frame; each part of the class is written by its own file: constants and description
/// (ModelEmitter.Description.cs), constructors and initializer (.Initializer.cs), passes (.Passes.cs, each node's code
/// by its layer rule), the public API (.Api.cs), and the workspace and weight expressions rules use (.Workspace.cs).
/// </summary>
internal sealed partial class ModelEmitter
{
    private const string Rt = "global::Unrolled.";
    private const string Kernels = "global::Unrolled.Kernels.";
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    private readonly ExecutionPlan _plan;

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
        _spec = plan.Model.Spec;
        var names = PortNames.Of(_spec, plan.Model.OutputNames);
        for (int i = 0; i < _spec.Inputs.Count; i++)
        {
            int node = _spec.Inputs[i];
            _inputs.Add(new Port(i, node, names.InputNames[i], names.InputParameters[i], plan.Model.ShapeOf(node)) { SizeConstant = names.InputConstants[i] });
        }

        for (int i = 0; i < _spec.Outputs.Count; i++)
        {
            int node = _spec.Outputs[i];
            _outputs.Add(new Port(i, node, names.OutputNames[i], names.OutputParameters[i], plan.Model.ShapeOf(node))
            {
                TargetParameter = names.TargetParameters[i],
                SizeConstant = names.OutputConstants[i],
                TupleName = names.TupleNames[i],
            });
        }

        // One length per unknown axis of each input, named after the input: titleLength, or imageLength1 and
        // imageLength2 (Keras's axis numbers) when an input has several.
        foreach (var (index, axis, parameter) in names.Lengths)
        {
            var input = _inputs[index];
            int atom = plan.Dims.Atoms.ToList().IndexOf(new DimAtom(input.Node, axis));
            var length = new Length(_lengths.Count, input, axis, parameter);
            _lengthOfAtom[atom] = length.Index;
            _lengths.Add(length);
            input.Lengths.Add(length);
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

        /// <summary>For an output: its element name in the array Predict's tuple.</summary>
        public string TupleName { get; set; } = string.Empty;

        public Shapes.TensorShape Shape { get; }

        public int Size => Shape.Size;

        /// <summary>For an input: its unknown axes' run-time lengths.</summary>
        public List<Length> Lengths { get; } = new();
    }

    public static string Emit(ExecutionPlan plan) => new ModelEmitter(plan).EmitFile();

    internal ExecutionPlan Plan => _plan;

    internal ModelSpec Spec => _spec;

    internal IndentedWriter Writer => _w;

    internal static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Code for a dimension: a literal, or an expression in the run-time lengths (<c>lengths[k]</c>).</summary>
    internal string D(int dim) => _plan.Dims.Code(dim, atom => $"lengths[{N(_lengthOfAtom[atom])}]");

    /// <summary>Floats per row of a node's output (a dimension): per sample, or per time step inside TimeDistributed,
    /// where the node's code runs with <c>batchSize</c> counting rows.</summary>
    internal int Sz(int node) => _plan.Dims.Product(_plan.Model.ShapeOf(node).Dims);

    private DimTable Dims => _plan.Dims;

    private string EmitFile()
    {
        WriteFile(_w, _spec, "// Generated by Unrolled from the [ModelBuilder] method " + _spec.ClassName + "." + _spec.BuilderName + ".", WriteClass);
        return _w.ToString();
    }

    /// <summary>A generated file's frame: the header, then the namespace and containing classes around
    /// <paramref name="writeClass"/> (the model's class, or the surface of one with errors).</summary>
    internal static void WriteFile(IndentedWriter w, ModelSpec spec, string comment, System.Action writeClass)
    {
        w.Line("// <auto-generated/>");
        foreach (string line in comment.Split('\n'))
        {
            w.Line(line);
        }

        w.Line("#nullable enable");
        w.Line("#pragma warning disable CS1591, CS0618");
        w.Line();
        if (spec.Namespace.Length > 0)
        {
            w.Open("namespace " + spec.Namespace);
        }

        foreach (var outer in spec.ContainingTypes)
        {
            w.Open("partial " + outer.Keyword + " " + outer.Name);
        }

        writeClass();

        foreach (var _ in spec.ContainingTypes)
        {
            w.Close();
        }

        if (spec.Namespace.Length > 0)
        {
            w.Close();
        }
    }

    private void WriteClass()
    {
        _w.Line("/// <summary>");
        _w.Line($"/// The model \"{Xml(_spec.ModelName)}\" built by <see cref=\"{_spec.BuilderName}\"/>: {N(_plan.ParameterCount)} parameters, " +
                $"{N(_inputs.Count)} input(s), {N(_outputs.Count)} output(s).");
        _w.Line("/// </summary>");
        _w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"Unrolled.Generator\", \"1.0\")]");
        _w.Open((_nested ? "private sealed class " : "partial class ") + _spec.ClassName + " : " + Rt + "CompiledModel");
        WriteConstants();
        WriteDescription();
        WriteFixedScratch();
        WriteConstructors();
        WriteInitialize();
        WriteMeasure();
        WriteForward();
        WriteBeginBatches();
        WriteBackward();
        WriteGradientNeeds();
        WritePredict();
        WritePredictArrays();
        WriteTrainOnBatch();
        WriteLossFunctions();
        WriteIntSpans();
        _w.Close();
    }

    internal static string Float(double value)
    {
        float f = (float)value;
        return float.IsNaN(f) ? "float.NaN"
            : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
            : float.IsNegativeInfinity(f) ? "float.NegativeInfinity"
            : f.ToString("R", CultureInfo.InvariantCulture) + "f";
    }

    /// <summary>The constant int spans the kernels take (shapes, axis orders), by their values.</summary>
    private readonly Dictionary<string, string> _intSpans = new();

    /// <summary>
    /// An int span argument: a static array for constant values (a collection expression of constants would be built
    /// from the assembly's data by RuntimeHelpers.CreateSpan, which allocates until the JIT has optimised the caller),
    /// or a collection expression on the stack when a value is a run-time length.
    /// </summary>
    internal string IntSpan(IReadOnlyList<string> values)
    {
        if (!values.All(v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            return "[" + string.Join(", ", values) + "]";
        }

        string key = string.Join(", ", values);
        if (!_intSpans.TryGetValue(key, out string? field))
        {
            field = "s_unrolledInts" + N(_intSpans.Count);
            _intSpans[key] = field;
        }

        return field;
    }

    private void WriteIntSpans()
    {
        if (_intSpans.Count == 0)
        {
            return;
        }

        _w.Line();
        foreach (var pair in _intSpans)
        {
            _w.Line($"private static readonly int[] {pair.Value} = {{ {pair.Key} }};");
        }
    }

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}

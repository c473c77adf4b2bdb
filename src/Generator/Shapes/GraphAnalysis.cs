using Unrolled.Generator.Model;

namespace Unrolled.Generator.Shapes;

/// <summary>
/// The shape of one tensor: per-sample dimensions (no batch axis) and element type. Inside TimeDistributed a sample
/// holds <paramref name="Repeat"/> rows (time steps) of this shape.
/// </summary>
internal sealed record TensorShape(EquatableArray<int> Dims, int DType, int Repeat = 1)
{
    /// <summary>Floats per sample, for a shape whose dimensions are all constants (see <see cref="DimTable.Size"/> otherwise).</summary>
    public int Size
    {
        get
        {
            int size = Repeat;
            foreach (int d in Dims)
            {
                size *= d;
            }

            if (!IsStatic)
            {
                throw new System.InvalidOperationException("The shape has dimensions known only at run time; use DimTable.Size.");
            }

            return size / Repeat;
        }
    }

    /// <summary>Whether every dimension (and the row count) is a compile-time constant.</summary>
    public bool IsStatic => Repeat >= 0 && System.Linq.Enumerable.All(Dims, d => d >= 0);

    /// <summary>As Keras prints it: <c>(None, 28, 28, 1)</c>, with <c>None</c> for a dimension known only at run time.</summary>
    public string Keras => Dims.Count == 0 ? "(None,)" : "(None, " + string.Join(", ", System.Linq.Enumerable.Select(Dims, DimText)) + ")";

    /// <summary>A dimension as Keras prints it.</summary>
    public static string DimText(int dim) => dim >= 0 ? dim.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None";
}

/// <summary>
/// The result of checking a model: every used node's shape, the layers' parameter counts, and the diagnostics.
/// Plain data, shared by the analyzer (which reports the diagnostics) and the generator (which emits code only when
/// there are no errors).
/// </summary>
/// <param name="Spec">The evaluated builder.</param>
/// <param name="UsedNodes">The nodes the outputs depend on, in topological order (original node indices).</param>
/// <param name="Shapes">Per original node index: its output shape, or null when unknown (after an error).</param>
/// <param name="ParameterCounts">Per layer: its number of parameters (trainable or not), as Keras's summary counts them.</param>
/// <param name="OutputNames">Per model output: its unique name (the producing layer's name).</param>
/// <param name="Diagnostics">Everything wrong with the model, parse-time diagnostics included.</param>
internal sealed record AnalyzedModel(
    ModelSpec Spec,
    EquatableArray<int> UsedNodes,
    EquatableArray<TensorShapeOrNone> Shapes,
    EquatableArray<int> ParameterCounts,
    EquatableArray<string> OutputNames,
    EquatableArray<DiagnosticInfo> Diagnostics,
    DimTableData? Symbols = null,
    EquatableArray<EquatableArray<WeightSpec>> LayerWeights = default)
{
    /// <summary>Per layer: its weight tensors in Keras's order (none for a layer without weights).</summary>
    public EquatableArray<WeightSpec> WeightsOf(int layer)
        => LayerWeights.Count > layer ? LayerWeights[layer] : EquatableArray<WeightSpec>.Empty;

    /// <summary>The dimensions known only at run time that the shapes refer to.</summary>
    public DimTableData DimData => Symbols ?? DimTableData.Empty;

    public bool HasErrors
    {
        get
        {
            foreach (var d in Diagnostics)
            {
                if (!global::Unrolled.Generator.Diagnostics.DiagnosticIds.IsWarning(d.Id))
                {
                    return true;
                }
            }

            return false;
        }
    }

    public TensorShape ShapeOf(int node) => Shapes[node].Shape!;

    /// <summary>The model as code generation reads it: no source positions and no diagnostics (it is only generated
    /// when it has no errors), so that moving the builder in its file changes nothing downstream.</summary>
    public AnalyzedModel WithoutPositions() => this with { Spec = Spec.WithoutPositions(), Diagnostics = EquatableArray<DiagnosticInfo>.Empty };
}

/// <summary>A shape that may be missing (records in an <see cref="EquatableArray{T}"/> must not be null).</summary>
internal sealed record TensorShapeOrNone(TensorShape? Shape);

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Emit;

/// <summary>
/// The C# names of a model's ports in its generated API: each input's and output's parameter, each output's target
/// parameter, each run-time length's parameter (one per unknown axis of an input: <c>titleLength</c>,
/// <c>imageLength1</c>), the size constants, and the array <c>Predict</c>'s tuple element names. One place, so the
/// model (<see cref="ModelEmitter"/>), the surface of a model with errors (<see cref="StubEmitter"/>) and the check for
/// members the user wrote too (<see cref="GeneratedMembers"/>) name them alike.
/// </summary>
internal sealed class PortNames
{
    private PortNames(ModelSpec spec, IReadOnlyList<string> outputNames)
    {
        var taken = new HashSet<string> { "batchSize", "workspace" };
        InputNames = spec.Inputs.Select(i => spec.Layers[spec.Nodes[i].Layer].Name).ToList();
        OutputNames = outputNames.ToList();
        InputParameters = InputNames.Select(name => Naming.Unique(Naming.Camel(name), taken)).ToList();
        OutputParameters = OutputNames.Select(name => Naming.Unique(Naming.Camel(name), taken)).ToList();
        TargetParameters = OutputNames.Select(name => Naming.Unique(Naming.Camel(name) + "Target", taken)).ToList();
        for (int i = 0; i < spec.Inputs.Count; i++)
        {
            var declared = spec.Layers[spec.Nodes[spec.Inputs[i]].Layer].Config is InputConfig input ? input.Shape : EquatableArray<int>.Empty;
            int unknown = declared.Count(d => d < 0);
            for (int axis = 0; axis < declared.Count; axis++)
            {
                if (declared[axis] < 0)
                {
                    string suffix = unknown == 1 ? "Length" : "Length" + (axis + 1).ToString(CultureInfo.InvariantCulture);
                    Lengths.Add((i, axis, Naming.Unique(Naming.Camel(InputNames[i]) + suffix, taken)));
                }
            }
        }

        var constants = new HashSet<string> { "ParameterCount" };
        InputConstants = InputNames.Select(name => Naming.Unique(Naming.Pascal(name) + "Size", constants)).ToList();
        OutputConstants = OutputNames.Select(name => Naming.Unique(Naming.Pascal(name) + "Size", constants)).ToList();

        // Tuple element names must be unique and not ones C# reserves (Rest, ItemN, object's members).
        var tupleNames = new HashSet<string> { "Rest", "ToString", "GetHashCode", "Equals", "GetType" };
        for (int n = 1; n <= 8; n++)
        {
            tupleNames.Add("Item" + n.ToString(CultureInfo.InvariantCulture));
        }

        TupleNames = OutputNames.Select(name => Naming.Unique(Naming.Pascal(name), tupleNames)).ToList();
    }

    /// <summary>The names of <paramref name="spec"/>'s ports; <paramref name="outputNames"/> are the analysis's unique
    /// output names, or (when an error stopped it before naming them) empty, for the producing layers' names.</summary>
    public static PortNames Of(ModelSpec spec, IReadOnlyList<string> outputNames)
        => new(spec, outputNames.Count == spec.Outputs.Count ? outputNames : spec.Outputs.Select(o => spec.Layers[spec.Nodes[o].Layer].Name).ToList());

    public List<string> InputNames { get; }

    public List<string> OutputNames { get; }

    public List<string> InputParameters { get; }

    public List<string> OutputParameters { get; }

    public List<string> TargetParameters { get; }

    /// <summary>Per unknown axis of an input, in order: the input's position, the axis, the parameter.</summary>
    public List<(int Input, int Axis, string Parameter)> Lengths { get; } = new();

    public List<string> InputConstants { get; }

    public List<string> OutputConstants { get; }

    /// <summary>The element names of the array <c>Predict</c>'s tuple (several outputs).</summary>
    public List<string> TupleNames { get; }
}

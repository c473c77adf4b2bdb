using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>
/// The members the generator writes into a model's class that a user could also declare, as keys comparable with
/// <see cref="UserMember.Key"/>: <c>ctor(int)</c>, a constant's name, <c>Predict(ReadOnlySpan&lt;float&gt;,Span&lt;float&gt;,int)</c>.
/// A user's member with one of these keys is reported (UNR0020) and the generator leaves its own out, so the build has
/// one clear error at the user's member instead of CS0111 inside a generated file.
/// </summary>
internal static class GeneratedMembers
{
    private const string ReadOnlySpan = "ReadOnlySpan<float>";
    private const string Span = "Span<float>";

    public const string DefaultConstructor = "ctor()";

    public const string SeedConstructor = "ctor(int)";

    /// <summary>Each generated member's key and how a message names it.</summary>
    public static List<(string Key, string Display)> Of(ModelSpec spec, IReadOnlyList<string> outputNames, IReadOnlyList<TensorShape?> inputShapes,
        IReadOnlyList<TensorShape?> outputShapes)
    {
        var members = new List<(string, string)>
        {
            (DefaultConstructor, spec.ClassName + "()"),
            (SeedConstructor, spec.ClassName + "(int seed)"),
            ("ParameterCount", "ParameterCount"),
            ("s_description", "s_description"),
        };
        if (spec.LossFunctions.Count > 0)
        {
            members.Add(("Losses", "Losses"));
        }

        if (!spec.HasGraph || spec.Inputs.Count == 0 || spec.Outputs.Count == 0 || outputNames.Count != spec.Outputs.Count)
        {
            return members;
        }

        var constants = new HashSet<string> { "ParameterCount" };
        var inputNames = spec.Inputs.Select(i => spec.Layers[spec.Nodes[i].Layer].Name).ToList();
        foreach (string name in inputNames.Concat(outputNames))
        {
            string constant = Naming.Unique(Naming.Pascal(name) + "Size", constants);
            members.Add((constant, constant));
        }

        // One int per unknown axis of each input comes before batchSize in the typed methods.
        int lengths = spec.Inputs.Sum(i => spec.Layers[spec.Nodes[i].Layer].Config is InputConfig input ? input.Shape.Count(d => d < 0) : 0);
        var ints = Enumerable.Repeat("int", lengths).ToList();
        string Key(string method, IEnumerable<string> parameters) => method + "(" + string.Join(",", parameters) + ")";
        string spans = Key("Predict", Enumerable.Repeat(ReadOnlySpan, spec.Inputs.Count).Concat(Enumerable.Repeat(Span, spec.Outputs.Count)).Concat(ints).Append("int"));
        members.Add((spans, "Predict(…spans…, int batchSize)"));
        string arrays = Key("Predict", Enumerable.Repeat("float[]", spec.Inputs.Count).Concat(ints));
        members.Add((arrays, "Predict(…arrays…)"));
        string train = Key("TrainOnBatch", Enumerable.Repeat(ReadOnlySpan, spec.Inputs.Count + spec.Outputs.Count).Concat(ints).Append("int"));
        members.Add((train, "TrainOnBatch(…, int batchSize)"));
        return members;
    }

    /// <summary>Whether the user declared the member <paramref name="key"/>.</summary>
    public static bool IsUsers(ModelSpec spec, string key) => spec.UserMembers.Any(m => m.Key == key);
}

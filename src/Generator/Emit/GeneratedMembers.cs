using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Emit;

/// <summary>
/// The members the generator writes into a model's class that a user could also declare, as keys comparable with
/// <see cref="UserMember.Key"/>: <c>ctor(int)</c>, a constant's name, <c>Predict(ReadOnlySpan&lt;float&gt;,Span&lt;float&gt;,int)</c>.
/// A user's member with one of these keys is reported (UNR0020) and the generator leaves its own out, so the build has
/// one clear error at the user's member instead of CS0111 inside a generated file.
/// </summary>
internal static class GeneratedMembers
{
    public const string DefaultConstructor = "ctor()";

    public const string SeedConstructor = "ctor(int)";

    /// <summary>The typed <c>Predict</c> over spans: inputs, outputs, the run-time lengths, the batch size.</summary>
    public static string SpanPredict(int inputs, int outputs, int lengths)
        => Key("Predict", Repeat("ReadOnlySpan<float>", inputs).Concat(Repeat("Span<float>", outputs)).Concat(Repeat("int", lengths + 1)));

    /// <summary>The typed <c>Predict</c> over arrays: inputs, then the run-time lengths.</summary>
    public static string ArrayPredict(int inputs, int lengths) => Key("Predict", Repeat("float[]", inputs).Concat(Repeat("int", lengths)));

    /// <summary>The typed <c>TrainOnBatch</c>: inputs, targets, the run-time lengths, the batch size.</summary>
    public static string TrainOnBatch(int inputs, int outputs, int lengths)
        => Key("TrainOnBatch", Repeat("ReadOnlySpan<float>", inputs + outputs).Concat(Repeat("int", lengths + 1)));

    /// <summary>Each generated member's key and how a message names it.</summary>
    public static List<(string Key, string Display)> Of(ModelSpec spec, IReadOnlyList<string> outputNames)
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

        if (!spec.HasGraph || spec.Inputs.Count == 0 || spec.Outputs.Count == 0)
        {
            return members;
        }

        var names = PortNames.Of(spec, outputNames);
        members.AddRange(names.InputConstants.Concat(names.OutputConstants).Select(c => (c, c)));
        int inputs = spec.Inputs.Count, outputs = spec.Outputs.Count, lengths = names.Lengths.Count;
        members.Add((SpanPredict(inputs, outputs, lengths), "Predict(…spans…, int batchSize)"));
        members.Add((ArrayPredict(inputs, lengths), "Predict(…arrays…)"));
        members.Add((TrainOnBatch(inputs, outputs, lengths), "TrainOnBatch(…, int batchSize)"));
        return members;
    }

    /// <summary>Whether the user declared the member <paramref name="key"/>.</summary>
    public static bool IsUsers(ModelSpec spec, string key) => spec.UserMembers.Any(m => m.Key == key);

    private static string Key(string method, IEnumerable<string> parameters) => method + "(" + string.Join(",", parameters) + ")";

    private static IEnumerable<string> Repeat(string type, int count) => Enumerable.Repeat(type, count);
}

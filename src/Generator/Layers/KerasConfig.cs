using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Layers;

/// <summary>
/// A layer's settings under the keys of Keras's <c>get_config()</c>, typed. The generated model description passes them
/// to the runtime as the runtime's settings record, with one named argument per key (<see cref="ToCSharp"/>:
/// <c>new DenseSettings(Units: 64, Activation: "relu", UseBias: true)</c>), so a key the record lacks, or a property of
/// the record no rule writes, fails to compile in this repository's tests; <see cref="ToString"/> writes them as Python
/// prints keyword arguments, as the runtime shows them.
/// </summary>
internal sealed class KerasConfig
{
    private readonly StringBuilder _python = new();
    private readonly StringBuilder _csharp = new();
    private string? _record;

    /// <summary>Whether no setting was written.</summary>
    public bool IsEmpty => _python.Length == 0;

    /// <summary>Names the runtime's record the settings make (<c>DenseSettings</c>); every layer with settings names one.</summary>
    public KerasConfig Settings(string record)
    {
        _record = record;
        return this;
    }

    public KerasConfig Int(string name, int value) => Add(name, N(value), N(value));

    public KerasConfig Bool(string name, bool value) => Add(name, value ? "True" : "False", value ? "true" : "false");

    public KerasConfig Text(string name, string value)
        => Add(name, "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'", Emit.Naming.Literal(value));

    public KerasConfig Activation(string name, int activation) => Text(name, KerasActivation.Name(activation));

    public KerasConfig Ints(string name, int[] values)
        => Add(name, "(" + string.Join(", ", values.Select(N)) + (values.Length == 1 ? ",)" : ")"),
            "new int[] { " + string.Join(", ", values.Select(N)) + " }");

    /// <summary>An integer, or Python's <c>None</c> (C# <c>null</c>) when not given.</summary>
    public KerasConfig OptionalInt(string name, int? value) => value is { } v ? Int(name, v) : Add(name, "None", "null");

    /// <summary>A string, or <c>None</c> (<c>null</c>) when not given.</summary>
    public KerasConfig OptionalText(string name, string? value) => value is null ? Add(name, "None", "null") : Text(name, value);

    /// <summary>A tuple of integers, or <c>None</c> (<c>null</c>) when not given.</summary>
    public KerasConfig OptionalInts(string name, int[]? values) => values is null ? Add(name, "None", "null") : Ints(name, values);

    public KerasConfig Number(string name, double value)
    {
        if (double.IsNaN(value))
        {
            return Add(name, "nan", "double.NaN");
        }

        if (double.IsInfinity(value))
        {
            return Add(name, value > 0 ? "inf" : "-inf", value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity");
        }

        // As Python's repr: 0.5, 2.0, 1e-05; in C#, a double literal (2d, 1E-05d) so the double overload is chosen.
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        string python = text.Replace("E", "e");
        return Add(name, python.IndexOfAny(new[] { '.', 'e' }) >= 0 ? python : python + ".0", text + "d");
    }

    /// <summary>As Python prints keyword arguments: <c>units=64, activation='relu', use_bias=True</c>.</summary>
    public override string ToString() => _python.ToString();

    /// <summary>A C# expression constructing the runtime's settings record, or null when there are none.</summary>
    /// <exception cref="System.InvalidOperationException">Settings were written without naming their record (a rule's
    /// mistake, which the generator reports as an internal error).</exception>
    public string? ToCSharp()
        => _record is null
            ? IsEmpty ? null : throw new System.InvalidOperationException("The settings " + _python + " name no record.")
            : "new global::Unrolled." + _record + "(" + _csharp + ")";

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The record's property for a Keras key: <c>use_bias</c> is <c>UseBias</c>, <c>keepdims</c>
    /// <c>KeepDims</c>, <c>dtype</c> <c>DType</c>.</summary>
    private static string Property(string key)
    {
        switch (key)
        {
            case "keepdims":
                return "KeepDims";
            case "dtype":
                return "DType";
        }

        var name = new StringBuilder(key.Length);
        bool upper = true;
        foreach (char c in key)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            name.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return name.ToString();
    }

    private KerasConfig Add(string name, string python, string csharp)
    {
        _python.Append(_python.Length > 0 ? ", " : string.Empty).Append(name).Append('=').Append(python);
        _csharp.Append(_csharp.Length > 0 ? ", " : string.Empty).Append(Property(name)).Append(": ").Append(csharp);
        return this;
    }
}

/// <summary>Keras's names of the activations (<c>relu</c>, <c>hard_sigmoid</c>).</summary>
internal static class KerasActivation
{
    public static string Name(int activation)
        => activation >= 0 && activation < ActivationInfo.Count ? KerasNaming.SnakeCase(ActivationInfo.Names[activation]) : "linear";
}

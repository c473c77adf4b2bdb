using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Layers;

/// <summary>
/// A layer's settings under the keys of Keras's <c>get_config()</c>, typed. The generated model description passes them
/// to the runtime as typed values (<see cref="ToCSharp"/>: <c>new LayerSetting("units", 64)</c>, …), which the runtime
/// reads directly; <see cref="ToString"/> writes them as Python prints keyword arguments, as the runtime shows them.
/// </summary>
internal sealed class KerasConfig
{
    private readonly StringBuilder _python = new();
    private readonly StringBuilder _csharp = new();

    /// <summary>Whether no setting was written.</summary>
    public bool IsEmpty => _python.Length == 0;

    public KerasConfig Int(string name, int value) => Add(name, N(value), N(value));

    public KerasConfig Bool(string name, bool value) => Add(name, value ? "True" : "False", value ? "true" : "false");

    public KerasConfig Text(string name, string value)
        => Add(name, "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'", Emit.Naming.Literal(value));

    public KerasConfig Activation(string name, int activation) => Text(name, KerasActivation.Name(activation));

    public KerasConfig Ints(string name, int[] values)
        => Add(name, "(" + string.Join(", ", values.Select(N)) + (values.Length == 1 ? ",)" : ")"),
            "new int[] { " + string.Join(", ", values.Select(N)) + " }");

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

    /// <summary>A C# array expression of the runtime's typed settings, or null when there are none.</summary>
    public string? ToCSharp() => IsEmpty ? null : "new global::Unrolled.LayerSetting[] { " + _csharp + " }";

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private KerasConfig Add(string name, string python, string csharp)
    {
        _python.Append(_python.Length > 0 ? ", " : string.Empty).Append(name).Append('=').Append(python);
        _csharp.Append(_csharp.Length > 0 ? ", " : string.Empty).Append("new(").Append(Emit.Naming.Literal(name)).Append(", ").Append(csharp).Append(')');
        return this;
    }
}

/// <summary>Keras's names of the activations (<c>relu</c>, <c>hard_sigmoid</c>).</summary>
internal static class KerasActivation
{
    public static string Name(int activation)
        => activation >= 0 && activation < ActivationInfo.Count ? KerasNaming.SnakeCase(ActivationInfo.Names[activation]) : "linear";
}

using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Layers;

/// <summary>Settings written as Python keyword arguments, which <c>LayerSetting.ParseList</c> reads.</summary>
internal sealed class KerasConfig
{
    private readonly StringBuilder _text = new();

    public KerasConfig Int(string name, int value) => Add(name, N(value));

    public KerasConfig Bool(string name, bool value) => Add(name, value ? "True" : "False");

    public KerasConfig Text(string name, string value) => Add(name, "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'");

    public KerasConfig Activation(string name, int activation) => Text(name, KerasActivation.Name(activation));

    public KerasConfig Ints(string name, int[] values) => Add(name, "(" + string.Join(", ", values.Select(N)) + (values.Length == 1 ? ",)" : ")"));

    public KerasConfig Number(string name, double value)
    {
        if (double.IsNaN(value))
        {
            return Add(name, "nan");
        }

        if (double.IsInfinity(value))
        {
            return Add(name, value > 0 ? "inf" : "-inf");
        }

        // As Python's repr: 0.5, 2.0, 1e-05.
        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        return Add(name, text.IndexOfAny(new[] { '.', 'e' }) >= 0 ? text : text + ".0");
    }

    public override string ToString() => _text.ToString();

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private KerasConfig Add(string name, string value)
    {
        _text.Append(_text.Length > 0 ? ", " : string.Empty).Append(name).Append('=').Append(value);
        return this;
    }
}

/// <summary>Keras's names of the activations (<c>relu</c>, <c>hard_sigmoid</c>).</summary>
internal static class KerasActivation
{
    public static string Name(int activation)
        => activation >= 0 && activation < ActivationInfo.Count ? KerasNaming.SnakeCase(ActivationInfo.Names[activation]) : "linear";
}

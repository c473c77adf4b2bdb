using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Unrolled;

/// <summary>The type of a <see cref="LayerSetting"/>'s value.</summary>
public enum LayerSettingKind
{
    /// <summary>An <see cref="int"/> (<c>units</c>, <c>axis</c>).</summary>
    Integer,

    /// <summary>A <see cref="double"/> (<c>rate</c>, <c>momentum</c>, <c>epsilon</c>).</summary>
    Number,

    /// <summary>A <see cref="bool"/> (<c>use_bias</c>, <c>return_sequences</c>).</summary>
    Boolean,

    /// <summary>A <see cref="string"/> (<c>activation</c>, <c>padding</c>).</summary>
    Text,

    /// <summary>A tuple of <see cref="int"/>s (<c>kernel_size</c>, <c>strides</c>, <c>target_shape</c>).</summary>
    Integers,

    /// <summary>Python's <c>None</c>: an optional setting not given (MultiHeadAttention's <c>output_shape</c>); its
    /// <see cref="LayerSetting.Value"/> is null.</summary>
    None,
}

/// <summary>
/// One constant argument of a layer, named and typed as in Keras's <c>get_config()</c>: <c>units=64</c>,
/// <c>activation='relu'</c>, <c>kernel_size=(3, 3)</c>.
/// </summary>
public sealed class LayerSetting
{
    private readonly object? _value;

    private LayerSetting(string name, LayerSettingKind kind, object? value)
    {
        Name = name;
        Kind = kind;
        _value = value;
    }

    /// <summary>Creates an integer setting.</summary>
    /// <param name="name">The Keras name.</param>
    /// <param name="value">The value.</param>
    public LayerSetting(string name, int value)
        : this(CheckName(name), LayerSettingKind.Integer, value)
    {
    }

    /// <summary>Creates a floating-point setting.</summary>
    /// <param name="name">The Keras name.</param>
    /// <param name="value">The value.</param>
    public LayerSetting(string name, double value)
        : this(CheckName(name), LayerSettingKind.Number, value)
    {
    }

    /// <summary>Creates a Boolean setting.</summary>
    /// <param name="name">The Keras name.</param>
    /// <param name="value">The value.</param>
    public LayerSetting(string name, bool value)
        : this(CheckName(name), LayerSettingKind.Boolean, value)
    {
    }

    /// <summary>Creates a text setting.</summary>
    /// <param name="name">The Keras name.</param>
    /// <param name="value">The value.</param>
    public LayerSetting(string name, string value)
        : this(CheckName(name), LayerSettingKind.Text, value ?? throw new ArgumentNullException(nameof(value)))
    {
    }

    /// <summary>Creates a tuple setting.</summary>
    /// <param name="name">The Keras name.</param>
    /// <param name="value">The values (copied).</param>
    public LayerSetting(string name, IReadOnlyList<int> value)
        : this(CheckName(name), LayerSettingKind.Integers, Array.AsReadOnly(Copy(value ?? throw new ArgumentNullException(nameof(value)))))
    {
    }

    /// <summary>Creates a setting whose value is Python's <c>None</c> (an optional setting not given).</summary>
    /// <param name="name">The Keras name.</param>
    /// <returns>The setting.</returns>
    public static LayerSetting None(string name) => new(CheckName(name), LayerSettingKind.None, null);

    /// <summary>The Keras name (<c>units</c>, <c>kernel_size</c>).</summary>
    public string Name { get; }

    /// <summary>The value's type.</summary>
    public LayerSettingKind Kind { get; }

    /// <summary>The value: an <see cref="int"/>, <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> or
    /// <see cref="IReadOnlyList{T}"/> of <see cref="int"/>, as <see cref="Kind"/> says; null for <see cref="LayerSettingKind.None"/>.</summary>
    public object? Value => _value;

    /// <summary>The value of an <see cref="LayerSettingKind.Integer"/> setting.</summary>
    /// <exception cref="InvalidOperationException">The setting is of another kind.</exception>
    public int AsInt32() => Kind == LayerSettingKind.Integer ? (int)_value! : throw WrongKind(LayerSettingKind.Integer);

    /// <summary>The value of a <see cref="LayerSettingKind.Number"/> or <see cref="LayerSettingKind.Integer"/> setting.</summary>
    /// <exception cref="InvalidOperationException">The setting is of another kind.</exception>
    public double AsDouble() => Kind switch
    {
        LayerSettingKind.Number => (double)_value!,
        LayerSettingKind.Integer => (int)_value!,
        _ => throw WrongKind(LayerSettingKind.Number),
    };

    /// <summary>The value of a <see cref="LayerSettingKind.Boolean"/> setting.</summary>
    /// <exception cref="InvalidOperationException">The setting is of another kind.</exception>
    public bool AsBoolean() => Kind == LayerSettingKind.Boolean ? (bool)_value! : throw WrongKind(LayerSettingKind.Boolean);

    /// <summary>The value of a <see cref="LayerSettingKind.Text"/> setting.</summary>
    /// <exception cref="InvalidOperationException">The setting is of another kind.</exception>
    public string AsString() => Kind == LayerSettingKind.Text ? (string)_value! : throw WrongKind(LayerSettingKind.Text);

    /// <summary>The value of an <see cref="LayerSettingKind.Integers"/> setting.</summary>
    /// <exception cref="InvalidOperationException">The setting is of another kind.</exception>
    public IReadOnlyList<int> AsInt32s() => Kind == LayerSettingKind.Integers ? (IReadOnlyList<int>)_value! : throw WrongKind(LayerSettingKind.Integers);

    /// <summary>As Python prints a keyword argument: <c>kernel_size=(3, 3)</c>, <c>use_bias=True</c>,
    /// <c>padding='same'</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder(Name).Append('=');
        AppendValue(text);
        return text.ToString();
    }

    internal void AppendValue(StringBuilder text)
    {
        switch (Kind)
        {
            case LayerSettingKind.Integer:
                text.Append(((int)_value!).ToString(CultureInfo.InvariantCulture));
                break;
            case LayerSettingKind.Number:
                text.Append(FormatNumber((double)_value!));
                break;
            case LayerSettingKind.Boolean:
                text.Append((bool)_value! ? "True" : "False");
                break;
            case LayerSettingKind.None:
                text.Append("None");
                break;
            case LayerSettingKind.Text:
                text.Append('\'');
                foreach (char c in (string)_value!)
                {
                    if (c is '\'' or '\\')
                    {
                        text.Append('\\');
                    }

                    text.Append(c);
                }

                text.Append('\'');
                break;
            default:
                var values = (IReadOnlyList<int>)_value!;
                text.Append('(');
                for (int i = 0; i < values.Count; i++)
                {
                    text.Append(i > 0 ? ", " : string.Empty).Append(values[i].ToString(CultureInfo.InvariantCulture));
                }

                text.Append(values.Count == 1 ? ",)" : ")");
                break;
        }
    }

    /// <summary>A double as Python's <c>repr</c> would print it, so that it reads back as a number, not an integer.</summary>
    internal static string FormatNumber(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        return text.IndexOfAny(new[] { '.', 'e' }) >= 0 ? text : text + ".0";
    }

    private InvalidOperationException WrongKind(LayerSettingKind wanted)
        => new($"The setting '{Name}' is {Kind}, not {wanted}: {this}.");

    private static int[] Copy(IReadOnlyList<int> values)
    {
        var copy = new int[values.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = values[i];
        }

        return copy;
    }

    private static string CheckName(string name)
        => string.IsNullOrEmpty(name) ? throw new ArgumentException("A setting needs a name.", nameof(name)) : name;
}

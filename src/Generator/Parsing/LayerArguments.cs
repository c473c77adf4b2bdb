using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// The evaluated arguments of one builder call (<c>Dense(64, activation: Activation.Relu)</c>), by parameter name, with
/// where each was written: what a layer rule reads its typed settings from. Reading an argument that is only known at
/// run time reports UNR0004 there; the checks below report UNR0009 with Keras's wording.
/// </summary>
internal sealed class LayerArguments
{
    private readonly Dictionary<string, (Value Value, SourceSpan Span, bool Explicit)> _byName;
    private readonly System.Action<string, SourceSpan, string[]> _report;
    private readonly System.Func<bool> _quiet;

    /// <param name="callee">The function as the user wrote it (<c>Dense</c>, <c>Ops.Sum</c>), for messages.</param>
    /// <param name="callSpan">The call, where an argument left at its default is reported.</param>
    /// <param name="byName">Each argument's value, where it was written, and whether the user wrote it.</param>
    /// <param name="report">Reports a diagnostic (id, place, message arguments).</param>
    /// <param name="quiet">Whether evaluation has already failed, so that no further diagnostics pile on.</param>
    public LayerArguments(string callee, SourceSpan callSpan, Dictionary<string, (Value Value, SourceSpan Span, bool Explicit)> byName,
        System.Action<string, SourceSpan, string[]> report, System.Func<bool> quiet)
    {
        Callee = callee;
        CallSpan = callSpan;
        _byName = byName;
        _report = report;
        _quiet = quiet;
    }

    public string Callee { get; }

    public SourceSpan CallSpan { get; }

    public SourceSpan SpanOf(string name) => _byName.TryGetValue(name, out var a) ? a.Span : CallSpan;

    public bool IsExplicit(string name) => _byName.TryGetValue(name, out var a) && a.Explicit;

    public Value Raw(string name) => _byName.TryGetValue(name, out var a) ? a.Value : Value.Null;

    public void Report(string id, SourceSpan span, params string[] arguments) => _report(id, span, arguments);

    /// <summary>Reports UNR0009 at the argument <paramref name="name"/> and returns null.</summary>
    public T? Invalid<T>(string name, string message)
        where T : struct
    {
        Report(DiagnosticIds.InvalidArgument, SpanOf(name), message);
        return null;
    }

    /// <summary>The argument's value, or null (after reporting UNR0004) when it is only known at run time.</summary>
    public Value? Known(string name)
    {
        var value = Raw(name);
        if (value.Kind == ValueKind.Unknown)
        {
            if (!_quiet())
            {
                Report(DiagnosticIds.NonConstantArgument, SpanOf(name), name, Callee, value.Reason ?? "it is not constant");
            }

            return null;
        }

        return value;
    }

    public int? Int(string name)
    {
        var value = Known(name);
        return value is { Kind: ValueKind.Number, IsInteger: true } ? (int)value.Number : null;
    }

    public bool? Bool(string name) => Known(name) is { Kind: ValueKind.Bool } v ? v.Bool : null;

    /// <summary>A number argument (<c>rate</c>, <c>epsilon</c>), or null after reporting when it is not one.</summary>
    public double? Number(string name)
    {
        var value = Known(name);
        if (value is null)
        {
            return null;
        }

        return value.Kind == ValueKind.Number ? value.Number : Invalid<double>(name, $"{Callee} needs a number for '{name}', but it is {value}");
    }

    /// <summary>An optional name: null when absent; reports when it is not a compile-time string.</summary>
    public (bool Ok, string? Name) Name()
    {
        var value = Known("name");
        return value switch
        {
            null => (false, null),
            { Kind: ValueKind.Null } => (true, null),
            { Kind: ValueKind.String } => (true, value.String),
            _ => (false, null),
        };
    }

    /// <summary>A positive integer argument (units, filters), or null after reporting.</summary>
    public int? Positive(string name)
    {
        int? value = Int(name);
        return value is <= 0
            ? Invalid<int>(name, $"{Callee} needs a positive '{name}', but it is {value.Value.ToString(CultureInfo.InvariantCulture)}")
            : value;
    }

    /// <summary>An <c>Unrolled.Activation</c> argument, or null after reporting.</summary>
    public int? Activation(string name = "activation")
    {
        int? activation = Int(name);
        return activation is < 0 || activation >= ActivationInfo.Count ? Invalid<int>(name, $"{activation} is not an Unrolled.Activation value") : activation;
    }

    /// <summary>An <c>Unrolled.Padding</c> argument: true for same, false for valid; null after reporting.</summary>
    public bool? Padding(string name = "padding")
    {
        int? padding = Int(name);
        return padding switch
        {
            null => null,
            0 => false,
            1 => true,
            _ => Invalid<bool>(name, $"{padding} is not an Unrolled.Padding value (Padding.Valid or Padding.Same)"),
        };
    }

    /// <summary>
    /// A window argument (kernel size, strides, dilation, pool size) as (height, width): an integer for both, or an
    /// array [height, width]. A 1-D layer has height 1. Null (reported) when invalid.
    /// </summary>
    public (int Height, int Width)? Window(string name, bool oneDimensional, int? fallback)
    {
        var value = Known(name);
        if (value is null)
        {
            return null;
        }

        (int, int)? pair = value switch
        {
            { Kind: ValueKind.Null } when fallback is int f => (oneDimensional ? 1 : f, f),
            { Kind: ValueKind.Number, IsInteger: true } => (oneDimensional ? 1 : (int)value.Number, (int)value.Number),
            { Kind: ValueKind.List } when !oneDimensional && value.Items!.Count == 2 && value.Items.All(v => v is { Kind: ValueKind.Number, IsInteger: true })
                => ((int)value.Items[0].Number, (int)value.Items[1].Number),
            _ => null,
        };
        if (pair is not { } p || p.Item1 <= 0 || p.Item2 <= 0)
        {
            return Invalid<(int, int)>(name, $"{Callee} needs '{name}' to be a positive integer" +
                (oneDimensional ? string.Empty : " or [height, width] of positive integers") + $", but it is {value}");
        }

        return pair;
    }

    /// <summary>
    /// An axis argument as Keras takes it: an integer, or a list of integers (<c>axis: [1, 2]</c>). Null after
    /// reporting. The axes are returned as written; their range is checked against the input's rank when the shape is known.
    /// </summary>
    public EquatableArray<int>? Axes(string name)
    {
        var value = Known(name);
        if (value is null)
        {
            return null;
        }

        if (value is { Kind: ValueKind.Number, IsInteger: true })
        {
            return new[] { (int)value.Number }.ToEquatableArray();
        }

        if (value.Kind == ValueKind.List && value.Items!.Count > 0 && value.Items.All(v => v is { Kind: ValueKind.Number, IsInteger: true }))
        {
            return value.Items.Select(v => (int)v.Number).ToEquatableArray();
        }

        Report(DiagnosticIds.InvalidArgument, SpanOf(name), $"{Callee} needs '{name}' to be an integer or a non-empty array of integers, but it is {value}");
        return null;
    }
}

using System.Collections.Generic;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

internal enum ValueKind
{
    /// <summary>A value only known at run time; <see cref="Value.Reason"/> says why.</summary>
    Unknown,
    Null,
    Number,
    Bool,
    String,
    Tensor,
    Layer,
    List,
    Model,
    Void,

    /// <summary>A lambda expression or method group, kept to be called with tensors (a Lambda layer's function).</summary>
    Function,
}

/// <summary>
/// A value while the builder is evaluated at compile time. Numbers are kept as doubles with a flag for integers,
/// which is exact for every integer a builder plausibly uses. Lists have reference semantics, as C# arrays do.
/// </summary>
internal sealed class Value
{
    public static readonly Value Null = new(ValueKind.Null);
    public static readonly Value Void = new(ValueKind.Void);

    private Value(ValueKind kind) => Kind = kind;

    public ValueKind Kind { get; private set; }

    public double Number { get; private set; }

    public bool IsInteger { get; private set; }

    public bool Bool { get; private set; }

    public string? String { get; private set; }

    /// <summary>Tensor: the node that produces it. Layer: the layer index.</summary>
    public int Id { get; private set; }

    public List<Value>? Items { get; private set; }

    public BuiltModel? Model { get; private set; }

    /// <summary>A function value: the lambda or the method, and (for a lambda) the frame it captured.</summary>
    public FunctionValue? Function { get; private set; }

    /// <summary>Why an unknown value is unknown ("'n' is a method parameter…").</summary>
    public string? Reason { get; private set; }

    /// <summary>Where the tensor came from (for diagnostics that point at one input of a merge).</summary>
    public SourceSpan? Origin { get; private set; }

    public static Value Unknown(string reason) => new(ValueKind.Unknown) { Reason = reason };

    public static Value Integer(long value) => new(ValueKind.Number) { Number = value, IsInteger = true };

    public static Value Real(double value) => new(ValueKind.Number) { Number = value };

    /// <summary>A float: kept as a double, but printed as C# prints the float (0.1f is "0.1").</summary>
    public static Value Single(float value) => new(ValueKind.Number) { Number = value, IsSingle = true };

    /// <summary>Whether the number is a float (for printing).</summary>
    public bool IsSingle { get; private set; }

    public static Value Boolean(bool value) => new(ValueKind.Bool) { Bool = value };

    public static Value Text(string value) => new(ValueKind.String) { String = value };

    public static Value Tensor(int node, SourceSpan? origin = null) => new(ValueKind.Tensor) { Id = node, Origin = origin };

    public static Value Layer(int layer) => new(ValueKind.Layer) { Id = layer };

    public static Value List(List<Value> items) => new(ValueKind.List) { Items = items };

    public static Value Of(BuiltModel model) => new(ValueKind.Model) { Model = model };

    public static Value Of(FunctionValue function) => new(ValueKind.Function) { Function = function };

    /// <summary>The same value, remembered as written at <paramref name="origin"/> (lists keep sharing their items).</summary>
    public Value WithOrigin(SourceSpan origin) => Kind == ValueKind.Void ? this : new Value(Kind)
    {
        Number = Number, IsInteger = IsInteger, IsSingle = IsSingle, Bool = Bool, String = String, Id = Id, Items = Items, Model = Model, Function = Function,
        Reason = Reason, Origin = origin,
    };

    /// <summary>As C# formats the value in an interpolated string (with the invariant culture).</summary>
    public override string ToString() => Kind switch
    {
        ValueKind.Number when IsInteger => ((long)Number).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ValueKind.Number when IsSingle => ((float)Number).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ValueKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ValueKind.Bool => Bool ? "True" : "False",
        ValueKind.String => String!,
        ValueKind.Null => string.Empty,
        _ => Kind.ToString(),
    };
}

/// <summary>A <c>new Model(inputs, outputs, name)</c> seen during evaluation.</summary>
internal sealed class BuiltModel
{
    /// <summary>The model's index in the graph's model list (calls of one instance share its weights).</summary>
    public int Id { get; set; }

    public BuiltModel(List<Value> inputs, List<Value> outputs, string? name, SourceSpan span, SourceSpan inputsSpan, SourceSpan outputsSpan)
    {
        Inputs = inputs;
        Outputs = outputs;
        Name = name;
        Span = span;
        InputsSpan = inputsSpan;
        OutputsSpan = outputsSpan;
    }

    public List<Value> Inputs { get; }

    public List<Value> Outputs { get; }

    public string? Name { get; }

    public SourceSpan Span { get; }

    public SourceSpan InputsSpan { get; }

    public SourceSpan OutputsSpan { get; }
}

/// <summary>
/// A function a builder passes around (a Lambda layer's body). It holds compiler objects, which is fine: values live
/// only while the builder is evaluated and never reach the pipeline's model.
/// </summary>
internal sealed class FunctionValue
{
    public FunctionValue(Microsoft.CodeAnalysis.IMethodSymbol method, Microsoft.CodeAnalysis.IOperation? body, object? captured)
    {
        Method = method;
        Body = body;
        Captured = captured;
    }

    /// <summary>The lambda's symbol or the referenced method.</summary>
    public Microsoft.CodeAnalysis.IMethodSymbol Method { get; }

    /// <summary>A lambda's body; null for a method group (its body is read like a helper's).</summary>
    public Microsoft.CodeAnalysis.IOperation? Body { get; }

    /// <summary>The evaluator's frame the lambda closes over.</summary>
    public object? Captured { get; }
}

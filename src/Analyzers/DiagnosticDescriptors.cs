using Microsoft.CodeAnalysis;

namespace Unrolled.Analyzers;

/// <summary>
/// Every diagnostic Unrolled reports. The analyzer reports them; the generator only uses them to decide that a
/// model is invalid and emits nothing for it. Each id has a page in docs/diagnostics/ID.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Unrolled";
    private const string HelpRoot = Unrolled.Generator.Diagnostics.DiagnosticIds.HelpRoot;

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "UNR0001", "Shape mismatch at a layer call",
        "{0}: {1}",
        "A layer is applied to a tensor whose shape it cannot take. The message names both shapes and the axis.");

    public static readonly DiagnosticDescriptor GraphDisconnected = Error(
        "UNR0002", "Graph disconnected",
        "Output '{0}' depends on input '{1}', which the model does not list; add '{2}' to the model's inputs",
        "Every Input that an output depends on must be listed in Model(inputs, …), as in Keras.");

    public static readonly DiagnosticDescriptor DuplicateName = Error(
        "UNR0003", "Duplicate name",
        "The name '{0}' is already used by another {1} in this model; names must be unique",
        "Layer and input names identify weights, inputs and outputs, so each must be unique within a model.");

    public static readonly DiagnosticDescriptor NonConstantArgument = Error(
        "UNR0004", "Argument is not a compile-time value",
        "Argument '{0}' of {1} must be known at compile time, but {2}",
        "A model builder is evaluated at compile time, so layer arguments must be literals, constants, loop variables with constant bounds, or constant helper arguments.");

    public static readonly DiagnosticDescriptor UnsupportedConstruct = Error(
        "UNR0005", "Unsupported construct in a model builder",
        "{0} cannot be evaluated at compile time in a model builder{1}",
        "The generator evaluates builder methods at compile time and supports a subset of C#: locals, arithmetic, if, for, foreach, while, arrays and lists, and calls to helper methods in the same project.");

    public static readonly DiagnosticDescriptor InvalidBuilder = Error(
        "UNR0006", "Invalid model builder method",
        "{0}",
        "A [ModelBuilder] method must be a static, parameterless method returning Unrolled.Model, declared in a non-generic partial class (and every containing class must be partial); a [LossFunction] method must be static Tensor Name(Tensor yTrue, Tensor yPred).");

    public static readonly DiagnosticDescriptor NoOutputs = Error(
        "UNR0007", "Model has no outputs",
        "{0}",
        "A model needs at least one input and one output, as Keras requires.");

    public static readonly DiagnosticDescriptor DTypeMismatch = Error(
        "UNR0008", "Element type mismatch",
        "{0} takes float32 tensors, but '{1}' is {2}",
        "Integer inputs (DType.Int32) carry token ids for an Embedding layer; float layers cannot take them directly.");

    public static readonly DiagnosticDescriptor InvalidArgument = Error(
        "UNR0009", "Invalid layer argument",
        "{0}",
        "A layer argument is outside the values the layer accepts (for example a non-positive number of units or an axis out of range).");

    public static readonly DiagnosticDescriptor UnusedInput = Warning(
        "UNR0010", "Unused model input",
        "Input '{0}' is listed in the model's inputs but no output depends on it",
        "An input that no output uses still has to be fed to Predict and Fit; remove it unless that is intended.");

    public static readonly DiagnosticDescriptor InputListedTwice = Error(
        "UNR0011", "Input or output listed twice",
        "'{0}' is listed more than once in the model's {1}",
        "Each input and each output of a model is listed once (a tensor listed twice as an output would get two losses on one set of values).");

    public static readonly DiagnosticDescriptor EvaluationLimit = Error(
        "UNR0012", "Builder evaluation limit reached",
        "Evaluating the model builder took more than {0} steps (each layer call counts as 100); a loop probably never ends",
        "The generator stops evaluating a builder after a fixed number of steps so that an endless loop cannot hang the compiler.");

    public static readonly DiagnosticDescriptor NotAnInput = Error(
        "UNR0013", "Model input is not an Input",
        "'{0}' is listed as a model input but is the output of layer '{1}'; a model's inputs must come from Input(…)",
        "Keras models take the tensors returned by Input(…) as inputs.");

    public static readonly DiagnosticDescriptor Recursion = Error(
        "UNR0014", "Recursive builder call",
        "'{0}' calls itself (directly or through other helpers); a model builder is unrolled at compile time and cannot recurse",
        "Helper methods called from a builder are inlined at compile time, so they cannot be recursive.");

    public static readonly DiagnosticDescriptor AmbiguousNode = Error(
        "UNR0015", "Ambiguous output of a shared layer",
        "'{0}' has {1} nodes (one per call; a model's node 0 is the model as built), so '{2}' is ambiguous; use {3}(0) … {3}({1} - 1) to say which you mean",
        "A layer applied several times has one node per call, indexed from 0. Keras 2 raises this at run time and Keras 3 silently picks node 0; Unrolled reports it at compile time.");

    public static readonly DiagnosticDescriptor SharedLayerShapeMismatch = Error(
        "UNR0016", "Shared layer applied to tensors of different shapes",
        "{0}: {1}",
        "A shared layer has one set of weights, built for the shape of its first call; every later call must pass a tensor that fits those weights.");

    public static readonly DiagnosticDescriptor NestedTooDeeply = Error(
        "UNR0018", "Builder nested too deeply",
        "The model builder nests more than {0} levels deep here; split the expression with local variables or a loop",
        "The generator bounds how deeply a builder's code may nest, so that an absurdly deep expression cannot overflow the compiler's stack.");

    public static readonly DiagnosticDescriptor MaskDropped = Warning(
        "UNR0019", "Layer does not support masking",
        "{0} does not support masking, so the mask {1} attaches to its input stops here: the layers after it see every step, padding included",
        "Keras masks (from Embedding(maskZero: true) or Masking) flow through the layers that support them. A layer that does not (Flatten, a convolution, a Lambda, ...) drops the mask, as Keras does with the same warning; put it after the layers that need the mask, or pool the sequence first.");

    public static readonly DiagnosticDescriptor MemberConflict = Error(
        "UNR0020", "Member generated for the model",
        "'{0}' is generated for the model {1}; remove or rename this one (the generated one is left out while it exists)",
        "The generator writes the model's constructors, size constants, typed Predict and TrainOnBatch and the Losses class into the model's partial class. A member the user declares with the same signature is reported here, at the user's member, and the generator leaves its own out, instead of the build failing with CS0111 inside a generated file.");

    private static DiagnosticDescriptor Error(string id, string title, string message, string description)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description, HelpRoot + id + ".md");

    private static DiagnosticDescriptor Warning(string id, string title, string message, string description)
        => new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpRoot + id + ".md");

    /// <summary>Every descriptor, for the analyzer's SupportedDiagnostics and the docs test.</summary>
    public static readonly DiagnosticDescriptor[] All =
    [
        ShapeMismatch, GraphDisconnected, DuplicateName, NonConstantArgument, UnsupportedConstruct, InvalidBuilder,
        NoOutputs, DTypeMismatch, InvalidArgument, UnusedInput, InputListedTwice, EvaluationLimit, NotAnInput, Recursion,
        AmbiguousNode, SharedLayerShapeMismatch, NestedTooDeeply, MaskDropped, MemberConflict,
    ];
}

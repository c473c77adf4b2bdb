namespace Unrolled.Generator.Diagnostics;

/// <summary>
/// The ids of Unrolled's diagnostics. The generator and the shared parsing / shape code only need the ids; the
/// descriptors (titles, messages, severities) live with the analyzer that reports them.
/// </summary>
internal static class DiagnosticIds
{
    /// <summary>Where each id's page is (docs/diagnostics/ID.md in the repository); absolute so that it works for package
    /// users, whose projects have no docs folder (the repository address is the package's RepositoryUrl).</summary>
    public const string HelpRoot = "https://github.com/unrolled-net/unrolled/blob/main/docs/diagnostics/";

    public const string ShapeMismatch = "UNR0001";

    public const string GraphDisconnected = "UNR0002";

    public const string DuplicateName = "UNR0003";

    public const string NonConstantArgument = "UNR0004";

    public const string UnsupportedConstruct = "UNR0005";

    public const string InvalidBuilder = "UNR0006";

    public const string NoOutputs = "UNR0007";

    public const string DTypeMismatch = "UNR0008";

    public const string InvalidArgument = "UNR0009";

    public const string UnusedInput = "UNR0010";

    public const string InputListedTwice = "UNR0011";

    public const string EvaluationLimit = "UNR0012";

    public const string NotAnInput = "UNR0013";

    public const string Recursion = "UNR0014";

    public const string AmbiguousNode = "UNR0015";

    public const string SharedLayerShapeMismatch = "UNR0016";

    /// <summary>Reported by the generator itself: it failed on a model the analyzer accepted (our bug).</summary>
    public const string InternalError = "UNR0017";

    public const string NestedTooDeeply = "UNR0018";
    public const string MaskDropped = "UNR0019";

    /// <summary>The user declared a member the generator writes for the model (a constructor, a size constant, Predict).</summary>
    public const string MemberConflict = "UNR0020";

    /// <summary>Whether a diagnostic is a warning: the model is still generated.</summary>
    public static bool IsWarning(string id) => id is UnusedInput or MaskDropped;
}

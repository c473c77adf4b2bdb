using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator;

/// <summary>
/// The diagnostics the generator reports itself. Every other one is the analyzer's (it reports them while the user
/// types): UNR0017 says that the generator failed on a model the analyzer accepted, which is a bug in Unrolled, so that
/// the user sees why the model's members are missing instead of only the errors that their absence causes; UNR0009 here
/// is a size only planning finds.
/// </summary>
internal static class GeneratorDiagnostics
{
    public static readonly DiagnosticDescriptor InternalError = new(
        DiagnosticIds.InternalError,
        "Unrolled could not generate this model",
        "Unrolled failed while generating model '{0}' ({1} step), which is a bug in Unrolled: please report it with the builder method ({2})",
        "Unrolled",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        "The generator failed on a model its analyzer found valid, so the model class has none of its generated members. This is a bug in Unrolled, not in the model.",
        DiagnosticIds.HelpRoot + DiagnosticIds.InternalError + ".md");

    /// <summary>A layer whose working buffers do not fit an int, found only when the generator plans them (the analyzer
    /// checks every tensor's size, not each layer's scratch). The analyzer's UNR0009, reported at the model.</summary>
    public static readonly DiagnosticDescriptor TooLarge = new(
        DiagnosticIds.InvalidArgument,
        "Invalid layer argument",
        "{0}",
        "Unrolled",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        "Every buffer of a generated model is indexed with ints, so no layer may need more than 2,147,483,647 values per sample.",
        DiagnosticIds.HelpRoot + DiagnosticIds.InvalidArgument + ".md");

    /// <summary>The location of <paramref name="span"/> in its file, without a compilation (the pipeline holds none).</summary>
    public static Location ToLocation(SourceSpan span)
        => span.FilePath.Length == 0
            ? Location.None
            : Location.Create(span.FilePath, new TextSpan(span.Start, span.Length),
                new LinePositionSpan(new LinePosition(span.StartLine, span.StartColumn), new LinePosition(span.EndLine, span.EndColumn)));
}

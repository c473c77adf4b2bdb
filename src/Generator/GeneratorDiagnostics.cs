using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator;

/// <summary>
/// The one diagnostic the generator reports itself. Every other one is the analyzer's (it reports them while the user
/// types); this one says that the generator failed on a model the analyzer accepted, which is a bug in Unrolled, so
/// that the user sees why the model's members are missing instead of only the errors that their absence causes.
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

    /// <summary>The location of <paramref name="span"/> in its file, without a compilation (the pipeline holds none).</summary>
    public static Location ToLocation(SourceSpan span)
        => span.FilePath.Length == 0
            ? Location.None
            : Location.Create(span.FilePath, new TextSpan(span.Start, span.Length),
                new LinePositionSpan(new LinePosition(span.StartLine, span.StartColumn), new LinePosition(span.EndLine, span.EndColumn)));
}

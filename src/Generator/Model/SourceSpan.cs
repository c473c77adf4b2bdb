namespace Unrolled.Generator.Model;

/// <summary>
/// Where something is in the user's code, as plain data (a <c>Location</c> would pin a whole compilation in the
/// incremental pipeline's cache). The analyzer turns it back into a location.
/// </summary>
internal sealed record SourceSpan(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public static readonly SourceSpan None = new(string.Empty, 0, 0, 0, 0, 0, 0);
}

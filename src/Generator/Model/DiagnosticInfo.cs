namespace Unrolled.Generator.Model;

/// <summary>A diagnostic as plain data: the descriptor's id, where, and the message arguments.</summary>
/// <param name="Id">The diagnostic id (<c>UNR0001</c> …).</param>
/// <param name="Span">Where the squiggle goes.</param>
/// <param name="Arguments">The message's arguments.</param>
/// <param name="Related">Another place a code fix needs (UNR0002: where the missing input is created).</param>
internal sealed record DiagnosticInfo(string Id, SourceSpan Span, EquatableArray<string> Arguments, SourceSpan? Related = null);

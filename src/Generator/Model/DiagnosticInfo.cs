namespace Unrolled.Generator.Model;

/// <summary>A diagnostic as plain data: the descriptor's id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, SourceSpan Span, EquatableArray<string> Arguments);

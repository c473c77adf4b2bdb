using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>
/// Span markup for diagnostic tests: <c>{|UNR0001:Dense(64)(x)|}</c> says a UNR0001 squiggle covers exactly that
/// text. Parse strips the markup and returns where each expected diagnostic is.
/// </summary>
internal static class Markup
{
    private static readonly Regex s_open = new(@"\{\|(UNR\d{4}):", RegexOptions.Compiled);

    public static (string Source, List<(string Id, TextSpan Span)> Expected) Parse(string markup)
    {
        var text = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        int i = 0;
        while (i < markup.Length)
        {
            var match = s_open.Match(markup, i);
            int close = markup.IndexOf("|}", i, System.StringComparison.Ordinal);
            if (match.Success && (close < 0 || match.Index < close))
            {
                text.Append(markup, i, match.Index - i);
                open.Push((match.Groups[1].Value, text.Length));
                i = match.Index + match.Length;
            }
            else if (close >= 0 && open.Count > 0)
            {
                text.Append(markup, i, close - i);
                var (id, start) = open.Pop();
                expected.Add((id, TextSpan.FromBounds(start, text.Length)));
                i = close + 2;
            }
            else
            {
                text.Append(markup, i, markup.Length - i);
                break;
            }
        }

        return (text.ToString(), expected);
    }
}

using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Unrolled.Generator.Emit;

/// <summary>Turns Keras names (<c>main_input</c>, <c>dense_2</c>) into C# identifiers (<c>mainInput</c>, <c>Dense2</c>).</summary>
internal static class Naming
{
    public static string Camel(string kerasName)
    {
        string pascal = Pascal(kerasName);
        string camel = char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
        return SyntaxFacts.GetKeywordKind(camel) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(camel) != SyntaxKind.None
            ? "@" + camel
            : camel;
    }

    public static string Pascal(string kerasName)
    {
        var text = new StringBuilder();
        bool upper = true;
        foreach (char c in kerasName)
        {
            if (char.IsLetterOrDigit(c) && c < 128)
            {
                text.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else
            {
                upper = true;
            }
        }

        if (text.Length == 0 || char.IsDigit(text[0]))
        {
            text.Insert(0, "T");
        }

        return text.ToString();
    }

    /// <summary>Makes each name unique among those already taken by appending a number.</summary>
    public static string Unique(string name, HashSet<string> taken)
    {
        string candidate = name;
        for (int i = 2; !taken.Add(candidate); i++)
        {
            candidate = name + i;
        }

        return candidate;
    }

    public static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);
}

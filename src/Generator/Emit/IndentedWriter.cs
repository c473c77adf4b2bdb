using System.Text;

namespace Unrolled.Generator.Emit;

/// <summary>Writes C# text line by line with indentation; cheaper than building syntax trees and normalising them.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="line"/> (if any) and opens a brace block.</summary>
    public IndentedWriter Open(string line)
    {
        if (line.Length > 0)
        {
            Line(line);
        }

        Line("{");
        _indent++;
        return this;
    }

    public IndentedWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _text.ToString();
}

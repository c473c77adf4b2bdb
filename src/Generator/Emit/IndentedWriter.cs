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

    /// <summary>Where the next line will be written, for <see cref="Insert"/>.</summary>
    public (int Position, int Indent) Mark => (_text.Length, _indent);

    /// <summary>Inserts lines at a place marked earlier, indented as the text was there.</summary>
    public void Insert((int Position, int Indent) mark, System.Collections.Generic.IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (string line in lines)
        {
            text.Append(' ', mark.Indent * 4).Append(line).Append('\n');
        }

        _text.Insert(mark.Position, text.ToString());
    }

    public override string ToString() => _text.ToString();
}

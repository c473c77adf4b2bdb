using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Unrolled;

/// <summary>The text formats <see cref="CompiledModel.Graph(GraphFormat, bool, bool)"/> writes.</summary>
public enum GraphFormat
{
    /// <summary>Graphviz's DOT, as Keras's <c>model_to_dot</c>: record boxes, nested models as
    /// <c>subgraph cluster_…</c>. Render with <c>dot -Tsvg model.dot -o model.svg</c>.</summary>
    Dot,

    /// <summary>A Mermaid flowchart, which GitHub, GitLab and many Markdown viewers draw from a <c>```mermaid</c>
    /// block; nested models as <c>subgraph</c>s.</summary>
    Mermaid,
}

/// <summary>Writes a <see cref="GraphDrawing"/> as DOT or Mermaid text.</summary>
internal static class GraphText
{
    public static string Write(ModelGraph graph, GraphFormat format, bool showShapes, bool expandNested)
    {
        var drawing = new GraphDrawing(graph, expandNested);
        return format == GraphFormat.Mermaid ? Mermaid(graph, drawing, showShapes) : Dot(graph, drawing, showShapes);
    }

    private static string Dot(ModelGraph graph, GraphDrawing drawing, bool showShapes)
    {
        var text = new StringBuilder();
        text.Append("digraph \"").Append(DotString(graph.Name)).Append("\" {\n");
        text.Append("  graph [rankdir=TB];\n");
        text.Append("  node [shape=record];\n");
        WriteLevel(drawing, -1, "  ", text,
            (box, indent) =>
            {
                // Keras's record: "name: Type", then the field names and the shapes, one column each.
                string label = Record(box.Name) + ": " + Record(box.Type);
                if (showShapes)
                {
                    label += "|{input:|output:}|{{" + Record(box.Input) + "}|{" + Record(box.Output) + "}}";
                }

                text.Append(indent).Append('n').Append(N(box.Index)).Append(" [label=\"").Append(label).Append("\"];\n");
            },
            (cluster, indent) => text.Append(indent).Append("subgraph cluster_").Append(N(cluster.Index)).Append(" {\n")
                .Append(indent).Append("  label=\"").Append(DotString(cluster.Name)).Append("\";\n")
                .Append(indent).Append("  style=dashed;\n")
                .Append(indent).Append("  labeljust=l;\n"),
            indent => text.Append(indent).Append("}\n"));
        foreach (var (from, to) in drawing.Edges)
        {
            text.Append("  n").Append(N(from)).Append(" -> n").Append(N(to)).Append(";\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string Mermaid(ModelGraph graph, GraphDrawing drawing, bool showShapes)
    {
        var text = new StringBuilder();
        text.Append("flowchart TB\n");
        WriteLevel(drawing, -1, "  ", text,
            (box, indent) =>
            {
                string label = MermaidText(box.Name) + ": " + MermaidText(box.Type);
                if (showShapes)
                {
                    label += "<br/>input: " + MermaidText(box.Input) + "<br/>output: " + MermaidText(box.Output);
                }

                text.Append(indent).Append('n').Append(N(box.Index)).Append("[\"").Append(label).Append("\"]\n");
            },
            (cluster, indent) => text.Append(indent).Append("subgraph c").Append(N(cluster.Index)).Append("[\"").Append(MermaidText(cluster.Name)).Append("\"]\n"),
            indent => text.Append(indent).Append("end\n"));
        foreach (var (from, to) in drawing.Edges)
        {
            text.Append("  n").Append(N(from)).Append(" --> n").Append(N(to)).Append('\n');
        }

        for (int c = 0; c < drawing.Clusters.Count; c++)
        {
            text.Append("  style c").Append(N(c)).Append(" stroke-dasharray: 5 5\n");
        }

        return text.ToString();
    }

    /// <summary>Writes the boxes and clusters of one level in the order of their first nodes, clusters recursively.</summary>
    private static void WriteLevel(GraphDrawing drawing, int cluster, string indent, StringBuilder text,
        System.Action<GraphDrawing.Box, string> box, System.Action<GraphDrawing.Cluster, string> open, System.Action<string> close)
    {
        var items = new List<(int First, GraphDrawing.Box? Box, GraphDrawing.Cluster? Cluster)>();
        foreach (var b in drawing.Boxes.Where(b => b.Cluster == cluster))
        {
            items.Add((b.Nodes[0].Id, b, null));
        }

        foreach (var c in drawing.Clusters.Where(c => c.Parent == cluster))
        {
            items.Add((FirstNode(drawing, c.Index), null, c));
        }

        foreach (var (_, b, c) in items.OrderBy(i => i.First))
        {
            if (b is not null)
            {
                box(b, indent);
            }
            else
            {
                open(c!, indent);
                WriteLevel(drawing, c!.Index, indent + "  ", text, box, open, close);
                close(indent);
            }
        }
    }

    private static int FirstNode(GraphDrawing drawing, int cluster)
    {
        int first = int.MaxValue;
        foreach (var b in drawing.Boxes)
        {
            if (b.Cluster == cluster)
            {
                first = System.Math.Min(first, b.Nodes[0].Id);
            }
        }

        foreach (var c in drawing.Clusters)
        {
            if (c.Parent == cluster)
            {
                first = System.Math.Min(first, FirstNode(drawing, c.Index));
            }
        }

        return first;
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Text inside a DOT quoted string: a quote and a backslash escaped (so that Graphviz's label escapes such as
    /// <c>\N</c> stay literal), a line break as DOT's <c>\n</c>.
    /// </summary>
    internal static string DotString(string value) => Escape(value, record: false);

    /// <summary>Text inside a record label's field: also the characters that structure records (<c>{ } | &lt; &gt;</c>).</summary>
    internal static string Record(string value) => Escape(value, record: true);

    private static string Escape(string value, bool record)
    {
        var text = new StringBuilder();
        foreach (char c in value)
        {
            switch (c)
            {
                case '"' or '\\':
                    text.Append('\\').Append(c);
                    break;
                case '{' or '}' or '|' or '<' or '>' when record:
                    text.Append('\\').Append(c);
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r' or '\t':
                    text.Append(' ');
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>Text inside a Mermaid quoted label, with its entity codes for what Mermaid or HTML would read.</summary>
    internal static string MermaidText(string value)
    {
        var text = new StringBuilder();
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    text.Append("#quot;");
                    break;
                case '#':
                    text.Append("#35;");
                    break;
                case '<':
                    text.Append("#lt;");
                    break;
                case '>':
                    text.Append("#gt;");
                    break;
                case '&':
                    text.Append("#amp;");
                    break;
                case '`':
                    text.Append("#96;");
                    break;
                case '\n' or '\r' or '\t':
                    text.Append(' ');
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        return text.ToString();
    }
}

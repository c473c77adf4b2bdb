using System;
using System.IO;
using System.Text;
using Unrolled.Interop.Hdf5;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Runtime.Tests;

public class Hdf5DumpScratch(ITestOutputHelper output)
{
    [Fact]
    public void Dump()
    {
        foreach (var path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "keras"), "*.h5"))
        {
            var text = new StringBuilder();
            try
            {
                var file = Hdf5File.Open(File.ReadAllBytes(path), Path.GetFileName(path));
                text.AppendLine($"== {Path.GetFileName(path)} superblock {file.SuperblockVersion}");
                Walk(file.Root, text, 0);
            }
            catch (Exception e)
            {
                text.AppendLine("FAILED " + e);
            }
            output.WriteLine(text.ToString());
        }
    }

    private static void Walk(Hdf5Object obj, StringBuilder text, int depth)
    {
        string pad = new(' ', depth * 2);
        foreach (var a in obj.Attributes)
        {
            text.AppendLine($"{pad}@{a.Name} {a.Type.Description} {a.Space}: {(a.Type.Kind is Hdf5TypeKind.FixedString or Hdf5TypeKind.VariableString ? string.Join("|", obj.Strings(a)) : "")}");
        }
        foreach (var link in obj.Links)
        {
            var child = obj.Child(link.Name)!;
            if (child.IsDataset)
            {
                var values = new float[child.DataSpace.Count];
                string v;
                try { child.ReadFloats(values); v = string.Join(",", values[..Math.Min(4, values.Length)]); } catch (Exception e) { v = e.Message; }
                text.AppendLine($"{pad}{link.Name} {child.DataType.Description} {child.DataSpace} {v}");
                Walk(child, text, depth + 1);
            }
            else
            {
                text.AppendLine($"{pad}{link.Name}/");
                Walk(child, text, depth + 1);
            }
        }
    }
}

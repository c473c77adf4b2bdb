using System;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

/// <summary>An attribute: name, type, shape and its raw values (which lie in the object's header).</summary>
internal sealed record Hdf5Attribute(string Name, Hdf5Datatype Type, Hdf5Dataspace Space, int DataStart, int DataLength);

internal sealed partial class Hdf5Object
{
    private List<Hdf5Attribute>? _attributes;

    /// <summary>The attributes stored in the header (compact storage, which is all h5py writes for small ones).</summary>
    public IReadOnlyList<Hdf5Attribute> Attributes => _attributes ??= ReadAttributes();

    public Hdf5Attribute? Attribute(string name)
    {
        foreach (var a in Attributes)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>An attribute's values as strings (fixed-length or variable-length string attributes, scalar or 1-D).</summary>
    public List<string> Strings(Hdf5Attribute attribute)
    {
        long count = attribute.Space.Count;
        string what = $"attribute '{attribute.Name}' of '{Path}'";
        if (attribute.Type.Kind is not (Hdf5TypeKind.FixedString or Hdf5TypeKind.VariableString))
        {
            if (count == 0)
            {
                return new List<string>(); // Keras 2 writes an empty float64 array for a layer without weights
            }

            throw new NotSupportedException($"The {what} in {File.Source} holds {attribute.Type.Description} values, not strings.");
        }

        return Hdf5Convert.ToStrings(File, File.Data.AsSpan(attribute.DataStart, attribute.DataLength), attribute.Type, count, what);
    }

    private List<Hdf5Attribute> ReadAttributes()
    {
        var attributes = new List<Hdf5Attribute>();
        if (Message(AttributeInfo, "attribute info message") is { } info)
        {
            info.U8();
            int flags = info.U8();
            if ((flags & 1) != 0)
            {
                info.U16(); // maximum creation index
            }

            if (info.Address() >= 0)
            {
                throw new NotSupportedException($"'{Path}' in {File.Source} keeps its attributes in dense storage (a fractal heap), which is not supported.");
            }
        }

        foreach (var m in Messages)
        {
            if (m.Type != AttributeMessage)
            {
                continue;
            }

            CheckNotShared(m, "attribute message");
            var r = new Hdf5Reader(File.Data, m.Start, m.Start + m.Length, File.OffsetSize, File.LengthSize, $"an attribute message of '{Path}'");
            int version = r.U8();
            int flags = r.U8(); // reserved in version 1
            int nameSize = r.U16();
            int typeSize = r.U16();
            int spaceSize = r.U16();
            if (version == 3)
            {
                r.U8(); // name character set
            }
            else if (version != 1 && version != 2)
            {
                throw Hdf5File.Corrupt($"an attribute of '{Path}' has version {version}");
            }

            if (version >= 2 && (flags & 3) != 0)
            {
                throw new NotSupportedException($"An attribute of '{Path}' in {File.Source} uses a shared datatype or dataspace, which is not supported.");
            }

            int Pad(int size) => version == 1 ? (size + 7) & ~7 : size;
            var nameBytes = r.Bytes(Pad(nameSize));
            int nul = nameBytes.IndexOf((byte)0);
            string name = Hdf5Reader.Decode(nul < 0 ? nameBytes[..Math.Min(nameSize, nameBytes.Length)] : nameBytes[..nul]);
            var typeReader = r;
            r.Skip(Pad(typeSize));
            var type = Hdf5Datatype.Read(new Hdf5Reader(File.Data, typeReader.Position, typeReader.Position + typeSize, File.OffsetSize,
                File.LengthSize, $"the datatype of attribute '{name}' of '{Path}'"));
            var spaceReader = r;
            r.Skip(Pad(spaceSize));
            var space = Hdf5Dataspace.Read(new Hdf5Reader(File.Data, spaceReader.Position, spaceReader.Position + spaceSize, File.OffsetSize,
                File.LengthSize, $"the dataspace of attribute '{name}' of '{Path}'"));
            long count = space.Count;
            if (count < 0 || count > r.Remaining / type.Size)
            {
                throw Hdf5File.Corrupt($"attribute '{name}' of '{Path}' claims {space} elements of {type.Size} bytes, more than its message holds");
            }

            attributes.Add(new Hdf5Attribute(name, type, space, r.Position, (int)(count * type.Size)));
        }

        return attributes;
    }
}

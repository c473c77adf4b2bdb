using System;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

internal sealed partial class Hdf5Object
{
    private Hdf5Datatype? _type;
    private Hdf5Dataspace? _space;

    /// <summary>The dataset's element type.</summary>
    public Hdf5Datatype DataType => _type ??= Hdf5Datatype.Read(Message(Datatype, "datatype message")
        ?? throw Hdf5File.Corrupt($"dataset '{Path}' has no datatype message"));

    /// <summary>The dataset's shape.</summary>
    public Hdf5Dataspace DataSpace => _space ??= Hdf5Dataspace.Read(Message(Dataspace, "dataspace message")
        ?? throw Hdf5File.Corrupt($"dataset '{Path}' has no dataspace message"));

    /// <summary>
    /// Reads the dataset's values as floats into <paramref name="destination"/>, whose length the caller has checked
    /// against <see cref="DataSpace"/> (so nothing larger than the caller expects is ever allocated).
    /// </summary>
    public void ReadFloats(Span<float> destination)
    {
        long count = DataSpace.Count;
        if (count != destination.Length)
        {
            throw new InvalidOperationException($"Dataset '{Path}' has {count} elements, not {destination.Length}.");
        }

        var type = DataType;
        bool bfloat16 = false;
        if (type.Kind == Hdf5TypeKind.Opaque && Attribute("dtype") is { } dtype && dtype.Type.Kind is Hdf5TypeKind.FixedString or Hdf5TypeKind.VariableString)
        {
            var marker = Strings(dtype);
            bfloat16 = marker.Count == 1 && marker[0] == "bfloat16";
        }

        if (type.Kind != Hdf5TypeKind.Float && !(bfloat16 && type.Size == 2))
        {
            throw new NotSupportedException($"Dataset '{Path}' in {File.Source} holds {type.Description} values; only float16, float32, float64 and bfloat16 weights are read.");
        }

        if (count == 0)
        {
            return;
        }

        var raw = ReadRaw(count * type.Size);
        Hdf5Convert.ToFloats(raw, type, destination, bfloat16, $"dataset '{Path}'");
    }

    /// <summary>The dataset's bytes, <paramref name="size"/> of them, assembled from its layout.</summary>
    private byte[] ReadRaw(long size)
    {
        if (Has(ExternalFiles))
        {
            throw new NotSupportedException($"Dataset '{Path}' in {File.Source} keeps its data in external files, which is not supported.");
        }

        var r = Message(Layout, "data layout message")!.Value;
        int version = r.U8();
        if (version is not (3 or 4))
        {
            throw new NotSupportedException($"HDF5 data layout message version {version} (dataset '{Path}') is not supported (versions 3 and 4 are).");
        }

        int layoutClass = r.U8();
        switch (layoutClass)
        {
            case 0:
            {
                int compactSize = r.U16();
                if (compactSize < size)
                {
                    throw Hdf5File.Corrupt($"compact dataset '{Path}' holds {compactSize} bytes, fewer than its {size}");
                }

                return r.Bytes(size).ToArray();
            }

            case 1:
            {
                long address = r.Address();
                long stored = r.Length();
                if (address < 0)
                {
                    throw Hdf5File.Corrupt($"dataset '{Path}' has no storage allocated");
                }

                if (stored < size)
                {
                    throw Hdf5File.Corrupt($"contiguous dataset '{Path}' stores {stored} bytes, fewer than its {size}");
                }

                return File.At(address, size, $"the data of '{Path}'").Bytes(size).ToArray();
            }

            case 2:
                return new Hdf5Chunks(this, r, version, size).Read();
            case 3:
                throw new NotSupportedException($"Dataset '{Path}' in {File.Source} is a virtual dataset, which is not supported.");
            default:
                throw Hdf5File.Corrupt($"dataset '{Path}' has layout class {layoutClass}");
        }
    }

    /// <summary>The dataset's filters, in the order they were applied when writing.</summary>
    internal List<(int Id, bool Optional, uint[] Values)> Filters()
    {
        var filters = new List<(int, bool, uint[])>();
        if (Message(FilterPipeline, "filter pipeline message") is not { } r)
        {
            return filters;
        }

        int version = r.U8();
        int count = r.U8();
        if (version == 1)
        {
            r.Skip(6);
        }
        else if (version != 2)
        {
            throw Hdf5File.Corrupt($"the filter pipeline of '{Path}' has version {version}");
        }

        if (count > 32)
        {
            throw Hdf5File.Corrupt($"the filter pipeline of '{Path}' lists {count} filters (HDF5 allows 32)");
        }

        for (int i = 0; i < count; i++)
        {
            int id = r.U16();
            int nameLength = version == 1 || id >= 256 ? r.U16() : 0;
            int flags = r.U16();
            int values = r.U16();
            if (nameLength > 0)
            {
                r.Skip(version == 1 ? (nameLength + 7) & ~7 : nameLength);
            }

            if (values > r.Remaining / 4)
            {
                throw Hdf5File.Corrupt($"the filter pipeline of '{Path}' claims {values} values for a filter");
            }

            var data = new uint[values];
            for (int v = 0; v < values; v++)
            {
                data[v] = r.U32();
            }

            if (version == 1 && values % 2 == 1)
            {
                r.Skip(4);
            }

            filters.Add((id, (flags & 1) != 0, data));
        }

        return filters;
    }
}

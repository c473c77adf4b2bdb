using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

/// <summary>What the reader makes of a datatype message.</summary>
internal enum Hdf5TypeKind
{
    Integer,
    Float,
    FixedString,
    VariableString,
    Opaque,

    /// <summary>Any other class (compound, enum, array, reference, ...): readable only as "not supported".</summary>
    Other,
}

/// <summary>A datatype: its class, size in bytes and what reading it needs.</summary>
internal sealed record Hdf5Datatype(Hdf5TypeKind Kind, int Size, bool BigEndian, bool Signed, string Description)
{
    private static readonly string[] ClassNames =
        ["fixed-point", "floating-point", "time", "string", "bit field", "opaque", "compound", "reference", "enumerated", "variable-length", "array"];

    /// <summary>Parses a datatype message.</summary>
    public static Hdf5Datatype Read(Hdf5Reader r)
    {
        int classAndVersion = r.U8();
        int typeClass = classAndVersion & 0x0F;
        int bits = r.U8() | (r.U8() << 8) | (r.U8() << 16);
        long size = r.U32();
        if (size is < 1 or > 65536)
        {
            throw Hdf5File.Corrupt($"a datatype of {size} bytes");
        }

        string className = typeClass < ClassNames.Length ? ClassNames[typeClass] : $"class {typeClass}";
        switch (typeClass)
        {
            case 0:
                return new Hdf5Datatype(Hdf5TypeKind.Integer, (int)size, (bits & 1) != 0, (bits & 8) != 0, $"{size * 8}-bit integer");
            case 1:
            {
                bool bigEndian = (bits & 1) != 0;
                if ((bits & 0x40) != 0)
                {
                    return new Hdf5Datatype(Hdf5TypeKind.Other, (int)size, false, true, "VAX-ordered float");
                }

                int offset = r.U16();
                int precision = r.U16();
                int exponentLocation = r.U8();
                int exponentSize = r.U8();
                int mantissaLocation = r.U8();
                int mantissaSize = r.U8();
                // IEEE half, single and double precision, the only floats numpy and Keras write.
                bool ieee = offset == 0 && mantissaLocation == 0 && (size, precision, exponentLocation, exponentSize, mantissaSize) switch
                {
                    (2, 16, 10, 5, 10) => true,
                    (4, 32, 23, 8, 23) => true,
                    (8, 64, 52, 11, 52) => true,
                    _ => false,
                };
                return new Hdf5Datatype(ieee ? Hdf5TypeKind.Float : Hdf5TypeKind.Other, (int)size, bigEndian, true,
                    ieee ? $"float{size * 8}" : $"a {precision}-bit non-IEEE float");
            }

            case 3:
                return new Hdf5Datatype(Hdf5TypeKind.FixedString, (int)size, false, false, $"fixed-length string ({size} bytes)")
                    { Padding = bits & 0x0F };
            case 5:
                return new Hdf5Datatype(Hdf5TypeKind.Opaque, (int)size, false, false, $"opaque ({size} bytes)");
            case 9 when (bits & 0x0F) == 1:
                return new Hdf5Datatype(Hdf5TypeKind.VariableString, (int)size, false, false, "variable-length string");
            default:
                return new Hdf5Datatype(Hdf5TypeKind.Other, (int)size, false, false, $"{className} datatype");
        }
    }

    /// <summary>Fixed strings: 0 NUL-terminated, 1 NUL-padded, 2 space-padded.</summary>
    public int Padding { get; init; }
}

/// <summary>A dataspace: its dimensions (none for a scalar); <see cref="IsNull"/> for one with no elements at all.</summary>
internal sealed record Hdf5Dataspace(long[] Dims, bool IsNull)
{
    /// <summary>The number of elements (1 for a scalar), or -1 when it overflows.</summary>
    public long Count
    {
        get
        {
            if (IsNull)
            {
                return 0;
            }

            long count = 1;
            foreach (long d in Dims)
            {
                if (d != 0 && count > long.MaxValue / d)
                {
                    return -1;
                }

                count *= d;
            }

            return count;
        }
    }

    public static Hdf5Dataspace Read(Hdf5Reader r)
    {
        int version = r.U8();
        int rank = r.U8();
        int flags = r.U8();
        bool isNull = false;
        if (version == 1)
        {
            r.U8();
            r.U32();
        }
        else if (version == 2)
        {
            int type = r.U8();
            if (type == 2)
            {
                isNull = true;
            }
            else if (type == 0)
            {
                rank = 0;
            }
        }
        else
        {
            throw Hdf5File.Corrupt($"a dataspace message has version {version}");
        }

        if (rank > 32)
        {
            throw Hdf5File.Corrupt($"a dataspace of rank {rank} (HDF5 allows 32)");
        }

        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = r.Length();
        }

        return new Hdf5Dataspace(dims, isNull);
    }

    public override string ToString() => IsNull ? "null" : "[" + string.Join(", ", Dims) + "]";
}

/// <summary>Conversions from stored elements to floats and strings.</summary>
internal static class Hdf5Convert
{
    /// <summary>Converts <paramref name="raw"/> elements of <paramref name="type"/> to floats (float64 and float16 rounded
    /// to float32; bfloat16 when <paramref name="bfloat16"/>, Keras's marker for its opaque 2-byte values).</summary>
    public static void ToFloats(ReadOnlySpan<byte> raw, Hdf5Datatype type, Span<float> destination, bool bfloat16, string what)
    {
        int n = destination.Length;
        if (raw.Length < (long)n * type.Size)
        {
            throw Hdf5File.Corrupt($"{what} holds {raw.Length} bytes, fewer than its {n} elements need");
        }

        switch (type.Kind, type.Size)
        {
            case (Hdf5TypeKind.Float, 4):
                for (int i = 0; i < n; i++)
                {
                    var bytes = raw.Slice(i * 4, 4);
                    int bitsValue = type.BigEndian ? BinaryPrimitives.ReadInt32BigEndian(bytes) : BinaryPrimitives.ReadInt32LittleEndian(bytes);
                    destination[i] = BitConverter.Int32BitsToSingle(bitsValue);
                }

                break;
            case (Hdf5TypeKind.Float, 8):
                for (int i = 0; i < n; i++)
                {
                    var bytes = raw.Slice(i * 8, 8);
                    long bitsValue = type.BigEndian ? BinaryPrimitives.ReadInt64BigEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
                    destination[i] = (float)BitConverter.Int64BitsToDouble(bitsValue);
                }

                break;
            case (Hdf5TypeKind.Float, 2):
                for (int i = 0; i < n; i++)
                {
                    var bytes = raw.Slice(i * 2, 2);
                    short bitsValue = type.BigEndian ? BinaryPrimitives.ReadInt16BigEndian(bytes) : BinaryPrimitives.ReadInt16LittleEndian(bytes);
                    destination[i] = (float)BitConverter.Int16BitsToHalf(bitsValue);
                }

                break;
            case (Hdf5TypeKind.Opaque, 2) when bfloat16:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2, 2)) << 16);
                }

                break;
            default:
                throw new NotSupportedException($"{what} holds {type.Description} values; only float16, float32, float64 and bfloat16 weights are read.");
        }
    }

    /// <summary>Decodes string elements: fixed-length (NUL- or space-padded) or variable-length (global heap).</summary>
    public static List<string> ToStrings(Hdf5File file, ReadOnlySpan<byte> raw, Hdf5Datatype type, long count, string what)
    {
        if (count < 0 || count * type.Size > raw.Length)
        {
            throw Hdf5File.Corrupt($"{what} holds {raw.Length} bytes, fewer than its {count} strings need");
        }

        var strings = new List<string>((int)count);
        for (int i = 0; i < count; i++)
        {
            var element = raw.Slice(i * type.Size, type.Size);
            if (type.Kind == Hdf5TypeKind.FixedString)
            {
                int end = element.IndexOf((byte)0);
                var text = end < 0 ? element : element[..end];
                if (type.Padding == 2)
                {
                    text = text.TrimEnd((byte)' ');
                }

                strings.Add(Hdf5Reader.Decode(text));
            }
            else if (type.Kind == Hdf5TypeKind.VariableString)
            {
                var r = new Hdf5Reader(element.ToArray(), 0, type.Size, file.OffsetSize, file.LengthSize, what);
                long length = r.U32();
                long collection = r.Address();
                uint index = r.U32();
                if (length == 0)
                {
                    strings.Add(string.Empty);
                    continue;
                }

                var bytes = file.GlobalHeapObject(collection, index);
                if (length > bytes.Length)
                {
                    throw Hdf5File.Corrupt($"{what}: a string of {length} bytes in a heap object of {bytes.Length}");
                }

                var text = bytes.AsSpan(0, (int)length);
                int nul = text.IndexOf((byte)0);
                strings.Add(Hdf5Reader.Decode(nul < 0 ? text : text[..nul]));
            }
            else
            {
                throw new NotSupportedException($"{what} holds {type.Description} values, not strings.");
            }
        }

        return strings;
    }
}

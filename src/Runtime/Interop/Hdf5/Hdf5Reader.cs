using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Unrolled.Interop.Hdf5;

/// <summary>
/// A little-endian cursor over one region of the file's bytes. Every read is bounds-checked against the region, so a
/// truncated or corrupt structure ends in an <see cref="InvalidDataException"/> that names it, never an index error.
/// </summary>
internal struct Hdf5Reader
{
    private readonly byte[] _data;
    private readonly int _end;
    private readonly int _offsetSize;
    private readonly int _lengthSize;
    private readonly string _what;

    /// <summary>A cursor over <c>[start, end)</c> of <paramref name="data"/>.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="start">The first byte of the region.</param>
    /// <param name="end">One past the region's last byte.</param>
    /// <param name="offsetSize">The file's size of addresses (superblock).</param>
    /// <param name="lengthSize">The file's size of lengths (superblock).</param>
    /// <param name="what">The structure being read, for messages.</param>
    public Hdf5Reader(byte[] data, long start, long end, int offsetSize, int lengthSize, string what)
    {
        if (start < 0 || end > data.Length || start > end)
        {
            throw Hdf5File.Corrupt($"{what} lies outside the file (bytes {start}..{end} of {data.Length})");
        }

        _data = data;
        Position = (int)start;
        _end = (int)end;
        _offsetSize = offsetSize;
        _lengthSize = lengthSize;
        _what = what;
    }

    /// <summary>The absolute position in the file.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes left in the region.</summary>
    public readonly int Remaining => _end - Position;

    /// <summary>The end of the region (absolute).</summary>
    public readonly int End => _end;

    private void Need(int count)
    {
        if (count < 0 || count > _end - Position)
        {
            throw Hdf5File.Corrupt($"{_what} is truncated: {count} more bytes needed at byte {Position}, {_end - Position} left");
        }
    }

    public void Skip(long count)
    {
        if (count < 0 || count > _end - Position)
        {
            throw Hdf5File.Corrupt($"{_what} is truncated: cannot skip {count} bytes at byte {Position}");
        }

        Position += (int)count;
    }

    /// <summary>Skips to the next multiple of <paramref name="alignment"/> relative to <paramref name="origin"/>.</summary>
    public void Align(int origin, int alignment)
    {
        int misalignment = (Position - origin) % alignment;
        if (misalignment != 0)
        {
            Skip(alignment - misalignment);
        }
    }

    public byte U8()
    {
        Need(1);
        return _data[Position++];
    }

    public ushort U16()
    {
        Need(2);
        ushort value = BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(Position));
        Position += 2;
        return value;
    }

    public uint U32()
    {
        Need(4);
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(Position));
        Position += 4;
        return value;
    }

    public ulong U64()
    {
        Need(8);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(_data.AsSpan(Position));
        Position += 8;
        return value;
    }

    /// <summary>An unsigned little-endian integer of 1 to 8 bytes.</summary>
    public ulong Unsigned(int size)
    {
        if (size is < 1 or > 8)
        {
            throw Hdf5File.Corrupt($"{_what}: a field of {size} bytes");
        }

        Need(size);
        ulong value = 0;
        for (int i = 0; i < size; i++)
        {
            value |= (ulong)_data[Position + i] << (8 * i);
        }

        Position += size;
        return value;
    }

    /// <summary>An address (the superblock's size of offsets): -1 for the undefined address (all bits set).</summary>
    public long Address()
    {
        ulong value = Unsigned(_offsetSize);
        ulong undefined = _offsetSize == 8 ? ulong.MaxValue : (1UL << (8 * _offsetSize)) - 1;
        if (value == undefined)
        {
            return -1;
        }

        return value > long.MaxValue ? long.MaxValue : (long)value;
    }

    /// <summary>A length (the superblock's size of lengths), as a non-negative long (saturated).</summary>
    public long Length()
    {
        ulong value = Unsigned(_lengthSize);
        return value > long.MaxValue ? long.MaxValue : (long)value;
    }

    public ReadOnlySpan<byte> Bytes(long count)
    {
        if (count > int.MaxValue)
        {
            throw Hdf5File.Corrupt($"{_what}: a field of {count} bytes");
        }

        Need((int)count);
        var span = _data.AsSpan(Position, (int)count);
        Position += (int)count;
        return span;
    }

    /// <summary>Checks a 4-byte signature.</summary>
    public void Signature(string expected)
    {
        var bytes = Bytes(4);
        for (int i = 0; i < 4; i++)
        {
            if (bytes[i] != expected[i])
            {
                throw Hdf5File.Corrupt($"{_what}: expected signature '{expected}' at byte {Position - 4}, found '{Printable(bytes)}'");
            }
        }
    }

    /// <summary>A NUL-terminated string of at most <paramref name="maxBytes"/> bytes (the NUL is consumed when present).</summary>
    public string NullTerminated(int maxBytes)
    {
        int limit = Math.Min(maxBytes, Remaining);
        var span = _data.AsSpan(Position, limit);
        int nul = span.IndexOf((byte)0);
        if (nul < 0)
        {
            throw Hdf5File.Corrupt($"{_what}: a name at byte {Position} has no terminating NUL");
        }

        string text = Decode(span[..nul]);
        Position += nul + 1;
        return text;
    }

    /// <summary>UTF-8 text; invalid sequences are an error, not replaced.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Hdf5File.Corrupt("a name or string is not valid UTF-8");
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            text.Append(b is >= 32 and < 127 ? (char)b : '?');
        }

        return text.ToString();
    }
}

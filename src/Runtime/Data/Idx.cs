using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace Unrolled.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte</c>, optionally gzipped as
/// distributed). The header is checked against the actual data before anything is sized from it, so a truncated or
/// corrupt file gives an <see cref="InvalidDataException"/> naming the file, never a huge allocation.
/// </summary>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an image file (magic 0x00000803: count × rows × columns unsigned bytes), scaling pixels to [0, 1].</summary>
    /// <param name="path">The file, plain or gzip-compressed (detected from its first bytes).</param>
    /// <returns>The images, flat row-major.</returns>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX image file.</exception>
    public static IdxImages ReadImages(string path)
    {
        var (data, dims, headerLength) = Read(path, expectedDimensions: 3);
        var pixels = new float[data.Length - headerLength];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = data[headerLength + i] * (1f / 255f);
        }

        return new IdxImages(pixels, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a label file (magic 0x00000801: count unsigned bytes).</summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <returns>The labels.</returns>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX label file.</exception>
    public static byte[] ReadLabels(string path)
    {
        var (data, _, headerLength) = Read(path, expectedDimensions: 1);
        return data.AsSpan(headerLength).ToArray();
    }

    /// <summary>One-hot encodes labels, as Keras's <c>to_categorical</c>: row i has a 1 at column labels[i].</summary>
    /// <param name="labels">Class indices.</param>
    /// <param name="classes">The number of classes.</param>
    /// <returns>labels.Length × classes floats.</returns>
    /// <exception cref="ArgumentException">A label is not below <paramref name="classes"/>.</exception>
    public static float[] OneHot(byte[] labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var result = new float[checked(labels.Length * classes)];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes)
            {
                throw new ArgumentException($"Label {labels[i]} at index {i} is not below the number of classes, {classes}.", nameof(labels));
            }

            result[(i * classes) + labels[i]] = 1f;
        }

        return result;
    }

    /// <summary>Reads the whole (decompressed) file and validates its header against its length.</summary>
    private static (byte[] Data, int[] Dimensions, int HeaderLength) Read(string path, int expectedDimensions)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = ReadAllBytes(path, out bool gzipped);
        string file = gzipped ? $"'{path}' (after gzip decompression)" : $"'{path}'";
        if (data.Length < 4)
        {
            throw new InvalidDataException($"{file} is not an IDX file: it holds {data.Length} bytes, fewer than the 4-byte magic number.");
        }

        if (data[0] != 0 || data[1] != 0 || data[2] != UnsignedByte || data[3] != expectedDimensions)
        {
            throw new InvalidDataException(
                $"{file} has magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(data):X8}; expected 0x{0x800 + expectedDimensions:X8} " +
                $"(unsigned bytes, {expectedDimensions} dimension{(expectedDimensions == 1 ? string.Empty : "s")}).");
        }

        int headerLength = 4 + (4 * expectedDimensions);
        if (data.Length < headerLength)
        {
            throw new InvalidDataException(
                $"{file} is truncated: its header needs {headerLength} bytes but the file holds {data.Length}.");
        }

        var dims = new int[expectedDimensions];
        Int128 payload = 1; // up to (2³¹)³ values: Int128 cannot overflow
        for (int d = 0; d < expectedDimensions; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + (4 * d)));
            if (dims[d] < 0)
            {
                throw new InvalidDataException($"{file} declares a negative size, {dims[d]}, for dimension {d}.");
            }

            payload *= dims[d];
        }

        Int128 expected = headerLength + payload;
        if (data.Length != expected)
        {
            string shape = string.Join(" × ", dims);
            throw new InvalidDataException(data.Length < expected
                ? $"{file} is truncated: its header declares {shape} values, so {expected} bytes, but the file holds {data.Length}."
                : $"{file} is corrupt: its header declares {shape} values, so {expected} bytes, but the file holds {data.Length}.");
        }

        return (data, dims, headerLength);
    }

    /// <summary>The file's bytes, gunzipped when it starts with the gzip signature. Sized by the data actually read.</summary>
    private static byte[] ReadAllBytes(string path, out bool gzipped)
    {
        byte[] raw = File.ReadAllBytes(path);
        gzipped = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        if (!gzipped)
        {
            return raw;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw, writable: false), CompressionMode.Decompress);
            using var decompressed = new MemoryStream();
            gzip.CopyTo(decompressed);
            return decompressed.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' starts as a gzip file but does not decompress: {e.Message}", e);
        }
    }
}

/// <summary>Images read by <see cref="Idx.ReadImages"/>.</summary>
public sealed class IdxImages
{
    internal IdxImages(float[] pixels, int count, int rows, int columns)
    {
        Pixels = pixels;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>All pixels, image after image, row-major, scaled from 0..255 to [0, 1]: Count × Rows × Columns floats.</summary>
    public float[] Pixels { get; }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image (28 for MNIST).</summary>
    public int Rows { get; }

    /// <summary>Columns per image (28 for MNIST).</summary>
    public int Columns { get; }

    /// <summary>Pixels per image: Rows × Columns.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>Deconstructs as <c>var (pixels, count, rows, columns) = Idx.ReadImages(path);</c>.</summary>
    /// <param name="pixels">All pixels.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="rows">Rows per image.</param>
    /// <param name="columns">Columns per image.</param>
    public void Deconstruct(out float[] pixels, out int count, out int rows, out int columns)
    {
        pixels = Pixels;
        count = Count;
        rows = Rows;
        columns = Columns;
    }
}

using System;
using System.IO;
using System.IO.Compression;
using Unrolled.Data;
using Xunit;

namespace Unrolled.Runtime.Tests;

public sealed class IdxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("unrolled-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ImagesRoundTripScaledToUnitRange()
    {
        byte[] pixels = new byte[2 * 3 * 4];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 11);
        }

        string path = Write("images", Header(0x803, 2, 3, 4), pixels);
        var (values, count, rows, columns) = Idx.ReadImages(path);
        Assert.Equal((2, 3, 4), (count, rows, columns));
        Assert.Equal(24, values.Length);
        Assert.Equal(0f, values[0]);
        Assert.Equal(253f / 255f, values[23], 6);
        Assert.Equal(11f / 255f, values[1], 6);
    }

    [Fact]
    public void GzippedLabelsRoundTripAndOneHot()
    {
        byte[] labels = [3, 0, 9, 1];
        string plain = Write("labels", Header(0x801, 4), labels);
        string gz = Path.Combine(_directory, "labels.gz");
        using (var file = File.Create(gz))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            gzip.Write(File.ReadAllBytes(plain));
        }

        Assert.Equal(labels, Idx.ReadLabels(gz));
        float[] oneHot = Idx.OneHot(labels, 10);
        Assert.Equal(40, oneHot.Length);
        Assert.Equal(1f, oneHot[3]);
        Assert.Equal(1f, oneHot[10]);
        Assert.Equal(1f, oneHot[29]);
        Assert.Equal(4f, Sum(oneHot));
        Assert.Contains("index 2", Assert.Throws<ArgumentException>(() => Idx.OneHot(labels, 5)).Message);
    }

    [Fact]
    public void TruncatedFileNamesFileAndSizes()
    {
        string path = Write("short", Header(0x803, 10, 28, 28), new byte[100]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("7856", ex.Message); // 16 + 7840 expected bytes
        Assert.Contains("116", ex.Message);  // actual bytes
    }

    [Fact]
    public void HugeHeaderOnSmallFileIsRejectedWithoutAllocating()
    {
        string path = Write("huge", Header(0x803, int.MaxValue, int.MaxValue, int.MaxValue), new byte[8]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void CorruptFilesAreRejected()
    {
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(Write("labels-as-images", Header(0x801, 2), [1, 2]))).Message);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(Write("float", Header(0xD01, 1), [0, 0, 0, 0]))).Message);
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(Write("cut-header", [0, 0, 8, 3, 0, 0], []))).Message);
        Assert.Contains("4-byte", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(Write("tiny", [0, 0], []))).Message);
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(Write("long", Header(0x801, 2), [1, 2, 3]))).Message);
        Assert.Contains("negative", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(Write("negative", Header(0x801, -1), []))).Message);
        Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(Write("bad.gz", [0x1F, 0x8B, 8, 0, 1, 2, 3, 4], []))).Message);
    }

    private static byte[] Header(int magic, params int[] dims)
    {
        var header = new byte[4 + (4 * dims.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int d = 0; d < dims.Length; d++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * d)), dims[d]);
        }

        return header;
    }

    private string Write(string name, byte[] header, byte[] body)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, [.. header, .. body]);
        return path;
    }

    private static float Sum(float[] values)
    {
        float sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }
}

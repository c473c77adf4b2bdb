using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Unrolled.Serialization;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Damaged weights files: cut at every byte, one byte changed at every offset, random bytes, and headers that claim
/// huge sizes. Each must give a <see cref="WeightsFileException"/> (never another exception, never a crash), leave the
/// model's weights and optimizer state untouched, and cost no more memory than the bytes the file really has.
/// </summary>
public class WeightsRobustnessTests
{
    private static (TwoInputModel Target, byte[] File) AdamPair()
    {
        byte[] file = WeightsFiles.Save(WeightsFileTests.Trained(new Adam(), steps: 2, seed: 1), includeOptimizer: true);
        return (WeightsFileTests.Trained(new Adam(), steps: 1, seed: 2), file);
    }

    private enum Source { Seekable, ForwardOnly, File }

    private static WeightsFileException? TryLoad(CompiledModel model, byte[] bytes, Source source)
    {
        try
        {
            switch (source)
            {
                case Source.Seekable:
                    model.LoadWeights(new MemoryStream(bytes));
                    break;
                case Source.ForwardOnly:
                    model.LoadWeights(new ForwardOnlyStream(new MemoryStream(bytes)));
                    break;
                default:
                    string path = Path.Combine(Path.GetTempPath(), $"unrolled-damaged-{Environment.CurrentManagedThreadId}-{Guid.NewGuid():N}.unrw");
                    File.WriteAllBytes(path, bytes);
                    try
                    {
                        model.LoadWeights(path);
                    }
                    finally
                    {
                        File.Delete(path);
                    }

                    break;
            }

            return null;
        }
        catch (WeightsFileException ex)
        {
            return ex;
        }
    }

    [Fact]
    public void A_file_cut_at_any_byte_is_reported_as_truncated_and_changes_nothing()
    {
        var (model, file) = AdamPair();
        string before = WeightsFiles.State(model);
        Assert.True(file.Length > 800, $"the file is {file.Length} bytes");
        foreach (Source source in Enum.GetValues<Source>())
        {
            for (int length = 0; length < file.Length; length++)
            {
                var ex = TryLoad(model, file[..length], source);
                Assert.True(ex is not null, $"{source}: a file cut to {length} of {file.Length} bytes loaded");
                Assert.True(ex.Error == WeightsFileError.Truncated, $"{source}, {length} bytes: {ex.Error}: {ex.Message}");
                Assert.Equal(before, WeightsFiles.State(model));
            }
        }

        // The whole file does load, so the loop above tested the cuts and not a broken file.
        Assert.Null(TryLoad(model, file, Source.Seekable));
        Assert.NotEqual(before, WeightsFiles.State(model));
    }

    [Fact]
    public void One_changed_byte_anywhere_is_detected_and_changes_nothing()
    {
        var (model, file) = AdamPair();
        string before = WeightsFiles.State(model);
        var random = new Random(12);
        for (int offset = 0; offset < file.Length; offset++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x80, 0xFF, (byte)random.Next(1, 256) })
            {
                var damaged = (byte[])file.Clone();
                damaged[offset] ^= mask;
                Source source = (Source)(offset % 3);
                var ex = TryLoad(model, damaged, source);
                Assert.True(ex is not null, $"byte {offset} ^ 0x{mask:X2} ({source}) loaded");
                WeightsFileError expected = offset switch
                {
                    < 8 => WeightsFileError.NotAWeightsFile,
                    < 12 => ex.Error == WeightsFileError.NewerVersion ? WeightsFileError.NewerVersion : WeightsFileError.Corrupt,
                    >= 16 and < 24 => ex.Error == WeightsFileError.Truncated ? WeightsFileError.Truncated : WeightsFileError.Corrupt,
                    _ => WeightsFileError.Corrupt,
                };
                Assert.True(expected == ex.Error, $"byte {offset} ^ 0x{mask:X2} ({source}): {ex.Error}: {ex.Message}");
                Assert.Equal(before, WeightsFiles.State(model));
            }
        }
    }

    [Fact]
    public void Random_bytes_and_random_edits_only_ever_give_the_documented_exception()
    {
        var (model, file) = AdamPair();
        string before = WeightsFiles.State(model);
        var random = new Random(2024);
        for (int round = 0; round < 3000; round++)
        {
            byte[] bytes;
            switch (round % 4)
            {
                case 0:
                    bytes = new byte[random.Next(0, 2000)];
                    random.NextBytes(bytes);
                    break;
                case 1:
                    // A valid preamble start, then noise: gets past the magic and version checks.
                    bytes = new byte[random.Next(8, 2000)];
                    random.NextBytes(bytes);
                    file.AsSpan(0, Math.Min(12, bytes.Length)).CopyTo(bytes);
                    break;
                case 2:
                    bytes = (byte[])file.Clone();
                    for (int k = random.Next(1, 6); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    if (bytes.AsSpan().SequenceEqual(file))
                    {
                        continue;
                    }

                    break;
                default:
                    // Header fields rewritten with random values and both checksums recomputed, so the field checks
                    // behind the checksums are what stops them.
                    bytes = (byte[])file.Clone();
                    int headerLength = BitConverter.ToInt32(bytes, 24);
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        int at = WeightsFormat.PreambleSize + random.Next(headerLength);
                        bytes[at] = (byte)random.Next(256);
                    }

                    bytes = WeightsFiles.Reseal(bytes);
                    break;
            }

            try
            {
                model.LoadWeights(new MemoryStream(bytes));

                // Only a resealed edit can be a valid file (a new model name, learning rate or iteration count).
                Assert.True(round % 4 == 3, $"round {round}: damaged bytes loaded");
                model = AdamPair().Target;
            }
            catch (WeightsFileException)
            {
                Assert.Equal(before, WeightsFiles.State(model));
            }
        }
    }

    [Fact]
    public void Headers_that_claim_huge_sizes_cost_no_more_memory_than_the_bytes_there_are()
    {
        var model = new TwoInputModel();
        byte[] file = WeightsFiles.Save(model);

        // A preamble claiming a 2 GB header in a file it says is 1 TB, followed by 100 bytes: read from a stream that
        // cannot tell its length, so only the bytes that arrive bound what is allocated.
        var huge = new byte[WeightsFormat.PreambleSize + 100];
        file.AsSpan(0, 16).CopyTo(huge);
        BitConverter.GetBytes(1L << 40).CopyTo(huge, 16);
        BitConverter.GetBytes(0x7FFF_0000).CopyTo(huge, 24);
        AssertSmallFailure(model, huge, WeightsFileError.Truncated);

        // A sealed header that lists a billion tensors in a few hundred bytes.
        var many = (byte[])file.Clone();
        int producerLength = BitConverter.ToUInt16(many, 32);
        int modelNameAt = 32 + 2 + producerLength;
        int countAt = modelNameAt + 2 + BitConverter.ToUInt16(many, modelNameAt);
        BitConverter.GetBytes(1_000_000_000).CopyTo(many, countAt);
        Assert.Contains("lists 1000000000 tensors, more than its", AssertSmallFailure(model, WeightsFiles.Reseal(many), WeightsFileError.Corrupt).Message);

        // A sealed header whose first tensor claims 60000 × 60000 floats (14 GB) where the model has [5, 3]: the header's
        // own checks refuse it, and nothing that size is allocated.
        var wide = (byte[])file.Clone();
        int entry = countAt + 4 + 8;
        int dims = entry + 2 + "class".Length + 2 + "kernel".Length + 3;
        BitConverter.GetBytes(60000).CopyTo(wide, dims);
        BitConverter.GetBytes(60000).CopyTo(wide, dims + 4);
        AssertSmallFailure(model, WeightsFiles.Reseal(wide), WeightsFileError.Corrupt);
    }

    private static WeightsFileException AssertSmallFailure(CompiledModel model, byte[] bytes, WeightsFileError error)
    {
        var stream = new ForwardOnlyStream(new MemoryStream(bytes));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<WeightsFileException>(() => model.LoadWeights(stream));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(error, ex.Error);
        Assert.True(allocated < 512 * 1024, $"{allocated} bytes allocated for a {bytes.Length}-byte file: {ex.Message}");
        return ex;
    }

    [Fact]
    public async Task Save_and_load_are_refused_while_another_call_runs()
    {
        var data = SyntheticData.Create(64, seed: 4);
        var model = new TwoInputModel();
        model.Compile("adam", WeightsFileTests.Losses);
        byte[] file = WeightsFiles.Save(model, includeOptimizer: true);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        model.OnForward = () =>
        {
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        Task<History> fit = Task.Run(() => model.Fit(data.X, data.Y, epochs: 1, batchSize: 16, verbose: 0));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));

        Assert.Contains("already running", Assert.Throws<InvalidOperationException>(() => model.SaveWeights(new MemoryStream())).Message);
        Assert.Throws<InvalidOperationException>(() => model.LoadWeights(new MemoryStream(file)));
        string path = Path.Combine(Path.GetTempPath(), $"unrolled-busy-{Guid.NewGuid():N}.unrw");
        Assert.Throws<InvalidOperationException>(() => model.SaveWeights(path));
        Assert.False(File.Exists(path));

        model.OnForward = null;
        release.Set();
        await fit.WaitAsync(TimeSpan.FromSeconds(30));
        model.LoadWeights(new MemoryStream(file)); // the guard was released by the refused calls too
        Assert.Equal(0, model.Optimizer!.Iterations);
    }
}

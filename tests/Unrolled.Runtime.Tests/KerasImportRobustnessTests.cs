using System;
using System.IO;
using System.Linq;
using System.Text;
using Unrolled.Interop.Hdf5;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>A model that only holds weights: the MLP of tests/keras (Dense 4→5, Dense 5→3), described as the generator
/// describes it, Keras paths included.</summary>
internal sealed class KerasMlpWeights : CompiledModel
{
    public KerasMlpWeights(bool kerasPaths = true)
        : base(Describe(kerasPaths), seed: 1)
    {
    }

    private static ModelDescription Describe(bool paths) => new(
        "keras_mlp",
        [new TensorInfo("x", [4], DType.Float32, 0)],
        [new TensorInfo("dense_1", [3], DType.Float32, 4)],
        parameterCount: 43, activationSize: 12, scratchSize: 0, summary: "keras_mlp",
        weights:
        [
            new WeightInfo("dense", "kernel", [4, 5], 0, kerasPath: paths ? "layers/dense/vars/0" : null, kerasIndex: 0),
            new WeightInfo("dense", "bias", [5], 20, kerasPath: paths ? "layers/dense/vars/1" : null, kerasIndex: 1),
            new WeightInfo("dense_1", "kernel", [5, 3], 25, kerasPath: paths ? "layers/dense_1/vars/0" : null, kerasIndex: 2),
            new WeightInfo("dense_1", "bias", [3], 40, kerasPath: paths ? "layers/dense_1/vars/1" : null, kerasIndex: 3),
        ]);

    protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer) => weights.Fill(0.5f);

    protected override void Forward(Workspace workspace, int batchSize, bool training) => throw new NotSupportedException();

    protected override void Backward(Workspace workspace, int batchSize) => throw new NotSupportedException();
}

/// <summary>
/// Corrupt and truncated Keras files: every outcome is a load or a documented exception (InvalidDataException,
/// NotSupportedException, KerasWeightsMismatchException), never another exception, a hang or an allocation out of
/// proportion to the file.
/// </summary>
public class KerasImportRobustnessTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "keras");

    // Values the script wrote: element k of the file's t-th tensor is ((k * 37 + t * 101) % 23 - 11) / 32.
    private static float Expected(int k, int t) => (((k * 37) + (t * 101)) % 23 - 11) / 32f;

    [Theory]
    [InlineData("mlp.weights.h5")]
    [InlineData("mlp_latest.weights.h5")]
    [InlineData("mlp.keras")]
    [InlineData("mlp_keras2.h5")]
    [InlineData("mlp_keras2.weights.h5")]
    public void The_intact_file_loads_the_values_the_script_wrote(string fileName)
    {
        var model = new KerasMlpWeights();
        model.LoadKerasWeights(Path.Combine(Folder, fileName));
        for (int t = 0; t < 4; t++)
        {
            var w = model.Description.Weights[t];
            var values = model.Weights.Slice(w.Offset, w.Size).ToArray();
            Assert.Equal(Enumerable.Range(0, w.Size).Select(k => Expected(k, t)), values);
        }
    }

    [Theory]
    [InlineData("mlp.weights.h5")]
    [InlineData("mlp_latest.weights.h5")]
    [InlineData("mlp.keras")]
    [InlineData("mlp_keras2.h5")]
    public void Every_truncation_fails_cleanly(string fileName)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Folder, fileName));
        var model = new KerasMlpWeights();
        float[] before = model.Weights.ToArray();
        for (int length = 0; length < file.Length; length++)
        {
            var outcome = Load(model, file.AsSpan(0, length).ToArray(), $"{fileName} cut to {length} bytes");
            if (outcome is not null)
            {
                Assert.Equal(before, model.Weights.ToArray()); // nothing loaded when it failed
            }
        }
    }

    [Theory]
    [InlineData("mlp.weights.h5")]
    [InlineData("mlp_latest.weights.h5")]
    [InlineData("mlp.keras")]
    [InlineData("mlp_keras2.h5")]
    [InlineData("norm_gzip.weights.h5")]
    [InlineData("deep_latest.weights.h5")]
    public void Every_corrupted_byte_fails_cleanly_or_loads(string fileName)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Folder, fileName));
        var model = new KerasMlpWeights();
        var random = new Random(fileName.Length);
        for (int at = 0; at < file.Length; at++)
        {
            byte[] corrupt = (byte[])file.Clone();
            corrupt[at] ^= (byte)(1 << random.Next(8)); // one flipped bit
            Load(model, corrupt, $"{fileName} with byte {at} corrupted");
            corrupt[at] = (byte)~file[at]; // every bit
            Load(model, corrupt, $"{fileName} with byte {at} inverted");
        }
    }

    /// <summary>Loads and returns the exception, or null; fails on any other exception or a disproportionate allocation.</summary>
    private static Exception? Load(CompiledModel model, byte[] bytes, string what)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        Exception? caught = null;
        try
        {
            model.LoadKerasWeights(new MemoryStream(bytes));
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or KerasWeightsMismatchException)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
            caught = e;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }

        // Deflate may inflate a chunk ~1000 times; these files' chunks are small, so 64 times the file is generous.
        long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(used < (64L * bytes.Length) + (1 << 20), $"{what}: allocated {used} bytes for a file of {bytes.Length}");
        return caught;
    }

    [Fact]
    public void Integer_weights_are_not_supported_and_say_so()
    {
        var error = Assert.Throws<NotSupportedException>(() => new KerasMlpWeights().LoadKerasWeights(Path.Combine(Folder, "unsupported_int.weights.h5")));
        Assert.Contains("32-bit integer", error.Message);
        Assert.Contains("layers/dense/vars/0", error.Message);
    }

    [Fact]
    public void An_unknown_filter_is_not_supported_and_named()
    {
        var error = Assert.Throws<NotSupportedException>(() => new KerasMlpWeights().LoadKerasWeights(Path.Combine(Folder, "unsupported_lzf.weights.h5")));
        Assert.Contains("filter id 32000", error.Message);
    }

    [Fact]
    public void A_model_without_Keras_paths_matches_an_unnamed_file_by_nothing_and_says_so()
    {
        var model = new KerasMlpWeights(kerasPaths: false);
        var error = Assert.Throws<KerasWeightsMismatchException>(() => model.LoadKerasWeights(Path.Combine(Folder, "branch.weights.h5")));
        Assert.Contains("the model does not know where Keras keeps it", error.Message);
    }

    [Fact]
    public void The_reader_reads_strings_of_both_kinds_and_both_superblock_generations()
    {
        var keras2 = Hdf5File.Open(File.ReadAllBytes(Path.Combine(Folder, "branch_keras2.h5")), "branch_keras2.h5");
        Assert.Equal(0, keras2.SuperblockVersion);
        var root = keras2.Root;
        Assert.Equal(["x", "b", "a", "c", "concatenate", "out"], root.Strings(root.Attribute("layer_names")!)); // fixed-length
        Assert.Equal(["2.15.0"], root.Strings(root.Attribute("keras_version")!)); // variable-length (global heap)
        Assert.Equal(["a", "b", "c", "concatenate", "out", "x"], root.Links.Select(l => l.Name)); // B-tree + local heap

        var latest = Hdf5File.Open(File.ReadAllBytes(Path.Combine(Folder, "deep_latest.weights.h5")), "deep_latest.weights.h5");
        Assert.Equal(3, latest.SuperblockVersion);
        var layers = latest.Root.Child("layers")!;
        Assert.Equal(10, layers.Links.Count); // dense link storage: fractal heap + v2 B-tree
        var vars = latest.Root.Resolve("layers/dense_8/vars")!;
        Assert.Equal(["dense_8"], vars.Strings(vars.Attribute("name")!));
    }

    [Fact]
    public void A_chunked_gzip_shuffled_dataset_reassembles_its_edge_chunks()
    {
        // norm_gzip keeps the [4, 6] kernel in 2 x 3 chunks and the [6] vectors in chunks of 3, compressed and shuffled.
        var file = Hdf5File.Open(File.ReadAllBytes(Path.Combine(Folder, "norm_gzip.weights.h5")), "norm_gzip.weights.h5");
        var kernel = file.Root.Resolve("layers/dense/vars/0")!;
        var values = new float[24];
        kernel.ReadFloats(values);
        Assert.Equal(Enumerable.Range(0, 24).Select(k => Expected(k, 0)), values);
    }

    [Fact]
    public void The_lookup3_checksum_matches_HDF5s()
    {
        // The superblock of a libver='latest' file carries lookup3 of its first 44 bytes (8-byte addresses).
        byte[] file = File.ReadAllBytes(Path.Combine(Folder, "mlp_latest.weights.h5"));
        Assert.Equal(BitConverter.ToUInt32(file, 44), Lookup3.Hash(file.AsSpan(0, 44)));
        Assert.Equal(0xdeadbeefu, Lookup3.Hash(ReadOnlySpan<byte>.Empty));
        Assert.NotEqual(Lookup3.Hash(Encoding.ASCII.GetBytes("Four score")), Lookup3.Hash(Encoding.ASCII.GetBytes("Four scorf")));
    }
}

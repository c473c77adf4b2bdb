using System;
using System.IO;
using System.Linq;
using Unrolled.Serialization;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// SaveWeights to a path replaces the file atomically: whatever fails (the data part-way, the directory, the target),
/// the previous file is intact and no temporary file is left behind.
/// </summary>
public sealed class AtomicSaveTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("unrolled-atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string[] Entries() => Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public void A_successful_save_replaces_the_file_and_leaves_nothing_else()
    {
        string path = Path.Combine(_directory, "model.unrw");
        File.WriteAllText(path, "previous content");
        var model = WeightsFileTests.Trained(new SGD());
        model.SaveWeights(path);
        Assert.Equal(["model.unrw"], Entries());
        Assert.Equal(WeightsFiles.Save(model), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_write_that_fails_part_way_keeps_the_previous_file()
    {
        string path = Path.Combine(_directory, "model.unrw");
        byte[] previous = WeightsFiles.Save(WeightsFileTests.Trained(new SGD(), seed: 1));
        File.WriteAllBytes(path, previous);
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[5000]);
            throw new IOException("No space left on device (simulated).");
        }));
        Assert.Contains("simulated", ex.Message);
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["model.unrw"], Entries());
    }

    [Fact]
    public void A_model_that_fails_while_writing_keeps_the_previous_file()
    {
        // The header of a 5000-byte layer name cannot be written; that happens after the temporary file is created.
        string path = Path.Combine(_directory, "model.unrw");
        byte[] previous = WeightsFiles.Save(WeightsFileTests.Trained(new SGD()));
        File.WriteAllBytes(path, previous);
        var model = new StubModel("long", (new string('x', 5000), "kernel", [2]));
        Assert.Throws<InvalidOperationException>(() => model.SaveWeights(path));
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["model.unrw"], Entries());
    }

    [Fact]
    public void A_target_that_is_a_directory_is_refused_and_left_alone()
    {
        string path = Path.Combine(_directory, "model.unrw");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "inside.txt"), "kept");
        var ex = Assert.Throws<IOException>(() => WeightsFileTests.Trained(new SGD()).SaveWeights(path));
        Assert.Contains("it is a directory", ex.Message);
        Assert.Equal(["model.unrw"], Entries());
        Assert.Equal("kept", File.ReadAllText(Path.Combine(path, "inside.txt")));
    }

    [Fact]
    public void A_missing_directory_is_named()
    {
        string path = Path.Combine(_directory, "missing", "model.unrw");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => WeightsFileTests.Trained(new SGD()).SaveWeights(path));
        Assert.Contains("does not exist", ex.Message);
        Assert.Empty(Entries());
    }

    [SkippableFact]
    public void A_directory_that_cannot_be_written_leaves_nothing()
    {
        // Tests run as root here, which ignores permission bits; /proc refuses new files even to root.
        Skip.IfNot(OperatingSystem.IsLinux(), "Needs Linux: the directory that refuses new files even to root is /proc.");

        string path = "/proc/unrolled-weights-test.unrw";
        var model = WeightsFileTests.Trained(new SGD());
        var ex = Record.Exception(() => model.SaveWeights(path));
        Assert.True(ex is IOException or UnauthorizedAccessException, ex?.ToString() ?? "the save succeeded");
        Assert.False(File.Exists(path));
        Assert.DoesNotContain(Directory.GetFiles("/proc"), f => f.Contains("unrolled", StringComparison.Ordinal));
        model.SaveWeights(Path.Combine(_directory, "after.unrw")); // the guard was released
    }

    [Fact]
    public void A_stream_that_fails_part_way_surfaces_its_error_and_the_model_stays_usable()
    {
        var model = WeightsFileTests.Trained(new Adam());
        string before = WeightsFiles.State(model);
        var stream = new FailingStream(300);
        var ex = Assert.Throws<IOException>(() => model.SaveWeights(stream, includeOptimizer: true));
        Assert.Contains("simulated after 300 bytes", ex.Message);
        Assert.Equal(before, WeightsFiles.State(model));
        Assert.NotEmpty(WeightsFiles.Save(model, includeOptimizer: true));
    }
}

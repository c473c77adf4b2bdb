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
    public void A_save_removes_the_stale_temporaries_of_its_own_file_and_nothing_else()
    {
        string path = Path.Combine(_directory, "model.unrw");
        DateTime old = DateTime.UtcNow.AddHours(-1);
        // Left by saves of model.unrw killed an hour ago: removed.
        string[] orphans = [Temporary("model.unrw", old), Temporary("model.unrw", old), Temporary("model.unrw", old)];
        // Not this save's to remove: another file's temporaries, names that only look alike, a temporary written a
        // moment ago (a save running in another process), one held open by a writer, and a directory.
        string[] kept =
        [
            Temporary("other.unrw", old),
            Temporary("model.unrw.bak", old),
            Temporary("odel.unrw", old),
            Fake($".model.unrw.{new string('g', 32)}.unrolled-tmp", old),
            Fake($".model.unrw.{Guid.NewGuid():N}.unrolled-tmp.keep", old),
            Fake($"model.unrw.{Guid.NewGuid():N}.unrolled-tmp", old),
            Fake($".model.unrw.{Guid.NewGuid():N}0.unrolled-tmp", old),
            Fake("model.unrw.bak", old),
            Temporary("model.unrw", DateTime.UtcNow),
        ];
        string held = Temporary("model.unrw", old);
        string directory = Path.Combine(_directory, $".model.unrw.{Guid.NewGuid():N}.unrolled-tmp");
        Directory.CreateDirectory(directory);
        Directory.SetLastWriteTimeUtc(directory, old);

        var model = WeightsFileTests.Trained(new SGD());
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            model.SaveWeights(path);
        }

        Assert.All(orphans, orphan => Assert.False(File.Exists(orphan), orphan));
        Assert.All(kept, file => Assert.Equal("orphan", File.ReadAllText(file)));
        Assert.Equal("orphan", File.ReadAllText(held));
        Assert.True(Directory.Exists(directory));
        Assert.Equal(WeightsFiles.Save(model), File.ReadAllBytes(path));

        // The writer has gone: the next save removes its temporary too, and still keeps the others.
        model.SaveWeights(path);
        Assert.False(File.Exists(held));
        Assert.All(kept, file => Assert.True(File.Exists(file), file));
    }

    [Fact]
    public void A_load_removes_the_stale_temporaries_of_its_own_file()
    {
        string path = Path.Combine(_directory, "model.unrw");
        var model = WeightsFileTests.Trained(new SGD());
        model.SaveWeights(path);
        DateTime old = DateTime.UtcNow.AddHours(-1);
        string orphan = Temporary("model.unrw", old), other = Temporary("other.unrw", old), fresh = Temporary("model.unrw", DateTime.UtcNow);

        new TwoInputModel().LoadWeights(path);
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void A_load_that_fails_removes_nothing()
    {
        string path = Path.Combine(_directory, "model.unrw");
        File.WriteAllText(path, "not a weights file");
        string orphan = Temporary("model.unrw", DateTime.UtcNow.AddHours(-1));
        Assert.Throws<WeightsFileException>(() => new TwoInputModel().LoadWeights(path));
        Assert.True(File.Exists(orphan));
    }

    /// <summary>A file named as <see cref="AtomicFile"/> names the temporaries of <paramref name="target"/>.</summary>
    private string Temporary(string target, DateTime lastWrite) => Fake($".{target}.{Guid.NewGuid():N}.unrolled-tmp", lastWrite);

    private string Fake(string name, DateTime lastWrite)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, "orphan");
        File.SetLastWriteTimeUtc(path, lastWrite);
        return path;
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

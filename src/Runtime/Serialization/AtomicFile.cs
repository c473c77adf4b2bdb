using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Unrolled.Serialization;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory (so the rename stays on one
/// file system), which is flushed to disk and then renamed over the target. A reader sees the old file or the new one,
/// never a mix; a failure at any point leaves the old file as it was and removes the temporary file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The prefix and suffix of temporary files, so a crashed save's leftovers are recognisable.</summary>
    public const string TempPrefix = ".", TempSuffix = ".unrolled-tmp";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <exception cref="IOException">The target is a directory, or writing, flushing or renaming failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"Cannot save to '{full}': it is a directory.");
        }

        string directory = Path.GetDirectoryName(full) ?? throw new IOException($"Cannot save to '{full}': it has no directory.");
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot save to '{full}': the directory '{directory}' does not exist.");
        }

        string temp = Path.Combine(directory, $"{TempPrefix}{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            // CreateNew: never follow or reuse something already there. No FileStream buffer: the writer buffers.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        FlushDirectory(directory);
    }

    /// <summary>
    /// Makes the rename itself durable: on Unix a rename lives in the directory, which is flushed separately from the
    /// file (without this a power cut soon after the save can bring back the old file, though never a torn one). Best
    /// effort: the new file is already in place, so a failure here is not the caller's.
    /// </summary>
    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return; // Windows' MoveFileEx with write-through needs no directory flush, and .NET cannot open one.
        }

        // O_RDONLY | O_CLOEXEC (its value differs between Linux and the BSDs), so no child process inherits it.
        int fd = Posix.Open(directory, OperatingSystem.IsLinux() ? 0x80000 : OperatingSystem.IsMacOS() ? 0x1000000 : 0x100000);
        if (fd >= 0)
        {
            _ = Posix.Fsync(fd);
            _ = Posix.Close(fd);
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original exception matters more; a leftover temporary file is named so it is recognisable.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The three libc calls that flush a directory.</summary>
internal static partial class Posix
{
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    internal static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);
}

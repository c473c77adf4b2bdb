using System;
using System.IO;

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

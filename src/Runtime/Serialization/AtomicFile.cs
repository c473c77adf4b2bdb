using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Unrolled.Serialization;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory (so the rename stays on one
/// file system), which is flushed to disk and then renamed over the target. A reader sees the old file or the new one,
/// never a mix; a failure at any point leaves the old file as it was and removes the temporary file.
/// </summary>
/// <remarks>
/// Only a process killed mid-write leaves its temporary file behind. The next write (and the next successful load) of
/// the same target removes such leftovers: see <see cref="RemoveStaleTemporaries"/> for which files, and why that is safe.
/// </remarks>
internal static class AtomicFile
{
    /// <summary>The prefix and suffix of temporary files, so a crashed save's leftovers are recognisable.</summary>
    public const string TempPrefix = ".", TempSuffix = ".unrolled-tmp";

    /// <summary>The hex digits of the <see cref="Guid"/> (format N) between the target's name and <see cref="TempSuffix"/>.</summary>
    private const int GuidDigits = 32;

    /// <summary>How long ago a temporary file must have been last written before a later save or load removes it.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

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

        // First, so that the leftovers of killed saves do not hold the disk space this save needs.
        RemoveStaleTemporaries(full);
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
    /// Removes what interrupted writes of <paramref name="path"/> left behind, best effort: never throws, and skips
    /// whatever it cannot remove. A file is removed only if all of these hold:
    /// <list type="bullet">
    /// <item>it lies in the target's directory and is named exactly as <see cref="Write"/> names the temporaries of this
    /// target: <c>.NAME.</c>, 32 lowercase hex digits, <c>.unrolled-tmp</c> (so never another target's temporary, nor a
    /// file that merely looks alike);</item>
    /// <item>it is a regular file, not a directory or a link;</item>
    /// <item>it was last written at least <see cref="StaleAfter"/> ago (a write in progress keeps touching its file;
    /// a time in the future, as a skewed clock on a network share gives, counts as recent);</item>
    /// <item>it can be opened with <see cref="FileShare.None"/>: a writer holds its temporary with <see cref="FileShare.None"/>
    /// until the rename, which on Windows is an exclusive share mode and on Unix an advisory <c>flock</c> that .NET takes,
    /// so a save running in another process, or another thread, is never disturbed.</item>
    /// </list>
    /// Between that check and the removal nothing else can open the file: writers only create new, uniquely named files.
    /// If all the same a live temporary were removed (file locking disabled with <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>,
    /// a network file system without locks, and a writer stalled for over a minute), that save would fail with an
    /// <see cref="IOException"/> when it renames, and its target would keep its previous content: never a damaged file.
    /// </summary>
    /// <param name="path">The target file (any form <see cref="Path.GetFullPath(string)"/> accepts).</param>
    /// <returns>The number of files removed.</returns>
    public static int RemoveStaleTemporaries(string path)
    {
        int removed = 0;
        try
        {
            string full = Path.GetFullPath(path);
            string name = Path.GetFileName(full);
            string? directory = Path.GetDirectoryName(full);
            if (name.Length == 0 || directory is null)
            {
                return 0;
            }

            // Hidden and system files too: the temporaries' names start with a dot, which Unix counts as hidden.
            var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };
            foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles("*" + TempSuffix, options))
            {
                if (IsTemporaryOf(file.Name, name) && (file.Attributes & FileAttributes.ReparsePoint) == 0 && file.LinkTarget is null &&
                    DateTime.UtcNow - file.LastWriteTimeUtc >= StaleAfter && TryRemoveUnused(file.FullName))
                {
                    removed++;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException or ArgumentException)
        {
            // Best effort: the directory may be unreadable or vanish; the caller's save or load is what matters.
        }

        return removed;
    }

    /// <summary>Whether <paramref name="fileName"/> is exactly a name <see cref="Write"/> gives a temporary of <paramref name="target"/>.</summary>
    private static bool IsTemporaryOf(string fileName, string target)
    {
        int digits = TempPrefix.Length + target.Length + 1;
        if (fileName.Length != digits + GuidDigits + TempSuffix.Length || !fileName.StartsWith(TempPrefix, StringComparison.Ordinal) ||
            string.CompareOrdinal(fileName, TempPrefix.Length, target, 0, target.Length) != 0 || fileName[digits - 1] != '.' ||
            !fileName.EndsWith(TempSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in fileName.AsSpan(digits, GuidDigits))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Removes a file unless another handle has it open (see <see cref="RemoveStaleTemporaries"/>).</summary>
    private static bool TryRemoveUnused(string path)
    {
        try
        {
            // Opened only to learn that no writer holds it; closed before the removal, so that removing a link (swapped in
            // since the check) removes the link, not what it points to, which FileOptions.DeleteOnClose would on Windows.
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1))
            {
            }

            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
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

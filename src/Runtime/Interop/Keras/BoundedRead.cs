using System.IO;

namespace Unrolled.Interop.Keras;

/// <summary>Reads a stream whose length is not trusted into memory, growing as bytes arrive rather than allocating a
/// declared size up front, and stopping once it passes a limit.</summary>
internal static class BoundedRead
{
    /// <summary>The stream's remaining bytes, or null when there are more than <paramref name="limit"/>.</summary>
    public static byte[]? UpTo(Stream stream, long limit)
    {
        using var data = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (data.Length + read > limit)
            {
                return null;
            }

            data.Write(buffer, 0, read);
        }

        return data.ToArray();
    }
}

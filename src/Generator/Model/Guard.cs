using System;

namespace Unrolled.Generator.Model;

/// <summary>
/// The generator and analyzer must never take the compiler down, whatever the user has typed. A failure inside a
/// stage is our bug (the robustness tests hunt for them); the user then sees no model rather than a crash, and the
/// generator reports it (UNR0017) so that the missing code is explained.
/// </summary>
internal static class Guard
{
    public static T? Run<T>(Func<T> stage)
        where T : class
        => Run(stage, out _);

    /// <summary>Runs <paramref name="stage"/>; on failure returns null and describes the exception in
    /// <paramref name="failure"/> (its type, message and the frame that threw, for a bug report).</summary>
    public static T? Run<T>(Func<T> stage, out string? failure)
        where T : class
    {
        failure = null;
        try
        {
            return stage();
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            failure = Describe(e);
            return null;
        }
    }

    private static string Describe(Exception e)
    {
        string text = e.GetType().FullName + ": " + e.Message;
        string? trace = e.StackTrace;
        if (trace is not null)
        {
            foreach (string line in trace.Split('\n'))
            {
                string frame = line.Trim();
                if (frame.Length > 0)
                {
                    return text + " (" + frame + ")";
                }
            }
        }

        return text;
    }
}

using System;

namespace Unrolled.Generator.Model;

/// <summary>
/// The generator and analyzer must never take the compiler down, whatever the user has typed. A failure inside a
/// stage is our bug (the robustness tests hunt for them); the user then sees no model rather than a crash.
/// </summary>
internal static class Guard
{
    public static T? Run<T>(Func<T> stage)
        where T : class
    {
        try
        {
            return stage();
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception)
        {
            return null;
        }
    }
}

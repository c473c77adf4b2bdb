// Keras's naming rules, compiled into the generator (default layer names, saving paths) and the runtime (reading the
// paths of Keras's weight files), so that both name a layer the same way.
using System.Text.RegularExpressions;

#if UNROLLED_GENERATOR
namespace Unrolled.Generator.Model;
#else
namespace Unrolled;
#endif

/// <summary>Keras's names for classes and layers.</summary>
internal static class KerasNaming
{
    private static readonly Regex s_nonWord = new(@"\W+", RegexOptions.CultureInvariant);
    private static readonly Regex s_word = new("(.)([A-Z][a-z]+)", RegexOptions.CultureInvariant);
    private static readonly Regex s_lowerUpper = new("([a-z])([A-Z])", RegexOptions.CultureInvariant);

    /// <summary>keras.src.utils.naming.to_snake_case: Conv2DTranspose → conv2d_transpose, SimpleRNN → simple_rnn.</summary>
    public static string SnakeCase(string name)
    {
        name = s_nonWord.Replace(name, string.Empty);
        name = s_word.Replace(name, "$1_$2");
        return s_lowerUpper.Replace(name, "$1_$2").ToLowerInvariant();
    }
}

namespace Unrolled;

/// <summary>Shape arithmetic shared by the descriptions of tensors and weights.</summary>
internal static class ShapeMath
{
    /// <summary>The number of elements of a shape; overflow throws rather than wrapping.</summary>
    public static int Product(int[] shape)
    {
        int size = 1;
        foreach (int d in shape)
        {
            size = checked(size * d);
        }

        return size;
    }
}

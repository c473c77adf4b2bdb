using Unrolled.Generator.Shapes;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>The algebra of run-time dimensions: canonical, so equal dimensions are equal integers.</summary>
public class DimTableTests
{
    [Fact]
    public void Constants_stay_plain_integers()
    {
        var dims = new DimTable();
        Assert.Equal(12, dims.Mul(3, 4));
        Assert.Equal(7, dims.Add(3, 4));
        Assert.Equal(24, dims.Product(new[] { 2, 3, 4 }));
        Assert.Equal("12", dims.Code(12, a => "L"));
        Assert.False(dims.HasSymbols);
    }

    [Fact]
    public void Equal_polynomials_intern_to_the_same_integer_whatever_the_order()
    {
        var dims = new DimTable();
        int t = dims.Length(node: 0, axis: 0), b = dims.Length(node: 1, axis: 0);
        Assert.True(DimTable.IsSymbolic(t));
        Assert.Equal(t, dims.Length(0, 0));
        Assert.NotEqual(t, b);
        int left = dims.Add(dims.Mul(3, t), dims.Mul(b, 3));    // 3t + 3b
        int right = dims.Mul(dims.Add(b, t), 3);                 // (b + t) · 3
        Assert.Equal(left, right);
        Assert.Equal(dims.Mul(t, b), dims.Mul(b, t));
        Assert.Equal(t, dims.AddConstant(dims.AddConstant(t, -5), 5)); // negative constants only through AddConstant
        Assert.Equal("(3 * L0 + 3 * L1 + 4)", dims.Code(dims.AddConstant(left, 4), a => "L" + a));
        Assert.Equal("L0", dims.Code(t, a => "L" + a));
        Assert.Equal("(L0 * L0 - 1)", dims.Code(dims.AddConstant(dims.Mul(t, t), -1), a => "L" + a));
    }

    [Fact]
    public void AtLeast_holds_only_where_it_holds_for_every_length()
    {
        var dims = new DimTable();
        int n = dims.Length(node: 0, axis: 0), m = dims.Length(node: 1, axis: 0);
        int big = dims.Mul(n, 128), small = dims.Mul(n, 64), shorter = dims.AddConstant(big, -512);
        Assert.True(dims.AtLeast(big, small));
        Assert.False(dims.AtLeast(small, big));
        Assert.True(dims.AtLeast(big, shorter));
        Assert.False(dims.AtLeast(shorter, big));
        Assert.False(dims.AtLeast(shorter, small)); // 128n − 512 < 64n for n < 8
        Assert.True(dims.AtLeast(dims.Add(big, 7), 7));
        Assert.False(dims.AtLeast(big, 7)); // 128n ≥ 7 for n ≥ 1, but the check is termwise and does not know n ≥ 1
        Assert.False(dims.AtLeast(dims.Mul(n, m), big)); // unrelated lengths
        Assert.True(dims.AtLeast(dims.Add(dims.Mul(n, m), big), big));
        Assert.True(dims.AtLeast(5, 3) && !dims.AtLeast(3, 5));
        // Max picks the larger when they compare, and the sum (room for both) when they do not.
        Assert.Equal(big, dims.Max(small, big));
        Assert.Equal(dims.Add(shorter, small), dims.Max(shorter, small));
    }

    [Fact]
    public void Exact_division_undoes_a_product_and_refuses_otherwise()
    {
        var dims = new DimTable();
        int t = dims.Length(0, 0), b = dims.Length(1, 0);
        int rows = dims.Mul(dims.Mul(t, b), 6);
        Assert.Equal(dims.Mul(b, 6), dims.DivideExact(rows, t));
        Assert.Equal(dims.Mul(t, b), dims.DivideExact(rows, 6));
        Assert.Equal(1, dims.DivideExact(t, t));
        Assert.Null(dims.DivideExact(dims.AddConstant(t, 1), t));
        Assert.Null(dims.DivideExact(rows, 4));
        Assert.Null(dims.DivideExact(t, b));
        Assert.Equal(3, dims.DivideExact(12, 4));
        Assert.Null(dims.DivideExact(12, 5));
    }

    [Fact]
    public void A_table_survives_the_round_trip_through_its_equatable_data()
    {
        var dims = new DimTable();
        int t = dims.Length(2, 1);
        int size = dims.Mul(t, 8);
        var copy = new DimTable(dims.ToData());
        Assert.Equal(size, copy.Mul(t, 8));
        Assert.Equal(dims.ToData(), copy.ToData());
    }

    [Fact]
    public void Same_padding_windows_depend_only_on_the_stride()
    {
        var dims = new DimTable();
        int n = dims.Length(0, 0);
        Assert.Equal(dims.Window(n, 1, 2, 1, same: true), dims.Window(n, 3, 2, 1, same: true));
        Assert.NotEqual(dims.Window(n, 1, 2, 1, same: false), dims.Window(n, 3, 2, 1, same: false));
        Assert.Equal(13, dims.Window(25, 3, 2, 1, same: true));
        Assert.Equal(12, dims.Window(25, 3, 2, 1, same: false));
        Assert.Equal(0, dims.Window(2, 3, 1, 1, same: false));
        Assert.Equal(n, dims.Window(n, 3, 1, 2, same: true));
        Assert.Equal(dims.AddConstant(n, -4), dims.Window(n, 3, 1, 2, same: false));
    }
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Shapes;

/// <summary>
/// A quantity known only at run time: the length of an input's unknown (<c>null</c>) axis, where <paramref name="Node"/>
/// is the input's node and <paramref name="Axis"/> the per-sample axis (Keras's axis minus one); or, with Node -1, the
/// number of windows of a convolution or pooling over the dimension <paramref name="Inner"/>.
/// </summary>
internal sealed record DimAtom(int Node, int Axis, int Inner = 0, int Window = 0, int Stride = 0, int Dilation = 0, bool Same = false)
{
    public bool IsWindow => Node < 0;
}

/// <summary>One term of a dimension: <paramref name="Coefficient"/> times the product of some atoms (sorted, repeated for powers).</summary>
internal sealed record DimTerm(int Coefficient, EquatableArray<int> Atoms);

/// <summary>A dimension as a polynomial in the atoms, in canonical form (terms sorted, no zero coefficient).</summary>
internal sealed record DimPoly(int Constant, EquatableArray<DimTerm> Terms);

/// <summary>The equatable contents of a <see cref="DimTable"/>, for the incremental pipeline.</summary>
internal sealed record DimTableData(EquatableArray<DimAtom> Atoms, EquatableArray<DimPoly> Polys, EquatableArray<DimAtom> Checks = default)
{
    public static readonly DimTableData Empty = new(EquatableArray<DimAtom>.Empty, EquatableArray<DimPoly>.Empty);
}

/// <summary>
/// Dimensions that may be unknown until run time, encoded in plain <c>int</c>s so that every shape stays an array of
/// integers: a value of 0 or more is a constant; <c>-1</c> is a not-yet-named unknown (an Input's <c>null</c>); a value of
/// <c>-2</c> or less names a polynomial in the run-time lengths, interned here. Interning keeps the form canonical, so two
/// dimensions are equal exactly when their integers are, and symbolic dimensions compare as constants do.
/// </summary>
internal sealed class DimTable
{
    private readonly List<DimAtom> _atoms = new();
    private readonly Dictionary<DimAtom, int> _atomIndex = new();
    private readonly List<DimPoly> _polys = new();
    private readonly Dictionary<DimPoly, int> _polyIndex = new();
    private readonly List<DimAtom> _checks = new();

    public DimTable()
    {
    }

    public DimTable(DimTableData data)
    {
        foreach (var atom in data.Atoms)
        {
            _atomIndex[atom] = _atoms.Count;
            _atoms.Add(atom);
        }

        foreach (var poly in data.Polys)
        {
            _polyIndex[poly] = _polys.Count;
            _polys.Add(poly);
        }

        _checks.AddRange(data.Checks);
    }

    public IReadOnlyList<DimAtom> Atoms => _atoms;

    public bool HasSymbols => _atoms.Count > 0;

    public DimTableData ToData() => new(_atoms.ToEquatableArray(), _polys.ToEquatableArray(), _checks.ToEquatableArray());

    /// <summary>Whether <paramref name="dim"/> is known only at run time.</summary>
    public static bool IsSymbolic(int dim) => dim <= -2;

    /// <summary>The run-time length of an input's unknown axis.</summary>
    public int Length(int node, int axis) => Atom(new DimAtom(node, axis));

    /// <summary>
    /// Keras's number of windows over a length: <c>ceil(n / stride)</c> with same padding, else
    /// <c>floor((n − (window − 1) · dilation − 1) / stride) + 1</c>. For a constant that is not positive the result is 0
    /// (the caller reports the input as too small); for a run-time length it is an atom checked when the lengths are given.
    /// </summary>
    public int Window(int input, int window, int stride, int dilation, bool same)
    {
        if (input >= 0)
        {
            int span = (window - 1) * dilation + 1;
            int windows = same ? (input + stride - 1) / stride : input >= span ? (input - span) / stride + 1 : 0;
            return System.Math.Max(windows, 0);
        }

        int reach = (window - 1) * dilation + 1;
        if (stride == 1 && (same || reach == 1))
        {
            return input; // one window per position
        }

        if (!same)
        {
            // Valid windows need a length of at least the window's reach: checked when the lengths are given.
            var check = new DimAtom(-1, -1, input, window, stride, dilation, false);
            if (!_checks.Contains(check))
            {
                _checks.Add(check);
            }
        }

        if (!same && stride == 1)
        {
            return AddConstant(input, 1 - reach); // n − (window − 1) · dilation: a plain polynomial
        }

        // With same padding the count is ceil(n / stride) whatever the window: one atom for all such layers, so a
        // strided convolution and a strided pooling over the same length give equal dimensions (residual blocks).
        return same ? Atom(new DimAtom(-1, -1, input, 1, stride, 1, true)) : Atom(new DimAtom(-1, -1, input, window, stride, dilation, false));
    }

    /// <summary>The valid-padding windows over run-time lengths, whose length must reach the window: checked per call.</summary>
    public IReadOnlyList<DimAtom> WindowChecks => _checks;

    private int Atom(DimAtom atom)
    {
        if (!_atomIndex.TryGetValue(atom, out int index))
        {
            index = _atoms.Count;
            _atoms.Add(atom);
            _atomIndex[atom] = index;
        }

        return Intern(new Dictionary<string, (int, int[])> { [Key(new[] { index })] = (1, new[] { index }) }, 0);
    }

    public int Add(int a, int b)
    {
        if (a >= 0 && b >= 0)
        {
            return checked(a + b);
        }

        var (terms, constant) = Expand(a);
        var (other, otherConstant) = Expand(b);
        foreach (var pair in other)
        {
            terms[pair.Key] = terms.TryGetValue(pair.Key, out var t) ? (checked(t.Item1 + pair.Value.Item1), t.Item2) : pair.Value;
        }

        return Intern(terms, checked(constant + otherConstant));
    }

    /// <summary><paramref name="a"/> plus the constant <paramref name="c"/>, which may be negative.</summary>
    public int AddConstant(int a, int c)
    {
        var (terms, constant) = Expand(a);
        return Intern(terms, checked(constant + c));
    }

    public int Mul(int a, int b)
    {
        if (a >= 0 && b >= 0)
        {
            return checked(a * b);
        }

        var (x, xc) = Expand(a);
        var (y, yc) = Expand(b);
        var result = new Dictionary<string, (int, int[])>();
        void AddTerm(int coefficient, int[] atoms)
        {
            if (coefficient == 0)
            {
                return;
            }

            var sorted = atoms.OrderBy(i => i).ToArray();
            string key = Key(sorted);
            result[key] = result.TryGetValue(key, out var t) ? (checked(t.Item1 + coefficient), sorted) : (coefficient, sorted);
        }

        foreach (var s in x.Values)
        {
            foreach (var t in y.Values)
            {
                AddTerm(checked(s.Item1 * t.Item1), s.Item2.Concat(t.Item2).ToArray());
            }

            AddTerm(checked(s.Item1 * yc), s.Item2);
        }

        foreach (var t in y.Values)
        {
            AddTerm(checked(t.Item1 * xc), t.Item2);
        }

        return Intern(result, checked(xc * yc));
    }

    /// <summary>
    /// A dimension at least as large as both: the larger constant; for run-time expressions the one that is at least the
    /// other for every length (<see cref="AtLeast"/>), else their sum (the scratch space is shared by layers that never
    /// run at once, so room for both is enough).
    /// </summary>
    public int Max(int a, int b)
        => a >= 0 && b >= 0 ? System.Math.Max(a, b) : a == 0 ? b : b == 0 ? a : a == b ? a : AtLeast(a, b) ? a : AtLeast(b, a) ? b : Add(a, b);

    /// <summary>
    /// Whether <paramref name="a"/> ≥ <paramref name="b"/> for every value of the run-time lengths. Sufficient, not
    /// necessary: each coefficient of a − b, the constant included, is at least zero (every atom, a length or a
    /// number of windows, is at least zero when the lengths are valid).
    /// </summary>
    public bool AtLeast(int a, int b)
    {
        if (a >= 0 && b >= 0)
        {
            return a >= b;
        }

        var (x, xc) = Expand(a);
        var (y, yc) = Expand(b);
        if (xc < yc)
        {
            return false;
        }

        foreach (var pair in y)
        {
            if ((x.TryGetValue(pair.Key, out var t) ? t.Item1 : 0) < pair.Value.Item1)
            {
                return false;
            }
        }

        foreach (var pair in x)
        {
            if (!y.ContainsKey(pair.Key) && pair.Value.Item1 < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The product of several dimensions (1 for none).</summary>
    public int Product(IEnumerable<int> dims)
    {
        int product = 1;
        foreach (int d in dims)
        {
            product = Mul(product, d);
        }

        return product;
    }

    /// <summary>Floats per sample of a tensor: its dimensions times the rows it has inside TimeDistributed.</summary>
    public int Size(TensorShape shape) => Mul(Product(shape.Dims), shape.Repeat);

    /// <summary><paramref name="a"/> / <paramref name="b"/> when every term of <paramref name="a"/> divides exactly by the
    /// single-term <paramref name="b"/>; otherwise null.</summary>
    public int? DivideExact(int a, int b)
    {
        if (a == b)
        {
            return 1;
        }

        if (b >= 0)
        {
            if (b == 0)
            {
                return null;
            }

            if (a >= 0)
            {
                return a % b == 0 ? a / b : null;
            }
        }

        var (terms, constant) = Expand(a);
        var (divisorTerms, divisorConstant) = Expand(b);
        int coefficient;
        int[] divisorAtoms;
        if (divisorTerms.Count == 0)
        {
            (coefficient, divisorAtoms) = (divisorConstant, new int[0]);
        }
        else if (divisorTerms.Count == 1 && divisorConstant == 0)
        {
            (coefficient, divisorAtoms) = divisorTerms.Values.Single();
        }
        else
        {
            return null;
        }

        if (coefficient == 0 || constant % coefficient != 0 || (divisorAtoms.Length > 0 && constant != 0))
        {
            return null;
        }

        var quotient = new Dictionary<string, (int, int[])>();
        foreach (var (c, atoms) in terms.Values)
        {
            var rest = atoms.ToList();
            foreach (int atom in divisorAtoms)
            {
                if (!rest.Remove(atom))
                {
                    return null;
                }
            }

            if (c % coefficient != 0)
            {
                return null;
            }

            var sorted = rest.ToArray();
            quotient[Key(sorted)] = (c / coefficient, sorted);
        }

        return Intern(quotient, constant / coefficient);
    }

    /// <summary>The polynomial a dimension stands for.</summary>
    public DimPoly Poly(int dim) => dim >= 0 || dim == -1
        ? new DimPoly(dim, EquatableArray<DimTerm>.Empty)
        : _polys[-2 - dim];

    /// <summary>The atoms a dimension depends on.</summary>
    public IEnumerable<int> AtomsOf(int dim) => dim >= 0 ? Enumerable.Empty<int>() : Poly(dim).Terms.SelectMany(t => t.Atoms).Distinct();

    /// <summary>
    /// C# code that computes <paramref name="dim"/>, each atom written by <paramref name="atom"/>: a literal for a
    /// constant, a parenthesised sum of products otherwise.
    /// </summary>
    public string Code(int dim, System.Func<int, string> length)
    {
        string atom(int index)
        {
            var a = _atoms[index];
            return a.IsWindow
                ? $"global::Unrolled.Kernels.ConvGeometry.OutputLength({Code(a.Inner, length)}, {a.Window.ToString(CultureInfo.InvariantCulture)}, " +
                  $"{a.Stride.ToString(CultureInfo.InvariantCulture)}, {a.Dilation.ToString(CultureInfo.InvariantCulture)}, {(a.Same ? "true" : "false")})"
                : length(index);
        }

        if (dim >= 0)
        {
            return dim.ToString(CultureInfo.InvariantCulture);
        }

        var poly = Poly(dim);
        var text = new StringBuilder();
        foreach (var term in poly.Terms)
        {
            int c = term.Coefficient;
            if (text.Length > 0)
            {
                text.Append(c < 0 ? " - " : " + ");
                c = System.Math.Abs(c);
            }
            else if (c < 0)
            {
                text.Append('-');
                c = -c;
            }

            if (c != 1)
            {
                text.Append(c.ToString(CultureInfo.InvariantCulture)).Append(" * ");
            }

            text.Append(string.Join(" * ", term.Atoms.Select(atom)));
        }

        if (poly.Constant != 0)
        {
            text.Append(poly.Constant < 0 ? " - " : " + ").Append(System.Math.Abs(poly.Constant).ToString(CultureInfo.InvariantCulture));
        }

        bool single = poly.Terms.Count == 1 && poly.Constant == 0 && poly.Terms[0].Coefficient == 1 && poly.Terms[0].Atoms.Count == 1;
        return single ? text.ToString() : "(" + text + ")";
    }

    private (Dictionary<string, (int, int[])> Terms, int Constant) Expand(int dim)
    {
        var terms = new Dictionary<string, (int, int[])>();
        if (dim >= 0)
        {
            return (terms, dim);
        }

        var poly = Poly(dim);
        foreach (var term in poly.Terms)
        {
            var atoms = term.Atoms.ToArray();
            terms[Key(atoms)] = (term.Coefficient, atoms);
        }

        return (terms, poly.Constant);
    }

    private int Intern(Dictionary<string, (int Coefficient, int[] Atoms)> terms, int constant)
    {
        var canonical = terms.Values
            .Where(t => t.Coefficient != 0)
            .OrderBy(t => t.Atoms.Length)
            .ThenBy(t => Key(t.Atoms), System.StringComparer.Ordinal)
            .Select(t => new DimTerm(t.Coefficient, t.Atoms.ToEquatableArray()))
            .ToList();
        if (canonical.Count == 0 && constant >= 0)
        {
            return constant;
        }

        var poly = new DimPoly(constant, canonical.ToEquatableArray());
        if (!_polyIndex.TryGetValue(poly, out int index))
        {
            index = _polys.Count;
            _polys.Add(poly);
            _polyIndex[poly] = index;
        }

        return -2 - index;
    }

    private static string Key(int[] atoms) => string.Join(",", atoms.Select(a => a.ToString(CultureInfo.InvariantCulture)));
}

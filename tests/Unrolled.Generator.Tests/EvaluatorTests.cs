using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>The compile-time evaluation of builders: loops, helpers, lists and names unroll into the right graph.</summary>
public class EvaluatorTests
{
    private static string Summary(string body, string members = "") => Generated.Code(Sources.Builder(body, members));

    [Fact]
    public void Loops_lists_and_local_functions_unroll()
    {
        string code = Summary("""
            var a = Input([3]);
            var branches = new List<Tensor>();
            foreach (var width in new[] { 2, 3, 4 })
            {
                branches.Add(Dense(width, name: "branch_" + width)(a));
            }

            int n = 0;
            do { n += 2; } while (n < 6);
            Tensor Grow(Tensor t) => Dense(n)(t);
            var merged = Concatenate(branches.ToArray());
            return new Model(a, Grow(merged));
            """);
        // branches: 3*2+2 + 3*3+3 + 3*4+4 = 36; dense(6) on 9: 9*6+6 = 60
        Assert.Contains("ParameterCount = 96;", code);
        Assert.Contains("branch_4 (Dense)", code);
    }

    [Fact]
    public void Constants_fields_and_arithmetic_fold()
    {
        string code = Summary("""
            var a = Input([Width * 2]);
            var x = a;
            for (int i = 1; i <= 3; i++)
            {
                if (i % 2 == 0) continue;
                x = Dense(Width / i + 1, Activation.Relu)(x);
            }

            return new Model(a, x);
            """, "const int Width = 8;");
        // 16 -> 9 (8/1+1) -> 3 (8/3+1): 16*9+9 + 9*3+3 = 183
        Assert.Contains("ParameterCount = 183;", code);
    }

    [Fact]
    public void Default_names_follow_keras_and_skip_taken_names()
    {
        string code = Summary("""
            var a = Input([3]);
            var b = Input([3], name: "input_2");
            var x = Dense(2, name: "dense")(a);
            var y = Dense(2)(b);
            return new Model([a, b], [x, y]);
            """);
        Assert.Contains("input_1 (InputLayer)", code);
        Assert.Contains("dense_1 (Dense)", code);
        Assert.Contains("public void Predict(global::System.ReadOnlySpan<float> input1, global::System.ReadOnlySpan<float> input2, global::System.Span<float> dense, global::System.Span<float> dense1, int batchSize)", code);
    }

    [Fact]
    public void Switch_statements_and_expressions_are_decided_at_compile_time()
    {
        string code = Summary("""
            var a = Input([4]);
            var x = a;
            for (int i = 0; i < 4; i++)
            {
                switch (i)
                {
                    case 0:
                        x = Dense(8)(x);
                        break;
                    case 1 or 2:
                        x = Dense(Width(i))(x);
                        break;
                    default:
                        continue;
                }
            }

            return new Model(a, x);
            """, "static int Width(int i) => i switch { 1 => 3, > 1 => 5, _ => 0 };");
        // 4*8+8 = 40, 8*3+3 = 27, 3*5+5 = 20
        Assert.Contains("ParameterCount = 87;", code);
    }

    [Fact]
    public void Csharp_semantics_hold_for_lists_compound_assignment_remainders_and_names()
    {
        string code = Summary("""
            var a = Input([4]);
            var outs = new List<Tensor> { Dense(2, name: $"head_{0.1f}_{true}_{7.5 % 2}")(a) };
            var model = new Model(a, outs.ToArray());
            outs.Add(Dense(3)(a));                           // after the model: not one of its outputs (Keras copies)
            var h = Dense(4)(a);
            h += Dense(4)(h);                                // a residual written as compound assignment
            int units = 10;
            units += 5 / 2;                                  // integer division as C#: 12
            var flags = new bool[2];
            if (!flags[1]) { units += 1; }
            return new Model(a, [outs[0], Dense(units)(h)]);
            """);
        Assert.Contains("head_0.1_True_1.5 (Dense)", code);
        Assert.Contains("Floats per sample of output 'dense_3', shape (None, 13)", code);
        Assert.Contains("tf.__operators__.add (TFOpLamb", code); // Keras cuts the column
    }

    [Fact]
    public void Tuple_names_stay_valid_and_odd_constants_compile()
    {
        string code = Summary("""
            var a = Input([4]);
            var h = Dense(4)(a) * float.PositiveInfinity;
            return new Model(a, [Dense(1, name: "head_1")(h), Dense(1, name: "head1")(h), Dense(1, name: "rest")(h)]);
            """);
        Assert.Contains("float.PositiveInfinity", code);
        Assert.Contains("(float[] Head1, float[] Head12, float[] Rest2)", code);
    }
}

namespace Unrolled.Generator.Tests;

/// <summary>Builder sources shared by several tests.</summary>
internal static class TestModels
{
    /// <summary>The tutorial's first model (784 → 64 relu → 64 relu → 10 softmax), Keras's "mnist_model".</summary>
    public const string Mlp = """
        using Unrolled;
        using static Unrolled.Layers;

        namespace Samples;

        public partial class FashionMlp
        {
            [ModelBuilder]
            static Model Build()
            {
                var inputs = Input([784]);
                var x = Dense(64, Activation.Relu)(inputs);
                x = Dense(64, Activation.Relu)(x);
                var outputs = Dense(10, Activation.Softmax)(x);
                return new Model(inputs, outputs, name: "mnist_model");
            }
        }
        """;

    /// <summary>Two inputs, two outputs, a loop, a helper, both merge forms and a residual Add.</summary>
    public const string Router = """
        using Unrolled;
        using static Unrolled.Layers;

        namespace Samples.Nested;

        public static partial class Container
        {
            public partial class Router
            {
                const int Hidden = 32;

                [ModelBuilder]
                static Model Build()
                {
                    var title = Input([16], name: "title");
                    var tags = Input([12], name: "tags");
                    var t = Block(title, depth: 2);
                    var x = Concatenate([t, tags]);
                    for (int i = 0; i < 2; i++)
                    {
                        x = Dense(Hidden, Activation.Tanh, name: $"hidden_{i}")(x);
                    }

                    var skip = Dense(Hidden, useBias: false)(Concatenate()(t, tags));
                    x = Add([x, skip]);
                    var priority = Dense(1, Activation.Sigmoid, name: "priority")(x);
                    var department = Dense(4, Activation.Softmax, name: "department")(x);
                    return new Model([title, tags], [priority, department], name: "router");
                }

                static Tensor Block(Tensor x, int depth)
                {
                    for (int i = 0; i < depth; i++)
                    {
                        x = Dense(Hidden, Activation.Relu)(x);
                    }

                    return x;
                }
            }
        }
        """;
}

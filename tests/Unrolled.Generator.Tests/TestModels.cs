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

    /// <summary>Lambda, TimeDistributed, a nested model, switch and the node API: the evaluator's newer paths.</summary>
    public const string Everything = """
        using Unrolled;
        using static Unrolled.Layers;

        public partial class Everything
        {
            static Model Tower(int width)
            {
                var x = Input([4]);
                return new Model(x, Dense(width, Activation.Tanh)(x), name: "tower");
            }

            [ModelBuilder]
            static Model Build()
            {
                var left = Input([3, 4], name: "left");
                var right = Input([3, 4], name: "right");
                Layer tower = Tower(4);
                var a = TimeDistributed(tower)(left);
                var b = TimeDistributed(tower)(right);
                var shared = Dense(4);
                var c = shared(Ops.Mean(a, axis: 1)) - shared(Ops.Mean(b, axis: 1));
                var similarity = Lambda((Tensor[] v) => Ops.Exp(-Ops.Sum(Ops.Abs(v[0] - v[1]), axis: 1, keepDims: true)))([a, b]);
                int width = shared.GetOutputShapeAt(0)[0] switch { 4 => 2, _ => 1 };
                var head = Concatenate([Dense(width)(c), Ops.Mean(similarity, axis: 1)]);
                return new Model([left, right], Dense(1, Activation.Sigmoid)(head));
            }
        }
        """;

    /// <summary>Inputs with run-time lengths: joined in time, TimeDistributed, pooled, beside a fixed input.</summary>
    public const string Sequences = """
        using Unrolled;
        using static Unrolled.Layers;

        public partial class Sequences
        {
            [ModelBuilder]
            static Model Build()
            {
                var title = Input([null, 3], name: "title");
                var body = Input([null, 3], name: "body");
                var tags = Input([4], name: "tags");
                var steps = TimeDistributed(Dense(5, Activation.Tanh))(Concatenate([title, body], axis: 1));
                var pooled = Ops.Sum(steps * 0.5f, axis: 1);
                var x = Concatenate([pooled, tags]);
                return new Model([title, body, tags], [Dense(1, name: "priority")(x), Dense(4, Activation.Softmax, name: "department")(x)]);
            }
        }
        """;

    /// <summary>The newer layers: convolutions, pooling, views, an embedding and recurrent layers.</summary>
    public const string Layers = """
        using Unrolled;
        using static Unrolled.Layers;

        public partial class LayerZoo
        {
            [ModelBuilder]
            static Model Build()
            {
                var image = Input([12, 12, 2], name: "image");
                var words = Input([null], DType.Int32, name: "words");
                var x = Conv2D(4, 3, strides: 2, padding: Padding.Same, activation: Activation.Relu)(image);
                x = MaxPooling2D(2)(Conv2DTranspose(3, 3, strides: 2)(x));
                var v = Dropout(0.25)(Flatten()(BatchNormalization()(x)));
                var t = GRU(6)(LSTM(5, returnSequences: true)(Embedding(50, 4)(words)));
                var s = GlobalMaxPool1D()(Conv1D(3, 2)(Reshape([-1, 4])(Embedding(50, 4)(words))));
                return new Model([image, words], [Dense(2)(Concatenate([v, t, s])), SimpleRNN(3)(Reshape([4, 4])(Dense(16)(t)))]);
            }
        }
        """;
}

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>Test sources: a builder body wrapped in the class and usings every test needs.</summary>
internal static class Sources
{
    public static string Builder(string body, string members = "") => $$"""
        using System;
        using System.Collections.Generic;
        using Unrolled;
        using static Unrolled.Layers;

        public partial class M
        {
            {{members}}

            [ModelBuilder]
            static Model Build()
            {
                {{body}}
            }
        }
        """;
}

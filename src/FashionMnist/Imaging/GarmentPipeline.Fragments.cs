namespace FashionMnist.Imaging;

// The fallback for masks that fell apart (issue 16, docs/photos.md "Fragmented masks"): kept apart from the main
// pipeline so a solid mask takes exactly the path it always took.
public sealed partial class GarmentPipeline
{
    /// <summary>
    /// <paramref name="garment"/> itself, unless it is doubtful (<see cref="GarmentPipelineOptions.MinSolidity"/>,
    /// <see cref="GarmentPipelineOptions.MinBoxFill"/>): then the <see cref="GarmentPipelineOptions.FragmentFallback"/>
    /// mask when that one is more solid. The shape is noted when the test is on, so --debug-dir and --json show why.
    /// </summary>
    private BinaryMask UnlessFragmented(Analysis analysis, double thresholdScale, BinaryMask garment, List<string> notes)
    {
        if (Options.MinSolidity == 0 && Options.MinBoxFill == 0) return garment; // off: the path (and notes) of before
        MaskShape shape = MaskShape.Of(garment);
        notes.Add($"mask solidity {shape.Solidity:0.00}, box fill {shape.BoxFill:0.00}");
        if (!IsDoubtful(shape, Options)) return garment;

        BinaryMask fallback = Options.FragmentFallback switch
        {
            FragmentFallback.LowerThreshold => Segment(analysis, thresholdScale * Options.FallbackThresholdFactor, [], [], keepStages: false)
                .KeepLargestComponents(Options.ComponentFraction, Options.MaxBorderShare),
            FragmentFallback.Closing => Segment(analysis, thresholdScale, [], [], keepStages: false, Options.FallbackClosingFactor)
                .KeepLargestComponents(Options.ComponentFraction, Options.MaxBorderShare),
            _ => MaskShape.FilledHull(garment),
        };
        MaskShape other = MaskShape.Of(fallback);
        if (other.Area == 0 || other.Solidity <= shape.Solidity)
        {
            notes.Add($"doubtful mask; the {Options.FragmentFallback} fallback was no more solid ({other.Solidity:0.00}), kept");
            return garment;
        }
        notes.Add($"doubtful mask: used the {Options.FragmentFallback} fallback (solidity {other.Solidity:0.00}, box fill {other.BoxFill:0.00})");
        return fallback;
    }

    /// <summary>Whether a kept mask looks like fragments or strips rather than one garment.</summary>
    internal static bool IsDoubtful(MaskShape shape, GarmentPipelineOptions options) =>
        shape.Area > 0 && (shape.Solidity < options.MinSolidity || shape.BoxFill < options.MinBoxFill);
}

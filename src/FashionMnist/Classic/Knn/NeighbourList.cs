namespace FashionMnist.Classic.Knn;

/// <summary>
/// A streaming top-k: the <c>k</c> smallest (distance, index) pairs seen so far, kept sorted ascending
/// in caller-owned spans (no allocation). Ties keep the earlier-offered pair, so scanning training rows
/// in index order breaks ties towards the lower index, as a stable sort would.
/// </summary>
internal static class NeighbourList
{
    /// <summary>Fills the list with "no neighbour yet" entries.</summary>
    public static void Reset<T>(Span<T> distances, Span<int> indices, T worst)
    {
        distances.Fill(worst);
        indices.Fill(-1);
    }

    /// <summary>Offers one candidate; returns the new worst distance kept (the admission threshold).</summary>
    public static T Offer<T>(Span<T> distances, Span<int> indices, T distance, int index) where T : IComparable<T>
    {
        int last = distances.Length - 1;
        if (distance.CompareTo(distances[last]) >= 0) return distances[last];
        int position = last;
        while (position > 0 && distance.CompareTo(distances[position - 1]) < 0)
        {
            distances[position] = distances[position - 1];
            indices[position] = indices[position - 1];
            position--;
        }
        distances[position] = distance;
        indices[position] = index;
        return distances[last];
    }

    /// <summary>Offers a candidate ordered by (distance, index): for merging lists that were not scanned in index order.</summary>
    public static void OfferOrdered<T>(Span<T> distances, Span<int> indices, T distance, int index) where T : IComparable<T>
    {
        int last = distances.Length - 1;
        if (Before(distances[last], indices[last], distance, index)) return;
        int position = last;
        while (position > 0 && Before(distance, index, distances[position - 1], indices[position - 1]))
        {
            distances[position] = distances[position - 1];
            indices[position] = indices[position - 1];
            position--;
        }
        distances[position] = distance;
        indices[position] = index;

        static bool Before(T d1, int i1, T d2, int i2)
        {
            int c = d1.CompareTo(d2);
            return c < 0 || (c == 0 && (uint)i1 < (uint)i2); // -1 ("none") sorts last
        }
    }
}

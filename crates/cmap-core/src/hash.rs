/// The hasher every cmap hash map uses unless told otherwise.
///
/// foldhash's fast variant: a few instructions for a `u64`, good distribution in both the low
/// bits (bucket index) and the high bits (hashbrown's tag, and the shard index of sharded maps),
/// and a per-map random seed, so it is not trivially open to collision attacks. It is what
/// hashbrown itself uses by default. The harness passes the same hasher to the peer maps it
/// measures, so a comparison never measures two hash functions.
pub type DefaultHashBuilder = foldhash::fast::RandomState;

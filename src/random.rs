//! Independent random streams, one per (seed, replication, purpose).
//!
//! Every consumer of randomness asks for its own stream here and keeps it for the whole
//! replication. A stream depends on nothing but the seed, the replication index and its
//! [`Purpose`], so results do not depend on thread count or scheduling, and one purpose drawing
//! more numbers never shifts another purpose's draws (common random numbers across scenarios).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator used throughout bcfsim.
pub type Rng = ChaCha8Rng;

/// What a stream is used for. Each purpose names the network element it belongs to by index, so
/// that adding draws at one node leaves every other node's streams untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Inter-arrival times (and thinning) of source `n`.
    Arrivals(u32),
    /// The cohort each arrival of source `n` belongs to.
    CohortMix(u32),
    /// Service durations at node `n`.
    Duration(u32),
    /// Routing choices at node `n`.
    Routing(u32),
    /// Handover times (referral, brokerage, transport) after service at node `n`.
    Handover(u32),
    /// Service durations of the phantoms standing in for patients denied staffed care at node `n`.
    PhantomDuration(u32),
    /// Routing choices of those phantoms at node `n`.
    PhantomRouting(u32),
}

impl Purpose {
    fn code(self) -> u64 {
        let (kind, index) = match self {
            Purpose::Arrivals(n) => (0u64, n),
            Purpose::CohortMix(n) => (1, n),
            Purpose::Duration(n) => (2, n),
            Purpose::Routing(n) => (3, n),
            Purpose::Handover(n) => (4, n),
            Purpose::PhantomDuration(n) => (5, n),
            Purpose::PhantomRouting(n) => (6, n),
        };
        kind << 28 | u64::from(index & 0x0fff_ffff)
    }
}

/// Creates the stream for `purpose` in replication `replication` of a run seeded with `seed`.
///
/// The ChaCha key comes from the seed; the 64-bit stream number packs the replication index (high
/// 32 bits) with the purpose (low 32 bits), so streams never overlap.
pub fn stream(seed: u64, replication: u32, purpose: Purpose) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(replication) << 32 | purpose.code());
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_differ_by_replication_and_purpose_and_repeat_exactly() {
        let draw = |replication, purpose| stream(7, replication, purpose).random::<u64>();
        assert_eq!(draw(0, Purpose::Arrivals(0)), draw(0, Purpose::Arrivals(0)));
        assert_ne!(draw(0, Purpose::Arrivals(0)), draw(1, Purpose::Arrivals(0)));
        assert_ne!(draw(0, Purpose::Arrivals(0)), draw(0, Purpose::Arrivals(1)));
        assert_ne!(draw(0, Purpose::Duration(0)), draw(0, Purpose::Routing(0)));
        assert_ne!(
            stream(8, 0, Purpose::Arrivals(0)).random::<u64>(),
            draw(0, Purpose::Arrivals(0))
        );
    }
}

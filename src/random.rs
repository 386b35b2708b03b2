//! Random numbers: long streams for the processes that run all replication long, and short
//! counter-based draws for the individuals those processes create.
//!
//! A [`stream`] depends on nothing but the seed, the replication index and its [`Purpose`], which
//! names its owner by the [`key`] of the owner's name, not by a position in a file; so results do
//! not depend on thread count or scheduling, one owner drawing more numbers never shifts another's,
//! and adding, removing or reordering elements leaves every other element's streams as they were.
//!
//! An individual carries a 64-bit key instead of a stream. Its key is drawn from its creator's
//! stream, [`mix`]ed with the key of each place it goes, and every draw it needs is made by a fresh
//! [`Draws`] generator made from that key and what the draw is for. What happens to the k-th
//! individual somewhere therefore depends only on the k-th draw of its creator's stream and the
//! places it has been: the same in every variant of a model wherever its path is the same, however
//! the variants differ elsewhere (common random numbers that survive structural changes).

use rand::rand_core::{impls, RngCore};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator of the long streams.
pub type Rng = ChaCha8Rng;

/// What a long stream is used for, with the [`key`] of the element it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The times of an element's arrivals.
    Arrivals(u64),
    /// The seed of the keys of the individuals an element creates (see [`individuals`]).
    Individuals(u64),
    /// An input of the model drawn afresh for each replication.
    Input(u64),
}

/// Creates the stream for `purpose` in replication `replication` of a run seeded with `seed`.
///
/// The ChaCha key packs the seed with the purpose and the stream number is the replication, so
/// streams of different seeds, purposes or replications never overlap.
pub fn stream(seed: u64, replication: u32, purpose: Purpose) -> Rng {
    let (kind, element) = match purpose {
        Purpose::Arrivals(element) => (0u64, element),
        Purpose::Individuals(element) => (1, element),
        Purpose::Input(element) => (2, element),
    };
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&kind.to_le_bytes());
    key[16..24].copy_from_slice(&element.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(u64::from(replication));
    rng
}

/// The keys of the individuals the element keyed `element` creates, one draw each: a SplitMix64
/// sequence seeded from the element's [`Purpose::Individuals`] stream, as cheap as a counter.
pub fn individuals(seed: u64, replication: u32, element: u64) -> Draws {
    let mut stream = stream(seed, replication, Purpose::Individuals(element));
    Draws {
        state: stream.next_u64(),
    }
}

/// The stable key of a name (FNV-1a, then mixed so that similar names give unrelated keys).
pub fn key(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    finalise(hash)
}

/// The key of an individual that was at `key` and moves on to the element keyed `element`;
/// the order of moves matters.
#[inline]
pub fn mix(key: u64, element: u64) -> u64 {
    finalise(key.rotate_left(23) ^ element)
}

/// What a draw of an individual is for; each has its own [`Draws`] from the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// The individual's type, once, when it is created.
    Kind,
    /// How long it stays at an element.
    Duration,
    /// Where it goes next.
    Route,
    /// How long it takes to be handed over to the next element.
    Handover,
}

/// A short sequence of random numbers for one individual's `purpose` at its current `key`:
/// SplitMix64, which passes BigCrush, is seeded in a few nanoseconds and needs 8 bytes, where a
/// ChaCha stream would take tens of nanoseconds to set up.
#[derive(Clone, Debug)]
pub struct Draws {
    state: u64,
}

impl Draws {
    /// The draws of `key` for `purpose`.
    #[inline]
    pub fn new(key: u64, purpose: Draw) -> Draws {
        Draws {
            state: mix(key, 0x5eed_0000 + purpose as u64),
        }
    }
}

impl RngCore for Draws {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        finalise(self.state)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest);
    }
}

/// SplitMix64's output function: a bijection of 64-bit numbers in which every input bit affects
/// every output bit.
#[inline]
fn finalise(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_differ_by_seed_replication_and_purpose_and_repeat_exactly() {
        let draw = |seed, replication, purpose| stream(seed, replication, purpose).random::<u64>();
        let a = Purpose::Arrivals(key("a"));
        assert_eq!(draw(7, 0, a), draw(7, 0, a));
        assert_ne!(draw(7, 0, a), draw(7, 1, a));
        assert_ne!(draw(7, 0, a), draw(8, 0, a));
        assert_ne!(draw(7, 0, a), draw(7, 0, Purpose::Arrivals(key("b"))));
        assert_ne!(draw(7, 0, a), draw(7, 0, Purpose::Individuals(key("a"))));
    }

    #[test]
    fn draws_are_splitmix64() {
        // The reference outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        let mut draws = Draws { state: 1_234_567 };
        let first: Vec<u64> = (0..5).map(|_| draws.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
    }

    #[test]
    fn a_key_depends_on_the_order_of_moves_and_each_purpose_draws_apart() {
        let (a, b) = (key("acute"), key("home"));
        assert_ne!(mix(mix(1, a), b), mix(mix(1, b), a));
        assert_ne!(key("ward1"), key("ward2"));
        let first = |purpose| Draws::new(mix(1, a), purpose).next_u64();
        assert_eq!(first(Draw::Duration), first(Draw::Duration));
        assert_ne!(first(Draw::Duration), first(Draw::Route));
        assert_ne!(first(Draw::Route), first(Draw::Handover));
    }
}

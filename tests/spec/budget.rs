//! How many cases each property runs, and how to ask for more.
//!
//! By default the property suites together finish in well under two
//! minutes in a debug build on two cores. For a long soak run, set
//! `YIELDFROM_SPEC_CASES` to the number of cases every property should run
//! (for example `YIELDFROM_SPEC_CASES=100000 cargo test --release spec_`).
//! `YIELDFROM_SPEC_SEED` replays the differential test's cases from the seed
//! a failure printed.

use proptest::test_runner::Config;
use std::env;

/// The cases a model property runs unless `YIELDFROM_SPEC_CASES` says.
pub const MODEL_CASES: u32 = 3000;

/// The cases the differential test compares with CPython unless
/// `YIELDFROM_SPEC_CASES` says.
pub const DIFFERENTIAL_CASES: u32 = 8000;

/// `default`, or `YIELDFROM_SPEC_CASES` if it is set.
///
/// # Panics
///
/// If `YIELDFROM_SPEC_CASES` is set to something that is not a number.
pub fn cases(default: u32) -> u32 {
    match env::var("YIELDFROM_SPEC_CASES") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("YIELDFROM_SPEC_CASES={v:?} is not a number of cases")),
        Err(_) => default,
    }
}

/// The proptest configuration of a model property.
pub fn model() -> Config {
    Config {
        cases: cases(MODEL_CASES),
        // A failure prints the shrunk program as Python; it is not written
        // to a regressions file in the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The seed of the differential test's cases: `YIELDFROM_SPEC_SEED`, or a
/// fresh one.
///
/// # Panics
///
/// If `YIELDFROM_SPEC_SEED` is set to something that is not a number.
pub fn seed() -> u64 {
    let Ok(v) = env::var("YIELDFROM_SPEC_SEED") else {
        use std::hash::{BuildHasher, RandomState};
        return RandomState::new().hash_one(std::time::SystemTime::now());
    };
    v.trim()
        .parse()
        .unwrap_or_else(|_| panic!("YIELDFROM_SPEC_SEED={v:?} is not a number"))
}

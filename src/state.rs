//! The four states of a generator, as `inspect.getgeneratorstate` names them.

use std::fmt;

/// Where a generator is in its life, like `inspect.getgeneratorstate`.
///
/// The states move only along Python's diagram:
///
/// ```text
///   Created ──first next()──▶ Running ◀──next/send/throw/close──┐
///      │                        │                                │
///      │ throw/close            ├──yield──▶ Suspended ───────────┘
///      ▼                        ▼
///   Closed ◀──return / error escapes / panic / closed───┘
/// ```
///
/// Invariants the crate keeps:
/// - `Created` holds only before the body first runs; a value sent then is
///   refused and the state does not change.
/// - `Running` holds exactly while the body (or a delegate it is waiting on)
///   executes; any resume seen in that state is refused as "generator already
///   executing".
/// - `Suspended` means the body is parked at a `co.yield_` or inside a
///   `co.yield_from`.
/// - `Closed` is absorbing: no operation leaves it, and the body never runs
///   again.
///
/// # Examples
///
/// ```
/// use yieldfrom::{GenState, Generator};
///
/// let g: Generator<i32> = Generator::new("count", |co| async move {
///     co.yield_(1).await?;
///     Ok(())
/// });
/// assert_eq!(g.state(), GenState::Created);
/// assert_eq!(g.state().to_string(), "GEN_CREATED");
/// g.next().unwrap();
/// assert_eq!(g.state(), GenState::Suspended);
/// g.close().unwrap();
/// assert_eq!(g.state(), GenState::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GenState {
    /// Not started yet: `GEN_CREATED`.
    Created,
    /// Executing now, or waiting on a delegate that is: `GEN_RUNNING`.
    Running,
    /// Parked at a yield point: `GEN_SUSPENDED`.
    Suspended,
    /// Finished, closed, failed or panicked: `GEN_CLOSED`.
    Closed,
}

impl GenState {
    /// The name `inspect.getgeneratorstate` gives this state.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "GEN_CREATED",
            Self::Running => "GEN_RUNNING",
            Self::Suspended => "GEN_SUSPENDED",
            Self::Closed => "GEN_CLOSED",
        }
    }
}

impl fmt::Display for GenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

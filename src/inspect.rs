//! What a generator reports about its `yield from` chain.

use crate::GenState;

/// One level of a delegation chain: a generator, or the plain iterator the
/// innermost generator is delegating to.
///
/// Returned by `Generator::delegate` (Python's `gi_yieldfrom`) and
/// `Generator::delegation_chain` (like asyncio's `Task.get_stack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FrameInfo {
    /// The generator's name, or the iterator's type name.
    pub name: &'static str,
    /// The generator's state; `None` for a plain iterator, which has none.
    pub state: Option<GenState>,
}

impl FrameInfo {
    /// Whether this level is a plain iterator rather than a generator.
    #[must_use]
    pub const fn is_iterator(&self) -> bool {
        self.state.is_none()
    }
}

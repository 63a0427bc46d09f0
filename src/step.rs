//! What one resume of a generator produced.

/// The result of a `next`, `send` or `throw` that did not raise.
///
/// Python folds the last two cases into `StopIteration`; here they stay
/// apart so that a return value can never be mistaken for "nothing left".
///
/// `V` is what an operation hands back when it could not deliver its input:
/// for [`send`](crate::Generator::send) on a closed generator, the value that
/// was not sent; `()` for the other operations.
///
/// # Examples
///
/// ```
/// use yieldfrom::{Generator, Step};
///
/// let g: Generator<i32, (), &str> = Generator::new("once", |co| async move {
///     co.yield_(1).await?;
///     Ok("done")
/// });
/// assert_eq!(g.next().unwrap(), Step::Yielded(1));
/// assert_eq!(g.next().unwrap(), Step::Returned("done"));
/// assert_eq!(g.next().unwrap(), Step::Stopped(()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step<Y, R, V = ()> {
    /// The body yielded this value and is suspended.
    Yielded(Y),
    /// The body returned this value (Python's `StopIteration.value`); the
    /// generator is now closed. A return value is handed out exactly once.
    Returned(R),
    /// The generator was already closed, so nothing ran (Python's bare
    /// `StopIteration`). Carries the input that could not be delivered.
    Stopped(V),
}

impl<Y, R, V> Step<Y, R, V> {
    /// The yielded value, if this step yielded.
    #[must_use]
    pub fn yielded(self) -> Option<Y> {
        match self {
            Self::Yielded(y) => Some(y),
            Self::Returned(_) | Self::Stopped(_) => None,
        }
    }

    /// The return value, if the body returned in this step.
    #[must_use]
    pub fn returned(self) -> Option<R> {
        match self {
            Self::Returned(r) => Some(r),
            Self::Yielded(_) | Self::Stopped(_) => None,
        }
    }

    /// The same step with the handed-back value of `Stopped` dropped, for
    /// code that only cares that the generator had stopped.
    #[must_use]
    pub fn without_value(self) -> Step<Y, R> {
        match self {
            Self::Yielded(y) => Step::Yielded(y),
            Self::Returned(r) => Step::Returned(r),
            Self::Stopped(_) => Step::Stopped(()),
        }
    }

    /// Whether the generator has finished: it returned now or was already
    /// closed.
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        !matches!(self, Self::Yielded(_))
    }
}

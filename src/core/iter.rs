//! Iterating a generator as Python's `for x in g` does: a borrowing
//! iterator ([`Iter`], `for x in &g`) and an owning one ([`IntoIter`],
//! `for x in g`), each fused and each a `Stream`. `g.next()` stays the
//! generator's own operation, Python's `next(g)`.

use super::generator::Generator;
use crate::{AnyError, Error, exception::Exception};
use std::{
    fmt,
    iter::FusedIterator,
    pin::Pin,
    task::{Context, Poll},
};

/// An iterator over what a generator yields, borrowing it: what
/// [`Generator::iter`] and `for x in &g` give.
///
/// It ends, for good, when the generator finishes or an operation fails;
/// the generator keeps how for [`Generator::take_outcome`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<'a, Y, S = (), R = (), E = AnyError>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
{
    generator: &'a Generator<Y, S, R, E>,
    /// Set at the first `None`: after a refusal by a running generator,
    /// which may go on later, no more items may follow.
    done: bool,
}

impl<'a, Y: 'static, S: 'static, R: 'static, E: Exception<S>> Iter<'a, Y, S, R, E> {
    pub(super) fn new(generator: &'a Generator<Y, S, R, E>) -> Self {
        Self {
            generator,
            done: false,
        }
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> Iterator for Iter<'_, Y, S, R, E> {
    type Item = Y;

    /// The next yielded value, or `None` once the generator has finished;
    /// see [`Generator::take_outcome`] for how it finished.
    fn next(&mut self) -> Option<Y> {
        self.generator.next_fused(&mut self.done)
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> FusedIterator for Iter<'_, Y, S, R, E> {}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> futures::Stream for Iter<'_, Y, S, R, E> {
    type Item = Y;

    /// Always ready: a generator body never waits on anything but its
    /// caller.
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Y>> {
        Poll::Ready(self.get_mut().next())
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> fmt::Debug for Iter<'_, Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("generator", self.generator)
            .field("done", &self.done)
            .finish()
    }
}

impl<'a, Y: 'static, S: 'static, R: 'static, E: Exception<S>> IntoIterator
    for &'a Generator<Y, S, R, E>
{
    type Item = Y;
    type IntoIter = Iter<'a, Y, S, R, E>;

    /// [`Generator::iter`]: `for x in &g` is Python's `for x in g`.
    fn into_iter(self) -> Iter<'a, Y, S, R, E> {
        self.iter()
    }
}

/// An iterator over what a generator yields, owning it: what `for x in g`
/// and `g.into_iter()` give.
///
/// It ends, for good, when the generator finishes or an operation fails,
/// and keeps how for [`take_outcome`](Self::take_outcome).
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct IntoIter<Y, S = (), R = (), E = AnyError>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
{
    generator: Generator<Y, S, R, E>,
    done: bool,
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> IntoIter<Y, S, R, E> {
    /// The generator being iterated.
    pub fn generator(&self) -> &Generator<Y, S, R, E> {
        &self.generator
    }

    /// [`Generator::take_outcome`]: how the generator ended.
    pub fn take_outcome(&self) -> Option<Result<R, Error<E>>> {
        self.generator.take_outcome()
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> Iterator for IntoIter<Y, S, R, E> {
    type Item = Y;

    /// The next yielded value, or `None` once the generator has finished;
    /// see [`IntoIter::take_outcome`] for how it finished.
    fn next(&mut self) -> Option<Y> {
        self.generator.next_fused(&mut self.done)
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> FusedIterator for IntoIter<Y, S, R, E> {}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> futures::Stream for IntoIter<Y, S, R, E> {
    type Item = Y;

    /// Always ready: a generator body never waits on anything but its
    /// caller.
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Y>> {
        Poll::Ready(self.get_mut().next())
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> fmt::Debug for IntoIter<Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("generator", &self.generator)
            .field("done", &self.done)
            .finish()
    }
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> IntoIterator for Generator<Y, S, R, E> {
    type Item = Y;
    type IntoIter = IntoIter<Y, S, R, E>;

    /// The generator as an owning iterator: `for x in g` is Python's
    /// `for x in g` when `g` is not needed afterwards.
    fn into_iter(self) -> IntoIter<Y, S, R, E> {
        IntoIter {
            generator: self,
            done: false,
        }
    }
}

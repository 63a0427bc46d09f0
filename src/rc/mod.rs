//! Generators on genawaiter's single-threaded `rc` engine. Their names are
//! re-exported at the crate root: this is the default flavour.

mod engine {
    use crate::GenState;
    use std::cell::{Cell, RefCell, RefMut};

    pub(crate) use genawaiter::rc::{Airlock, Co as RawCo};

    /// What the shared core requires of everything a generator holds:
    /// nothing, on this engine.
    pub(crate) trait MaybeSend {}
    impl<T: ?Sized> MaybeSend for T {}

    /// A generator's state, in a single-threaded cell.
    pub(crate) struct Slot(Cell<GenState>);

    impl Slot {
        pub(crate) const fn new(state: GenState) -> Self {
            Self(Cell::new(state))
        }
        #[inline]
        pub(crate) fn set(&self, state: GenState) {
            self.0.set(state);
        }
        #[inline]
        pub(crate) fn get(&self) -> GenState {
            self.0.get()
        }
        /// Replaces the state with `f` of it; returns the old state.
        #[inline]
        pub(crate) fn update(&self, f: impl Fn(GenState) -> GenState) -> GenState {
            let old = self.0.get();
            self.0.set(f(old));
            old
        }
    }

    /// A byte of the body's own, which only the body's thread touches.
    pub(crate) struct Byte(Cell<u8>);

    impl Byte {
        pub(crate) const fn new() -> Self {
            Self(Cell::new(0))
        }
        #[inline]
        pub(crate) fn get(&self) -> u8 {
            self.0.get()
        }
        #[inline]
        pub(crate) fn set(&self, value: u8) {
            self.0.set(value);
        }
    }

    /// Exclusive access that the generator's state already serialises, so
    /// it is never contended.
    pub(crate) struct Lock<T: ?Sized>(RefCell<T>);

    impl<T> Lock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(RefCell::new(value))
        }
    }

    impl<T: ?Sized> Lock<T> {
        #[inline]
        pub(crate) fn lock(&self) -> RefMut<'_, T> {
            self.0.borrow_mut()
        }
        #[inline]
        pub(crate) fn try_lock(&self) -> Option<RefMut<'_, T>> {
            self.0.try_borrow_mut().ok()
        }
        #[inline]
        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }
}

// The core is written once and compiled once per engine: each flavour's
// `engine` module above gives it the pointer, cell and lock types it runs on.
#[allow(clippy::duplicate_mod)]
#[path = "../core/co.rs"]
mod co;
#[allow(clippy::duplicate_mod)]
#[path = "../core/delegate_frame.rs"]
mod delegate_frame;
#[allow(clippy::duplicate_mod)]
#[path = "../core/driver.rs"]
mod driver;
#[allow(clippy::duplicate_mod)]
#[path = "../core/frame.rs"]
mod frame;
#[allow(clippy::duplicate_mod)]
#[path = "../core/generator.rs"]
mod generator;
#[allow(clippy::duplicate_mod)]
#[path = "../core/iter.rs"]
mod iter;

pub use co::{Co, Yield, YieldFrom};
pub use generator::Generator;
pub use iter::{IntoIter, Iter};

use crate::{Delegate, Exception};
use std::future::Future;

impl<Y, S, R, E> Generator<Y, S, R, E>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
{
    /// Creates a generator named `name` whose body is the future that
    /// `body` returns; nothing runs until the first `next()`.
    ///
    /// The body is a closure taking the [`Co`] it yields through and
    /// returning an `async move` block, which ends with `Ok(return_value)`
    /// or `Err(error)`. It may await only its `Co`'s futures.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::Generator;
    ///
    /// let evens: Generator<u32> = Generator::new("evens", |co| async move {
    ///     for n in (0..10).step_by(2) {
    ///         co.yield_(n).await?;
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(evens.into_iter().collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
    /// ```
    pub fn new<F>(name: &'static str, body: impl FnOnce(Co<Y, S, E>) -> F) -> Self
    where
        F: Future<Output = Result<R, E>> + 'static,
    {
        Self::from_frame(frame::FrameImpl::boxed(name, body))
    }
}

impl<Y, S, R, E> Generator<Y, S, R, E>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
{
    /// A generator that runs a hand-written [`Delegate`]: what
    /// [`Co::yield_from`] forwards to as PEP 380 forwards to an iterator
    /// with `send`, `throw` and `close`. It is named after the delegate.
    ///
    /// # Examples
    ///
    /// See [`Delegate`].
    pub fn from_delegate<D>(delegate: D) -> Self
    where
        D: Delegate<Yield = Y, Send = S, Return = R, Error = E> + 'static,
    {
        let name = delegate.name();
        Self::from_named_frame(name, delegate_frame::DelegateFrame::boxed(delegate, None))
    }

    /// [`from_delegate`](Self::from_delegate) for the crate's own waits:
    /// a `yield_from` drives it in place, in the delegator's body, named
    /// there by `hint`.
    pub(crate) fn in_place<D>(delegate: D, hint: crate::mailbox::Hint) -> Self
    where
        D: Delegate<Yield = Y, Send = S, Return = R, Error = E> + 'static,
    {
        let name = delegate.name();
        Self::from_named_frame(
            name,
            delegate_frame::DelegateFrame::boxed(delegate, Some(hint)),
        )
    }
}

impl<Y, S, E> Co<Y, S, E>
where
    Y: 'static,
    S: 'static,
    E: Exception<S>,
{
    /// Delegates to a hand-written [`Delegate`] until it returns, and
    /// evaluates to its return value: [`yield_from`](Self::yield_from) of
    /// [`Generator::from_delegate`].
    ///
    /// # Errors
    ///
    /// As [`yield_from`](Self::yield_from).
    pub fn yield_from_delegate<D>(
        &self,
        delegate: D,
    ) -> YieldFrom<'_, Y, S, D::Return, E, impl Future<Output = Option<S>> + Unpin + '_>
    where
        D: Delegate<Yield = Y, Send = S, Error = E> + 'static,
        D::Return: 'static,
    {
        self.yield_from(Generator::from_delegate(delegate))
    }
}

//! Generators on genawaiter's thread-safe `sync` engine, for bodies and
//! values that are `Send`.
//!
//! The API is the crate root's, item for item; only the bounds differ. A
//! `sync::Generator` is `Send` and `Sync`: it can move to another thread, or
//! be shared between threads, and a resume that races one already running
//! on another thread is told "generator already executing", as in CPython.
//!
//! ```
//! use yieldfrom::sync::Generator;
//!
//! let g: Generator<u64> = Generator::new("squares", |co| async move {
//!     for n in 1..=3 {
//!         co.yield_(n * n).await?;
//!     }
//!     Ok(())
//! });
//! let squares = std::thread::spawn(move || g.into_iter().collect::<Vec<_>>()).join().unwrap();
//! assert_eq!(squares, [1, 4, 9]);
//! ```

mod engine {
    use crate::GenState;
    use std::sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU8, Ordering},
    };

    pub(crate) use genawaiter::sync::{Airlock, Co as RawCo};

    /// What the shared core requires of everything a generator holds:
    /// `Send`, on this engine.
    pub(crate) trait MaybeSend: Send {}
    impl<T: Send + ?Sized> MaybeSend for T {}

    // A body that panics poisons the locks it held; the generator is closed
    // by then and its data stays consistent, so poison is ignored.
    fn unpoison<G>(r: Result<G, PoisonError<G>>) -> G {
        r.unwrap_or_else(PoisonError::into_inner)
    }

    /// A cell that may be touched from any thread.
    /// A generator's state in one atomic byte: the check-and-set that
    /// starts every operation is a single compare-and-swap, where a mutex
    /// would cost two atomic operations for each of the two accesses.
    pub(crate) struct Slot(AtomicU8);

    impl Slot {
        pub(crate) const fn new(state: GenState) -> Self {
            Self(AtomicU8::new(state as u8))
        }
        #[inline]
        pub(crate) fn set(&self, state: GenState) {
            self.0.store(state as u8, Ordering::Release);
        }
        #[inline]
        pub(crate) fn get(&self) -> GenState {
            unpack(self.0.load(Ordering::Acquire))
        }
        /// Replaces the state with `f` of it; returns the old state.
        #[inline]
        pub(crate) fn update(&self, f: impl Fn(GenState) -> GenState) -> GenState {
            match self
                .0
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                    Some(f(unpack(s)) as u8)
                }) {
                Ok(old) | Err(old) => unpack(old),
            }
        }
    }

    #[inline]
    pub(super) fn unpack(byte: u8) -> GenState {
        match byte {
            0 => GenState::Created,
            1 => GenState::Running,
            2 => GenState::Suspended,
            _ => GenState::Closed,
        }
    }

    /// A byte of the body's own. Only the thread running the body touches
    /// it, and the generator's state hands the body from thread to thread
    /// with acquire and release, so relaxed plain loads and stores do.
    pub(crate) struct Byte(AtomicU8);

    impl Byte {
        pub(crate) const fn new() -> Self {
            Self(AtomicU8::new(0))
        }
        #[inline]
        pub(crate) fn get(&self) -> u8 {
            self.0.load(Ordering::Relaxed)
        }
        #[inline]
        pub(crate) fn set(&self, value: u8) {
            self.0.store(value, Ordering::Relaxed);
        }
    }

    pub(crate) struct Lock<T: ?Sized>(Mutex<T>);

    impl<T> Lock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(Mutex::new(value))
        }
    }

    impl<T: ?Sized> Lock<T> {
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            unpoison(self.0.lock())
        }
        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
        pub(crate) fn get_mut(&mut self) -> &mut T {
            unpoison(self.0.get_mut())
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
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Exception<S> + Send,
{
    /// Creates a thread-safe generator named `name` whose body is the
    /// future that `body` returns; nothing runs until the first `next()`.
    ///
    /// As the crate root's `Generator::new`, with `Send` required of the
    /// body and of every value type.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::sync::Generator;
    ///
    /// let g: Generator<&str> = Generator::new("hello", |co| async move {
    ///     co.yield_("hello").await?;
    ///     Ok(())
    /// });
    /// assert_eq!(g.into_iter().collect::<Vec<_>>(), ["hello"]);
    /// ```
    pub fn new<F>(name: &'static str, body: impl FnOnce(Co<Y, S, E>) -> F) -> Self
    where
        F: Future<Output = Result<R, E>> + Send + 'static,
    {
        Self::from_frame(frame::FrameImpl::boxed(name, body))
    }
}

impl<Y, S, R, E> Generator<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Exception<S> + Send,
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
        D: Delegate<Yield = Y, Send = S, Return = R, Error = E> + Send + 'static,
    {
        let name = delegate.name();
        Self::from_named_frame(name, delegate_frame::DelegateFrame::boxed(delegate, None))
    }
}

impl<Y, S, E> Co<Y, S, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    E: Exception<S> + Send,
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
        D: Delegate<Yield = Y, Send = S, Error = E> + Send + 'static,
        D::Return: Send + 'static,
    {
        self.yield_from(Generator::from_delegate(delegate))
    }
}

#[cfg(test)]
mod tests {
    use super::engine::{Slot, unpack};
    use crate::GenState;

    #[test]
    fn every_state_survives_the_atomic_byte() {
        for state in [
            GenState::Created,
            GenState::Running,
            GenState::Suspended,
            GenState::Closed,
        ] {
            assert_eq!(unpack(state as u8), state);
            let slot = Slot::new(state);
            assert_eq!(slot.get(), state);
            assert_eq!(slot.update(|_| GenState::Running), state);
            assert_eq!(slot.get(), GenState::Running);
        }
    }
}

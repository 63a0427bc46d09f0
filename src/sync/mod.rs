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
//! let squares = std::thread::spawn(move || g.collect::<Vec<_>>()).join().unwrap();
//! assert_eq!(squares, [1, 4, 9]);
//! ```

mod engine {
    use std::sync::{Mutex, MutexGuard, PoisonError};

    pub(crate) use genawaiter::sync::{Co as RawCo, Gen as RawGen};

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
    pub(crate) struct Slot<T>(Mutex<T>);

    impl<T> Slot<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(Mutex::new(value))
        }
        pub(crate) fn set(&self, value: T) {
            let old = std::mem::replace(&mut *unpoison(self.0.lock()), value);
            drop(old);
        }
        pub(crate) fn get(&self) -> T
        where
            T: Copy,
        {
            *unpoison(self.0.lock())
        }
        /// Replaces the value with `f` of it, atomically; returns the old
        /// value.
        pub(crate) fn update(&self, f: impl FnOnce(T) -> T) -> T
        where
            T: Copy,
        {
            let mut guard = unpoison(self.0.lock());
            let old = *guard;
            *guard = f(old);
            old
        }
    }

    /// Exclusive access that the generator's state already serialises, so
    /// it is never contended.
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
    }
}

// The core is written once and compiled once per engine: each flavour's
// `engine` module above gives it the pointer, cell and lock types it runs on.
#[allow(clippy::duplicate_mod)]
#[path = "../core/co.rs"]
mod co;
#[allow(clippy::duplicate_mod)]
#[path = "../core/frame.rs"]
mod frame;
#[allow(clippy::duplicate_mod)]
#[path = "../core/generator.rs"]
mod generator;

pub use co::{Co, Yield, YieldFrom};
pub use generator::Generator;

use crate::Exception;
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
    /// assert_eq!(g.collect::<Vec<_>>(), ["hello"]);
    /// ```
    pub fn new<F>(name: &'static str, body: impl FnOnce(Co<Y, S, E>) -> F) -> Self
    where
        F: Future<Output = Result<R, E>> + Send + 'static,
    {
        Self::from_frame(frame::FrameImpl::boxed(name, body))
    }
}

//! Python's generators, `yield from` and generator-based coroutines, on
//! stable Rust.
//!
//! A [`Generator`] is a resumable body that yields values to its caller and
//! is resumed with [`next`](Generator::next), [`send`](Generator::send),
//! [`throw`](Generator::throw) or [`close`](Generator::close), with exactly
//! CPython 3.11's outcome for every operation in every [state](GenState).
//! Inside the body, [`Co::yield_from`] delegates to another generator as
//! PEP 380's `yield from` does, forwarding everything and evaluating to the
//! delegate's return value, at a resume cost that does not grow with the
//! depth of delegation.
//!
//! # The model
//!
//! A body is an `async move` block. It suspends only at `co.yield_(value)`,
//! which evaluates to what the caller resumed it with: `Ok(None)` after
//! `next()`, `Ok(Some(v))` after `send(v)`, or `Err(e)` after `throw(e)`,
//! and `Err(GeneratorExit)` after `close()`. It ends with `Ok(return_value)`
//! or `Err(error)`. Propagating errors with `?` is a Python body without
//! `try`; matching on them is `try/except`.
//!
//! Rust infers a closure's argument before it looks at the type the call
//! is assigned to, so a body that calls methods on its errors (such as
//! `e.is::<GeneratorExit>()`) names its `Co` type: `|co: Co<_, f64>|` fixes
//! the send type and lets the error type default to [`AnyError`].
//!
//! Python's own session with a generator, side by side:
//!
//! ```
//! use yieldfrom::{Co, GenState, Generator, GeneratorExit, Step};
//!
//! // def averager():
//! //     total, count, avg = 0, 0, None
//! //     while True:
//! //         try:
//! //             x = yield avg
//! //         except GeneratorExit:
//! //             return count
//! //         total += x; count += 1; avg = total / count
//! let averager: Generator<Option<f64>, f64, u32> = Generator::new("averager", |co: Co<_, f64>| async move {
//!     let (mut total, mut count, mut avg) = (0.0, 0, None);
//!     loop {
//!         match co.yield_(avg).await {
//!             Ok(x) => {
//!                 total += x.unwrap_or(0.0);
//!                 count += 1;
//!                 avg = Some(total / f64::from(count));
//!             }
//!             Err(e) if e.is::<GeneratorExit>() => return Ok(count),
//!             Err(e) => return Err(e),
//!         }
//!     }
//! });
//!
//! assert_eq!(averager.state(), GenState::Created);
//! assert_eq!(averager.next().unwrap(), Step::Yielded(None));   // next(averager)
//! assert_eq!(averager.send(10.0).unwrap(), Step::Yielded(Some(10.0)));
//! assert_eq!(averager.send(20.0).unwrap(), Step::Yielded(Some(15.0)));
//! assert_eq!(averager.close().unwrap(), Some(2));              // returned on GeneratorExit
//! assert_eq!(averager.state(), GenState::Closed);
//! ```
//!
//! # Errors
//!
//! A generator's error type `E` is the user's, through the [`Exception`]
//! trait; the default, [`AnyError`], holds any error and is caught by type
//! with [`AnyError::is`] and [`AnyError::downcast`]. Operations report
//! [`Error`]: what the body raised, or a refusal with CPython's message,
//! carrying back the input that was not delivered. Propagated with `?`
//! (`target.send(x)?` in another body), it is the error the body raised,
//! still caught by its type wherever it arrives.
//!
//! # Flavours
//!
//! The root's [`Generator`] and [`Co`] run on genawaiter's single-threaded
//! `rc` engine. [`sync`] has the same API on its thread-safe engine, for
//! `Send` bodies.
//!
//! # Coroutines
//!
//! [`asyncio`] drives generator-based coroutines the way asyncio did before
//! `async`/`await`: a coroutine yields the future it waits on to its task,
//! and an event loop runs callbacks, timers and tasks on a real or virtual
//! clock, with asyncio's toolkit (`gather`, `wait_for`, locks, queues) and a
//! bridge to async Rust and threads.
#![deny(missing_docs)]

pub mod asyncio;
mod delegate;
mod error;
mod exception;
mod finally;
mod hook;
mod inspect;
mod mailbox;
mod rc;
mod state;
mod step;
pub mod sync;
mod trash;

pub use delegate::Delegate;
pub use error::Error;
pub use exception::{
    AlreadyExecuting, AnyError, Exception, Exhausted, ForeignAwait, GeneratorExit,
    IgnoredGeneratorExit, Interrupt, JustStarted, NoSend, UnawaitedYield,
};
pub use finally::try_finally;
pub use hook::{Unraisable, UnraisableContext, set_unraisable_hook, take_unraisable_hook};
pub use inspect::FrameInfo;
pub use rc::{Co, Generator, IntoIter, Iter, Yield, YieldFrom};
pub use state::GenState;
pub use step::Step;

/// The README's examples, run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

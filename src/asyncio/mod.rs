//! Generator-based coroutines on an event loop, the way asyncio worked
//! before `async`/`await` (Python 3.3's tulip, 3.4's `@asyncio.coroutine`).
//!
//! A coroutine is a [`Generator`] of this crate that yields to its task a
//! [`Suspend`]: the future it waits on, or nothing to give up its turn. It
//! waits on a future with `future.wait_in(&co)` (or
//! `co.yield_from(future.wait())`, which makes a coroutine for the wait),
//! and calls another coroutine with `co.yield_from(other)`: each evaluates
//! to the result, or raises the error where it stands. A [`Task`] drives a coroutine on an
//! [`EventLoop`], which runs callbacks and fires timers on a real or
//! virtual clock.
//!
//! ```
//! use std::{cell::RefCell, rc::Rc};
//! use yieldfrom::asyncio::{coroutine, run_with, sleep, ClockKind, EventLoop};
//!
//! let log = Rc::new(RefCell::new(Vec::new()));
//! let worker = |name: &'static str, period: f64, log: Rc<RefCell<Vec<String>>>| {
//!     coroutine(name, move |co| async move {
//!         for i in 0..3 {
//!             co.yield_from(sleep(period)).await?;
//!             let now = EventLoop::running()?.time();
//!             log.borrow_mut().push(format!("{now:.1} {name} {i}"));
//!         }
//!         Ok(())
//!     })
//! };
//! let (a, b) = (worker("fast", 1.0, log.clone()), worker("slow", 1.5, log.clone()));
//! run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
//!     let lp = EventLoop::running()?;
//!     let fast = lp.create_task(a)?;
//!     let slow = lp.create_task(b)?;
//!     co.yield_from(fast.wait()).await?;
//!     co.yield_from(slow.wait()).await
//! }))
//! .unwrap();
//! // At 3.0 both timers are due; the slow one was scheduled first, so it
//! // fires first, exactly as under CPython.
//! assert_eq!(
//!     *log.borrow(),
//!     ["1.0 fast 0", "1.5 slow 0", "2.0 fast 1", "3.0 slow 1", "3.0 fast 2", "4.5 slow 2"]
//! );
//! ```
//!
//! For a glob import, take [`prelude`]: `use yieldfrom::asyncio::*` also
//! brings in asyncio's [`Future`], whose Python name shadows the standard
//! prelude's `Future` trait in the importing module.

mod alarm;
mod clock;
mod combinators;
#[cfg(unix)]
mod datagram_transport;
mod delay;
mod errors;
mod event;
mod event_loop;
mod future;
mod future_wait;
mod handle;
mod iteration;
mod locks;
mod one_waiter;
mod os_errors;
#[cfg(unix)]
mod protocols;
mod queues;
mod ready;
mod record;
mod registry;
mod remote;
mod report;
mod runner;
#[cfg(unix)]
mod selector;
#[cfg(unix)]
mod servers;
#[cfg(unix)]
mod signals;
#[cfg(unix)]
mod sockets;
#[cfg(unix)]
mod stream_reader;
#[cfg(unix)]
mod stream_reader_protocol;
#[cfg(unix)]
mod stream_writer;
#[cfg(unix)]
mod streams;
mod task;
mod timeline;
mod timers;
mod trace_json;
#[cfg(unix)]
mod transport_base;
#[cfg(unix)]
mod transports;
mod turn;
mod wait_line;

pub use clock::ClockKind;
pub use combinators::{
    Awaitable, DoneAndPending, GatherTuple, ReturnWhen, as_completed, ensure_future, gather,
    gather_results, gather_tuple, shield, wait, wait_for,
};
#[cfg(unix)]
pub use datagram_transport::DatagramTransport;
pub use delay::{Seconds, Timeout};
pub use errors::{
    CancelledError, InvalidStateError, KeyboardInterrupt, RuntimeError, TaskPanicked, TimeoutError,
    ValueError,
};
pub use event::Event;
pub use event_loop::EventLoop;
pub use future::{CallbackId, Future};
pub use handle::Handle;
pub use locks::{Condition, Lock, LockGuard, Semaphore};
pub use os_errors::{
    BrokenPipeError, ConnectionAbortedError, ConnectionRefusedError, ConnectionResetError,
    FileNotFoundError, GaiError, OsError, PermissionError,
};
#[cfg(unix)]
pub use protocols::{DatagramProtocol, Protocol};
pub use queues::{Queue, QueueEmpty, QueueFull};
pub use record::{AfterStep, CallbackKind, Outcome, Record, RecordEvent, TaskId};
pub use remote::{LocalSetter, LoopClosed, LoopRemote};
pub use report::{EntryKind, LoopReport};
pub use runner::{Runner, run, run_with};
#[cfg(unix)]
pub use servers::{Server, ServerOptions};
#[cfg(unix)]
pub use sockets::Listener;
#[cfg(unix)]
pub use stream_reader::{
    DEFAULT_LIMIT, IncompleteReadError, LimitOverrunError, Lines, StreamReader,
};
#[cfg(unix)]
pub use stream_writer::StreamWriter;
#[cfg(unix)]
pub use streams::{
    open_connection, open_connection_with_limit, open_unix_connection,
    open_unix_connection_with_limit, start_server, start_server_with, start_server_with_limit,
    start_unix_server, start_unix_server_with, start_unix_server_with_limit,
};
pub use task::{Task, TaskRef};
#[cfg(unix)]
pub use transport_base::{Address, DEFAULT_HIGH_WATER, ExtraInfo, Socket, TransportClosedError};
#[cfg(unix)]
pub use transports::Transport;

/// What a program on the loop usually names, for a glob import that leaves
/// the standard prelude alone: `use yieldfrom::asyncio::prelude::*`.
///
/// Everything but asyncio's [`Future`], whose Python name
/// would shadow the standard prelude's `Future` trait (as
/// `use yieldfrom::asyncio::*` does): name it `asyncio::Future`. The event
/// loop's own futures come from `lp.create_future()` and need no name.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::prelude::*;
///
/// // `Future` is still the standard trait here.
/// fn rust_future(answer: u32) -> impl Future<Output = u32> {
///     async move { answer }
/// }
///
/// let got = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let lp = EventLoop::running()?;
///     let queue = Queue::unbounded();
///     queue.put_nowait(1).map_err(|_| AnyError::msg("full"))?;
///     let from_rust = lp.wrap_future(rust_future(41));
///     Ok(co.yield_from(from_rust.wait()).await? + co.yield_from(queue.get()).await?)
/// }))
/// .unwrap();
/// assert_eq!(got, 42);
/// ```
pub mod prelude {
    pub use super::{
        Awaitable, CancelledError, ClockKind, Condition, Coroutine, CoroutineCo, DoneAndPending,
        EntryKind, Event, EventLoop, GatherTuple, Handle, InvalidStateError, KeyboardInterrupt,
        Lock, LockGuard, Queue, QueueEmpty, QueueFull, ReturnWhen, Runner, RuntimeError, Seconds,
        Semaphore, Suspend, Task, TaskPanicked, TaskRef, Timeout, TimeoutError, ValueError,
        as_completed, coroutine, ensure_future, gather, gather_results, gather_tuple, run,
        run_with, shield, sleep, sleep_with, wait, wait_for,
    };
    #[cfg(unix)]
    pub use super::{StreamReader, StreamWriter, open_connection, start_server};
    pub use crate::AnyError;
}

use crate::{AnyError, Co, Generator};
use future::Waitable;
use std::{fmt, rc::Rc};

/// What a coroutine yields to the task driving it: a future to wait on, or
/// nothing, to let the other tasks run first.
///
/// Only this crate's futures and tasks make a waiting `Suspend`, so a
/// coroutine cannot yield its task something it cannot wait on: CPython's
/// "Task got bad yield" cannot happen.
pub struct Suspend(pub(crate) Option<Rc<dyn Waitable>>);

impl Suspend {
    /// Gives up the turn: the task runs again on the next iteration
    /// (Python's `await asyncio.sleep(0)`, or a bare `yield` in a
    /// generator-based coroutine).
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, Suspend};
    ///
    /// let polite = coroutine("polite", |co| async move {
    ///     co.yield_(Suspend::NOW).await?;
    ///     Ok(())
    /// });
    /// # drop(polite);
    /// ```
    pub const NOW: Self = Self(None);
}

impl fmt::Debug for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Suspend(waiting on a future)"
        } else {
            "Suspend::NOW"
        })
    }
}

/// A generator-based coroutine returning `T`.
pub type Coroutine<T = ()> = Generator<Suspend, (), T, AnyError>;

/// What a coroutine body suspends through.
pub type CoroutineCo = Co<Suspend, (), AnyError>;

/// Makes a coroutine named `name` (Python's `@asyncio.coroutine` on a
/// generator function): `Generator::new` with the types fixed, so that the
/// body needs no annotations.
pub fn coroutine<T, F>(name: &'static str, body: impl FnOnce(CoroutineCo) -> F) -> Coroutine<T>
where
    T: 'static,
    F: std::future::Future<Output = Result<T, AnyError>> + 'static,
{
    Generator::new(name, body)
}

/// A coroutine that finishes after `delay` seconds of loop time (Python's
/// `asyncio.sleep`): `f64` or whole seconds, or a `Duration` ([`Seconds`]). A delay of 0 or less (`-inf` included) gives up the
/// turn once; `f64::INFINITY` sleeps until the task is cancelled.
///
/// # Errors
///
/// The coroutine raises `RuntimeError` if no loop is running,
/// `ValueError` for a NaN delay, and `CancelledError` if its task is
/// cancelled while it sleeps.
pub fn sleep(delay: impl Into<Seconds>) -> Coroutine<()> {
    sleep_with(delay, ())
}

/// [`sleep`] that evaluates to `result` (Python's `asyncio.sleep(delay,
/// result)`).
///
/// # Errors
///
/// As [`sleep`].
pub fn sleep_with<T: Clone + 'static>(delay: impl Into<Seconds>, result: T) -> Coroutine<T> {
    let sleep = alarm::Sleep::new(delay.into().get(), result);
    Generator::in_place(sleep, || crate::mailbox::Hinted {
        name: "sleep",
        level: true,
    })
}

//! Hand-written delegates: PEP 380's `yield from` of any iterator that has
//! `send`, `throw` and `close`.

use crate::{Exception, Step};
use std::convert::Infallible;

/// A hand-written state machine that `yield from` can delegate to, as
/// PEP 380 delegates to any iterator with `send`, `throw` and `close`.
///
/// Make a generator of it with `Generator::from_delegate` (or delegate to
/// it at once with `Co::yield_from_delegate`): `yield from` then forwards
/// to it exactly as it forwards to a generator, the way PEP 380's
/// expansion does:
///
/// - `next()` and `send(v)` on the outermost generator call
///   [`send`](Self::send) with `None` or `Some(v)` (Python calls
///   `next(_i)` for `None`, `_i.send(v)` otherwise);
/// - `throw(e)` calls [`throw`](Self::throw) with `e`;
/// - `close()` calls [`close`](Self::close), then raises `GeneratorExit`
///   in the delegator (an error `close` returns is raised instead);
/// - `Ok(Step::Yielded(y))` yields `y` to the outermost caller;
///   `Ok(Step::Returned(r))` ends the delegation, `yield from` evaluating
///   to `r` (Python's `StopIteration(r)`); `Err(e)` is raised at the
///   delegator's `yield from`.
///
/// The first call is `send(None)`, as `yield from` starts with
/// `next(_i)`. Once a call has returned `Returned` or an error, or `close`
/// has been called, the delegate is never called again.
///
/// The delegate is a generator level of its own: `gi_yieldfrom`
/// ([`Generator::delegate`](crate::Generator::delegate)) shows it by its
/// [`name`](Self::name), with the state of a generator (`GEN_RUNNING`
/// while one of its methods runs).
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use yieldfrom::{AnyError, Delegate, GenState, Generator, Step};
///
/// /// An averager written by hand: yields the running average of what it
/// /// is sent; `throw` resets it; it returns the count on `close`.
/// struct Averager { total: f64, count: u32 }
///
/// impl Delegate for Averager {
///     type Yield = f64;
///     type Send = f64;
///     type Return = u32;
///     type Error = AnyError;
///     fn name(&self) -> &'static str { "Averager" }
///     fn send(&mut self, value: Option<f64>) -> Result<Step<f64, u32, Infallible>, AnyError> {
///         match value {
///             Some(x) if x < 0.0 => Ok(Step::Returned(self.count)),
///             Some(x) => {
///                 self.total += x;
///                 self.count += 1;
///                 Ok(Step::Yielded(self.total / f64::from(self.count)))
///             }
///             None => Ok(Step::Yielded(0.0)),
///         }
///     }
///     fn throw(&mut self, _error: AnyError) -> Result<Step<f64, u32, Infallible>, AnyError> {
///         (self.total, self.count) = (0.0, 0);
///         Ok(Step::Yielded(0.0))
///     }
///     fn close(&mut self) -> Result<(), AnyError> { Ok(()) }
/// }
///
/// let outer: Generator<f64, f64, String> = Generator::new("outer", |co| async move {
///     let count = co.yield_from_delegate(Averager { total: 0.0, count: 0 }).await?;
///     Ok(format!("{count} values"))
/// });
/// assert_eq!(outer.next().unwrap(), Step::Yielded(0.0));
/// let inner = outer.delegate().unwrap();
/// assert_eq!((inner.name, inner.state), ("Averager", Some(GenState::Suspended)));
/// assert_eq!(outer.send(10.0).unwrap(), Step::Yielded(10.0));
/// assert_eq!(outer.send(20.0).unwrap(), Step::Yielded(15.0));
/// assert_eq!(outer.send(-1.0).unwrap(), Step::Returned("2 values".to_owned()));
/// ```
pub trait Delegate {
    /// What it yields.
    type Yield;
    /// What it is sent.
    type Send;
    /// What it returns: the value of the `yield from`.
    type Return;
    /// What it raises and is thrown.
    type Error: Exception<Self::Send>;

    /// Its name, as `gi_yieldfrom` shows it.
    fn name(&self) -> &'static str;

    /// Resumes it with `None` (Python's `next`) or a sent value.
    ///
    /// # Errors
    ///
    /// What it raises, which the delegator's `yield from` raises.
    fn send(
        &mut self,
        value: Option<Self::Send>,
    ) -> Result<Step<Self::Yield, Self::Return, Infallible>, Self::Error>;

    /// Raises `error` in it (Python's `throw`): it may handle it and yield
    /// or return, or raise it or another error.
    ///
    /// # Errors
    ///
    /// What it raises, which the delegator's `yield from` raises.
    fn throw(
        &mut self,
        error: Self::Error,
    ) -> Result<Step<Self::Yield, Self::Return, Infallible>, Self::Error>;

    /// Asks it to finish (Python's `close`): the outermost generator is
    /// being closed, and `GeneratorExit` is raised in the delegator after
    /// this returns.
    ///
    /// # Errors
    ///
    /// An error to raise in the delegator instead of `GeneratorExit`.
    fn close(&mut self) -> Result<(), Self::Error>;
}

//! `try: ... finally:` whose cleanup yields or awaits.

use std::future::Future;

/// Runs `body`, then `cleanup` whatever `body` ended in, as Python's
/// `try: body finally: cleanup` does, with a cleanup that may itself yield
/// or await (`finally: await conn.close()`), which a drop guard cannot.
///
/// `body` ends in a value, or an error: one it raised, one thrown in,
/// `GeneratorExit` from `close` (or from dropping the suspended
/// generator), or `CancelledError` for a task. `cleanup` then runs to its
/// end, and:
///
/// - if it succeeds, the outcome is `body`'s, value or error, unchanged;
/// - if it fails, its error replaces `body`'s, as an exception raised in
///   `finally` replaces the one in flight. CPython keeps the one it
///   replaced as the new one's `__context__`; the crate's errors have no
///   such link, so `body`'s error is dropped.
///
/// CPython's rules for what the cleanup does hold unchanged: a cleanup
/// that yields while the generator is being closed makes `close` fail
/// with "generator ignored `GeneratorExit`" (the generator stays suspended
/// in the cleanup); a cleanup that awaits while its task is being
/// cancelled simply awaits, and the task ends cancelled afterwards.
///
/// Write both as plain `async` blocks, not `async move`, so that both may
/// borrow the body's `co`. A panic in `body` unwinds past `cleanup`, as
/// it unwinds past everything else in the body.
///
/// # Errors
///
/// `cleanup`'s error, or else `body`'s.
///
/// # Examples
///
/// ```
/// use yieldfrom::{try_finally, Generator, Step};
///
/// // def g():
/// //     try:
/// //         x = yield 1
/// //         yield x
/// //     finally:
/// //         yield "cleanup"
/// let g: Generator<String, String> = Generator::new("g", |co| async move {
///     try_finally(
///         async {
///             let x = co.yield_("1".to_owned()).await?;
///             co.yield_(x.unwrap_or_default()).await?;
///             Ok(())
///         },
///         || async { co.yield_("cleanup".to_owned()).await.map(drop) },
///     )
///     .await
/// });
/// let yielded: Vec<String> = g.into_iter().collect();
/// assert_eq!(yielded, ["1", "", "cleanup"]);
/// ```
pub async fn try_finally<T, E, C, F>(
    body: impl Future<Output = Result<T, E>>,
    cleanup: C,
) -> Result<T, E>
where
    C: FnOnce() -> F,
    F: Future<Output = Result<(), E>>,
{
    let outcome = body.await;
    cleanup().await?;
    outcome
}

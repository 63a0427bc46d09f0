//! Where errors that nobody can receive are reported.
//!
//! Dropping a suspended generator closes it, as CPython's finaliser does.
//! If that close fails, there is no caller to hand the error to, and `drop`
//! must not panic; CPython writes "Exception ignored in: ..." to stderr and
//! lets `sys.unraisablehook` change that. This module is that hook.

use std::sync::{Arc, PoisonError, RwLock};

/// An error raised where no caller could receive it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unraisable {
    /// The name of the generator it came from.
    pub generator: &'static str,
    /// When it happened.
    pub context: UnraisableContext,
    /// The error, as its `Debug` text (the error type is the generator's
    /// own, so it cannot be passed on as it is).
    pub message: String,
}

/// When an [`Unraisable`] error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnraisableContext {
    /// Closing a generator that was dropped while suspended.
    Finalizing,
    /// The body panicked while it was being closed on drop.
    FinalizerPanicked,
    /// A generator used as an iterator or stream ended with an error that
    /// was never taken with `take_outcome` before the generator was dropped.
    NeverRetrieved,
    /// Something a generator held panicked as it was dropped, while another
    /// panic of the same drop was already on its way to the caller (or the
    /// thread was already unwinding), so this one could not follow it. Only
    /// the finalisation of deep chains, which is deferred, can see two.
    DropPanicked,
}

type Hook = Arc<dyn Fn(&Unraisable) + Send + Sync>;

static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

/// Replaces the hook that receives unraisable errors, for every thread.
///
/// The default hook writes one line to stderr, in the spirit of CPython's
/// `Exception ignored in: <generator object ...>`. Returning from the hook
/// continues the drop that reported the error; a hook that panics has its
/// panic caught and ignored, since it runs inside `drop`.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use yieldfrom::{set_unraisable_hook, take_unraisable_hook, AnyError, Generator};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// set_unraisable_hook(move |u| sink.lock().unwrap().push(u.message.clone()));
///
/// let g: Generator<i32> = Generator::new("stubborn", |co| async move {
///     match co.yield_(1).await {
///         Err(_) => Err(AnyError::msg("cleanup failed")),
///         Ok(_) => Ok(()),
///     }
/// });
/// g.next().unwrap();
/// drop(g);
/// take_unraisable_hook();
/// assert_eq!(seen.lock().unwrap().as_slice(), ["\"cleanup failed\""]);
/// ```
pub fn set_unraisable_hook(hook: impl Fn(&Unraisable) + Send + Sync + 'static) {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
}

/// Removes a hook set with [`set_unraisable_hook`], restoring the default.
/// Returns whether one was set.
pub fn take_unraisable_hook() -> bool {
    HOOK.write()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .is_some()
}

pub(crate) fn report(generator: &'static str, context: UnraisableContext, message: String) {
    let unraisable = Unraisable {
        generator,
        context,
        message,
    };
    // Called with the lock released, so that a hook may replace or remove
    // itself, or drop a generator that reports in turn, as CPython allows.
    let hook = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match hook {
        Some(hook) => hook(&unraisable),
        None => default_hook(&unraisable),
    }));
    // A panicking hook has already had its say through the panic hook.
    drop(delivered);
}

fn default_hook(u: &Unraisable) {
    let what = match u.context {
        UnraisableContext::Finalizing => "",
        UnraisableContext::FinalizerPanicked => " (panicked while closing)",
        UnraisableContext::NeverRetrieved => " (error never retrieved)",
        UnraisableContext::DropPanicked => " (panicked while dropped)",
    };
    eprintln!(
        "Exception ignored in: <generator object {}>{what}: {}",
        u.generator, u.message
    );
}

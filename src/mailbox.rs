//! The side channel between a driver and the body it is resuming.
//!
//! genawaiter's channel carries exactly the user's yield type and
//! `Option<S>`. Everything else that crosses between a driver and a body
//! (throw, close, a finished delegate's return value, a new delegate, and
//! whether the body really suspended at one of its own yields) goes through
//! here. A body only ever runs inside a resume, on the thread that resumes
//! it, and each message below is read within that same resume, before any
//! other code of the user's runs; so one set of thread-local cells serves
//! every generator, nested drivers included, and no generator carries a
//! control block of its own.
//!
//! - [`Mode`]: written by the driver just before it resumes a body, read by
//!   the yield the body is parked at.
//! - [`Token`]: written by a body's yield as it suspends, taken by the
//!   body's guard as the poll returns, to tell a real suspension through
//!   the body's own `Co` from a foreign await.
//! - the parcel: the cold payloads (a thrown error, a return value, a new
//!   delegate), boxed, posted by one side and collected by the other within
//!   the same resume. An error of the default type, [`AnyError`], has a
//!   slot of its own and is not boxed: it crosses on every `throw` and
//!   `close`, and boxing it doubled their allocations.
//! - the refusal acknowledged: set by a body's guard before it polls the
//!   body again, when a yield of the body's own `Co` was refused, and read
//!   by that yield.
//! - the delegate hint: what the body is delegating to without a frame of
//!   its own, left just before it yields: a plain iterator
//!   (`yield_from_iter`), or a hand-written delegate driven in place.

use crate::AnyError;
use std::{
    any::Any,
    cell::{Cell, RefCell},
    sync::atomic::{AtomicU32, Ordering},
};

/// What the driver asks of the body on this resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Resume with the value in genawaiter's channel.
    Send,
    /// Raise the error in the parcel.
    Throw,
    /// Raise `GeneratorExit`.
    Close,
    /// The delegate finished; its return value is in the parcel.
    Return,
}

/// How the body ended its poll, as its own code reports it, and through
/// whose `Co`: the body id of that `Co` and what it did, in one word, so
/// that the guard of the body being polled checks both with one compare.
///
/// Every generator has a body id, which its frame's guard and its `Co`
/// share. A yield made through another generator's `Co` leaves that
/// generator's id, which the guard of the body being polled tells apart
/// from its own: a foreign await, not a suspension of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token(u32);

impl Token {
    /// Nothing of ours suspended: a pending poll was a foreign await.
    pub(crate) const NONE: Self = Self(0);

    /// Parked at a yield of the `Co` of a body that has not been made yet:
    /// the token its yields will leave, made once with the body.
    pub(crate) fn for_new_body() -> Self {
        // Ids step by 4, leaving the low bits for what the `Co` did. They
        // wrap after 2^30 generators; a misplaced `Co` whose id happens to
        // equal the id of the body awaiting it is not caught (genawaiter
        // then panics, as it did before ids), which takes that exact
        // coincidence, not just a long-lived program.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        Self(NEXT.fetch_add(4, Ordering::Relaxed) | 1)
    }

    /// Parked at a `yield_from` of the `Co` whose yields leave `self`, with
    /// the delegate in the parcel.
    #[inline]
    pub(crate) const fn delegated_instead(self) -> Self {
        Self(self.0 + 1)
    }

    /// Pending at a yield or `yield_from` of the `Co` whose yields leave
    /// `self`, refused because that `Co` had a yield outstanding: the
    /// mistake of the `Co`'s own body if that is the body being polled
    /// (which then acknowledges it and polls again), a foreign await if not.
    #[inline]
    pub(crate) const fn refused_instead(self) -> Self {
        Self(self.0 + 2)
    }
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Send) };
    static TOKEN: Cell<Token> = const { Cell::new(Token::NONE) };
    static HINT: Cell<Option<Hint>> = const { Cell::new(None) };
    static OWN_REFUSAL: Cell<bool> = const { Cell::new(false) };
    static PARCEL: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    static ANY_ERROR: RefCell<Option<AnyError>> = const { RefCell::new(None) };
}

#[inline]
pub(crate) fn set_mode(mode: Mode) {
    MODE.with(|m| m.set(mode));
}

#[inline]
pub(crate) fn mode() -> Mode {
    MODE.with(Cell::get)
}

#[inline]
pub(crate) fn set_token(token: Token) {
    TOKEN.with(|t| t.set(token));
}

#[inline]
pub(crate) fn take_token() -> Token {
    TOKEN.with(|t| t.replace(Token::NONE))
}

#[cfg(debug_assertions)]
thread_local! {
    /// The token of the body being polled on this thread.
    static POLLING: Cell<Token> = const { Cell::new(Token::NONE) };
}

/// Marks the body whose yields leave `own` as the one being polled on this
/// thread, until dropped (nested polls restore the outer body), in debug
/// builds only.
///
/// genawaiter, in debug builds only, panics on a yield through the `Co` of
/// a body that has finished, before our guard could see the token; so in
/// those builds a yield also checks that its body is the one being polled,
/// and refuses (as a foreign await) before it reaches genawaiter. Release
/// builds pay nothing for this, and the guard's check covers the case.
#[cfg(debug_assertions)]
#[must_use = "the body counts as polled until this is dropped"]
pub(crate) struct Polling(Token);

#[cfg(debug_assertions)]
impl Polling {
    pub(crate) fn enter(own: Token) -> Self {
        Self(POLLING.with(|p| p.replace(own)))
    }
}

#[cfg(debug_assertions)]
impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.with(|p| p.set(self.0));
    }
}

/// Whether the body whose yields leave `own` is the one being polled on
/// this thread.
#[cfg(debug_assertions)]
#[inline]
pub(crate) fn is_polling(own: Token) -> bool {
    POLLING.with(Cell::get) == own
}

/// Release builds do not check: see [`Polling`].
#[cfg(not(debug_assertions))]
#[inline]
pub(crate) fn is_polling(_own: Token) -> bool {
    true
}

/// Tells the refused yield about to be polled again that it is its body's
/// own.
pub(crate) fn acknowledge_own_refusal(acknowledged: bool) {
    OWN_REFUSAL.with(|a| a.set(acknowledged));
}

/// Whether the body's guard has acknowledged a refused yield as its own.
pub(crate) fn take_own_refusal() -> bool {
    OWN_REFUSAL.with(Cell::take)
}

/// What a body delegates to without a frame of its own, as
/// [`Hinted`]: a function, so that a frame keeps it in one word.
pub(crate) type Hint = fn() -> Hinted;

/// The level a [`Hint`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hinted {
    /// The delegate's name: a plain iterator's type name, or a
    /// hand-written delegate's name.
    pub(crate) name: &'static str,
    /// Whether it is a generator level (a hand-written delegate driven in
    /// place), which has the state of a generator; a plain iterator has
    /// none.
    pub(crate) level: bool,
}

#[inline]
pub(crate) fn hint(hint: Hint) {
    HINT.with(|h| h.set(Some(hint)));
}

#[inline]
pub(crate) fn take_hint() -> Option<Hint> {
    HINT.with(Cell::take)
}

/// Drops whatever was posted and not collected: the delegate a body handed
/// to another generator's `Co`, which no driver will collect.
pub(crate) fn discard_parcel() {
    drop(PARCEL.with(|p| p.borrow_mut().take()));
}

/// Leaves a payload for the other side of this resume.
pub(crate) fn post<T: 'static>(payload: T) {
    let mut payload = Some(payload);
    // Resolved at compile time for each `T`.
    if let Some(error) = (&mut payload as &mut dyn Any).downcast_mut::<Option<AnyError>>() {
        let error = error.take();
        ANY_ERROR.with(|slot| *slot.borrow_mut() = error);
        return;
    }
    let boxed: Option<Box<dyn Any>> = payload.map(|p| Box::new(p) as Box<dyn Any>);
    PARCEL.with(|p| *p.borrow_mut() = boxed);
}

/// Leaves an already boxed payload for the other side of this resume.
pub(crate) fn post_boxed(payload: Box<dyn Any>) {
    PARCEL.with(|p| *p.borrow_mut() = Some(payload));
}

/// Takes the payload left in this resume, if it is a `T`.
pub(crate) fn collect<T: 'static>() -> Option<T> {
    let mut out: Option<T> = None;
    if let Some(error) = (&mut out as &mut dyn Any).downcast_mut::<Option<AnyError>>() {
        *error = ANY_ERROR.with(|slot| slot.borrow_mut().take());
        return out;
    }
    PARCEL
        .with(|p| p.borrow_mut().take())
        .and_then(|parcel| parcel.downcast::<T>().ok())
        .map(|b| *b)
}

#[cfg(test)]
mod tests {
    use super::{collect, post};
    use crate::AnyError;

    #[test]
    fn an_any_error_and_a_boxed_payload_each_come_back_as_posted() {
        post(AnyError::msg("thrown"));
        assert_eq!(collect::<AnyError>().unwrap().to_string(), "thrown");
        assert!(collect::<AnyError>().is_none(), "taken once");
        post(7_u32);
        assert!(collect::<String>().is_none(), "another type is refused");
        post(String::from("ret"));
        assert_eq!(collect::<String>().as_deref(), Some("ret"));
    }
}
